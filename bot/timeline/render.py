"""Timelines for people: a table per series (CLI), a compact dated list (answers), chart rows."""

from __future__ import annotations

from typing import Any

from bot.render.text import plural
from bot.timeline.build import Point, Series, Timeline

MAX_COMPACT = 6  # points in an answer's dated list (the first and the latest always shown)


def figure(p: Point) -> str:
    """ "more than 2 500", "3,000 to 3,500": the figure as the report wrote it, qualified."""
    return f"{p.mention.qualifier} {p.mention.text}" if p.mention.qualifier else p.mention.text


def day_label(p: Point, with_year: bool = True) -> str:
    """ "16 Oct 2025", marked when it is only the day the report was ingested."""
    if p.date is None:
        return "undated"
    text = f"{p.date.day} {p.date:%b}" + (f" {p.date.year}" if with_year else "")
    return f"ingested {text}" if p.date_kind == "ingested" else text


def outlet(p: Point) -> str:
    c = p.citation
    name = c.source or c.title or c.doc_id
    return name + (f" (also in {', '.join(c.also_in)})" if c.also_in else "")


def shown_points(series: Series, limit: int = MAX_COMPACT) -> list[Point]:
    """The points an answer's list shows: those with a report date (stated or published),
    the first ones and always the latest; all of them when none has one."""
    points = [p for p in series.points if p.date and p.date_kind != "ingested"] or series.points
    return points if len(points) <= limit else points[: limit - 1] + points[-1:]


def point_label(p: Point, with_year: bool) -> str:
    """ "2,825 (16 Oct, The Asia Business Daily)"."""
    return f"{figure(p)} ({day_label(p, with_year)}, {p.citation.source or p.citation.title})"


def compact(series: Series, limit: int = MAX_COMPACT) -> str:
    """ "2,825 (16 Oct, The Asia Business Daily) → 4,100 (20 Nov, Regional Desk Wire)"."""
    points = shown_points(series, limit)
    years = len({p.date.year for p in points if p.date}) > 1
    return " → ".join(point_label(p, years) for p in points)


def excerpt(p: Point, width: int = 100) -> str:
    """The quote, or a window of it around the figure when it is long."""
    quote, m = p.citation.quote, p.mention
    if len(quote) <= width:
        return " ".join(quote.split())
    lo = max(0, min(m.start - width // 3, len(quote) - width))
    hi = lo + width
    lo = quote.rfind(" ", 0, lo) + 1 if lo else 0
    text = " ".join(quote[lo:hi].split())
    return ("…" if lo else "") + text + ("…" if hi < len(quote) else "")


def _kind(p: Point) -> str:
    return {"stated": "as stated", "published": "report date", "ingested": "ingest day"}.get(
        p.date_kind, "no date"
    )


def table(timeline: Timeline, width: int = 100) -> str:
    """Plain text: per series a heading and rows date · value · qualifier · outlet · quote."""
    if not timeline.series:
        return timeline.message or f"No figures found for “{timeline.claim}”."
    out = [f"Figures for “{timeline.claim}” across {plural(timeline.reports, 'report')}:"]
    for s in timeline.series:
        out += ["", f"## {s.label} ({len(s.points)} point{'s' * (len(s.points) != 1)})"]
        out.append(f"{'date':<13} {'value':>11}  {'qualifier':<13} {'dated by':<11} outlet")
        for p in s.points:
            value = p.mention.text
            when = p.date.isoformat() if p.date else "undated"
            since = f" (since {p.since.isoformat()})" if p.since else ""
            out.append(
                f"{when:<13} {value:>11}  {(p.mention.qualifier or ''):<13} {_kind(p):<11} "
                f"{outlet(p)}{since}"
            )
            quote = excerpt(p, width)
            out.append(f"{'':<13} “{quote}”" + (f" — {p.citation.url}" if p.citation.url else ""))
    if timeline.message:
        out += ["", timeline.message]
    return "\n".join(out)


def chart_rows(timeline: Timeline, max_series: int = 4) -> list[dict[str, Any]]:
    """One row per charted point of the most relevant series: what a chart needs, with the
    quote and outlet for its tooltip. Points without a report date (undated, or dated only by
    the day they were ingested) are left out: the table lists them."""
    rows = []
    for s in timeline.series[:max_series]:
        for p in s.points:
            if p.date is None or p.date_kind == "ingested":
                continue
            rows.append(
                {
                    "date": p.date,
                    "value": p.mention.value,
                    "series": s.label,
                    "figure": figure(p),
                    "outlet": outlet(p),
                    "dated": _kind(p),
                    "quote": " ".join(p.citation.quote.split()),
                }
            )
    return rows


def uncharted(timeline: Timeline, max_series: int = 4) -> int:
    """How many points of the charted series have no date to place them by."""
    return sum(
        p.date is None or p.date_kind == "ingested"
        for s in timeline.series[:max_series]
        for p in s.points
    )

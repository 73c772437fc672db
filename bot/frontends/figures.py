"""The web UI's figure charts: the "Figures" tab, and the chart beside an answer's sources.

gradio's native ScatterPlot (Vega-Lite, shipped with gradio; no other JS): one colour per
series, one point per dated figure, hovering a point shows its figure, outlet, how it was
dated and the quote. A points table below gives each quote in full with its link. Every
outcome says in words what is (or is not) charted: an empty chart never stands alone.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import gradio as gr
import pandas as pd

from bot.app.wiring import App
from bot.render.html import escape as _esc
from bot.render.text import plural
from bot.timeline.build import Timeline, TimelineBuilder, claim_terms, is_change_question
from bot.timeline.render import chart_rows, day_label, figure, outlet, uncharted
from index import ReportbotError

log = logging.getLogger("reportbot.web")

TOOLTIP = ["series", "figure", "outlet", "dated", "quote"]
_QUOTE_CHARS = 180
_DIFFERENT = re.compile(r"(?i)the reports give different figures")
NO_POINTS = '<div class="rb-empty">Each charted figure is listed here with its quote.</div>'


def frame(timeline: Timeline) -> pd.DataFrame:
    """The chart's rows: date (datetime), value, series and the tooltip's words."""
    rows = chart_rows(timeline)
    for r in rows:
        r["date"] = pd.Timestamp(r["date"])
        if len(r["quote"]) > _QUOTE_CHARS:
            r["quote"] = r["quote"][: _QUOTE_CHARS - 1] + "…"
    columns = ["date", "value", *TOOLTIP]
    return pd.DataFrame(rows, columns=columns)


def x_limits(data: pd.DataFrame) -> list[float] | None:
    """The time axis with a margin (in seconds: gradio scales them), so edge points show whole."""
    if data.empty:
        return None
    lo, hi = data["date"].min(), data["date"].max()
    pad = max((hi - lo) * 0.04, pd.Timedelta(days=2))
    return [(lo - pad).timestamp(), (hi + pad).timestamp()]


def note(timeline: Timeline) -> str:
    """What the chart shows, or why there is none, in words (Markdown)."""
    if not timeline.series:
        return f"⚠️ {timeline.message or 'No figures found.'}"
    shown = timeline.series[:4]
    charted = sum(p.date is not None for s in shown for p in s.points)
    parts = [
        f"**{len(shown)} series** from {plural(timeline.reports, 'report')} "
        f"for “{_esc(timeline.claim)}”: "
        + "; ".join(f"{_esc(s.label)} ({len(s.points)})" for s in shown)
        + ". Hover a point for its quote; each is listed below with its source."
    ]
    if not charted:
        parts = [f"⚠️ None of the figures for “{_esc(timeline.claim)}” has a readable date, so "
                 "there is nothing to place on a time axis; they are listed below."]  # fmt: skip
    left = uncharted(timeline)
    if left and charted:
        parts.append(
            f"_{plural(left, 'figure')} with no report date (dated only by the day reportbot "
            "ingested them, or not at all) are listed below but not charted._"
        )
    elif timeline.message:
        parts.append(f"_{_esc(timeline.message)}_")
    return "\n\n".join(parts)


def points_html(timeline: Timeline) -> str:
    """Each point with its series, date, figure, outlet (linked) and full quote."""
    if not timeline.series:
        return NO_POINTS
    rows = []
    for s in timeline.series[:4]:
        for p in s.points:
            c = p.citation
            name = _esc(outlet(p))
            if c.url and c.url.startswith(("http://", "https://")):
                name = (f'<a href="{_esc(c.url)}" target="_blank" rel="noopener noreferrer">'
                        f"{name}</a>")  # fmt: skip
            rows.append(
                f"<tr><td>{_esc(s.label)}</td><td>{_esc(day_label(p))}</td>"
                f"<td><b>{_esc(figure(p))}</b></td><td>{name}</td>"
                f'<td class="rb-quote">“{_esc(c.quote)}”</td></tr>'
            )
    head = "<tr><th>Series</th><th>Date</th><th>Figure</th><th>Outlet</th><th>Quote</th></tr>"
    style = "width:100%;border-collapse:collapse;font-size:0.9em"
    return f'<table class="rb-points" style="{style}">{head}{"".join(rows)}</table>'


class FiguresUI:
    """Event handlers for the charts, bound to one App."""

    def __init__(self, app: App) -> None:
        self.builder = TimelineBuilder(app.searcher)

    def chart(self, claim: str) -> tuple[Any, str, str]:
        """The Figures tab: chart, what it shows, the points with their quotes."""
        try:
            timeline = self.builder.build(claim or "")
        except ReportbotError as exc:
            return gr.update(value=None, visible=False), f"⚠️ {_esc(exc)}", NO_POINTS
        except Exception:
            log.exception("charting %r failed", claim)
            return (gr.update(value=None, visible=False),
                    "⚠️ Something went wrong while charting; the server log has the details.",
                    NO_POINTS)  # fmt: skip
        data = frame(timeline)
        shown = gr.update(value=data, visible=not data.empty, x_lim=x_limits(data))
        return shown, note(timeline), points_html(timeline)

    def for_answer(self, history: list[dict[str, Any]] | None) -> tuple[Any, str]:
        """Beside an answer: the chart when its reports give different figures or the
        question asks how a figure changed; else nothing."""
        hide = (gr.update(value=None, visible=False), "")
        turns = [m for m in history or [] if isinstance(m, dict)]
        asked = [str(m.get("content") or "") for m in turns if m.get("role") == "user"]
        answered = [str(m.get("content") or "") for m in turns if m.get("role") == "assistant"]
        if not asked or not answered:
            return hide
        question = asked[-1]
        if not (is_change_question(question) or _DIFFERENT.search(answered[-1])):
            return hide
        claim = question
        if len(asked) > 1 and len(claim_terms(question)[0]) < 2:  # "And how has it changed?"
            claim = f"{question} {asked[-2]}"
        try:
            timeline = self.builder.build(claim)
        except Exception:
            log.exception("charting the answer to %r failed", question)
            return hide
        data = frame(timeline)
        if data.empty:
            return hide
        return gr.update(value=data, visible=True, x_lim=x_limits(data)), note(timeline)


def plot(elem_id: str, visible: bool = False) -> gr.ScatterPlot:
    return gr.ScatterPlot(
        x="date",
        y="value",
        color="series",
        tooltip=TOOLTIP,
        x_title="date of the figure",
        y_title="figure",
        height=320,
        elem_id=elem_id,
        visible=visible,
    )


def figures_tab(ui: FiguresUI) -> None:
    """The "Figures" tab's components and events (call inside ``gr.Tab``)."""
    with gr.Row():
        claim = gr.Textbox(
            label="Claim or question",
            placeholder="e.g. foreigners deported from Cambodia",
            elem_id="rb-claim",
            scale=4,
            submit_btn=False,
        )
        go = gr.Button("Chart", variant="primary", scale=1, elem_id="rb-chart")
    words = gr.Markdown(
        "Chart every figure the reports give for a claim, by what it counts and when.",
        elem_id="rb-figures-note",
    )
    chart = plot("rb-figures-plot")
    points = gr.HTML(NO_POINTS, elem_id="rb-figures-points")
    for event in (go.click, claim.submit):
        event(ui.chart, [claim], [chart, words, points], api_visibility="private")

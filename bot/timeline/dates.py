"""Dates a sentence states for its figures: "as of October 14", "from July 27 to October 14".

Month-day dates without a year take the year of the report's date (the year before when that
would put them after the report). Weekdays, "yesterday" and "today" are read relative to it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from bot.grounding.figures import MONTH_NAMES

MONTHS = {name[:3]: n for n, name in enumerate(MONTH_NAMES, start=1)}  # "jan": 1 …
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_YEAR = r"(?:19|20)\d{2}"
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
_DATE = re.compile(
    rf"""(?ix)
      (?P<iso>\b(?P<iy>\d{{4}})-(?P<im>\d{{2}})-(?P<id>\d{{2}})\b)
    | (?P<md>\b(?P<m1>{_MONTH})\.?\s+(?P<d1>{_DAY})\b(?:,?\s+(?P<y1>{_YEAR})\b)?)
    | (?P<dm>\b(?P<d2>{_DAY})\s+(?:of\s+)?(?P<m2>{_MONTH})\b\.?(?:,?\s+(?P<y2>{_YEAR})\b)?)
    | (?P<eom>\b(?:the\s+)?end\s+of\s+(?P<m4>{_MONTH})\b(?:,?\s+(?P<y4>{_YEAR})\b)?)
    | (?P<my>\b(?P<m3>{_MONTH})\.?,?\s+(?P<y3>{_YEAR})\b)
    | (?P<rel>\b(?:{"|".join(_WEEKDAYS)}|yesterday|today)\b)
    | (?P<year>\b(?:in|since|of|by|until|from|to|year|early|late|mid-?|during|through)
        \s+{_YEAR}\b)
    """
)
_RANGE_OPEN = re.compile(r"(?i)\b(?:from|between)\s+$")
_RANGE_JOIN = re.compile(r"(?i)^\s*(?:to|until|till|through|thru|and|-|–|—)\s*$")
_SINCE = re.compile(
    r"(?i)(?:\bsince\s+(?:(?:early|mid|late)[\s-]+)?|\b(?:began|begun|started|launched|"
    r"beginning|starting)\s+(?:on\s+|in\s+)?)$"
)
# "May" the verb and "March" the verb/noun are dates only with a day or year next to them;
# the pattern already asks for one, except for weekdays and "yesterday"/"today".


@dataclass(frozen=True)
class DateSpan:
    """A date stated in a sentence: where (offsets in the sentence) and which day, if readable."""

    start: int
    end: int
    day: date | None  # None: a year alone or a month without a day (not precise enough)


@dataclass(frozen=True)
class Anchor:
    """What a sentence says about when its figures hold: the day (``as_of``) and, for a range
    or a "since", the day it starts; offsets span the whole phrase."""

    start: int
    end: int
    as_of: date | None
    since: date | None


def _day(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _infer_year(month: int, day: int, ref: date | None) -> date | None:
    if ref is None:
        return None
    found = _day(ref.year, month, day)
    if found is not None and found > ref + timedelta(days=45):
        # Well after the report: last year's. A few weeks after it is more likely a report
        # updated after its date: the same year (and, being after the report, no as-of).
        found = _day(ref.year - 1, month, day)
    return found


def find_dates(text: str, ref: date | None) -> list[DateSpan]:
    """Every date mention in ``text`` (figures inside them are not counts)."""
    out = []
    for m in _DATE.finditer(text):
        day: date | None = None
        if m.group("iso"):
            day = _day(int(m.group("iy")), int(m.group("im")), int(m.group("id")))
        elif m.group("md") or m.group("dm"):
            month = MONTHS[(m.group("m1") or m.group("m2"))[:3].lower()]
            d = int(re.sub(r"\D", "", m.group("d1") or m.group("d2")))
            year = m.group("y1") or m.group("y2")
            day = _day(int(year), month, d) if year else _infer_year(month, d, ref)
        elif m.group("eom"):  # "at the end of September": its last day
            month = MONTHS[m.group("m4")[:3].lower()]
            year = int(m.group("y4")) if m.group("y4") else None
            first = _day(year, month, 1) if year else _infer_year(month, 1, ref)
            if first is not None:
                day = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(1)
        elif m.group("rel") and ref is not None:
            word = m.group("rel").lower()
            if word == "today":
                day = ref
            elif word == "yesterday":
                day = ref - timedelta(days=1)
            else:
                back = (ref.weekday() - _WEEKDAYS.index(word)) % 7
                day = ref - timedelta(days=back)
        start = m.start("year") + m.group("year").rfind(" ") + 1 if m.group("year") else m.start()
        out.append(DateSpan(start, m.end(), day))
    return out


def anchors(text: str, dates: list[DateSpan], ref: date | None) -> list[Anchor]:
    """Ranges ("from A to B", "between A and B"), "since A", and single dates: each an anchor.

    A single date after the report's date (a trial "set for December 3") is not an as-of.
    """
    limit = ref + timedelta(days=2) if ref else None
    out: list[Anchor] = []
    i = 0
    while i < len(dates):
        d = dates[i]
        nxt = dates[i + 1] if i + 1 < len(dates) else None
        if (
            nxt is not None
            and _RANGE_JOIN.match(text[d.end : nxt.start])
            and _RANGE_OPEN.search(text[max(0, d.start - 12) : d.start])
        ):
            as_of = nxt.day if nxt.day and (limit is None or nxt.day <= limit) else None
            out.append(Anchor(d.start, nxt.end, as_of, d.day))
            i += 2
            continue
        if d.day is not None:
            if _SINCE.search(text[max(0, d.start - 20) : d.start]):
                out.append(Anchor(d.start, d.end, None, d.day))
            elif limit is None or d.day <= limit:
                out.append(Anchor(d.start, d.end, d.day, None))
        i += 1
    return out


def parse_day(value: str | None) -> date | None:
    """YYYY-MM-DD (a longer ISO timestamp too), else None."""
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None

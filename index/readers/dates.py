"""Publication dates when metadata has none: from the URL (/2025/10/16/) or a dateline."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from index.types import SourceDoc

_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
_MONTH = (
    r"(?P<month>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
# /2025/10/16/, /2025-10-16-, /20251016/ in a URL path (year, month and day all present).
_URL_DATE = re.compile(
    r"/(?P<year>(?:19|20)\d\d)(?P<sep>[/_-]?)(?P<month>0?[1-9]|1[0-2])(?P=sep)"
    r"(?P<day>0?[1-9]|[12]\d|3[01])(?=[/_.-]|$)"
)
# "Oct. 16, 2025", "October 16 2025", "16 October 2025", "2025-10-16".
_TEXT_DATES = (
    re.compile(_MONTH + r"\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<year>\d{4})\b", re.I),
    re.compile(r"\b(?P<day>\d{1,2})(?:st|nd|rd|th)?\s+" + _MONTH + r",?\s+(?P<year>\d{4})\b", re.I),
    re.compile(r"\b(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})\b"),
)
# A dateline sits at the start of a line: "WASHINGTON, Oct. 16, 2025 (Reuters) —",
# "Published 16 October 2025", "October 16, 2025 / 10:32 AM". Later dates are the story's.
_DATELINE_REACH = 60
_DATELINE_LINES = 3
_DATELINE_LINE = 50  # a line this short that holds a date is a date line ("Updated …")
# …else the date must be followed by the dateline's separator: "(Reuters) —", "--", "|".
_DATELINE_END = re.compile(r"\s*(?:\([^)]{0,40}\)\s*)?(?:--|[-–—|/:•])")


def _make(year: str, month: str, day: str) -> str | None:
    m = _MONTHS.get(month[:3].lower()) if not month.isdigit() else int(month)
    try:
        found = date(int(year), m or 0, int(day))
    except ValueError:
        return None
    if not 1900 <= found.year <= datetime.now(UTC).year + 1:
        return None
    return found.isoformat()


def date_from_url(url: str | None) -> str | None:
    """YYYY-MM-DD from a dated URL path such as /2025/10/16/slug, or None."""
    if not url:
        return None
    path = re.sub(r"^[a-z]+://[^/]+", "", url, flags=re.I).split("?", 1)[0]
    for m in _URL_DATE.finditer(path):
        found = _make(m["year"], m["month"], m["day"])
        if found:
            return found
    return None


def _ends_dateline(line: str, end: int) -> bool:
    return len(line) <= _DATELINE_LINE or _DATELINE_END.match(line, end) is not None


def date_from_dateline(text: str) -> str | None:
    """YYYY-MM-DD from a dateline near the start of one of the first lines, or None."""
    lines = [line for line in text[:1000].split("\n") if line.strip()][:_DATELINE_LINES]
    for line in lines:
        best: tuple[int, str] | None = None
        for pattern in _TEXT_DATES:
            m = pattern.search(line)
            if m and m.start() <= _DATELINE_REACH and _ends_dateline(line, m.end()):
                found = _make(m["year"], m["month"], m["day"])
                if found and (best is None or m.start() < best[0]):
                    best = (m.start(), found)
        if best:
            return best[1]
    return None


def complete_dates(doc: SourceDoc) -> SourceDoc:
    """Fill ``published`` from the URL or a dateline when metadata gave none; mark the kind."""
    if not doc.published:
        location_url = doc.location if doc.location.startswith(("http://", "https://")) else None
        doc.published = (
            date_from_url(doc.url) or date_from_url(location_url) or date_from_dateline(doc.text)
        )
    if doc.published and doc.date_kind is None:
        doc.date_kind = "published"
    return doc


def ingest_date_fallback(doc: SourceDoc, previous: str | None = None) -> SourceDoc:
    """An undated document gets the day it was first ingested (``previous``, else today).

    It is marked ``date_kind="ingested"`` so a citation can say "ingested", not "published".
    """
    if doc.published:
        doc.date_kind = doc.date_kind or "published"
    else:
        doc.published = previous or datetime.now(UTC).date().isoformat()
        doc.date_kind = "ingested"
    return doc

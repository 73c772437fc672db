"""Figures in text: numbers, amounts, percentages and spelled-out numbers, normalised to values."""

from __future__ import annotations

import re
from dataclasses import dataclass

_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19,
}  # fmt: skip
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
         "eighty": 80, "ninety": 90}  # fmt: skip
_SCALES = {"hundred": 100, "thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12,
           "k": 1e3, "m": 1e6, "bn": 1e9, "mn": 1e6, "dozen": 12}  # fmt: skip
_WORDNUM = "|".join(sorted([*_UNITS, *_TENS], key=len, reverse=True))
_FIGURE = re.compile(
    rf"""(?ix)
    (?P<num>\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?|\d+(?:\.\d+)?)
      (?:\s*(?P<scale>hundred|thousand|million|billion|trillion|bn|mn|k|m)\b)?
      (?P<pct>\s*(?:%|percent|per\ cent))?
    | \b(?P<word>(?:{_TENS and "|".join(_TENS)})(?:[\s-](?:{"|".join(_UNITS)}))?|{_WORDNUM})\b
      (?:\s+(?P<wscale>hundred|thousand|million|billion|dozen)\b)?
    """
)
_MONTHS = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]


@dataclass(frozen=True)
class Figure:
    text: str
    value: float
    start: int
    end: int


def _word_value(word: str) -> float:
    parts = re.split(r"[\s-]+", word.lower())
    return float(sum(_TENS.get(p, _UNITS.get(p, 0)) for p in parts))


def find_figures(text: str) -> list[Figure]:
    """Every figure in ``text`` with its numeric value ("2,825" → 2825, "3.4 million" → 3.4e6)."""
    figures = []
    for m in _FIGURE.finditer(text):
        if m.group("num"):
            value = float(m.group("num").replace(",", ""))
            scale = (m.group("scale") or "").lower()
            value *= _SCALES.get(scale, 1)
        else:
            value = _word_value(m.group("word"))
            value *= _SCALES.get((m.group("wscale") or "").lower(), 1)
        figures.append(Figure(m.group().strip(), value, m.start(), m.end()))
    return figures


_DATE = re.compile(
    rf"(?i)\b(?:{'|'.join(_MONTHS)}|jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec)\.?\s+\d{{1,2}}\b"
    rf"|\b\d{{1,2}}\s+(?:{'|'.join(_MONTHS)})\b|\b(?:1[89]|20)\d{{2}}\b"
    r"|\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|yesterday|today)\b"
    r"|\b\d{4}-\d{2}-\d{2}\b"
)


def has_quantity(text: str) -> bool:
    """Does the text state a figure that is not part of a date?"""
    dates = [m.span() for m in _DATE.finditer(text)]
    return any(not any(s <= f.start < e for s, e in dates) for f in find_figures(text))


def has_date(text: str) -> bool:
    return bool(_DATE.search(text))


def supported(figure: Figure, passages: list[str]) -> bool:
    """Is the figure's value stated in any of the passages (in any notation)?"""
    for passage in passages:
        for f in find_figures(passage):
            if abs(f.value - figure.value) <= 1e-9 * max(1.0, abs(figure.value)):
                return True
    return False

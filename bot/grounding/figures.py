"""Figures in text: numbers, amounts, percentages and spelled-out numbers, normalised to values.

A figure is something a sentence counts or measures: "3,455", "$402 million", "45%",
"Seventy-five". Numbers that are part of a name are not figures ("COVID-19", "G7", "F-35",
"5G"), nor are words that only look like numbers ("No one was hurt", "one of the officials").
Each figure has a kind: "money", "percent", "year" (1990, the 1990s), "date" (the 16 of
"October 16"), "label" ("Section 230", "Flight 370": the number names a thing) or "number".
"""

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
_UNIT_WORDS = "|".join(sorted(_UNITS, key=len, reverse=True))
_TEN_WORDS = "|".join(_TENS)
_CURRENCY = r"(?:US\$|A\$|C\$|HK\$|NZ\$|R\$|\$|€|£|¥|₩|₹|Rs\.?\s?)"
_MONEY_WORDS = (
    r"dollars?|euros?|pounds?|yen|yuan|won|rupees?|pesos?|riels?|francs?|bitcoins?|cents?|"
    r"rubles?|roubles?|baht|ringgit|dong"
)
_FIGURE = re.compile(
    rf"""(?ix)
    (?:(?P<cur>{_CURRENCY})|(?<![\w.,$€£¥₩₹]))(?<![A-Za-z]-)
    (?P<num>\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?|\d+(?:\.\d+)?)
      (?:(?P<suffix>s|st|nd|rd|th)\b)?
      (?:\s*(?P<scale>hundred|thousand|million|billion|trillion)\b|(?P<short>bn|mn|k|m)\b)?
      (?P<pct>\s*(?:%|percent\b|per\ cent\b))?
      (?P<curword>\s+(?:{_MONEY_WORDS})\b)?
      (?![A-Za-z\d])
    | (?P<wcur>{_CURRENCY})?
      \b(?P<word>(?:{_TEN_WORDS})(?:[\s-](?:{_UNIT_WORDS})\b)?|{_UNIT_WORDS})\b
      (?:\s+(?P<wscale>hundred|thousand|million|billion|trillion|dozen)\b)?
      (?P<wpct>\s*(?:%|percent\b|per\ cent\b))?
      (?P<wcurword>\s+(?:{_MONEY_WORDS})\b)?
    | \b(?P<dozen>a\ dozen)\b
    """
)
# Month names, for every reader of dates in bot/ (figures, timelines, cross-language anchors).
MONTH_NAMES = ("january", "february", "march", "april", "may", "june", "july", "august",
               "september", "october", "november", "december")  # fmt: skip
_FULL_MONTH = "|".join(MONTH_NAMES)
_TITLE_MONTH = "|".join(m.title() for m in MONTH_NAMES)
_MONTH = rf"(?:{_FULL_MONTH}|jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec)\.?"
_DATE = re.compile(
    rf"(?i)\b{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?\b(?:,?\s+(?:1[89]|20)\d{{2}}\b)?"
    rf"|\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{_FULL_MONTH})\b(?:,?\s+(?:1[89]|20)\d{{2}}\b)?"
    rf"|(?-i:\b(?:{_TITLE_MONTH})\b)(?:\s+(?:of\s+)?(?:1[89]|20)\d{{2}}\b)?"
    r"|\b(?:the\s+)?(?:1[89]|20)\d{2}s?\b"
    r"|\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|yesterday|today|tonight)\b"
    r"|\b\d{4}-\d{2}-\d{2}\b"
)
# A number after one of these words names a thing (a law's section, a flight, a route).
_LABEL_BEFORE = re.compile(
    r"(?i)\b(?:section|article|chapter|title|amendment|rule|route|highway|interstate|flight|"
    r"room|no\.|number|unit|gate|platform|level|phase|stage|grade|vol\.|volume|episode|season|"
    r"pages?|p\.|item|line|bill|proposition|prop\.|district|ward|precinct|apollo|windows|"
    r"iphone|version|v\.?)\s*$"
)
# "one" that does not count: "no one", "one of the officials", "the one who", "one another".
_NOT_ONE_BEFORE = re.compile(r"(?i)\b(?:no|any|every|each|the|this|that|which|some|such)\s+$")
_NOT_ONE_AFTER = re.compile(r"(?i)^(?:\s+(?:of|another|who|whom|which|that|way|thing|hand)\b|-)")


@dataclass(frozen=True)
class Figure:
    text: str
    value: float
    start: int
    end: int
    kind: str = "number"  # number | money | percent | year | date | label


def _word_value(word: str) -> float:
    parts = re.split(r"[\s-]+", word.lower())
    return float(sum(_TENS.get(p, _UNITS.get(p, 0)) for p in parts))


def _date_spans(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in _DATE.finditer(text)]


def find_figures(text: str) -> list[Figure]:
    """Every figure in ``text`` with its numeric value ("2,825" → 2825, "3.4 million" → 3.4e6)."""
    figures = []
    dates: list[tuple[int, int]] | None = None
    for m in _FIGURE.finditer(text):
        kind = "number"
        if m.group("num"):
            number = m.group("num")
            value = float(number.replace(",", ""))
            value *= _SCALES.get((m.group("scale") or m.group("short") or "").lower(), 1)
            if m.group("pct"):
                kind = "percent"
            elif m.group("cur") or m.group("curword"):
                kind = "money"
            elif _LABEL_BEFORE.search(text[: m.start("num")]):
                kind = "label"
            elif re.fullmatch(r"(?:1[89]|20)\d\d", number) and not m.group("scale"):
                kind = "year"
            elif m.group("suffix") == "s":
                if not number.endswith("0"):
                    continue  # "5s", "7s": not a figure
                kind = "year"  # "the 80s"
        elif m.group("dozen"):
            value = 12.0
        else:
            word = m.group("word")
            if word.lower() == "one" and (
                _NOT_ONE_BEFORE.search(text[: m.start("word")])
                or _NOT_ONE_AFTER.match(text[m.end("word") :])
            ):
                continue
            if re.match(r"-\s*\d", text[m.end("word") :]):
                continue  # "one-2" is not a figure
            value = _word_value(word)
            value *= _SCALES.get((m.group("wscale") or "").lower(), 1)
            if m.group("wpct"):
                kind = "percent"
            elif m.group("wcur") or m.group("wcurword"):
                kind = "money"
        if kind == "number":
            if dates is None:
                dates = _date_spans(text)
            if any(s <= m.start() < e for s, e in dates):
                kind = "date"
        figures.append(Figure(m.group().strip(), value, m.start(), m.end(), kind))
    return figures


def has_quantity(text: str) -> bool:
    """Does the text state a figure that counts or measures (not a date, year or label)?"""
    return any(f.kind in ("number", "money", "percent") for f in find_figures(text))


def has_money(text: str) -> bool:
    return any(f.kind == "money" for f in find_figures(text))


def has_percent(text: str) -> bool:
    return any(f.kind == "percent" for f in find_figures(text))


def find_dates(text: str) -> list[tuple[int, int]]:
    """Spans of dates and date-like expressions (a month and day, a year, a weekday)."""
    return _date_spans(text)


def has_date(text: str) -> bool:
    return bool(_DATE.search(text))


def supported(figure: Figure, passages: list[str]) -> bool:
    """Is the figure's value stated in any of the passages (in any notation)?"""
    for passage in passages:
        for f in find_figures(passage):
            if abs(f.value - figure.value) <= 1e-9 * max(1.0, abs(figure.value)):
                return True
    return False

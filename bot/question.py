"""What a question asks for: its type and its weighted content terms (stemmed)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

from index.lexical import STOPWORDS

QType = Literal["quantity", "date", "person", "place", "general"]
_WORD = re.compile(r"[^\W_]+(?:['’][a-z]+)?", re.UNICODE)
_QUESTION_WORDS = frozenset(
    [
        "how",
        "many",
        "much",
        "what",
        "which",
        "who",
        "whom",
        "whose",
        "when",
        "where",
        "why",
        "many",
        "number",
        "amount",
        "percentage",
        "percent",
        "year",
        "date",
        "day",
        "month",
        "time",
        "did",
        "does",
        "do",
        "is",
        "are",
        "was",
        "were",
        "has",
        "have",
        "had",
        "tell",
        "me",
        "please",
        "about",
        "approximately",
        "roughly",
        "around",
        "nearly",
        "kind",
        "according",
        "report",
        "reports",
        "reported",
        "news",
        "story",
        "article",
        "say",
        "said",
    ]
)
_TYPES: list[tuple[QType, re.Pattern[str]]] = [
    ("quantity", re.compile(r"(?i)\bhow (many|much|long|far|old|big|large|high)\b|\bwhat (number|"
                            r"percentage|share|proportion|amount|sum|price|total)\b|\bhow much\b")),
    ("date", re.compile(r"(?i)^\s*when\b|\bwhat (year|date|day|month|time)\b|\bwhich (year|day|"
                        r"date|month)\b|\bsince when\b")),
    ("person", re.compile(r"(?i)^\s*(who|whom|whose)\b|\bwhich (person|man|woman|company|group|"
                          r"organi[sz]ation|official|leader|team|country)\b")),
    ("place", re.compile(r"(?i)^\s*where\b|\bwhich (city|town|province|region|place|state)\b|"
                         r"\bin what (city|country|place)\b")),
]  # fmt: skip


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    from nltk.stem.snowball import EnglishStemmer

    return EnglishStemmer()


@lru_cache(maxsize=100_000)
def stem(word: str) -> str:
    return str(_stemmer().stem(word.lower()))


def words(text: str) -> list[str]:
    return _WORD.findall(text)


def stems(text: str) -> set[str]:
    return {stem(w) for w in words(text) if w.lower() not in STOPWORDS}


@dataclass
class Question:
    """A question's type, its content terms and the terms naming entities (capitalised)."""

    text: str
    qtype: QType
    terms: dict[str, float] = field(default_factory=dict)  # stem → weight
    entities: set[str] = field(default_factory=set)

    @classmethod
    def parse(cls, text: str, context: str = "", context_weight: float = 0.5) -> Question:
        qtype: QType = next((t for t, rx in _TYPES if rx.search(text)), "general")
        terms: dict[str, float] = {}
        entities: set[str] = set()
        for i, w in enumerate(words(text)):
            low = w.lower()
            if low in STOPWORDS or low in _QUESTION_WORDS:
                continue
            s = stem(low)
            terms[s] = 1.0
            if i > 0 and w[:1].isupper():
                entities.add(s)
        for w in words(context):
            low = w.lower()
            if low not in STOPWORDS and low not in _QUESTION_WORDS:
                terms.setdefault(stem(low), context_weight)
        return cls(text, qtype, terms, entities)

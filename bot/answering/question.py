"""What a question asks for: its type and its weighted content terms (stemmed)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

from index import STOPWORDS, split_sentences

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
                          r"organi[sz]ation|official|leader|team|politician|president|member|"
                          r"actor|actress|retailer|airline|brand|show|film|movie|book|"
                          r"platform|app|network|party|agency|firm|bank)\b")),
    ("place", re.compile(r"(?i)^\s*where\b|\b(which|what) (city|town|province|region|place|"
                         r"state|country|nation|island|ocean|sea|river|continent|county)\b|"
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
    def parse(
        cls, text: str, context: str = "", context_weight: float = 0.5, preamble_weight: float = 0.4
    ) -> Question:
        """Terms of the asking sentence weigh 1; a quiz-style lead-in ("X happened this week.
        What ...?") and the conversation's context weigh less. Entities come from the ask."""
        spans = split_sentences(text) or [(0, len(text))]
        asks = [(s, e) for s, e in spans if text[s:e].rstrip().endswith("?")] or spans[-1:]
        ask_start, ask_end = asks[-1]
        ask = text[ask_start:ask_end]
        qtype: QType = next((t for t, rx in _TYPES if rx.search(ask)), "general")
        terms: dict[str, float] = {}
        entities: set[str] = set()
        for i, w in enumerate(words(ask)):
            low = w.lower()
            if low in STOPWORDS or low in _QUESTION_WORDS:
                continue
            s = stem(low)
            terms[s] = 1.0
            if i > 0 and w[:1].isupper():
                entities.add(s)
        lead = text[:ask_start] + " " + text[ask_end:]
        for extra, weight in ((lead, preamble_weight), (context, context_weight)):
            for w in words(extra):
                low = w.lower()
                if low not in STOPWORDS and low not in _QUESTION_WORDS:
                    terms.setdefault(stem(low), weight)
        return cls(text, qtype, terms, entities)

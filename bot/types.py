"""The answer contract shared by every front end (see DESIGN.md: `reportbot ask --json`)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal


@dataclass
class Citation:
    """[n]: an exact sentence of a stored report, with its offsets and the report's metadata."""

    n: int
    doc_id: str
    title: str | None
    url: str | None
    source: str | None
    published: str | None
    quote: str
    start: int
    end: int
    date_kind: str | None = None  # "ingested" when no publication date was found
    page: int | None = None  # 1-based page of the quote (PDF reports)
    also_in: list[str] = field(default_factory=list)  # outlets carrying the same story
    passage: str = ""  # the retrieved passage around the quote (for sources panels)
    passage_start: int = 0
    # The quote's language (ISO 639-1) when it differs from the question's (a Korean question
    # answered from an English report): front ends label the quote. None otherwise.
    language: str | None = None


@dataclass
class Verification:
    """What the verifier checked: figures found and supported, citations dropped, sentences cut."""

    figures_checked: int = 0
    figures_supported: int = 0
    unsupported: list[dict[str, object]] = field(default_factory=list)
    removed_citations: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.unsupported and not self.removed_citations


@dataclass
class ShortAnswer:
    """The direct answer shown first: a span of citation [n]'s report, copied exactly.

    ``start``/``end`` are offsets in the stored report text ("3,455 individuals" inside the
    quoted sentence). In LLM mode the text is the model's first (verified) sentence and the
    offsets are those of the quote it cites.
    """

    text: str
    citation: int
    start: int
    end: int


@dataclass
class Answer:
    answer: str
    abstained: bool
    citations: list[Citation]
    mode: Literal["extractive", "llm"]
    verification: Verification = field(default_factory=Verification)
    notice: str | None = None  # one line for the user, e.g. "LLM unavailable: extractive answer"
    conversation_id: str | None = None
    short_answer: ShortAnswer | None = None  # None when abstaining or when the reports differ

    def as_json(self) -> dict[str, object]:
        data = asdict(self)
        for c in data["citations"]:
            c.pop("passage", None)
            c.pop("passage_start", None)
        data["verification"]["ok"] = self.verification.ok
        if self.conversation_id is None:
            data.pop("conversation_id")
        return {"answer": data.pop("answer"), "short_answer": data.pop("short_answer"), **data}

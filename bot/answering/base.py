"""The Answerer seam: what an answerer is given (AnswerRequest) and what it must do."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

from bot.types import Answer
from index import Hit

NOT_FOUND = "I could not find an answer to this in the reports."


@dataclass
class AnswerRequest:
    """A question ready to answer: the user's words, the retrieval query, the hits, the context."""

    question: str
    hits: list[Hit]
    context: str = ""  # earlier turns' question and answer, for follow-ups
    prefer_docs: set[str] = field(default_factory=set)  # reports cited in earlier turns
    history: list[tuple[str, str]] = field(default_factory=list)  # (question, answer) pairs


class Answerer(Protocol):
    mode: str

    def answer(self, request: AnswerRequest) -> Answer: ...

    def stream(self, request: AnswerRequest) -> Iterator[str | Answer]:
        """Text deltas as they come, then the final (verified) Answer."""
        ...

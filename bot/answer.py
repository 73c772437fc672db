"""The Answerer seam, and the default extractive answerer."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

from bot.citations import CitationBuilder, renumber, verify
from bot.extractive import (
    Candidate,
    candidates,
    not_disclosed,
    same_claim_other_values,
    score,
    select,
    supports,
)
from bot.figures import find_figures
from bot.question import Question
from bot.types import Answer
from index.types import Hit

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


class ExtractiveAnswerer:
    """Answers with the best-supported sentences of the retrieved passages, quoted and cited."""

    mode = "extractive"

    def __init__(self, max_sentences: int = 2) -> None:
        self.max_sentences = max_sentences

    def answer(self, request: AnswerRequest) -> Answer:
        question = Question.parse(request.question, request.context)
        cands = candidates(request.hits)
        score(question, cands, request.prefer_docs)
        chosen = select(question, cands, self.max_sentences)
        builder = CitationBuilder()
        if not chosen:
            return self._abstain(question, cands, builder)
        conflict = self._conflicting(question, cands, chosen)
        if conflict:
            lines = [
                "The reports give different figures:"
                if question.qtype == "quantity"
                else "The reports differ:"
            ]
            for c in conflict:
                n = builder.cite(c.hit, c.start, c.end)
                who = ", ".join(p for p in (c.hit.document.source, c.hit.document.published) if p)
                lines.append(f"- {who or c.hit.document.title or 'a report'}: {c.text} [{n}]")
            text = "\n".join(lines)
        else:
            text = " ".join(f"{c.text} [{builder.cite(c.hit, c.start, c.end)}]" for c in chosen)
        text, verification = verify(text, builder.citations)
        text, citations = renumber(text, builder.citations)
        return Answer(text, False, citations, "extractive", verification)

    def stream(self, request: AnswerRequest) -> Iterator[str | Answer]:
        answer = self.answer(request)
        yield answer.answer
        yield answer

    def _abstain(
        self, question: Question, cands: list[Candidate], builder: CitationBuilder
    ) -> Answer:
        """Say plainly that the reports don't answer; quote a non-disclosure, show the closest."""
        text = NOT_FOUND
        undisclosed = not_disclosed(question, cands)
        if undisclosed is not None:
            n = builder.cite(undisclosed.hit, undisclosed.start, undisclosed.end)
            text += f" The reports say it was not disclosed: {undisclosed.text} [{n}]"
        closest = sorted(cands, key=lambda c: -c.score)[:2]
        refs = [builder.cite(c.hit, c.start, c.end) for c in closest if c is not undisclosed]
        if refs:
            text += " Closest passages: " + " ".join(f"[{n}]" for n in refs) + "."
        text, citations = renumber(text, builder.citations)
        return Answer(text, True, citations, "extractive")

    @staticmethod
    def _conflicting(
        question: Question, cands: list[Candidate], chosen: list[Candidate]
    ) -> list[Candidate]:
        """The best sentence of each report when the reports disagree, newest report first.

        Figure questions: the reports' best sentences share no figure. Any question: two
        reports make the same claim (most words shared) with different names or figures in
        it ("... at Raymond James Stadium in Tampa" / "... in Glendale"). Empty when the
        reports agree or only one report answers.
        """
        best_per_doc: dict[str, Candidate] = {}
        floor = 0.75 * chosen[0].score
        for c in sorted(cands, key=lambda c: -c.score):
            if c.score >= floor and supports(question, c):
                best_per_doc.setdefault(c.hit.document.doc_id, c)
        if len(best_per_doc) < 2:
            return []
        if question.qtype == "quantity":
            values = [
                frozenset(f.value for f in find_figures(c.text)) for c in best_per_doc.values()
            ]
            if frozenset.intersection(*values):  # a figure every report states: they agree
                return []
            differing = list(best_per_doc.values())
        else:
            top, *others = best_per_doc.values()
            differing = [top, *(c for c in others if same_claim_other_values(top.text, c.text))]
            if len(differing) < 2:
                return []
        return sorted(differing, key=lambda c: c.hit.document.published or "", reverse=True)[:4]

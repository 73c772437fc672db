"""The default answerer: quotes the best-supported sentences of the retrieved reports.

No model writes anything: each answer sentence is a sentence of a stored report, chosen for
covering the question's terms and for stating what the question asks (a figure for "how
many", a date for "when", a name for "who"), and cited with its exact offsets.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Set
from dataclasses import dataclass, field

from bot.answering.base import NOT_FOUND, AnswerRequest
from bot.answering.question import Question, stems, words
from bot.grounding.citations import CitationBuilder, renumber, verify
from bot.grounding.figures import find_figures, has_date, has_quantity
from bot.types import Answer
from index import STOPWORDS, Hit, split_sentences

# "The authorities did not disclose ..." answers a question by saying the figure is unknown.
_NOT_DISCLOSED = re.compile(
    r"(?i)\b(did not|didn't|do not|does not|would not|declined to|refused to) "
    r"(disclose|reveal|say|specify|give|provide|release|confirm)|\bnot (been )?(disclosed|"
    r"revealed|released|made public|known|available|specified|confirmed)\b|\bundisclosed\b|"
    r"\bunknown\b|\bunclear\b"
)
_CAPITALISED = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-z]+(?:\s+[A-Z][a-z]+)*")
# Share of the question's term weight a sentence must cover to answer it.
STRICT_THRESHOLD = 0.5  # "how many" / "when": the figure must sit among the asked-about terms
SUPPORT_THRESHOLD = 0.34


@dataclass
class Candidate:
    """A sentence of a retrieved chunk, located in its document, with its score."""

    hit: Hit
    hit_rank: int
    start: int  # offsets in the document text
    end: int
    text: str
    coverage: float = 0.0
    score: float = 0.0
    fits_type: bool = False
    passage_stems: set[str] = field(default_factory=set)


def candidates(hits: list[Hit]) -> list[Candidate]:
    """Every sentence of the retrieved chunks, once (chunks overlap), in rank order."""
    seen: set[tuple[str, int]] = set()
    out: list[Candidate] = []
    for rank, hit in enumerate(hits):
        base = hit.chunk.start
        passage = stems(hit.chunk.text)
        for s, e in split_sentences(hit.chunk.text):
            key = (hit.document.doc_id, base + s)
            if key in seen:
                continue
            seen.add(key)
            out.append(
                Candidate(hit, rank, base + s, base + e, hit.chunk.text[s:e], passage_stems=passage)
            )
    return out


def _fits_type(question: Question, text: str) -> bool:
    """Does the sentence state the kind of thing asked for (a new name for who/where)?"""
    if question.qtype == "quantity":
        return has_quantity(text)
    if question.qtype == "date":
        return has_date(text)
    if question.qtype in ("person", "place"):
        return _names_something_new(question, text)
    return True


def _names_something_new(question: Question, text: str) -> bool:
    """A name the question does not already contain: what an answer usually adds."""
    return any(not (stems(m.group()) <= question.terms.keys()) for m in _CAPITALISED.finditer(text))


def _is_headline(text: str) -> bool:
    return not text.rstrip().endswith((".", "!", "?", '"', "”", "’", "'")) and len(words(text)) < 15


def score(question: Question, cands: list[Candidate], prefer_docs: Set[str] = frozenset()) -> None:
    """Score each candidate in place: IDF-weighted term coverage, type fit, rank prior."""
    n = len(cands) or 1
    sent_stems = [stems(c.text) for c in cands]
    df = {t: sum(t in s for s in sent_stems) for t in question.terms}
    # Terms no candidate contains can't tell candidates apart; a missing entity is caught
    # by supports() instead.
    weights = {
        t: w * math.log(1 + n / (1 + df[t])) * (1.5 if t in question.entities else 1.0)
        for t, w in question.terms.items()
        if df[t]
    }
    total = sum(weights.values()) or 1.0
    for c, s in zip(cands, sent_stems, strict=True):
        c.coverage = sum(w for t, w in weights.items() if t in s) / total
        c.fits_type = _fits_type(question, c.text)
        c.score = (
            c.coverage
            + (0.25 if c.fits_type and question.qtype != "general" else 0.0)
            + 0.15 / (1 + c.hit_rank)
            + (0.1 if c.hit.document.doc_id in prefer_docs else 0.0)
            - (0.15 if _is_headline(c.text) else 0.0)
        )


def supports(question: Question, c: Candidate) -> bool:
    """Does the sentence answer the question: enough of its terms, the right type, and every
    entity the question names somewhere in its passage or report title?

    Figures and dates need more of the question's terms in the very sentence: a number is
    only an answer when it counts what was asked about.
    """
    strict = question.qtype in ("quantity", "date")
    if c.coverage < (STRICT_THRESHOLD if strict else SUPPORT_THRESHOLD) or not c.fits_type:
        return False
    where = stems(c.text) | stems(c.hit.document.title or "")
    if not strict:
        where |= c.passage_stems
    return all(e in where for e in question.entities)


def not_disclosed(question: Question, cands: list[Candidate]) -> Candidate | None:
    """A sentence saying the asked-for fact was not disclosed, if one is on topic."""
    best = [c for c in cands if _NOT_DISCLOSED.search(c.text) and c.coverage >= 0.25]
    return max(best, key=lambda c: c.coverage, default=None)


def select(question: Question, cands: list[Candidate], max_sentences: int) -> list[Candidate]:
    """The supporting sentences to quote: the best, then close seconds from elsewhere."""
    ranked = sorted((c for c in cands if supports(question, c)), key=lambda c: -c.score)
    chosen: list[Candidate] = []
    for c in ranked:
        if len(chosen) >= max_sentences:
            break
        if chosen and c.score < 0.8 * chosen[0].score:
            break
        if any(c.text == o.text for o in chosen) or (chosen and _is_headline(c.text)):
            continue
        chosen.append(c)
    if (
        chosen
        and question.qtype != "quantity"
        and not _names_something_new(question, chosen[0].text)
    ):
        # The best sentence only restates the question ("Here's what we know about X."):
        # the sentence after it usually carries the answer.
        following = _next_sentence(chosen[0], cands)
        if following is not None and all(following.text != o.text for o in chosen):
            chosen.insert(1, following)
    return chosen[:max_sentences]


def _next_sentence(c: Candidate, cands: list[Candidate]) -> Candidate | None:
    same_doc = [o for o in cands if o.hit.document.doc_id == c.hit.document.doc_id]
    after = [o for o in same_doc if o.start >= c.end]
    return min(after, key=lambda o: o.start, default=None)


def _claim_values(text: str) -> set[str | float]:
    """What a sentence asserts that could be wrong: its names (capitalised words not opening
    the sentence) and the values of its figures."""
    names: set[str | float] = {m.group().lower() for m in _CAPITALISED.finditer(text)}
    return names | {f.value for f in find_figures(text)}


def same_claim_other_values(a: str, b: str, shared: float = 0.6) -> bool:
    """Do two sentences make the same claim with different names or figures?

    Most of their content words are shared, and each names or counts something the other
    doesn't: two reports disagreeing on a fact, not two sentences saying different things.
    """
    wa = {w.lower() for w in words(a)} - STOPWORDS
    wb = {w.lower() for w in words(b)} - STOPWORDS
    if not wa or not wb or len(wa & wb) / min(len(wa), len(wb)) < shared:
        return False
    va, vb = _claim_values(a), _claim_values(b)
    return bool(va - vb) and bool(vb - va)


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

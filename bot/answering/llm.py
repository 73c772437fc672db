"""The LLM answerer: asks an OpenAI-compatible model, then quotes, verifies and renumbers.

The model sees numbered sources (one per retrieved chunk) and cites them as [n]. Its answer is
never shown as is: [n] that point nowhere are dropped, sentences whose figures the cited
passages don't state are removed, and each remaining [n] becomes the exact sentence of source
n that best matches the answer sentence, with its offsets in the stored report. When the model
cannot be reached, the extractive answerer answers instead; nothing is raised to the user.
"""

from __future__ import annotations

import contextlib
import logging
import re
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, cast

import openai
from openai import OpenAI

from bot.answering.base import NOT_FOUND, Answerer, AnswerRequest
from bot.answering.prompts import (
    ANSWER,
    CONDENSE,
    PROMPTS_DIR,
    format_history,
    format_question,
    format_sources,
    load_prompt,
)
from bot.answering.question import stems
from bot.grounding.citations import MARKER, CitationBuilder, answer_sentences, renumber, verify
from bot.grounding.figures import find_figures
from bot.types import Answer, Citation, ShortAnswer, Verification
from index import Hit, split_sentences

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

    from bot.config.settings import Settings

log = logging.getLogger(__name__)

_ABSTAIN = re.compile(r"(?i)\bcould not find an answer\b")
# "[1, 2]" and "[Source 1]" become "[1] [2]" and "[1]" before checking.
_MULTI_MARKER = re.compile(r"\[\s*(?:sources?\s*)?(\d+(?:\s*[,;]\s*(?:sources?\s*)?\d+)*)\s*\]",
                           re.IGNORECASE)  # fmt: skip
EXTRACTIVE = "this is an extractive answer."
_PREFIX = re.compile(r"(?i)^\s*(standalone question|question)\s*:\s*")


class MalformedReply(Exception):
    """The server answered, but not with a chat completion we can use."""


class TooSlow(Exception):
    """The model was still writing when the answer's deadline passed."""

    def __init__(self, deadline: float) -> None:
        super().__init__(f"no complete answer within {deadline:g} s")


class LLMAnswerer:
    """Answers with a chat model over numbered sources; verified, with an extractive fallback."""

    mode = "llm"

    def __init__(
        self,
        client: OpenAI,
        model: str,
        fallback: Answerer,
        temperature: float = 0.0,
        prompts_dir: Traversable = PROMPTS_DIR,
        deadline: float = 120.0,
    ) -> None:
        self.client = client
        self.model = model
        self.fallback = fallback
        self.temperature = temperature
        # The client's timeout bounds each wait for a byte; this bounds the whole answer, so a
        # model trickling tokens just under that timeout cannot hold a request forever.
        self.deadline = deadline
        # Loaded (and validated) here, so a broken prompt file fails at start-up.
        self.answer_prompt = load_prompt(*ANSWER, directory=prompts_dir)
        self.condense_prompt = load_prompt(*CONDENSE, directory=prompts_dir)

    @classmethod
    def from_settings(cls, settings: Settings, fallback: Answerer) -> LLMAnswerer:
        # The client's own retry (exponential backoff, Retry-After) covers 429, 5xx, timeouts.
        client = OpenAI(
            api_key=settings.openai_api_key or "not-needed",  # local servers need no key
            base_url=settings.openai_base_url,
            timeout=settings.llm_timeout,
            max_retries=settings.llm_retries,
        )
        return cls(
            client,
            settings.openai_model,
            fallback,
            settings.llm_temperature,
            deadline=settings.llm_deadline,
        )

    # -- answering ---------------------------------------------------------------------------

    def messages(self, request: AnswerRequest) -> list[dict[str, str]]:
        return self.answer_prompt.messages(
            history=format_history(request.history),
            sources=format_sources(request.hits),
            question=format_question(request.question),
        )

    def answer(self, request: AnswerRequest) -> Answer:
        if not request.hits:  # nothing to ground an answer on: no need to ask
            return Answer(NOT_FOUND, True, [], "llm")
        try:
            text = self._complete(self.messages(request))
        except Exception as exc:  # never raise to the user: answer extractively instead
            return self._unavailable(request, exc)
        return self._finish(request, text)

    def stream(self, request: AnswerRequest) -> Iterator[str | Answer]:
        """Deltas as the model writes them, then the verified Answer (which replaces them)."""
        if not request.hits:
            yield Answer(NOT_FOUND, True, [], "llm")
            return
        parts: list[str] = []
        started = time.monotonic()
        try:
            events = self._create(self.messages(request), stream=True)
        except Exception as exc:
            yield self._unavailable(request, exc)
            return
        gate = CheckedSentences(source_citations(request.hits))
        try:
            iterator = iter(events)
            while True:
                try:
                    chunk = next(iterator)
                    delta = chunk.choices[0].delta.content if chunk.choices else None
                except StopIteration:
                    break
                except Exception as exc:  # the stream broke midway
                    yield self._unavailable(request, exc)
                    return
                if time.monotonic() - started > self.deadline:
                    yield self._unavailable(request, TooSlow(self.deadline))
                    return
                if delta:
                    parts.append(delta)
                    if checked := gate.feed(delta):
                        yield checked
        finally:
            with contextlib.suppress(Exception):
                events.close()  # also when the consumer stops early
        if not "".join(parts).strip():
            yield self._unavailable(request, MalformedReply("empty reply"))
            return
        if checked := gate.finish():
            yield checked
        yield self._finish(request, "".join(parts))

    def condense(self, question: str, history: list[tuple[str, str]]) -> str:
        """The follow-up as a standalone question (for retrieval); the question itself on error."""
        if not history:
            return question
        try:
            text = self._complete(
                self.condense_prompt.messages(
                    history=format_history(history), question=format_question(question)
                )
            )
        except Exception as exc:
            log.warning("Condensing the follow-up failed (%s); using it as asked", describe(exc))
            return question
        line = next((ln for ln in text.splitlines() if ln.strip()), "")
        line = _PREFIX.sub("", line).strip().strip("\"'“”").strip()
        # An empty or rambling reply (the model answered instead) is no better than the question.
        if not line or len(line) > 3 * len(question) + 200:
            return question
        return line

    # -- the model ---------------------------------------------------------------------------

    def _create(self, messages: list[dict[str, str]], stream: bool) -> Any:
        return self.client.chat.completions.create(
            model=self.model,
            messages=messages,  # type: ignore[arg-type]
            temperature=self.temperature,
            stream=stream,
        )

    def _complete(self, messages: list[dict[str, str]]) -> str:
        completion = self._create(messages, stream=False)
        try:
            content = completion.choices[0].message.content
        except (AttributeError, IndexError, TypeError) as exc:
            raise MalformedReply("no choices") from exc
        if not isinstance(content, str) or not content.strip():
            raise MalformedReply("empty reply")
        return content

    def _unavailable(self, request: AnswerRequest, exc: BaseException) -> Answer:
        reason = describe(exc)
        # Only the reason: error bodies can echo the API key ("Incorrect API key provided: …").
        log.warning("LLM request failed (%s); answering extractively", reason)
        answer = self.fallback.answer(request)
        answer.notice = f"The language model is unavailable ({reason}); {EXTRACTIVE}"
        return answer

    # -- checking the answer -----------------------------------------------------------------

    def _finish(self, request: AnswerRequest, text: str) -> Answer:
        text = _MULTI_MARKER.sub(
            lambda m: " ".join(f"[{n}]" for n in re.findall(r"\d+", m.group(1))), text.strip()
        )
        if _ABSTAIN.search(text) and not MARKER.search(text):
            return Answer(NOT_FOUND, True, [], "llm")
        # Source-level check first, so the verification speaks the prompt's numbering: [7]
        # with 5 sources is reported as [7]. Support is judged on the whole cited chunk.
        checked, verification = verify(text, source_citations(request.hits))
        builder = CitationBuilder()
        quoted = quote_sources(checked, request.hits, builder)
        final, citations = renumber(quoted, builder.citations)
        notice = removal_notice(verification)
        if not citations and verification.unsupported:
            # Everything the model claimed was unsupported: quote the reports instead.
            answer = self.fallback.answer(request)
            answer.verification = merge(verification, answer.verification)
            answer.notice = (
                f"The language model's answer was not supported by the cited reports; {EXTRACTIVE}"
            )
            return answer
        if not citations:  # no sentence is grounded in a source: treat as "not found"
            return Answer(NOT_FOUND, True, [], "llm", verification, notice)
        return Answer(
            final,
            False,
            citations,
            "llm",
            verification,
            notice,
            short_answer=first_claim(final, citations),
        )


class CheckedSentences:
    """What a generated stream may show before the final answer: whole sentences that the
    verifier keeps, so an unsupported figure never appears, not even for a moment.

    A sentence is let through once the next one has begun (its [n] markers are in by then);
    the final, fully verified Answer replaces the streamed text anyway.
    """

    def __init__(self, citations: list[Citation]) -> None:
        self.citations = citations
        self.text = ""
        self.shown = 0  # sentences already let through (or held back)
        self.started = False  # something was shown
        self.new_line = False  # the last thing shown ends a line

    def feed(self, delta: str) -> str:
        self.text += delta
        sentences = answer_sentences(self.text)
        # Wait while the last piece is only a marker or a bracket ("[", "[1"): it may still
        # belong to the sentence before it.
        if not sentences or not re.search(r"[^\W\d_]", MARKER.sub("", sentences[-1])):
            return ""
        return self._release(sentences[self.shown : -1])

    def finish(self) -> str:
        return self._release(answer_sentences(self.text)[self.shown :])

    def _release(self, sentences: list[str]) -> str:
        self.shown += len(sentences)
        out = ""
        for sentence in sentences:
            if sentence == "\n":
                if self.started:
                    out += "\n"
                    self.new_line = True
                continue
            kept, _ = verify(sentence, self.citations)
            if kept:
                out += ("" if not self.started or self.new_line else " ") + kept
                self.started, self.new_line = True, False
        return out


def first_claim(text: str, citations: list[Citation]) -> ShortAnswer | None:
    """LLM mode's short answer: its first (verified) sentence and the quote it cites."""
    by_n = {c.n: c for c in citations}
    for sentence in answer_sentences(text):
        if sentence == "\n":
            continue
        cited = [int(m.group(1)) for m in MARKER.finditer(sentence) if int(m.group(1)) in by_n]
        plain = MARKER.sub("", sentence).strip()
        if not cited or not plain:
            return None
        c = by_n[cited[0]]
        return ShortAnswer(plain, c.n, c.start, c.end)
    return None


def source_citations(hits: list[Hit]) -> list[Citation]:
    """One citation per numbered source, the whole chunk as its passage (for verify)."""
    return [
        Citation(
            n=n, doc_id=h.document.doc_id, title=h.document.title, url=h.document.url,
            source=h.document.source, published=h.document.published, quote=h.chunk.text,
            start=h.chunk.start, end=h.chunk.end, passage=h.chunk.text,
            passage_start=h.chunk.start,
        )
        for n, h in enumerate(hits, start=1)
    ]  # fmt: skip


def best_sentence(hit: Hit, claim: str) -> tuple[int, int]:
    """Document offsets of the sentence of the chunk that best matches the claim.

    Word overlap (stemmed, stopwords out), plus a bonus for each figure of the claim it states.
    Ties go to the earlier sentence.
    """
    claim_terms = stems(claim)
    claim_figures = {f.value for f in find_figures(claim)}
    text = hit.chunk.text
    best, best_span = -1.0, (0, len(text))
    for s, e in split_sentences(text):
        sentence = text[s:e]
        score = len(claim_terms & stems(sentence))
        score += 2 * len(claim_figures & {f.value for f in find_figures(sentence)})
        if score > best:
            best, best_span = score, (s, e)
    return hit.chunk.start + best_span[0], hit.chunk.start + best_span[1]


def quote_sources(text: str, hits: list[Hit], builder: CitationBuilder) -> str:
    """Replace each source [n] by the citation of its best-matching exact sentence."""
    out: list[str] = []
    for sentence in answer_sentences(text):
        if sentence == "\n":
            out.append(sentence)
            continue
        claim = MARKER.sub("", sentence)
        seen: set[int] = set()

        def cite(m: re.Match[str], claim: str = claim, seen: set[int] = seen) -> str:
            n = int(m.group(1))
            if not 1 <= n <= len(hits):  # verify has dropped these already
                return ""
            hit = hits[n - 1]
            number = builder.cite(hit, *best_sentence(hit, claim))
            if number in seen:
                return ""
            seen.add(number)
            return f" [{number}]"

        out.append(MARKER.sub(cite, sentence))
    return re.sub(r" ?\n ?", "\n", " ".join(out)).strip()


def removal_notice(v: Verification) -> str | None:
    """One line saying what the verifier removed, or None."""
    parts = []
    if v.unsupported:
        figures = [str(f) for u in v.unsupported for f in cast("list[object]", u["figures"])]
        k = len(v.unsupported)
        parts.append(
            f"{k} sentence{'s' * (k > 1)} with figures not in the cited reports "
            f"({', '.join(figures)})"
        )
    if v.removed_citations:
        refs = " ".join(f"[{n}]" for n in v.removed_citations)
        parts.append(f"citations to sources that don't exist: {refs}")
    return f"Removed by verification: {'; '.join(parts)}." if parts else None


def merge(a: Verification, b: Verification) -> Verification:
    return Verification(
        figures_checked=a.figures_checked + b.figures_checked,
        figures_supported=a.figures_supported + b.figures_supported,
        unsupported=[*a.unsupported, *b.unsupported],
        removed_citations=[*a.removed_citations, *b.removed_citations],
    )


def describe(exc: BaseException) -> str:
    """A short reason for the user and the log; never the error's text (it may hold the key)."""
    if isinstance(exc, openai.APITimeoutError):
        return "timed out"
    if isinstance(exc, openai.AuthenticationError):
        return "HTTP 401: the API key was rejected"
    if isinstance(exc, openai.RateLimitError):
        return "HTTP 429: rate limited"
    if isinstance(exc, openai.APIStatusError):
        return f"HTTP {exc.status_code}"
    if isinstance(exc, openai.APIConnectionError):
        return "server unreachable or connection lost"
    if isinstance(exc, TooSlow):
        return f"too slow: {exc}"
    if isinstance(exc, MalformedReply):
        return f"malformed response: {exc}"
    if isinstance(exc, (ValueError, openai.APIResponseValidationError)):
        return "malformed response"
    if isinstance(exc, openai.APIError):
        return "the server reported an error"
    return f"unexpected error: {type(exc).__name__}"

"""The chat layer: the ChatService contract and the RAG service that implements it."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Protocol

from bot.answering.base import Answerer, AnswerRequest
from bot.answering.question import stands_alone, subject_of
from bot.chat.conversations import ConversationStore, MemoryConversations, Turn
from bot.timeline.answers import add_change_list
from bot.types import Answer
from index import Document, Filters, Hit, HybridSearcher, ReportbotError, Store

KEYWORD_ONLY = (
    "The vector store is unreachable, so this answer comes from keyword search alone; "
    "it may miss reports that use other words."
)


QUESTION_LIMIT = 4000  # characters; REPORTBOT_MAX_QUESTION_CHARS
CONTEXT_QUESTIONS = 3  # a follow-up is retrieved with at most this many earlier questions


class QuestionTooLong(ReportbotError):
    """A question over REPORTBOT_MAX_QUESTION_CHARS: every front end refuses it alike."""

    status = 413
    kind = "question_too_long"


def check_question(question: str, limit: int = QUESTION_LIMIT) -> str:
    """``question`` stripped, or QuestionTooLong (the one message every front end shows)."""
    question = question.strip()
    if len(question) > limit:
        raise QuestionTooLong(
            f"the question is {len(question):,} characters long, over the limit of "
            f"{limit:,} (REPORTBOT_MAX_QUESTION_CHARS); please ask a shorter one"
        )
    return question


def follow_up_context(turns: list[Turn], window: int = CONTEXT_QUESTIONS) -> str:
    """The earlier questions a follow-up leans on: the one that started the thread of
    follow-ups and the latest ones, ``window`` at most (never the whole, growing thread)."""
    chain = []
    for turn in reversed(turns):
        chain.append(turn.question)
        if not is_follow_up(turn.question):
            break
    chain.reverse()
    if len(chain) > window:
        chain = [chain[0], *chain[len(chain) - window + 1 :]]
    return " ".join(chain)


class ChatService(Protocol):
    """What every front end talks to."""

    @property
    def mode(self) -> str: ...

    def answer(
        self, question: str, conversation_id: str | None = None, filters: Filters | None = None
    ) -> Answer: ...

    def stream(
        self, question: str, conversation_id: str | None = None, filters: Filters | None = None
    ) -> Iterator[str | Answer]: ...

    def reset(self, conversation_id: str) -> None: ...

    def knows(self, conversation_id: str) -> bool:
        """Does a conversation with this id have turns (e.g. a chat thread after a restart)?"""
        ...

    def documents(self) -> list[Document]: ...


def is_follow_up(question: str) -> bool:
    """Does the question lean on the previous turn: can it not stand alone ("And how many of
    them were women?", "How many deaths?")? "Is there a curfew in Bangkok?" stands alone."""
    return not stands_alone(question)


def collapse_copies(hits: list[Hit], store: Store) -> tuple[list[Hit], dict[str, list[str]]]:
    """Keep one copy of a syndicated story (its best-ranked) and name the outlets of the rest.

    Returns the hits without the other copies, and doc_id → outlets also carrying the story.
    """
    leader: dict[str, str] = {}  # canonical doc_id of a group → the copy kept
    kept = []
    for hit in hits:
        doc_id = hit.document.doc_id
        if leader.setdefault(store.canonical_of(doc_id), doc_id) == doc_id:
            kept.append(hit)
    also: dict[str, list[str]] = {}
    for doc_id in leader.values():
        copies = store.copies_of(doc_id)
        names = sorted({c.source or c.title or c.doc_id for c in copies})
        if names:
            also[doc_id] = names
    return kept, also


class RagChatService:
    """Retrieves with the hybrid searcher and answers with the configured Answerer.

    Conversations live in a ConversationStore (memory by default, SQLite for chat bots); a
    follow-up is retrieved together with the previous question (or condensed by the LLM into a
    standalone one) and prefers the reports cited in the previous answer.
    """

    def __init__(
        self,
        searcher: HybridSearcher,
        answerer: Answerer,
        k: int = 8,
        condense: Callable[[str, list[tuple[str, str]]], str] | None = None,
        conversations: ConversationStore | None = None,
        max_turns: int = 10,
        max_question_chars: int = QUESTION_LIMIT,
    ) -> None:
        self.searcher = searcher
        self.answerer = answerer
        self.k = k
        self._condense = condense
        self.conversations = conversations or MemoryConversations()
        self.max_turns = max_turns
        self.max_question_chars = max_question_chars

    @property
    def mode(self) -> str:
        return self.answerer.mode

    def reset(self, conversation_id: str) -> None:
        self.conversations.delete(conversation_id)

    def knows(self, conversation_id: str) -> bool:
        return bool(self.conversations.load(conversation_id))

    def documents(self) -> list[Document]:
        return self.searcher.store.documents()

    def _request(
        self, question: str, turns: list[Turn], filters: Filters | None
    ) -> tuple[AnswerRequest, str, dict[str, list[str]], str | None]:
        question = question.strip()
        context, prefer, standalone = "", set(), question
        history = [(t.question, t.answer) for t in turns[-3:]]
        if turns and is_follow_up(question):
            context = follow_up_context(turns)  # bounded: no nesting of every earlier turn
            # Resolved against the earlier turns' subject, without what they asked for: "And
            # how many deaths?" after "How many dengue cases …?" searches deaths + dengue.
            context = subject_of(context)
            standalone = f"{question} ({context})"
            prefer = set(turns[-1].cited_docs)
        if turns and self._condense is not None:
            # The LLM rewrites any later turn as a standalone question; when it can't (it
            # returns the question unchanged), the heuristic follow-up above stands.
            condensed = self._condense(question, history).strip()
            if condensed and condensed != question:
                standalone = condensed
        found = self.searcher.search(standalone, k=self.k, filters=filters)
        hits, also_in = collapse_copies(found, self.searcher.store)
        request = AnswerRequest(question, hits, context, prefer, history)
        return request, standalone, also_in, found.degraded

    def answer(
        self, question: str, conversation_id: str | None = None, filters: Filters | None = None
    ) -> Answer:
        final: Answer | None = None
        for item in self.stream(question, conversation_id, filters):
            if isinstance(item, Answer):
                final = item
        assert final is not None
        return final

    def stream(
        self, question: str, conversation_id: str | None = None, filters: Filters | None = None
    ) -> Iterator[str | Answer]:
        """Text deltas, then the final Answer (whose text is what to show: it is verified)."""
        question = check_question(question, self.max_question_chars)
        conversation_id = conversation_id or uuid.uuid4().hex
        turns = self.conversations.load(conversation_id)
        request, standalone, also_in, degraded = self._request(question, turns, filters)
        for item in self.answerer.stream(request):
            if isinstance(item, Answer):
                item.conversation_id = conversation_id
                if degraded:  # say so: the answer may miss what only meaning would find
                    item.notice = " ".join(filter(None, [item.notice, KEYWORD_ONLY]))
                for c in item.citations:
                    c.also_in = also_in.get(c.doc_id, [])
                # "How has X changed?": the figure's dated, cited history (issue 16).
                add_change_list(item, request.question, standalone, self.searcher, filters)
                cited = list(dict.fromkeys(c.doc_id for c in item.citations))
                turns.append(Turn(request.question, standalone, item.answer, cited))
                self.conversations.save(conversation_id, turns[-self.max_turns :])
            yield item

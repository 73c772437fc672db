"""The chat layer: the ChatService contract and the RAG service that implements it."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from typing import Protocol

from bot.answering.base import Answerer, AnswerRequest
from bot.chat.conversations import ConversationStore, MemoryConversations, Turn
from bot.types import Answer
from index import Document, Filters, Hit, HybridSearcher, Store

KEYWORD_ONLY = (
    "The vector store is unreachable, so this answer comes from keyword search alone; "
    "it may miss reports that use other words."
)

_FOLLOW_UP = re.compile(
    r"(?i)^\s*(and|but|also|so|what about|how about|then)\b|\b(them|they|their|those|these|it|"
    r"its|he|she|his|her|him|that|this|there)\b"
)


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
    """Does the question lean on the previous turn ("And how many of them were women?")?"""
    return bool(_FOLLOW_UP.search(question)) or len(question.split()) <= 4


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
    ) -> None:
        self.searcher = searcher
        self.answerer = answerer
        self.k = k
        self._condense = condense
        self.conversations = conversations or MemoryConversations()
        self.max_turns = max_turns

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
            last = turns[-1]
            standalone = f"{question} ({last.standalone})"
            context = last.standalone
            prefer = set(last.cited_docs)
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
                cited = list(dict.fromkeys(c.doc_id for c in item.citations))
                turns.append(Turn(request.question, standalone, item.answer, cited))
                self.conversations.save(conversation_id, turns[-self.max_turns :])
            yield item

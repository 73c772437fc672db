"""The chat layer: the ChatService contract and the RAG service that implements it."""

from __future__ import annotations

import re
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

from bot.answer import Answerer, AnswerRequest
from bot.types import Answer
from index.search import Filters, HybridSearcher
from index.types import Document

_FOLLOW_UP = re.compile(
    r"(?i)^\s*(and|but|also|so|what about|how about|then)\b|\b(them|they|their|those|these|it|"
    r"its|he|she|his|her|him|that|this|there)\b"
)


@dataclass
class Turn:
    question: str
    standalone: str
    answer: Answer


@dataclass
class Conversation:
    turns: list[Turn] = field(default_factory=list)


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

    def documents(self) -> list[Document]: ...


def is_follow_up(question: str) -> bool:
    """Does the question lean on the previous turn ("And how many of them were women?")?"""
    return bool(_FOLLOW_UP.search(question)) or len(question.split()) <= 4


class RagChatService:
    """Retrieves with the hybrid searcher and answers with the configured Answerer.

    Conversations live in memory (bounded, least recently used dropped); a follow-up is
    retrieved together with the previous question, and prefers the reports cited before.
    """

    def __init__(
        self,
        searcher: HybridSearcher,
        answerer: Answerer,
        k: int = 8,
        condense: Callable[[str, list[tuple[str, str]]], str] | None = None,
        max_conversations: int = 1000,
    ) -> None:
        self.searcher = searcher
        self.answerer = answerer
        self.k = k
        self._condense = condense
        self._conversations: OrderedDict[str, Conversation] = OrderedDict()
        self._max = max_conversations
        self._lock = threading.Lock()

    @property
    def mode(self) -> str:
        return self.answerer.mode

    def _conversation(self, conversation_id: str) -> Conversation:
        with self._lock:
            conv = self._conversations.pop(conversation_id, None) or Conversation()
            self._conversations[conversation_id] = conv
            while len(self._conversations) > self._max:
                self._conversations.popitem(last=False)
            return conv

    def reset(self, conversation_id: str) -> None:
        with self._lock:
            self._conversations.pop(conversation_id, None)

    def documents(self) -> list[Document]:
        return self.searcher.store.catalog.list()

    def _request(
        self, question: str, conv: Conversation, filters: Filters | None
    ) -> tuple[AnswerRequest, str]:
        question = question.strip()
        context, prefer, standalone = "", set(), question
        history = [(t.question, t.answer.answer) for t in conv.turns[-3:]]
        if conv.turns and is_follow_up(question):
            last = conv.turns[-1]
            standalone = f"{question} ({last.standalone})"
            context = last.standalone
            prefer = {c.doc_id for c in last.answer.citations}
        if conv.turns and self._condense is not None:
            standalone = self._condense(question, history) or standalone
        hits = self.searcher.search(standalone, k=self.k, filters=filters)
        return AnswerRequest(question, hits, context, prefer, history), standalone

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
        conversation_id = conversation_id or uuid.uuid4().hex
        conv = self._conversation(conversation_id)
        request, standalone = self._request(question, conv, filters)
        for item in self.answerer.stream(request):
            if isinstance(item, Answer):
                item.conversation_id = conversation_id
                conv.turns.append(Turn(request.question, standalone, item))
                del conv.turns[:-10]
            yield item

"""ChatService doubles for front-end tests: one that fails, one that is slow, one fixed answer."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import replace

from bot.chat.service import ChatService
from bot.types import Answer
from index.search import Filters
from index.types import Document


class BrokenService:
    """Answering fails (the index is gone, the LLM crashed...): front ends must apologise."""

    mode = "extractive"

    def answer(
        self, question: str, conversation_id: str | None = None, filters: Filters | None = None
    ) -> Answer:
        raise RuntimeError("the index is on fire")

    def stream(
        self, question: str, conversation_id: str | None = None, filters: Filters | None = None
    ) -> Iterator[str | Answer]:
        raise RuntimeError("the index is on fire")

    def reset(self, conversation_id: str) -> None:
        pass

    def knows(self, conversation_id: str) -> bool:
        return False

    def documents(self) -> list[Document]:
        raise RuntimeError("the catalog is on fire")


class SlowService:
    """The wrapped service, ``delay`` seconds slower to answer (acks must not wait for it);
    with a ``gate``, it answers only once the gate is opened (set)."""

    def __init__(
        self, service: ChatService, delay: float = 0.5, gate: threading.Event | None = None
    ) -> None:
        self.service, self.delay, self.gate = service, delay, gate

    def _wait(self) -> None:
        if self.gate is None:
            time.sleep(self.delay)
        elif not self.gate.wait(60):
            raise TimeoutError("the gate was never opened")

    @property
    def mode(self) -> str:
        return self.service.mode

    def answer(
        self, question: str, conversation_id: str | None = None, filters: Filters | None = None
    ) -> Answer:
        self._wait()
        return self.service.answer(question, conversation_id, filters)

    def stream(
        self, question: str, conversation_id: str | None = None, filters: Filters | None = None
    ) -> Iterator[str | Answer]:
        self._wait()
        return self.service.stream(question, conversation_id, filters)

    def reset(self, conversation_id: str) -> None:
        self.service.reset(conversation_id)

    def knows(self, conversation_id: str) -> bool:
        return self.service.knows(conversation_id)

    def documents(self) -> list[Document]:
        return self.service.documents()


class FixedService:
    """Every question gets the same answer (to test how a front end renders a given one)."""

    mode = "extractive"

    def __init__(self, answer: Answer) -> None:
        self.fixed = answer

    def answer(
        self, question: str, conversation_id: str | None = None, filters: Filters | None = None
    ) -> Answer:
        return replace(self.fixed, conversation_id=conversation_id or "fixed")

    def stream(
        self, question: str, conversation_id: str | None = None, filters: Filters | None = None
    ) -> Iterator[str | Answer]:
        answer = self.answer(question, conversation_id, filters)
        yield answer.answer
        yield answer

    def reset(self, conversation_id: str) -> None:
        pass

    def knows(self, conversation_id: str) -> bool:
        return conversation_id == "fixed"

    def documents(self) -> list[Document]:
        return []

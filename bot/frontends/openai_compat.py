"""OpenAI-compatible chat completions over the ChatService (for any OpenAI client or chat UI).

The request carries the whole conversation. When its earlier turns are exactly a conversation
this server answered, that conversation continues; otherwise the earlier user turns are
replayed into a fresh one, so follow-ups resolve either way and the server keeps no
per-client state that could go stale.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
import uuid
from collections.abc import Iterator
from typing import Any, Literal

from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from bot.chat.bounded import BoundedMap
from bot.chat.service import QUESTION_LIMIT, ChatService, check_question
from bot.frontends.library import LibraryError
from bot.render.markdown import render_markdown
from bot.types import Answer
from index import ReportbotError

log = logging.getLogger("reportbot.api")
MODEL_ID = "reportbot"
REPLAY_TURNS = 3  # the service looks back at most this far


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[dict[str, Any]] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):
            return "\n".join(
                str(p.get("text", "")) for p in self.content if p.get("type") == "text"
            )
        return self.content or ""


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="allow")  # temperature, max_tokens, ...: accepted, unused

    model: str = MODEL_ID
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool = False
    user: str | None = None


def _key(turns: list[tuple[str, str]]) -> str:
    return hashlib.sha256(json.dumps(turns, ensure_ascii=False).encode()).hexdigest()


class OpenAICompat:
    """/v1/models and /v1/chat/completions (JSON and SSE) answered by a ChatService."""

    def __init__(
        self,
        service: ChatService,
        max_messages: int = 100,
        max_question_chars: int = QUESTION_LIMIT,
    ) -> None:
        self.service = service
        self.max_messages = max_messages
        self.max_question_chars = max_question_chars
        # A message history (hashed) → the conversation that produced it, for the last 1,000.
        self._threads: BoundedMap[str, str] = BoundedMap(1000)

    def models(self) -> dict[str, object]:
        return {
            "object": "list",
            "data": [{"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "reportbot"}],
        }

    def completions(self, body: ChatRequest) -> Any:
        if len(body.messages) > self.max_messages:
            raise LibraryError(
                f"messages: {len(body.messages):,} messages, over the limit of "
                f"{self.max_messages:,} per request (REPORTBOT_MAX_MESSAGES)",
                status=413,
                kind="payload_too_large",
            )
        turns: list[tuple[str, str]] = [
            (m.role, m.text()) for m in body.messages if m.role in ("user", "assistant")
        ]
        for role, text in turns:  # each user turn is a question (the earlier ones replayed)
            if role == "user":
                check_question(text, self.max_question_chars)
        last_user = max((i for i, (role, _) in enumerate(turns) if role == "user"), default=None)
        if last_user is None or not turns[last_user][1].strip():
            raise LibraryError("messages: needs a user message with text content")
        prior, question = turns[:last_user], turns[last_user][1].strip()
        meta = {
            "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
            "created": int(time.time()),
            "model": MODEL_ID,
        }
        if body.stream:
            return StreamingResponse(
                self._sse(prior, question, meta),
                media_type="text/event-stream",
                headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
            )
        answer, content = self._answer(prior, question)
        return {
            **meta,
            "object": "chat.completion",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
            "citations": answer.as_json()["citations"],
            "short_answer": answer.as_json()["short_answer"],
        }

    def _answer(self, prior: list[tuple[str, str]], question: str) -> tuple[Answer, str]:
        conversation = self._threads.pop(_key(prior))
        if conversation is None:
            conversation = uuid.uuid4().hex
            for role, text in prior[-2 * REPLAY_TURNS :]:
                if role == "user" and text.strip():
                    self.service.answer(text, conversation)
        answer = self.service.answer(question, conversation)
        content = render_markdown(answer)
        self._threads.put(_key([*prior, ("user", question), ("assistant", content)]), conversation)
        return answer, content

    def _sse(
        self, prior: list[tuple[str, str]], question: str, meta: dict[str, Any]
    ) -> Iterator[str]:
        """The verified answer as chat.completion.chunk events.

        Generated deltas are not forwarded: the verifier may still drop a sentence whose
        figures the sources don't support, and a stream cannot take text back.
        """

        def event(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
            chunk = {
                **meta,
                "object": "chat.completion.chunk",
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
                **extra,
            }
            return f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n"

        yield event({"role": "assistant", "content": ""})
        try:
            answer, content = self._answer(prior, question)
        except ReportbotError as exc:
            yield _error_event(str(exc), "reportbot_error")
            return
        except Exception:
            log.exception("streamed chat completion failed")
            yield _error_event(
                "Something went wrong while answering; the server log has the details.",
                "server_error",
            )
            return
        body, sep, sources = content.partition("\n\n**Sources**")
        yield event({"content": body})
        if sep:
            yield event({"content": sep + sources})
        data = answer.as_json()
        yield event({}, "stop", citations=data["citations"], short_answer=data["short_answer"])
        yield "data: [DONE]\n\n"


def _error_event(message: str, kind: str) -> str:
    return f"data: {json.dumps({'error': {'message': message, 'type': kind}})}\n\n"

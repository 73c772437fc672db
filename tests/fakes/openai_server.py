"""A fake OpenAI-compatible HTTP server: replays scripted replies, records every request.

A real server on 127.0.0.1 (port 0, own thread), so the real ``openai`` client is exercised
over real HTTP: JSON and SSE-streamed chat completions, ``GET /v1/models``, and the failures
a real server produces (error statuses, hangs, malformed bodies, streams that break midway).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Content = str | Callable[[dict[str, Any]], str]

_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "invalid_request_error",
    404: "not_found_error",
    429: "rate_limit_exceeded",
    500: "server_error",
    503: "server_error",
}


@dataclass
class Reply:
    """One scripted reply. ``content`` may be a function of the request body (to cite the
    source number the prompt actually gave)."""

    content: Content = ""
    status: int = 200  # anything else: an OpenAI-style error body with this status
    hang: float = 0.0  # seconds to wait before answering (longer than the client timeout)
    malformed: bool = False  # a body (or SSE event) that is not valid JSON
    deltas: list[str] | None = None  # how a streamed reply is cut (default: word by word)
    error_after: int | None = None  # streaming: an SSE error event after this many deltas
    # Cut the connection after this many deltas (streaming) or halfway through the body.
    drop_after: int | None = None
    stall_after: int | None = None  # streaming: go silent after this many deltas ...
    stall: float = 0.0  # ... for this long (longer than the client's read timeout), then cut
    every: float = 0.005  # streaming: the pause before each delta (a slow model trickles)
    headers: dict[str, str] = field(default_factory=dict)  # e.g. {"retry-after-ms": "10"}

    def text(self, body: dict[str, Any]) -> str:
        return self.content(body) if callable(self.content) else self.content


@dataclass
class Recorded:
    """A request the fake received."""

    method: str
    path: str
    headers: dict[str, str]  # names lower-cased
    body: dict[str, Any]

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("messages", []))

    @property
    def prompt(self) -> str:
        """Every message's content, joined: what the model was shown."""
        return "\n\n".join(str(m.get("content", "")) for m in self.messages)


def hashed_embedding(text: str, dims: int = 64) -> list[float]:
    """A deterministic bag-of-words vector: texts sharing words point the same way."""
    vec = [0.0] * dims
    for word in re.findall(r"\w+", text.lower()):
        vec[int(hashlib.md5(word.encode()).hexdigest(), 16) % dims] += 1.0
    norm = math.sqrt(sum(v * v for v in vec)) or 1.0
    return [v / norm for v in vec]


Script = Callable[[Recorded], Reply | None]


class FakeOpenAI:
    """``with FakeOpenAI() as fake: fake.queue("An answer [1]."); OpenAI(base_url=fake.url)``

    Replies come from the queue, in order; when it is empty, from ``script`` (if set), which
    picks each reply from the request itself: under concurrent load, which request gets which
    queued reply is a race, but a script can key on the question or on the client's
    ``x-stainless-retry-count`` header (a 429 on the first attempt, an answer on the retry).
    """

    def __init__(self, models: tuple[str, ...] = ("fake-model",)) -> None:
        self.models = models
        self.replies: deque[Reply] = deque()
        self.script: Script | None = None
        self.requests: list[Recorded] = []
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.fake = self
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,))
        self._thread.daemon = True

    @property
    def url(self) -> str:
        """The base URL to hand the client (``http://127.0.0.1:PORT/v1``)."""
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    @property
    def completions(self) -> list[Recorded]:
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    def queue(self, *replies: Reply | str) -> None:
        with self._lock:
            self.replies.extend(r if isinstance(r, Reply) else Reply(r) for r in replies)

    def reset(self) -> None:
        """Forget queued replies and recorded requests (to reuse one server across tests)."""
        with self._lock:
            self.replies.clear()
            self.requests.clear()
            self.script = None

    def start(self) -> FakeOpenAI:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes hanging handlers at once
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _record(self, recorded: Recorded) -> Reply | None:
        with self._lock:
            self.requests.append(recorded)
            if self.replies:
                return self.replies.popleft()
            script = self.script
        return script(recorded) if script is not None else None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # a hanging handler must not hold up stop()
    fake: FakeOpenAI

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that timed out or dropped its keep-alive connection is not an error here.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # chunked SSE, so a stream can really break midway
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
        pass

    def do_GET(self) -> None:
        fake = self.server.fake
        fake._record(Recorded("GET", self.path, _headers(self), {}))
        if self.path.rstrip("/").endswith("/v1/models"):
            data = [{"id": m, "object": "model", "created": 0, "owned_by": "fake"}
                    for m in fake.models]  # fmt: skip
            self._json(200, {"object": "list", "data": data})
        else:
            self._error(404, f"no route {self.path}")

    def do_POST(self) -> None:
        fake = self.server.fake
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = {"_raw": raw.decode("utf-8", "replace")}
        if self.path.rstrip("/").endswith("/v1/embeddings"):
            fake._record(Recorded("POST", self.path, _headers(self), body))
            inputs = body.get("input")
            texts = [inputs] if isinstance(inputs, str) else list(inputs or [])
            data = [{"object": "embedding", "index": i, "embedding": hashed_embedding(t)}
                    for i, t in enumerate(texts)]  # fmt: skip
            self._json(200, {"object": "list", "data": data, "model": body.get("model"),
                             "usage": {"prompt_tokens": 0, "total_tokens": 0}})  # fmt: skip
            return
        if not self.path.rstrip("/").endswith("/v1/chat/completions"):
            fake._record(Recorded("POST", self.path, _headers(self), body))
            self._error(404, f"no route {self.path}")
            return
        reply = fake._record(Recorded("POST", self.path, _headers(self), body))
        try:
            self._reply(reply, body)
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            self.close_connection = True  # the client gave up (timeout): nothing to do

    def _reply(self, reply: Reply | None, body: dict[str, Any]) -> None:
        fake = self.server.fake
        if reply is None:
            self._error(500, "fake server: no scripted reply left")
            return
        if reply.hang and fake._stopping.wait(reply.hang):
            self.close_connection = True
            return
        if reply.status != 200:
            self._error(reply.status, self._error_message(reply.status), reply.headers)
        elif body.get("stream"):
            self._stream(reply, body)
        elif reply.malformed:
            self._raw(200, b'{"id": "chatcmpl-fake", "choices": [{"message": ', reply.headers)
        elif reply.drop_after is not None:  # a body cut halfway: the length says more comes
            data = json.dumps(_completion(reply.text(body), body)).encode()
            self._raw(200, data, reply.headers, send=len(data) // 2)
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
        else:
            self._json(200, _completion(reply.text(body), body), reply.headers)

    def _error_message(self, status: int) -> str:
        if status == 401:  # like the real API, echo the key: the client must not log this
            key = self.headers.get("Authorization", "").removeprefix("Bearer ")
            return f"Incorrect API key provided: {key}."
        return {429: "Rate limit reached", 500: "The server had an error"}.get(
            status, f"error {status}"
        )

    def _stream(self, reply: Reply, body: dict[str, Any]) -> None:
        text = reply.text(body)
        deltas = reply.deltas if reply.deltas is not None else re.findall(r"\s*\S+", text)
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        first = _chunk(body, {"role": "assistant", "content": ""})
        self._event(first)
        for i, delta in enumerate(deltas):
            if reply.drop_after is not None and i == reply.drop_after:
                self.wfile.write(b'400\r\ndata: {"trunc')  # a chunk that never completes
                self.wfile.flush()
                self.connection.shutdown(socket.SHUT_RDWR)
                self.close_connection = True
                return
            if reply.stall_after is not None and i == reply.stall_after:
                self.server.fake._stopping.wait(reply.stall)
                self.connection.shutdown(socket.SHUT_RDWR)
                self.close_connection = True
                return
            if reply.error_after is not None and i == reply.error_after:
                self._event({"error": {"message": "The server had an error", "type":
                                       "server_error", "code": None}})  # fmt: skip
                self._end_chunks()
                return
            if reply.malformed and i == len(deltas) // 2:
                self._send_chunk(b"data: {not json\n\n")
                continue
            self._event(_chunk(body, {"content": delta}))
            if self.server.fake._stopping.wait(reply.every):  # separate deltas, or a trickle
                return
        self._event(_chunk(body, {}, finish_reason="stop"))
        self._send_chunk(b"data: [DONE]\n\n")
        self._end_chunks()

    def _event(self, data: dict[str, Any]) -> None:
        self._send_chunk(b"data: " + json.dumps(data).encode() + b"\n\n")

    def _send_chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _end_chunks(self) -> None:
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _json(
        self, status: int, data: dict[str, Any], headers: dict[str, str] | None = None
    ) -> None:
        self._raw(status, json.dumps(data).encode(), headers)

    def _error(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        error = {"message": message, "type": _ERROR_TYPES.get(status, "error"), "param": None,
                 "code": "invalid_api_key" if status == 401 else None}  # fmt: skip
        self._json(status, {"error": error}, headers)

    def _raw(
        self,
        status: int,
        data: bytes,
        headers: dict[str, str] | None = None,
        send: int | None = None,
    ) -> None:
        """A response with ``data``'s length, of which only ``send`` bytes are sent if given."""
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data if send is None else data[:send])
        self.wfile.flush()


def _completion(text: str, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model", "fake-model"),
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": "stop",
                "logprobs": None,
            }
        ],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
    }


def _chunk(
    body: dict[str, Any], delta: dict[str, Any], finish_reason: str | None = None
) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": body.get("model", "fake-model"),
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
    }


def _headers(handler: BaseHTTPRequestHandler) -> dict[str, str]:
    return {name.lower(): value for name, value in handler.headers.items()}

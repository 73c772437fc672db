"""Failed sign-ins are throttled per client: guessing REPORTBOT_API_TOKEN costs time.

``AuthThrottle`` watches the answers to requests that carry credentials: a wrong token on
``/api`` or ``/v1`` (401) and a wrong password on the web UI's ``/login`` (gradio's 400).
After ``limit`` of them from one client address within ``window`` seconds, that client gets
429 with ``Retry-After`` for every such request, the right token included, until the oldest
failure leaves the window. Tokens themselves are compared in constant time where they are
checked (api.require_token, server.create_server_app).
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections import deque
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

THROTTLED = (
    "too many failed sign-ins from this address (REPORTBOT_AUTH_FAILURES in "
    "REPORTBOT_AUTH_WINDOW); try again in {s} s"
)
_MAX_CLIENTS = 10_000  # addresses remembered at most (idle ones are forgotten first)


class FailedSignIns:
    """Failures per client in a sliding window; bounded in memory."""

    def __init__(
        self, limit: int, window: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit, self.window, self._clock = limit, window, clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, client: str) -> float:
        """Seconds until ``client`` may try again (0: now)."""
        if self.limit <= 0:
            return 0.0
        now = self._clock()
        with self._lock:
            failures = self._failures.get(client)
            if failures is None:
                return 0.0
            while failures and failures[0] <= now - self.window:
                failures.popleft()
            if not failures:
                del self._failures[client]
                return 0.0
            if len(failures) < self.limit:
                return 0.0
            return failures[-self.limit] + self.window - now

    def failed(self, client: str) -> None:
        now = self._clock()
        with self._lock:
            if client not in self._failures and len(self._failures) >= _MAX_CLIENTS:
                self._failures = {
                    c: q for c, q in self._failures.items() if q and q[-1] > now - self.window
                }
                while len(self._failures) >= _MAX_CLIENTS:  # all recent: the oldest goes
                    del self._failures[next(iter(self._failures))]
            failures = self._failures.setdefault(client, deque())
            failures.append(now)
            while len(failures) > self.limit:
                failures.popleft()


def _credentials(scope: Scope) -> bool:
    """Does this request try a token: the web UI's sign-in, or an API call with one?"""
    path = scope["path"]
    if path in ("/login", "/login/"):
        return scope["method"] == "POST"
    if path.startswith(("/api/", "/v1/")):
        return any(name == b"authorization" for name, _ in scope["headers"])
    return False


class AuthThrottle:
    """ASGI middleware: 429 for a client after too many failed sign-ins (see the module)."""

    def __init__(self, app: ASGIApp, limit: int, window: float) -> None:
        self.app = app
        self.failures = FailedSignIns(limit, window)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _credentials(scope):
            await self.app(scope, receive, send)
            return
        client = (scope.get("client") or ("unknown", 0))[0]
        wait = self.failures.retry_after(client)
        if wait > 0:
            await _too_many(send, math.ceil(wait))
            return
        status = 0

        async def watched(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        await self.app(scope, receive, watched)
        login = not scope["path"].startswith(("/api/", "/v1/"))
        if status == 401 or (login and status == 400):
            self.failures.failed(client)


async def _too_many(send: Send, seconds: int) -> None:
    await send_error(send, 429, THROTTLED.format(s=seconds), "rate_limited", seconds)


async def send_error(
    send: Send, status: int, message: str, kind: str, retry_after: int, close: bool = False
) -> None:
    """A JSON error in the API's shape, straight over ASGI, with Retry-After."""
    body = json.dumps({"error": {"message": message, "type": kind}}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"retry-after", str(retry_after).encode()),
    ]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})

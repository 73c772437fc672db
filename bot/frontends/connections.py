"""Connection limits for `reportbot serve`: slow and greedy clients cannot hold the server.

uvicorn closes idle keep-alive connections but waits for ever on a client that sends half a
request header, or a body one byte at a time; with enough of them the process runs out of file
descriptors. ``guarded_http`` wraps uvicorn's httptools protocol with:

- a header deadline: the request line and headers must arrive within ``header_timeout``
  seconds of the connection (or of the first byte of the next request on a kept-alive one),
  and must not pass ``max_header_bytes``: else 408 / 431 and the connection is closed;
- a body deadline: no more than ``body_timeout`` seconds between two pieces of a body: else
  408 (when nothing was answered yet) and the connection is closed;
- a connection cap: beyond ``max_connections`` open connections a new one first makes room
  by closing (408) the connection that has waited longest for its headers (a slow client:
  a real one sends them at once); when none is waiting, the new one is answered with a JSON
  503 (``Retry-After``) as soon as its headers arrive, and closed (after a second if they
  don't come).
"""

from __future__ import annotations

import asyncio
import json
import logging
import resource
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.frontends.throttle import send_error

if TYPE_CHECKING:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

log = logging.getLogger("reportbot.server")

BUSY = (
    "the server is at its limit of {n:,} open connections (REPORTBOT_MAX_CONNECTIONS); "
    "try again in a few seconds"
)
_REFUSED_GRACE = 1.0  # seconds a refused connection gets to send its request, then it's closed
_STATUS = {408: b"Request Timeout", 431: b"Request Header Fields Too Large"}
EVICTED = "request headers too slow: the connection was closed to make room for another"


@dataclass(frozen=True)
class ConnectionLimits:
    """What one `reportbot serve` process allows its clients (from Settings)."""

    max_connections: int = 1000
    header_timeout: float = 10.0
    body_timeout: float = 30.0
    keep_alive: float = 5.0
    max_header_bytes: int = 64 * 1024

    @classmethod
    def from_settings(cls, settings: Any) -> ConnectionLimits:
        return cls(
            max_connections=_fit_to_descriptors(settings.max_connections),
            header_timeout=settings.header_timeout,
            body_timeout=settings.body_timeout,
            keep_alive=settings.keep_alive_timeout,
            max_header_bytes=settings.max_header_bytes,
        )

    def uvicorn_config(self) -> dict[str, Any]:
        """The uvicorn.Config arguments that apply these limits."""
        try:
            http: dict[str, Any] = {"http": guarded_http(self)}
        except ImportError:  # uvicorn without httptools (uvicorn[standard]): no deadlines
            log.warning("httptools is not installed: slow clients are not timed out")
            http = {}
        return {
            **http,
            "timeout_keep_alive": max(1, round(self.keep_alive)),
            "h11_max_incomplete_event_size": self.max_header_bytes,  # should h11 be used
            "backlog": min(2048, self.max_connections * 2),
        }


def _fit_to_descriptors(wanted: int) -> int:
    """The cap, lowered to leave file descriptors for the index, the logs and the clients."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return wanted
    room = max(16, soft - 256)
    if wanted > room:
        log.warning("REPORTBOT_MAX_CONNECTIONS=%d lowered to %d (ulimit -n is %d)", wanted, room,
                    soft)  # fmt: skip
    return min(wanted, room)


def _plain(status: int, text: str) -> bytes:
    kind = "request_timeout" if status == 408 else "headers_too_large"
    body = json.dumps({"error": {"message": text, "type": kind}}).encode()
    return (
        b"HTTP/1.1 %d %s\r\ncontent-type: application/json\r\ncontent-length: %d\r\n"
        b"connection: close\r\n\r\n" % (status, _STATUS[status], len(body))
    ) + body


def _busy_app(limit: int) -> Any:
    async def busy(scope: Any, receive: Any, send: Any) -> None:
        await send_error(send, 503, BUSY.format(n=limit), "server_busy", 5, close=True)

    return busy


def guarded_http(limits: ConnectionLimits) -> type[HttpToolsProtocol]:
    """uvicorn's httptools protocol with the deadlines and the cap of ``limits``."""
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    waiting: OrderedDict[Guarded, None] = OrderedDict()  # for their headers, oldest first

    class Guarded(HttpToolsProtocol):
        _timer: asyncio.TimerHandle | None = None
        _in_header = True
        _header_bytes = 0

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            if len(self.connections) > limits.max_connections and not self._make_room():
                log.warning(BUSY.format(n=limits.max_connections))
                self.app = _busy_app(limits.max_connections)
                self._arm(_REFUSED_GRACE, self._header_late)
                return
            waiting[self] = None
            self._arm(limits.header_timeout, self._header_late)

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            waiting.pop(self, None)
            super().connection_lost(exc)

        def _make_room(self) -> bool:
            """Close the connection that has waited longest for its headers, if any."""
            while waiting:
                oldest, _ = waiting.popitem(last=False)
                if not oldest.transport.is_closing():
                    oldest._abort(408, EVICTED)
                    return True
            return False

        def data_received(self, data: bytes) -> None:
            if self._in_header:
                self._header_bytes += len(data)
            super().data_received(data)
            if self._in_header and self._header_bytes > limits.max_header_bytes:
                self._abort(431, f"request headers over {limits.max_header_bytes:,} bytes")

        # -- parser callbacks ---------------------------------------------------------------
        def on_message_begin(self) -> None:
            super().on_message_begin()
            if not self._in_header:  # the next request on a kept-alive connection
                self._in_header, self._header_bytes = True, 0
                waiting[self] = None
                self._arm(limits.header_timeout, self._header_late)

        def on_headers_complete(self) -> None:
            self._in_header = False
            waiting.pop(self, None)
            self._disarm()
            super().on_headers_complete()
            if not (self.parser.should_upgrade() and self._should_upgrade()):  # a websocket
                self._arm(limits.body_timeout, self._body_late)  # disarmed when the body is in

        def on_body(self, body: bytes) -> None:
            self._arm(limits.body_timeout, self._body_late)
            super().on_body(body)

        def on_message_complete(self) -> None:
            self._disarm()
            super().on_message_complete()

        # -- deadlines ------------------------------------------------------------------------
        def _arm(self, seconds: float, handler: Any) -> None:
            self._disarm()
            self._timer = self.loop.call_later(seconds, handler)

        def _disarm(self) -> None:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None

        def _header_late(self) -> None:
            self._abort(408, f"request headers not received within {limits.header_timeout:g} s")

        def _body_late(self) -> None:
            self._abort(408, f"request body stalled for {limits.body_timeout:g} s")

        def _abort(self, status: int, reason: str) -> None:
            self._disarm()
            waiting.pop(self, None)
            if self.transport.is_closing():
                return
            cycle = self.cycle
            answered = cycle is not None and cycle.response_started
            if cycle is not None and not cycle.response_complete:
                cycle.disconnected = True  # the app's reads end, its writes are dropped
                cycle.message_event.set()
            if not answered or (cycle is not None and cycle.response_complete):
                self.transport.write(_plain(status, reason))
            self.transport.close()

    return Guarded

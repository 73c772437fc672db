"""A fake Slack on 127.0.0.1: the Web API methods the bot calls, response_url, Socket Mode.

Real HTTP and a real websocket (aiohttp, in its own thread and loop), so the real slack_sdk
WebClient and Socket Mode client and the real bolt App are exercised: ``auth.test``,
``chat.postMessage`` (JSON or form), ``apps.connections.open`` returning ``ws://…/ws``, where
the fake says hello, pushes envelopes (events, slash commands) and records the acks.
Failures are scripted: ``fail_next("chat.postMessage", 429)`` answers rate-limited once.
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import uvicorn
from aiohttp import WSMsgType, web

from bot.frontends.slack import EVENTS_PATH

if TYPE_CHECKING:
    import pytest

    from bot.frontends.slack import SlackBot


@dataclass
class Call:
    """One request the fake received (a Web API call or a post to a response_url)."""

    method: str
    params: dict[str, Any]
    headers: dict[str, str]
    status: int = 200

    @property
    def text(self) -> str:
        return str(self.params.get("text", ""))

    @property
    def blocks(self) -> list[dict[str, Any]]:
        blocks = self.params.get("blocks") or []
        return json.loads(blocks) if isinstance(blocks, str) else list(blocks)

    def block_texts(self, kind: str) -> list[str]:
        """The mrkdwn texts of the blocks of one type ("section" or "context")."""
        out = []
        for b in self.blocks:
            if b["type"] == kind:
                out += (
                    [b["text"]["text"]] if kind == "section" else [e["text"] for e in b["elements"]]
                )
        return out


class FakeSlack:
    """``with FakeSlack() as slack: WebClient(base_url=slack.base_url); slack.event({...})``"""

    def __init__(
        self, bot_token: str = "xoxb-test", app_token: str = "xapp-test", bot_user_id: str = "UBOT"
    ) -> None:
        self.bot_token, self.app_token, self.bot_user_id = bot_token, app_token, bot_user_id
        self.calls: list[Call] = []
        self.acks: list[dict[str, Any]] = []
        self.connections = 0
        self._failures: dict[str, list[tuple[int, int]]] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._ws: web.WebSocketResponse | None = None
        self._pending: list[dict[str, Any]] = []
        self._sockets: set[web.WebSocketResponse] = set()
        self._runner: web.AppRunner | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self.port = 0

    # -- lifecycle --------------------------------------------------------------------------

    def __enter__(self) -> FakeSlack:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_post("/api/{method}", self._api)
        app.router.add_post("/response/{n}", self._response_url)
        app.router.add_get("/ws", self._websocket)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def _stop(self) -> None:
        for ws in list(self._sockets):
            await ws.close()
        assert self._runner is not None
        await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def response_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/response/{next(self._ids)}"

    # -- scripting --------------------------------------------------------------------------

    def fail_next(self, method: str, status: int = 429, retry_after: int = 0) -> None:
        self._failures.setdefault(method, []).append((status, retry_after))

    def push(
        self, envelope_type: str, payload: dict[str, Any], accepts_response: bool = False
    ) -> str:
        """Send an envelope over the newest Socket Mode connection (queued until there is one);
        returns its envelope_id."""
        envelope_id = f"env-{next(self._ids)}"
        envelope = {
            "envelope_id": envelope_id,
            "type": envelope_type,
            "payload": payload,
            "accepts_response_payload": accepts_response,
            "retry_attempt": 0,
        }
        asyncio.run_coroutine_threadsafe(self._deliver(envelope), self._loop).result(10)
        return envelope_id

    async def _deliver(self, envelope: dict[str, Any]) -> None:
        ws = self._ws
        if ws is None or ws.closed:
            self._pending.append(envelope)
        else:
            await ws.send_json(envelope)

    def event_body(self, event: dict[str, Any]) -> dict[str, Any]:
        """An Events API callback as Slack sends it (over HTTP, or inside an envelope)."""
        event = {"event_ts": event.get("ts", "1.0"), **event}
        return {
            "token": "legacy",
            "team_id": "T1",
            "api_app_id": "A1",
            "type": "event_callback",
            "event": event,
            "event_id": f"Ev{next(self._ids)}",
            "event_time": int(time.time()),
            "authorizations": [{"team_id": "T1", "user_id": self.bot_user_id, "is_bot": True}],
        }

    def event(self, event: dict[str, Any]) -> str:
        return self.push("events_api", self.event_body(event))

    def command_body(self, text: str, channel: str = "C1", user: str = "U1") -> dict[str, str]:
        return {
            "token": "legacy",
            "team_id": "T1",
            "api_app_id": "A1",
            "command": "/ask",
            "text": text,
            "channel_id": channel,
            "channel_name": "news",
            "user_id": user,
            "user_name": "reader",
            "response_url": self.response_url(),
            "trigger_id": "t1",
        }

    # -- what the bot did -------------------------------------------------------------------

    def posts(self, channel: str | None = None) -> list[Call]:
        """Successful chat.postMessage calls (to ``channel``)."""
        with self._lock:
            return [
                c
                for c in self.calls
                if c.method == "chat.postMessage"
                and c.status == 200
                and channel in (None, c.params.get("channel"))
            ]

    def responses(self) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == "response_url"]

    def wait_for(self, predicate: Callable[[FakeSlack], bool], timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate(self):
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"timed out; calls: {[(c.method, c.text) for c in self.calls]}"
                )
            time.sleep(0.02)

    def wait_posts(self, n: int, channel: str | None = None) -> list[Call]:
        self.wait_for(lambda s: len(s.posts(channel)) >= n)
        return self.posts(channel)

    # -- the server -------------------------------------------------------------------------

    async def _params(self, request: web.Request) -> dict[str, Any]:
        if request.content_type == "application/json":
            return dict(await request.json())
        return {k: str(v) for k, v in (await request.post()).items()}

    def _record(self, call: Call) -> None:
        with self._lock:
            self.calls.append(call)

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await self._params(request)
        token = request.headers.get("Authorization", "").removeprefix("Bearer ") or params.get(
            "token"
        )
        failures = self._failures.get(method)
        if failures:
            status, retry_after = failures.pop(0)
            self._record(Call(method, params, dict(request.headers), status))
            return web.json_response(
                {"ok": False, "error": "ratelimited"},
                status=status,
                headers={"Retry-After": str(retry_after)},
            )
        self._record(Call(method, params, dict(request.headers)))
        expected = self.app_token if method == "apps.connections.open" else self.bot_token
        if token != expected:
            return web.json_response({"ok": False, "error": "invalid_auth"})
        if method == "auth.test":
            return web.json_response(
                {
                    "ok": True,
                    "url": "https://test.slack.com/",
                    "team": "Test",
                    "user": "reportbot",
                    "team_id": "T1",
                    "user_id": self.bot_user_id,
                    "bot_id": "BBOT",
                    "is_enterprise_install": False,
                }
            )
        if method == "chat.postMessage":
            return web.json_response(
                {
                    "ok": True,
                    "channel": params.get("channel"),
                    "ts": f"{time.time():.6f}",
                    "message": {"text": params.get("text")},
                }
            )
        if method == "apps.connections.open":
            return web.json_response({"ok": True, "url": f"ws://127.0.0.1:{self.port}/ws"})
        return web.json_response({"ok": False, "error": "unknown_method"})

    async def _response_url(self, request: web.Request) -> web.Response:
        self._record(Call("response_url", await self._params(request), dict(request.headers)))
        return web.Response(text="ok")

    async def _websocket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self.connections += 1
        await ws.send_json({"type": "hello", "num_connections": 1, "debug_info": {"host": "fake"}})
        self._ws = ws  # the newest connection gets the envelopes (a closing client's none)
        self._sockets.add(ws)
        pending, self._pending = self._pending, []
        for envelope in pending:
            await ws.send_json(envelope)
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    with self._lock:
                        self.acks.append(json.loads(msg.data))
        finally:
            self._sockets.discard(ws)
        return ws


@contextmanager
def serve_events(bot: SlackBot) -> Iterator[str]:
    """The bot's ASGI app (as `reportbot slack` serves it in HTTP mode) on a free port; yields
    the URL Slack would post events to."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(bot.asgi_app(), log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}{EVENTS_PATH}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def handled(bot: SlackBot) -> Callable[[int], None]:
    """Counts the events (mentions, messages) the bot has finished handling; ``wait(n)``
    returns once n more are done, so a test can assert what did *not* happen (no second
    post, no answer to a refused request) without sleeping first."""
    done = threading.Semaphore(0)
    inner = bot._handle

    def handle(*args: Any, **kwargs: Any) -> None:
        try:
            inner(*args, **kwargs)
        finally:
            done.release()

    bot._handle = handle  # type: ignore[method-assign]

    def wait(n: int) -> None:
        for i in range(n):
            assert done.acquire(timeout=30), f"only {i} of {n} events were handled"

    return wait


def listeners_done(monkeypatch: pytest.MonkeyPatch) -> Callable[[int], None]:
    """Counts every event listener run of the SlackBots built after this call (a mention, a
    message, a re-delivery ignored): ``wait(n)`` returns once n have finished, after which
    nothing more can be posted for them."""
    from bot.frontends.slack import SlackBot

    done = threading.Semaphore(0)
    for name in ("_on_mention", "_on_message"):
        listener = getattr(SlackBot, name)

        def counted(*args: Any, _listener: Any = listener, **kwargs: Any) -> None:
            try:
                _listener(*args, **kwargs)
            finally:
                done.release()

        # bolt passes a listener the arguments its signature names: keep the original's.
        counted.__signature__ = inspect.signature(listener)  # type: ignore[attr-defined]
        monkeypatch.setattr(SlackBot, name, counted)

    def wait(n: int) -> None:
        for i in range(n):
            assert done.acquire(timeout=120), f"only {i} of {n} deliveries were handled"

    return wait

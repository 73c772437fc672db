"""A fake Telegram Bot API on 127.0.0.1: queues updates, records every call the bot makes.

Real HTTP (aiohttp, in the test's event loop), so the real python-telegram-bot client is
exercised: getMe, deleteWebhook, setWebhook, getUpdates (long polling, ~0.2 s when empty),
sendChatAction and sendMessage. Requests are form-encoded with every value a string (nested
objects as JSON), as PTB sends them. Flood control is scripted: ``flood("sendMessage", 2)``
answers the next two calls 429 with ``retry_after``, as Telegram does during a burst.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

if TYPE_CHECKING:
    from bot.frontends.telegram import TelegramBot

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # what Telegram sends a webhook


def free_port() -> int:
    """A TCP port on 127.0.0.1 free right now (for a server that takes a port, not a socket)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Call:
    """One Bot API call the bot made."""

    method: str
    params: dict[str, Any]
    status: int = 200
    at: float = field(default_factory=time.monotonic)  # when the fake received it

    @property
    def chat_id(self) -> int | None:
        value = self.params.get("chat_id")
        return int(value) if value is not None else None

    @property
    def text(self) -> str:
        return str(self.params.get("text", ""))


def _decode(value: str) -> Any:
    if value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


class FakeBotAPI:
    """``async with FakeBotAPI(token) as api: ... base_url(api.base_url) ...; api.message(...)``"""

    def __init__(self, token: str, username: str = "reportbot_test_bot", bot_id: int = 777) -> None:
        self.token = token
        self.me = {
            "id": bot_id,
            "is_bot": True,
            "first_name": "Reportbot",
            "username": username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self.calls: list[Call] = []
        self.unauthorized = 0
        self._floods: dict[str, list[int]] = {}
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(100)
        self._chat_types: dict[int, str] = {}
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    async def __aenter__(self) -> FakeBotAPI:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    # -- what a user does -------------------------------------------------------------------

    def message(
        self,
        text: str,
        chat_id: int = 1,
        chat_type: str = "private",
        user_id: int | None = None,
        reply_to: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Queue a text message (an update); mentions "@name" and "/commands" get entities."""
        self._chat_types[chat_id] = chat_type
        user_id = user_id if user_id is not None else (chat_id if chat_id > 0 else 42)
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "text": text,
            "chat": {
                "id": chat_id,
                "type": chat_type,
                **({"title": "Group"} if chat_id < 0 else {}),
            },
            "from": {"id": user_id, "is_bot": False, "first_name": f"User{user_id}"},
        }
        entities = []
        for word in text.split():
            offset = text.index(word)
            if word.startswith("@") or (word.startswith("/") and offset == 0):
                kind = "mention" if word.startswith("@") else "bot_command"
                entities.append({"type": kind, "offset": offset, "length": len(word)})
        if entities:
            message["entities"] = entities
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        update = {"update_id": next(self._update_ids), "message": message}
        self._updates.append(update)
        return update

    def flood(self, method: str, times: int = 1, retry_after: int = 1) -> None:
        """The next ``times`` calls of ``method`` get 429 "Too Many Requests: retry after N"."""
        self._floods.setdefault(method, []).extend([retry_after] * times)

    @property
    def pending(self) -> int:
        """Updates queued and not yet confirmed by a getUpdates offset."""
        return len(self._updates)

    # -- what the bot did -------------------------------------------------------------------

    def sent(self, chat_id: int | None = None, method: str = "sendMessage") -> list[Call]:
        """Successful calls of ``method`` (to ``chat_id``)."""
        return [
            c
            for c in self.calls
            if c.method == method and c.status == 200 and chat_id in (None, c.chat_id)
        ]

    async def wait_for(
        self, predicate: Callable[[FakeBotAPI], bool], timeout: float = 20.0
    ) -> None:
        deadline = time.monotonic() + timeout
        while not predicate(self):
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"timed out; calls: {[(c.method, c.text) for c in self.calls]}"
                )
            await asyncio.sleep(0.02)

    async def wait_sent(
        self, n: int, chat_id: int | None = None, timeout: float = 20.0
    ) -> list[Call]:
        """Wait until ``n`` messages were sent (to ``chat_id``); return them."""
        await self.wait_for(lambda api: len(api.sent(chat_id)) >= n, timeout)
        return self.sent(chat_id)

    # -- the API ----------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            self.unauthorized += 1
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        method = request.match_info["method"]
        if request.content_type == "application/json":
            params = await request.json()
        else:
            params = {k: _decode(str(v)) for k, v in (await request.post()).items()}
        floods = self._floods.get(method)
        if floods:
            retry_after = floods.pop(0)
            self.calls.append(Call(method, params, 429))
            return web.json_response(
                {
                    "ok": False,
                    "error_code": 429,
                    "description": f"Too Many Requests: retry after {retry_after}",
                    "parameters": {"retry_after": retry_after},
                },
                status=429,
            )
        self.calls.append(Call(method, params))
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            return web.json_response(
                {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
            )
        return web.json_response({"ok": True, "result": await handler(params)})

    async def _api_getMe(self, params: dict[str, Any]) -> Any:
        return self.me

    async def _api_deleteWebhook(self, params: dict[str, Any]) -> Any:
        return True

    async def _api_setWebhook(self, params: dict[str, Any]) -> Any:
        return True

    async def _api_sendChatAction(self, params: dict[str, Any]) -> Any:
        return True

    async def _api_getUpdates(self, params: dict[str, Any]) -> Any:
        offset = int(params.get("offset") or 0)
        self._updates = [u for u in self._updates if u["update_id"] >= offset]
        if not self._updates:
            await asyncio.sleep(0.2)  # a long poll that found nothing; the client must not spin
        return self._updates[: int(params.get("limit") or 100)]  # Telegram's cap: 100

    async def _api_sendMessage(self, params: dict[str, Any]) -> Any:
        chat_id = int(params["chat_id"])
        return {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "from": self.me,
            "chat": {"id": chat_id, "type": self._chat_types.get(chat_id, "private")},
            "text": params.get("text", ""),
        }


@asynccontextmanager
async def polling(bot: TelegramBot) -> AsyncIterator[None]:
    """Long polling as in production; leaving waits for every handler still running."""
    application = bot.application
    assert application.updater is not None
    async with application:
        await application.start()
        await application.updater.start_polling(poll_interval=0, timeout=1)
        try:
            yield
        finally:
            await application.updater.stop()
            await application.stop()

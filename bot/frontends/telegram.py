"""Telegram front end: python-telegram-bot over the ChatService (long polling or a webhook)."""

from __future__ import annotations

import asyncio
import hmac
import html
import logging
import secrets
import signal
import weakref
from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from telegram import LinkPreviewOptions, Message, MessageEntity, Update
from telegram.constants import ChatAction, ChatType
from telegram.error import InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    BaseRateLimiter,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.app.settings import Settings
from bot.chat.service import ChatService
from bot.frontends.chat_common import (
    APOLOGY,
    EMPTY_QUESTION,
    MAX_LINK_TEXT,
    MAX_QUOTE_CHARS,
    NOT_ALLOWED,
    RATE_LIMITED,
    RESET_DONE,
    BoundedSet,
    RateLimiter,
    newest_first,
    protect_secrets,
    short,
    split_message,
    utf16_len,
)
from bot.grounding.citations import also_in, meta_parts, source_line
from bot.types import Answer, Citation
from index import ConfigError, Document

log = logging.getLogger(__name__)

MESSAGE_LIMIT = 4096  # Telegram's limit per message, in UTF-16 code units
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
MAX_SOURCES_LISTED = 50
Context = ContextTypes.DEFAULT_TYPE
FLOOD_RETRIES = 3


def _esc(text: str) -> str:
    return html.escape(text, quote=False)


def _link(url: str | None, text: str) -> str:
    if url and url.startswith(("http://", "https://")):
        return f'<a href="{html.escape(url, quote=True)}">{_esc(short(text, MAX_LINK_TEXT))}</a>'
    return _esc(text)


def footnote_html(c: Citation) -> str:
    """[n] “quote” — <a href=url>Title</a>, Outlet, date (everything from the report escaped)."""
    if c.url and c.url.startswith(("http://", "https://")):
        meta = ", ".join(meta_parts(c)) + also_in(c)
        where = _link(c.url, c.title or c.doc_id) + (f", {_esc(meta)}" if meta else "")
    else:
        where = _esc(source_line(c))
    return f"[{c.n}] “{_esc(short(c.quote, MAX_QUOTE_CHARS))}” — {where}"


def render_html(answer: Answer) -> str:
    """The answer with its [n] markers, then the numbered footnotes (Telegram HTML)."""
    parts = [f"<i>{_esc(answer.notice)}</i>"] if answer.notice else []
    parts.append(_esc(answer.answer))
    if answer.citations:
        parts.append("<b>Sources</b>\n" + "\n".join(footnote_html(c) for c in answer.citations))
    return "\n\n".join(parts)


def render_sources_html(documents: list[Document]) -> str:
    """The reports the bot knows, newest first: title (linked), outlet, date."""
    if not documents:
        return "I don't know any reports yet."
    lines = [f"<b>I know {len(documents)} report{'s' if len(documents) != 1 else ''}</b>"]
    docs = newest_first(documents)
    for i, d in enumerate(docs[:MAX_SOURCES_LISTED], start=1):
        meta = ", ".join(p for p in (d.source, d.published) if p)
        lines.append(
            f"{i}. {_link(d.url, d.title or d.doc_id)}" + (f" — {_esc(meta)}" if meta else "")
        )
    if len(docs) > MAX_SOURCES_LISTED:
        lines.append(f"… and {len(docs) - MAX_SOURCES_LISTED} more.")
    return "\n".join(lines)


def _help_html(username: str | None) -> str:
    me = f"@{username}" if username else "me"
    return (
        "I answer questions about news reports, quoting the exact sentences I rely on "
        "(numbered footnotes with links).\n\n"
        "Ask me anything here; follow-up questions work. In a group, mention "
        f"{_esc(me)} or reply to one of my messages.\n\n"
        "/sources: the reports I know\n/reset: forget our conversation\n/help: this message"
    )


class RetryOnFlood(BaseRateLimiter[None]):
    """A call Telegram refuses with "retry after N" (its flood control, hit by a burst of
    replies: ~1 message/s per chat, 20/min per group) waits N s and is sent again, so the
    answer is delivered late rather than lost."""

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        for attempt in range(FLOOD_RETRIES + 1):
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                if attempt == FLOOD_RETRIES:
                    raise
                # PTB's own AIORateLimiter reads this too: `retry_after` warns until PTB 23.
                delay = exc._retry_after.total_seconds()
                log.warning("Telegram flood control on %s: retrying in %.0f s", endpoint, delay)
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")


class TelegramBot:
    """Handlers for one bot token; ``application`` is the python-telegram-bot Application."""

    def __init__(self, service: ChatService, settings: Settings) -> None:
        if settings.telegram_token is None:
            raise ConfigError("set REPORTBOT_TELEGRAM_TOKEN to the token @BotFather gave you")
        token = settings.telegram_token.get_secret_value()
        secret = settings.telegram_webhook_secret
        self.webhook_secret = secret.get_secret_value() if secret else secrets.token_urlsafe(32)
        # Before the Bot logs its URL (which holds the token); the LLM's key too.
        protect_secrets(token, self.webhook_secret, settings.openai_api_key)
        self.service, self.settings = service, settings
        self.allowed = set(settings.telegram_allowed_chats)
        self.limiter = RateLimiter(settings.chat_rate_limit, settings.chat_rate_window)
        self._refused, self._warned = BoundedSet(), BoundedSet()
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        builder = Application.builder().token(token).base_url(settings.telegram_api_url)
        if settings.telegram_webhook_url:
            builder = builder.updater(None)
        self.application = builder.concurrent_updates(8).rate_limiter(RetryOnFlood()).build()
        app = self.application
        app.add_handler(TypeHandler(Update, self._gate), group=-1)
        app.add_handler(CommandHandler(["start", "help"], self._help))
        app.add_handler(CommandHandler("sources", self._sources))
        app.add_handler(CommandHandler("reset", self._reset))
        text = filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND
        app.add_handler(MessageHandler(text, self._on_text))
        app.add_error_handler(self._on_error)

    async def _gate(self, update: Update, context: Context) -> None:
        """Chats off the allowlist get one polite refusal, then silence."""
        chat = update.effective_chat
        if chat is None or not self.allowed or chat.id in self.allowed:
            return
        message = update.effective_message
        if message is not None and self._refused.add(chat.id):
            log.info("refusing chat %s: not in REPORTBOT_TELEGRAM_ALLOWED_CHATS", chat.id)
            try:
                await message.reply_text(NOT_ALLOWED)
            except TelegramError:
                log.warning("could not send the refusal to chat %s", chat.id, exc_info=True)
        raise ApplicationHandlerStop

    async def _help(self, update: Update, context: Context) -> None:
        if update.effective_message:
            await update.effective_message.reply_html(_help_html(context.bot.username))

    async def _sources(self, update: Update, context: Context) -> None:
        if update.effective_message:
            docs = await asyncio.to_thread(self.service.documents)
            await self._send(update.effective_message, render_sources_html(docs))

    async def _reset(self, update: Update, context: Context) -> None:
        if update.effective_chat and update.effective_message:
            await asyncio.to_thread(self.service.reset, f"tg:{update.effective_chat.id}")
            await update.effective_message.reply_text(RESET_DONE)

    def _addressed(self, message: Message, context: Context) -> str | None:
        """The question, if this group message is for the bot (a mention or a reply to it)."""
        bot, text, mentioned = context.bot, message.text or "", False
        kinds: list[str | None] = [MessageEntity.MENTION, MessageEntity.TEXT_MENTION]
        for entity, value in message.parse_entities(kinds).items():
            if (entity.user and entity.user.id == bot.id) or (
                entity.type == MessageEntity.MENTION and value.lower() == f"@{bot.username}".lower()
            ):
                mentioned, text = True, text.replace(value, " ")
        replied = message.reply_to_message is not None and (
            message.reply_to_message.from_user is not None
            and message.reply_to_message.from_user.id == bot.id
        )
        return " ".join(text.split()) if mentioned or replied else None

    async def _on_text(self, update: Update, context: Context) -> None:
        message, chat = update.effective_message, update.effective_chat
        if message is None or chat is None:
            return
        if chat.type == ChatType.PRIVATE:
            question: str | None = " ".join((message.text or "").split())
        else:
            question = self._addressed(message, context)
            if question is None:
                return
        if not question:
            await message.reply_text(EMPTY_QUESTION)
            return
        user = update.effective_user.id if update.effective_user else chat.id
        if not self.limiter.allow(user):
            if self._warned.add(user):
                await message.reply_text(RATE_LIMITED)
            return
        self._warned.discard(user)
        await self._answer(message, question, f"tg:{chat.id}")

    async def _answer(self, message: Message, question: str, conversation_id: str) -> None:
        lock = self._locks.setdefault(conversation_id, asyncio.Lock())
        async with lock:  # one question at a time per chat, so follow-ups see the turn before
            await self._typing(message)  # shown before the answer starts, however fast it is
            typing = asyncio.create_task(self._keep_typing(message))
            try:
                answer = await asyncio.to_thread(self.service.answer, question, conversation_id)
                typing.cancel()
                await self._send(message, render_html(answer))
            except Exception:
                log.exception("answering %r in %s failed", question, conversation_id)
                await self._apologise(message)
            finally:
                typing.cancel()

    async def _send(self, message: Message, text: str) -> None:
        pieces = split_message(text, MESSAGE_LIMIT, measure=utf16_len, html=True)
        for i, piece in enumerate(pieces):
            await message.reply_html(
                piece,
                do_quote=i == 0 and message.chat.type != ChatType.PRIVATE,
                link_preview_options=NO_PREVIEW,
            )

    async def _typing(self, message: Message) -> bool:
        """Show "typing…"; a failure is logged and never stops the answer."""
        try:
            await message.chat.send_action(ChatAction.TYPING)
        except TelegramError:
            log.debug("typing indicator failed in chat %s", message.chat_id, exc_info=True)
            return False
        return True

    async def _keep_typing(self, message: Message) -> None:
        """Telegram shows "typing…" for 5 seconds: renew it until the answer is sent."""
        while True:
            await asyncio.sleep(4.5)
            if not await self._typing(message):
                return

    async def _apologise(self, message: Message) -> None:
        try:
            await message.reply_text(APOLOGY)
        except TelegramError:
            log.warning("could not apologise in chat %s", message.chat_id, exc_info=True)

    async def _on_error(self, update: object, context: Context) -> None:
        """Whatever a handler did not catch (/sources failing, say): logged, and an apology."""
        if isinstance(context.error, NetworkError):
            log.warning("Telegram network error: %s", context.error)
            return
        log.error("handling a Telegram update failed", exc_info=context.error)
        if isinstance(update, Update) and update.effective_message:
            await self._apologise(update.effective_message)

    # -- running -----------------------------------------------------------------------------

    def webhook_app(self) -> web.Application:
        """The aiohttp app Telegram posts updates to; the secret-token header is checked."""
        path = urlsplit(self.settings.telegram_webhook_url or "").path or "/"
        webapp = web.Application(client_max_size=1_000_000)
        webapp.router.add_post(path, self._webhook)
        return webapp

    async def _webhook(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.webhook_secret.encode()):
            log.warning("refused a webhook request from %s: wrong secret token", request.remote)
            return web.Response(status=403, text="forbidden")
        try:
            update = Update.de_json(await request.json(), self.application.bot)
        except (ValueError, TypeError, KeyError):
            return web.Response(status=400, text="bad update")
        await self.application.update_queue.put(update)
        return web.Response(text="ok")

    async def start_webhook(self) -> tuple[web.AppRunner, int]:
        """Initialize and start the app, register the webhook, listen; returns (runner, port)."""
        await self.application.initialize()
        await self.application.start()
        runner = web.AppRunner(self.webhook_app(), access_log=None)
        await runner.setup()
        site = web.TCPSite(
            runner, self.settings.telegram_webhook_listen, self.settings.telegram_webhook_port
        )
        await site.start()
        await self.application.bot.set_webhook(
            self.settings.telegram_webhook_url or "",
            secret_token=self.webhook_secret,
            allowed_updates=[Update.MESSAGE],
        )
        return runner, runner.addresses[0][1]

    async def stop_webhook(self, runner: web.AppRunner) -> None:
        await runner.cleanup()
        await self.application.stop()
        await self.application.shutdown()

    async def _serve_webhook(self) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        runner, port = await self.start_webhook()
        log.info("Telegram webhook on port %s as @%s", port, self.application.bot.username)
        try:
            await stop.wait()
        finally:
            await self.stop_webhook(runner)

    def run(self) -> None:
        """Until Ctrl+C: a webhook server if REPORTBOT_TELEGRAM_WEBHOOK_URL is set, else polling."""
        try:
            if self.settings.telegram_webhook_url:
                asyncio.run(self._serve_webhook())
            else:
                self.application.run_polling(allowed_updates=[Update.MESSAGE])
        except InvalidToken:  # its message quotes the token: never let it reach a traceback
            raise ConfigError(
                "Telegram rejected the bot token: check REPORTBOT_TELEGRAM_TOKEN with @BotFather"
            ) from None

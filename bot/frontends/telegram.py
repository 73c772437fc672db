"""Telegram front end: python-telegram-bot over the ChatService (long polling or a webhook).

The library does the transport: polling, the webhook server (which checks Telegram's secret
token header) and Telegram's flood control (AIORateLimiter). Messages are rendered by
bot/render/telegram.py.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import re
import secrets
import weakref
from typing import Any
from urllib.parse import urlsplit

from telegram import LinkPreviewOptions, Message, MessageEntity, Update
from telegram.constants import ChatAction, ChatType
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationHandlerStop,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.chat.service import ChatService, QuestionTooLong
from bot.config.settings import Settings
from bot.frontends.chat_common import (
    APOLOGY,
    EMPTY_QUESTION,
    NOT_ALLOWED,
    RATE_LIMITED,
    RESET_DONE,
    BoundedSet,
    RateLimiter,
    newest_first,
    protect_secrets,
    split_message,
    utf16_len,
)
from bot.render.telegram import help_html, render_html, sources_html
from index import ConfigError

log = logging.getLogger(__name__)

MESSAGE_LIMIT = 4096  # Telegram's limit per message, in UTF-16 code units
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
Context = ContextTypes.DEFAULT_TYPE
FLOOD_RETRIES = 3  # a call Telegram refuses with "retry after N" is sent again, up to 3 times
WEBHOOK_MAX_BODY = 1_000_000  # bytes of one webhook request (an update is a few KB)


class WebhookSecret(str):
    """The webhook's secret token, as python-telegram-bot's webhook server compares it with a
    request's X-Telegram-Bot-Api-Secret-Token header (``given != secret``, which answers 403).

    Python lets this subclass answer that comparison, so it runs in constant time, and a
    refused request is logged here (PTB itself logs only at DEBUG, with the token sent).
    """

    __slots__ = ()
    __hash__ = str.__hash__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, str) and hmac.compare_digest(str.encode(other), str.encode(self))

    def __ne__(self, other: object) -> bool:
        if self == other:
            return False
        log.warning("refused a webhook request: wrong secret token")
        return True


class TelegramBot:
    """Handlers for one bot token; ``application`` is the python-telegram-bot Application."""

    def __init__(self, service: ChatService, settings: Settings) -> None:
        if settings.telegram_token is None:
            raise ConfigError("set REPORTBOT_TELEGRAM_TOKEN to the token @BotFather gave you")
        token = settings.telegram_token.get_secret_value()
        secret = settings.telegram_webhook_secret
        self.webhook_secret = WebhookSecret(
            secret.get_secret_value() if secret else secrets.token_urlsafe(32)
        )
        # Before the Bot logs its URL (which holds the token); the LLM's key too.
        protect_secrets(token, str(self.webhook_secret), settings.openai_api_key)
        self.service, self.settings = service, settings
        self.allowed = set(settings.telegram_allowed_chats)
        self.limiter = RateLimiter(settings.chat_rate_limit, settings.chat_rate_window)
        self._refused, self._warned = BoundedSet(), BoundedSet()
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        # Telegram's flood control (~1 message/s per chat, 20/min per group, 30/s in all) is
        # kept to, and a "retry after N" (a burst of replies) waits N s and sends again, so an
        # answer is delivered late rather than lost.
        self.application = (
            Application.builder()
            .token(token)
            .base_url(settings.telegram_api_url)
            .concurrent_updates(8)
            .rate_limiter(AIORateLimiter(max_retries=FLOOD_RETRIES))
            .build()
        )
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
            await update.effective_message.reply_html(help_html(context.bot.username))

    async def _sources(self, update: Update, context: Context) -> None:
        if update.effective_message:
            docs = await asyncio.to_thread(self.service.documents)
            await self._send(update.effective_message, sources_html(newest_first(docs)))

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
            except QuestionTooLong as exc:  # the refusal every front end gives
                await message.reply_text(str(exc))
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

    def _webhook(self) -> dict[str, Any]:
        """python-telegram-bot's webhook server, as configured: where it listens, the path it
        answers on (the webhook URL's), the URL it registers and the secret token it checks."""
        url = self.settings.telegram_webhook_url or ""
        return {
            "listen": self.settings.telegram_webhook_listen,
            "port": self.settings.telegram_webhook_port,
            "url_path": re.escape(urlsplit(url).path or "/"),  # PTB takes a pattern
            "webhook_url": url,
            "secret_token": self.webhook_secret,
            "allowed_updates": [Update.MESSAGE],
        }

    @staticmethod
    def _cap_webhook_bodies() -> None:
        """Tornado, under python-telegram-bot's webhook, reads bodies of up to 100 MB; an update
        is a few KB. Its public ``configure`` sets the limit for the servers it makes next."""
        import tornado.httpserver

        tornado.httpserver.HTTPServer.configure(None, max_body_size=WEBHOOK_MAX_BODY)

    async def start_webhook(self) -> None:
        """Start the app and the webhook server, and register the webhook with Telegram (in
        a running event loop; ``run()`` does the same and blocks)."""
        assert self.application.updater is not None
        await self.application.initialize()
        self._cap_webhook_bodies()
        try:
            await self.application.updater.start_webhook(**self._webhook())
        except BaseException:  # the port taken, say: leave nothing half started
            await self.application.shutdown()
            raise
        await self.application.start()

    async def stop_webhook(self) -> None:
        """Stop the webhook server, then the app (handlers still running finish first)."""
        assert self.application.updater is not None
        await self.application.updater.stop()
        await self.application.stop()
        await self.application.shutdown()

    def run(self) -> None:
        """Until Ctrl+C: a webhook server if REPORTBOT_TELEGRAM_WEBHOOK_URL is set, else polling."""
        try:
            if self.settings.telegram_webhook_url:
                self._cap_webhook_bodies()
                self.application.run_webhook(**self._webhook())
            else:
                self.application.run_polling(allowed_updates=[Update.MESSAGE])
        except InvalidToken:  # its message quotes the token: never let it reach a traceback
            raise ConfigError(
                "Telegram rejected the bot token: check REPORTBOT_TELEGRAM_TOKEN with @BotFather"
            ) from None

"""Slack front end: a slack-bolt app over the ChatService (Socket Mode or HTTP events)."""

from __future__ import annotations

import logging
import re
import threading
import weakref
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_bolt.adapter.asgi import SlackRequestHandler
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk import WebClient
from slack_sdk.http_retry import default_retry_handlers
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from bot.chat.service import ChatService, QuestionTooLong
from bot.config.settings import Settings
from bot.frontends.chat_common import (
    APOLOGY,
    EMPTY_QUESTION,
    NOT_ALLOWED,
    RATE_LIMITED,
    BoundedSet,
    RateLimiter,
    protect_secrets,
    split_message,
)
from bot.render import slack as mrkdwn
from bot.render.text import lead
from bot.types import Answer
from index import ConfigError

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
TEXT_LIMIT = 3000  # a section's or a context element's text
MAX_BLOCKS = 50  # per message
USAGE = "Ask a question: `/ask How many foreigners were deported?`"

Block = dict[str, Any]


def question_text(text: str, bot_user_id: str | None = None) -> str:
    """A message as the user typed it: the bot's mention dropped, links and escapes undone."""
    if bot_user_id:
        text = re.sub(rf"<@{re.escape(bot_user_id)}(?:\|[^>]*)?>", " ", text)
    return " ".join(mrkdwn.unescape(text).split())


def _context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def render_blocks(answer: Answer) -> tuple[str, list[Block]]:
    """(notification text, Block Kit blocks): the answer in sections, each footnote in a
    context block with its link."""
    head, rest = lead(answer)  # the short direct answer, in bold
    text = (f"*{mrkdwn.escape(head)}*" if head else "") + mrkdwn.escape(rest)
    pieces = split_message(text, TEXT_LIMIT) or ["…"]
    blocks = [_context(mrkdwn.italic(answer.notice))] if answer.notice else []
    blocks += [{"type": "section", "text": {"type": "mrkdwn", "text": p}} for p in pieces]
    blocks += [_context(mrkdwn.footnote(c)) for c in answer.citations]
    return pieces[0], blocks


class SlackBot:
    """Listeners for one workspace; ``app`` is the bolt App, ``run()`` serves until Ctrl+C."""

    def __init__(self, service: ChatService, settings: Settings) -> None:
        if settings.slack_bot_token is None:
            raise ConfigError("set REPORTBOT_SLACK_BOT_TOKEN (xoxb-…) from the Slack app's page")
        if settings.slack_mode == "socket" and settings.slack_app_token is None:
            raise ConfigError("Socket Mode needs REPORTBOT_SLACK_APP_TOKEN (xapp-…)")
        if settings.slack_mode == "http" and settings.slack_signing_secret is None:
            raise ConfigError("HTTP mode needs REPORTBOT_SLACK_SIGNING_SECRET")
        secrets = [
            s.get_secret_value() if s else None
            for s in (
                settings.slack_bot_token,
                settings.slack_app_token,
                settings.slack_signing_secret,
            )
        ]
        protect_secrets(*secrets, settings.openai_api_key)
        bot_token, self._app_token, signing_secret = secrets
        self.service, self.settings = service, settings
        self.allowed = set(settings.slack_allowed_channels)
        self.limiter = RateLimiter(settings.chat_rate_limit, settings.chat_rate_window)
        self._refused, self._warned, self._threads = BoundedSet(), BoundedSet(), BoundedSet()
        self._events = BoundedSet()  # event_ids handled: Slack re-sends one whose ack was late
        self._locks: weakref.WeakValueDictionary[str, threading.Lock] = (
            weakref.WeakValueDictionary()
        )
        self._locks_lock = threading.Lock()
        self.client = WebClient(
            token=bot_token,
            base_url=settings.slack_api_url,
            retry_handlers=[
                *default_retry_handlers(),
                RateLimitErrorRetryHandler(max_retry_count=3),
            ],
        )
        # The App checks the bot token with auth.test here; HTTP requests must be signed.
        self.app = App(
            name="reportbot",
            client=self.client,
            signing_secret=signing_secret or "",
            request_verification_enabled=signing_secret is not None,
        )
        self.app.event("app_mention")(self._on_mention)
        self.app.event("message")(self._on_message)
        self.app.command("/ask")(self._on_ask)
        self.app.error(self._on_error)

    def _allowed(self, channel: str) -> bool:
        if channel.startswith("D"):
            return self.settings.slack_allow_dms
        return not self.allowed or channel in self.allowed

    def _redelivered(self, body: dict[str, Any]) -> bool:
        """A retry (X-Slack-Retry-Num, or a Socket Mode retry_attempt) of an event seen before."""
        event_id = body.get("event_id")
        if event_id and not self._events.add(event_id):
            log.info("ignoring a re-delivery of Slack event %s", event_id)
            return True
        return False

    def _on_mention(
        self, event: dict[str, Any], body: dict[str, Any], client: WebClient, context: BoltContext
    ) -> None:
        if self._redelivered(body):
            return
        channel, root = event["channel"], event.get("thread_ts") or event["ts"]
        self._handle(client, event, root, f"slack:{channel}:{root}", context.bot_user_id)

    def _on_message(
        self, event: dict[str, Any], body: dict[str, Any], client: WebClient, context: BoltContext
    ) -> None:
        """Direct messages, and replies in the threads the bot answers in."""
        if event.get("subtype") or event.get("bot_id"):
            return  # edits, joins, other bots (and ourselves)
        if self._redelivered(body):
            return
        channel, thread = event["channel"], event.get("thread_ts")
        if event.get("channel_type") == "im":
            cid = f"slack:{channel}:{thread}" if thread else f"slack:{channel}"
            self._handle(client, event, thread, cid, context.bot_user_id)
        elif thread and (
            (channel, thread) in self._threads
            or self.service.knows(f"slack:{channel}:{thread}")  # a thread from before a restart
        ):
            if context.bot_user_id and f"<@{context.bot_user_id}" in event.get("text", ""):
                return  # the app_mention event answers this one
            self._handle(client, event, thread, f"slack:{channel}:{thread}", context.bot_user_id)

    def _handle(
        self,
        client: WebClient,
        event: dict[str, Any],
        thread_ts: str | None,
        conversation_id: str,
        bot_user_id: str | None,
    ) -> None:
        channel, user = event["channel"], event.get("user") or event["channel"]
        if not self._allowed(channel):
            if self._refused.add(channel):
                log.info("refusing channel %s: not in REPORTBOT_SLACK_ALLOWED_CHANNELS", channel)
                self._post(client, channel, thread_ts, NOT_ALLOWED)
            return
        question = question_text(event.get("text", ""), bot_user_id)
        if not question:
            self._post(client, channel, thread_ts, EMPTY_QUESTION)
            return
        if not self.limiter.allow(user):
            if self._warned.add(user):
                self._post(client, channel, thread_ts, RATE_LIMITED)
            return
        self._warned.discard(user)
        if thread_ts and not channel.startswith("D"):
            self._threads.add((channel, thread_ts))
        try:
            with self._lock(conversation_id):  # follow-ups in a thread see the turn before
                text, blocks = render_blocks(self.service.answer(question, conversation_id))
                self._post(client, channel, thread_ts, text, blocks)
        except QuestionTooLong as exc:  # the refusal every front end gives
            self._post(client, channel, thread_ts, str(exc))
        except Exception:
            log.exception("answering %r in %s failed", question, conversation_id)
            self._post(client, channel, thread_ts, APOLOGY)

    def _on_ask(self, ack: Ack, command: dict[str, Any], respond: Respond) -> None:
        """/ask QUESTION: acknowledged at once (Slack waits 3 s), answered via response_url."""
        channel, user = command["channel_id"], command["user_id"]
        question = question_text(command.get("text", ""))
        refusal = (
            USAGE
            if not question
            else NOT_ALLOWED
            if not self._allowed(channel)
            else RATE_LIMITED
            if not self.limiter.allow(user)
            else None
        )
        if refusal:
            ack(text=refusal)  # only the asker sees it
            return
        ack()
        cid = f"slack:{channel}:ask:{user}"
        try:
            with self._lock(cid):
                text, blocks = render_blocks(self.service.answer(question, cid))
            for i in range(0, len(blocks), MAX_BLOCKS):
                respond(
                    text=text,
                    blocks=blocks[i : i + MAX_BLOCKS],
                    response_type="in_channel",
                    replace_original=False,
                )
        except QuestionTooLong as exc:
            respond(text=str(exc), response_type="ephemeral", replace_original=False)
        except Exception:
            log.exception("answering /ask %r in %s failed", question, cid)
            respond(text=APOLOGY, response_type="ephemeral", replace_original=False)

    def _lock(self, conversation_id: str) -> threading.Lock:
        with self._locks_lock:
            return self._locks.setdefault(conversation_id, threading.Lock())

    def _post(
        self,
        client: WebClient,
        channel: str,
        thread_ts: str | None,
        text: str,
        blocks: list[Block] | None = None,
    ) -> None:
        try:
            for i in range(0, max(len(blocks or []), 1), MAX_BLOCKS):
                extra: dict[str, Any] = {"thread_ts": thread_ts} if thread_ts else {}
                if blocks:
                    extra["blocks"] = blocks[i : i + MAX_BLOCKS]
                client.chat_postMessage(
                    channel=channel, text=text, unfurl_links=False, unfurl_media=False, **extra
                )
        except Exception:
            log.exception("posting to Slack channel %s failed", channel)

    def _on_error(self, error: Exception, body: dict[str, Any]) -> None:
        log.error("handling a Slack request failed", exc_info=error)

    # -- running -----------------------------------------------------------------------------

    def socket_mode_handler(self) -> SocketModeHandler:
        return SocketModeHandler(self.app, self._app_token)

    def asgi_app(self) -> SlackRequestHandler:
        """For HTTP mode: Slack posts signed events and commands to /slack/events."""
        return SlackRequestHandler(self.app, path=EVENTS_PATH)

    def run(self) -> None:
        """Until Ctrl+C: Socket Mode (default), or an HTTP server for the Events API."""
        if self.settings.slack_mode == "socket":
            self.socket_mode_handler().start()
            return
        import uvicorn

        uvicorn.run(
            self.asgi_app(),
            host=self.settings.slack_http_host,
            port=self.settings.slack_http_port,
            log_level="warning",
        )

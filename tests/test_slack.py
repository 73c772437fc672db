"""The Slack bot: real slack-bolt and slack_sdk against a fake Slack, real index and answers."""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import SecretStr
from slack_sdk.signature import SignatureVerifier

from bot.app.wiring import App, build_app
from bot.chat.conversations import SqliteConversations
from bot.chat.service import ChatService
from bot.frontends.chat_common import APOLOGY, NOT_ALLOWED, RATE_LIMITED
from bot.frontends.slack import USAGE, SlackBot, question_text, render_blocks
from bot.types import Answer, Citation
from tests.fakes.chat_service import BrokenService, SlowService
from tests.fakes.slack_api import FakeSlack, handled, serve_events

BOT_TOKEN = "xoxb-1234-5678-secretbottoken"
APP_TOKEN = "xapp-1-A111-999-secretapptoken"
SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
MANIFEST = Path(__file__).resolve().parents[1] / "bot" / "frontends" / "slack-app-manifest.yml"
FOOTNOTE = (
    "<https://example.com/report?id=1&amp;lang=en|Scam &lt;Rings&gt; &amp; Deportations>, "
    "Asia &lt;Business&gt; Daily, 2025-10-16"
)
QUESTION = "How many foreigners were deported?"


@pytest.fixture
def app(make_app: Callable[..., App], report: Path) -> App:
    return make_app([report])


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack(BOT_TOKEN, APP_TOKEN) as fake:
        yield fake


def make_bot(
    app: App, slack: FakeSlack, service: ChatService | None = None, **overrides: Any
) -> SlackBot:
    """A bot as `reportbot slack` builds it: SQLite conversations under the data dir."""
    settings = app.settings.model_copy(
        update={
            "slack_bot_token": SecretStr(BOT_TOKEN),
            "slack_app_token": SecretStr(APP_TOKEN),
            "slack_signing_secret": SecretStr(SIGNING_SECRET),
            "slack_api_url": slack.base_url,
            **overrides,
        }
    )
    if service is None:
        service = build_app(settings, app.store, persistent_conversations=True).service
    return SlackBot(service, settings)


@contextmanager
def socket_mode(bot: SlackBot) -> Iterator[None]:
    handler = bot.socket_mode_handler()
    handler.connect()
    try:
        yield
    finally:
        # The SDK's close() takes ~3 s (its receiver holds a lock through a blocking read); the
        # fake sends to the newest connection only, so the next bot need not wait for it.
        threading.Thread(target=handler.close, daemon=True).start()


def mention(
    text: str, channel: str = "C1", ts: str = "1700000000.000100", **extra: Any
) -> dict[str, Any]:
    return {
        "type": "app_mention",
        "user": "U1",
        "text": f"<@UBOT> {text}",
        "ts": ts,
        "channel": channel,
        **extra,
    }


def thread_reply(text: str, ts: str, thread_ts: str, channel: str = "C1") -> dict[str, Any]:
    """A plain message in a channel thread (no mention)."""
    return {
        "type": "message",
        "channel_type": "channel",
        "channel": channel,
        "user": "U1",
        "text": text,
        "ts": ts,
        "thread_ts": thread_ts,
    }


def direct_message(text: str, ts: str, channel: str = "D1") -> dict[str, Any]:
    return {"type": "message", "channel_type": "im", "channel": channel, "user": "U1",
            "text": text, "ts": ts}  # fmt: skip


def signed_post(
    url: str,
    body: bytes,
    content_type: str,
    timestamp: int | None = None,
    secret: str = SIGNING_SECRET,
) -> tuple[int, bytes]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": signature or "",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def test_a_mention_is_answered_in_its_thread_with_block_kit_footnotes(
    app: App, slack: FakeSlack
) -> None:
    with socket_mode(make_bot(app, slack)):
        envelope = slack.event(mention(QUESTION))
        [post] = slack.wait_posts(1, "C1")
        slack.wait_for(lambda s: any(a.get("envelope_id") == envelope for a in s.acks))
    assert post.params["thread_ts"] == "1700000000.000100"
    [section] = post.block_texts("section")
    assert "2,825 foreigners, including 476 women, have already been deported. [1]" in section
    [footnote] = post.block_texts("context")
    assert footnote.startswith("[1] “Seventy-five individuals") and footnote.endswith(FOOTNOTE)
    assert post.text == section and post.params["unfurl_links"] is False
    assert post.headers["Authorization"] == f"Bearer {BOT_TOKEN}"


def test_thread_replies_continue_the_conversation_and_survive_a_restart(
    app: App, slack: FakeSlack
) -> None:
    root = "1700000000.000200"
    with socket_mode(make_bot(app, slack)):
        slack.event(mention(QUESTION, ts=root))
        slack.wait_posts(1, "C1")
        slack.event(thread_reply("And how many of them were women?", "1700000001.0", root))
        _, follow = slack.wait_posts(2, "C1")
        slack.event(
            thread_reply("Unrelated chatter in another thread", "1700000002.0", "1600000000.0")
        )
    assert follow.params["thread_ts"] == root
    assert "476 women" in follow.text and "Korean women" not in follow.text
    # After a restart, a plain reply in the thread picks the conversation up from SQLite.
    with socket_mode(make_bot(app, slack)):
        slack.event(thread_reply("And how many of them were women?", "1700000003.0", root))
        *_, after = slack.wait_posts(3, "C1")
    assert after.params["thread_ts"] == root and "476 women" in after.text
    assert "Korean women" not in after.text
    turns = SqliteConversations(app.settings.data_dir / "conversations.sqlite").load(
        f"slack:C1:{root}"
    )
    assert len(turns) == 3
    assert len(slack.posts()) == 3  # the unrelated thread got nothing


def test_direct_messages_are_questions(app: App, slack: FakeSlack) -> None:
    with socket_mode(make_bot(app, slack)):
        slack.event(direct_message(QUESTION, "1700000000.1"))
        [post] = slack.wait_posts(1, "D1")
    assert "thread_ts" not in post.params and "2,825" in post.text


def test_channel_allowlist_refuses_once(app: App, slack: FakeSlack) -> None:
    bot = make_bot(app, slack, slack_allowed_channels=["C1"], slack_allow_dms=False)
    wait = handled(bot)
    with socket_mode(bot):
        slack.event(mention(QUESTION, channel="C2", ts="1.1"))
        slack.wait_posts(1, "C2")
        slack.event(mention(QUESTION, channel="C2", ts="1.2"))
        slack.event(direct_message(QUESTION, "1.3"))
        slack.event(mention(QUESTION, channel="C1", ts="1.4"))
        wait(4)  # all four handled: nothing more can be posted
    assert [p.text for p in slack.posts("C2")] == [NOT_ALLOWED]
    assert [p.text for p in slack.posts("D1")] == [NOT_ALLOWED]
    assert "2,825" in slack.posts("C1")[0].text


def test_rate_limit_per_user(app: App, slack: FakeSlack) -> None:
    bot = make_bot(app, slack, chat_rate_limit=1)
    wait = handled(bot)
    with socket_mode(bot):
        for i in range(3):
            slack.event(mention(QUESTION, ts=f"2.{i}"))
        wait(3)
    texts = [p.text for p in slack.posts("C1")]
    assert len(texts) == 2 and texts.count(RATE_LIMITED) == 1


def test_a_429_from_chat_post_message_is_retried(app: App, slack: FakeSlack) -> None:
    slack.fail_next("chat.postMessage", 429, retry_after=0)
    with socket_mode(make_bot(app, slack)):
        slack.event(mention(QUESTION))
        [post] = slack.wait_posts(1, "C1")
    attempts = [c for c in slack.calls if c.method == "chat.postMessage"]
    assert [c.status for c in attempts] == [429, 200]
    assert attempts[0].params == attempts[1].params and "2,825" in post.text


def test_ask_command_over_socket_mode(app: App, slack: FakeSlack) -> None:
    with socket_mode(make_bot(app, slack)):
        empty = slack.push("slash_commands", slack.command_body("  "), accepts_response=True)
        slack.push("slash_commands", slack.command_body(QUESTION), accepts_response=True)
        slack.wait_for(lambda s: len(s.responses()) == 1)
        slack.wait_for(lambda s: any(a.get("envelope_id") == empty for a in s.acks))
    [usage] = [a for a in slack.acks if a.get("envelope_id") == empty]
    assert usage["payload"]["text"] == USAGE
    [response] = slack.responses()
    assert response.params["response_type"] == "in_channel" and "2,825" in response.text
    assert any(FOOTNOTE in t for t in response.block_texts("context"))


def test_http_mode_verifies_signatures_and_acks_ask_before_answering(
    app: App, slack: FakeSlack
) -> None:
    real = build_app(app.settings, app.store, persistent_conversations=True).service
    gate = threading.Event()  # answers wait for it: an ack that waited would never come
    bot = make_bot(app, slack, service=SlowService(real, gate=gate), slack_mode="http")
    wait = handled(bot)
    event = json.dumps(slack.event_body(mention(QUESTION))).encode()
    command = urllib.parse.urlencode(slack.command_body(QUESTION)).encode()
    form, js = "application/x-www-form-urlencoded", "application/json"
    with serve_events(bot) as url:
        assert signed_post(url, event, js, secret="not-the-secret")[0] == 401
        assert signed_post(url, event, js, timestamp=int(time.time()) - 600)[0] == 401  # stale
        challenge = json.dumps({"type": "url_verification", "challenge": "abc123"}).encode()
        assert signed_post(url, challenge, js) == (200, b'{"challenge": "abc123"}')
        status, body = signed_post(url, command, form)  # acked while the answer waits
        assert status == 200 and body == b"" and not slack.responses()
        gate.set()
        assert signed_post(url, event, js)[0] == 200
        slack.wait_for(lambda s: len(s.responses()) == 1)
        [post] = slack.wait_posts(1, "C1")
        wait(1)  # the event handled (the refused requests never got this far)
    assert "2,825" in slack.responses()[0].text
    assert post.params["thread_ts"] == "1700000000.000100" and "2,825" in post.text
    assert len(slack.posts()) == 1  # the refused requests were never handled


def test_a_failure_becomes_an_apology_and_a_logged_exception(
    app: App, slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    log_errors = caplog.at_level(logging.ERROR, logger="bot.frontends.slack")
    with log_errors, socket_mode(make_bot(app, slack, service=BrokenService())):
        slack.event(mention(QUESTION))
        [post] = slack.wait_posts(1, "C1")
    assert post.text == APOLOGY and post.params["thread_ts"] == "1700000000.000100"
    [record] = [r for r in caplog.records if r.name == "bot.frontends.slack"]
    assert record.exc_info and "the index is on fire" in caplog.text


def test_tokens_never_appear_in_logs(
    app: App, slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        bot = make_bot(app, slack)
        with socket_mode(bot):
            slack.event(mention(QUESTION))
            slack.wait_posts(1, "C1")
        logging.getLogger("test").debug("configured with %s", bot.settings.slack_bot_token)
    text = caplog.text
    assert "Sending a request" in text and "apps.connections.open" in text  # DEBUG was on
    for secret in (BOT_TOKEN, APP_TOKEN, SIGNING_SECRET):
        assert secret not in text
        assert not any(secret in r.getMessage() for r in caplog.records)


def test_mrkdwn_is_escaped_and_mentions_are_stripped() -> None:
    citation = Citation(
        1, "d1", "A <b> & c", "https://x.org/a|b?c=1&d=2", "Out", None, "q <1>", 0, 3
    )
    text, blocks = render_blocks(Answer("Tom & <Jerry> [1]", False, [citation], "llm", notice="n"))
    assert text == "Tom &amp; &lt;Jerry&gt; [1]"
    assert blocks[0] == {"type": "context", "elements": [{"type": "mrkdwn", "text": "_n_"}]}
    assert blocks[2]["elements"][0]["text"] == (
        "[1] “q &lt;1&gt;” — <https://x.org/a%7Cb?c=1&amp;d=2|A &lt;b&gt; &amp; c>, Out"
    )
    assert question_text("<@UBOT> how many &lt;b&gt; at <https://x.org|x.org>?", "UBOT") == (
        "how many <b> at x.org?"
    )


def test_the_manifest_matches_what_the_bot_handles() -> None:
    manifest = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    events = set(manifest["settings"]["event_subscriptions"]["bot_events"])
    assert {"app_mention", "message.im", "message.channels"} <= events
    assert [c["command"] for c in manifest["features"]["slash_commands"]] == ["/ask"]
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert {
        "app_mentions:read",
        "chat:write",
        "commands",
        "im:history",
        "channels:history",
    } <= scopes
    assert manifest["settings"]["socket_mode_enabled"] is True

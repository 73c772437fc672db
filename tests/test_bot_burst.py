"""A burst of 100 messages at each chat bot: every one answered, or over the per-user limit.

Real python-telegram-bot (polling, concurrent updates) and real slack-bolt (HTTP mode, signed
requests sent by a thread pool) against the fakes, the real extractive answerer over the sample
report. The rate limit warns once per user and then stays silent (replying to every message
of a flood would flood the chat back): a user's first ``LIMIT`` questions are answered, the
next one gets the polite notice, the rest get nothing. Commands are not rate-limited.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from pydantic import SecretStr
from slack_sdk.signature import SignatureVerifier

from bot.app.wiring import App, build_app
from bot.frontends.chat_common import RATE_LIMITED
from bot.frontends.slack import SlackBot
from bot.frontends.telegram import TelegramBot
from tests.fakes.slack_api import Call as SlackCall
from tests.fakes.slack_api import FakeSlack, listeners_done, serve_events
from tests.fakes.telegram_api import Call, FakeBotAPI, polling

LIMIT = 5  # questions per user per window, small so the burst crosses it
WINDOW = 3600.0  # nothing slides out of the window during the test
QUESTIONS = [
    "How many foreigners were deported?",
    "How many women were deported?",
    "When did the authorities announce the arrests?",
    "How many individuals were brought to trial?",
]


def expected(questions: int) -> tuple[int, int]:
    """(answers, rate-limit notices) for a user who asks ``questions`` in one window."""
    return min(questions, LIMIT), int(questions > LIMIT)


@pytest.fixture
def app(make_app: Callable[..., App], report: Path) -> App:
    return make_app([report])


def no_errors(caplog: pytest.LogCaptureFixture) -> None:
    # The bot's errors; the fake API's own server may log a client that hung up.
    errors = [
        r for r in caplog.records if r.levelno >= logging.ERROR and r.name != "aiohttp.server"
    ]
    assert not errors, [(r.name, r.getMessage()) for r in errors]


# -- Telegram ------------------------------------------------------------------------------

TOKEN = "123456:AAH-burst-token-0123456789abcdef"
TG_LINK = (
    '<a href="https://example.com/report?id=1&amp;lang=en">'
    "Scam &lt;Rings&gt; &amp; Deportations</a>"
)
GROUPS = (-1001, -1002, -1003)
# user: (questions in their private chat, mentions in the groups, /start or /help commands)
TG_PLAN = {
    1: (14, 6, 0),
    2: (10, 4, 1),
    3: (12, 0, 1),
    4: (8, 0, 1),
    5: (6, 0, 0),
    6: (5, 0, 1),
    7: (3, 0, 0),
    8: (0, 12, 0),
    9: (0, 9, 0),
    10: (0, 7, 0),
}


def telegram_burst(api: FakeBotAPI) -> dict[int, int]:
    """Queue the 100 updates (shuffled, one getUpdates batch); returns message id → user."""
    plan: list[tuple[int, str]] = []
    for user, (private, mentions, commands) in TG_PLAN.items():
        plan += [(user, "private")] * private + [(user, "group")] * mentions
        plan += [(user, "command")] * commands
    random.Random(100).shuffle(plan)
    assert len(plan) == 100
    senders: dict[int, int] = {}
    for i, (user, kind) in enumerate(plan):
        question = QUESTIONS[i % len(QUESTIONS)]
        if kind == "group":
            chat = GROUPS[i % len(GROUPS)]
            update = api.message(f"@reportbot_test_bot {question}", chat, "supergroup", user)
        else:
            text = ("/start", "/help")[i % 2] if kind == "command" else question
            update = api.message(text, chat_id=user, user_id=user)
        senders[update["message"]["message_id"]] = user
    return senders


def telegram_kind(call: Call) -> str:
    text = call.text
    if text == RATE_LIMITED:
        return "limited"
    if "/sources" in text and "/reset" in text:
        return "help"
    if "<b>Sources</b>\n[1] “" in text and TG_LINK in text:
        return "answer"
    return f"unexpected: {text[:200]!r}"


def test_telegram_burst_of_100_is_answered_or_rate_limited_once(
    app: App, caplog: pytest.LogCaptureFixture
) -> None:
    settings = app.settings.model_copy(
        update={
            "telegram_token": SecretStr(TOKEN),
            "chat_rate_limit": LIMIT,
            "chat_rate_window": WINDOW,
            "telegram_allowed_chats": [*TG_PLAN, *GROUPS],
        }
    )
    service = build_app(settings, app.store, persistent_conversations=True).service
    answers = sum(expected(p + m)[0] for p, m, _ in TG_PLAN.values())
    notices = sum(expected(p + m)[1] for p, m, _ in TG_PLAN.values())
    helps = sum(c for _, _, c in TG_PLAN.values())

    async def scenario() -> tuple[FakeBotAPI, dict[int, int]]:
        async with FakeBotAPI(TOKEN) as api:
            bot = TelegramBot(
                service, settings.model_copy(update={"telegram_api_url": api.base_url})
            )
            assert bot.application.update_processor.max_concurrent_updates > 1
            async with polling(bot):
                senders = telegram_burst(api)
                api.flood("sendMessage", 2)  # Telegram's flood control bites during a burst
                await api.wait_sent(answers + notices + helps, timeout=120)
                await api.wait_for(lambda a: a.pending == 0)
            return api, senders

    with caplog.at_level(logging.WARNING):
        api, senders = asyncio.run(scenario())

    replies = api.sent()
    kinds = Counter(telegram_kind(c) for c in replies)
    assert kinds == {"answer": answers, "limited": notices, "help": helps}, kinds
    # Attribute every reply to its user: in a private chat the chat is the user; in a group
    # the reply quotes the message it answers.
    per_user: dict[int, Counter[str]] = {user: Counter() for user in TG_PLAN}
    quoted: Counter[int] = Counter()
    for call in replies:
        assert call.chat_id is not None
        if call.chat_id in GROUPS:
            message_id = call.params["reply_parameters"]["message_id"]
            quoted[message_id] += 1
            per_user[senders[message_id]][telegram_kind(call)] += 1
        else:
            assert "reply_parameters" not in call.params  # no quoting in private chats
            per_user[call.chat_id][telegram_kind(call)] += 1
    assert max(quoted.values()) == 1  # no group message answered twice
    for user, (private, mentions, commands) in TG_PLAN.items():
        answered, limited = expected(private + mentions)
        want = Counter({"answer": answered, "limited": limited, "help": commands})
        assert per_user[user] == +want, (user, per_user[user])
    assert [c.status for c in api.calls if c.status != 200] == [429, 429]
    assert api.unauthorized == 0
    no_errors(caplog)


# -- Slack ---------------------------------------------------------------------------------

BOT_TOKEN = "xoxb-1234-5678-burstbottoken"
SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
SLACK_FOOTNOTE = (
    "<https://example.com/report?id=1&amp;lang=en|Scam &lt;Rings&gt; &amp; Deportations>, "
    "Asia &lt;Business&gt; Daily, 2025-10-16"
)
# user: (mentions in channels, direct messages in threads)
SLACK_PLAN = {
    "U1": (10, 6),
    "U2": (12, 0),
    "U3": (9, 0),
    "U4": (6, 0),
    "U5": (3, 8),
    "U6": (0, 5),
    "U7": (4, 0),
    "U8": (10, 0),
    "U9": (14, 0),
    "U10": (3, 10),
}
# Events Slack delivers again (X-Slack-Retry-Num), as when an ack was late: users under the
# limit, so that answering a retry would show (an answer too many, or a notice).
RETRIED = {"U7": 3, "U6": 2}


def signed_post(url: str, body: bytes, retry: int = 0) -> int:
    ts = str(int(time.time()))
    signature = SignatureVerifier(SIGNING_SECRET).generate_signature(timestamp=ts, body=body)
    headers = {
        "Content-Type": "application/json",
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": signature or "",
    }
    if retry:
        headers |= {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as err:
        return err.code


def slack_burst(slack: FakeSlack) -> tuple[list[tuple[bytes, int]], dict[tuple[str, str], str]]:
    """The deliveries (body, retry number), shuffled, and (channel, thread) → user."""
    plan: list[tuple[str, str]] = []
    for user, (mentions, dms) in SLACK_PLAN.items():
        plan += [(user, "mention")] * mentions + [(user, "dm")] * dms
    random.Random(100).shuffle(plan)
    assert len(plan) == 100
    deliveries: list[tuple[bytes, int]] = []
    threads: dict[tuple[str, str], str] = {}
    retries = Counter(RETRIED)
    for i, (user, kind) in enumerate(plan):
        question, ts = QUESTIONS[i % len(QUESTIONS)], f"1700000{i:03d}.000100"
        if kind == "mention":
            channel = ("C1", "C2")[i % 2]
            event = {"type": "app_mention", "user": user, "text": f"<@UBOT> {question}",
                     "ts": ts, "channel": channel}  # fmt: skip
            if i % 3 == 0:  # a mention inside a thread someone started earlier
                event["thread_ts"] = f"1600000{i:03d}.000100"
        else:
            channel = f"D{user}"
            event = {"type": "message", "channel_type": "im", "channel": channel, "user": user,
                     "text": question, "ts": ts, "thread_ts": f"1600000{i:03d}.000100"}  # fmt: skip
        threads[(channel, event.get("thread_ts") or ts)] = user
        body = json.dumps(slack.event_body(event)).encode()
        deliveries.append((body, 0))
        if retries[user]:  # the same event_id again
            retries[user] -= 1
            deliveries.append((body, 1))
        if kind == "mention" and "thread_ts" in event and i % 2 == 0:
            # A mention in a thread also arrives as a plain thread message: not a second turn.
            companion = {**event, "type": "message", "channel_type": "channel"}
            deliveries.append((json.dumps(slack.event_body(companion)).encode(), 0))
    random.Random(5).shuffle(deliveries)
    return deliveries, threads


def slack_kind(call: SlackCall) -> str:
    if call.text == RATE_LIMITED and not call.blocks:
        return "limited"
    footnotes = call.block_texts("context")
    if footnotes and footnotes[0].startswith("[1] “") and footnotes[0].endswith(SLACK_FOOTNOTE):
        return "answer"
    return f"unexpected: {call.text[:200]!r}"


def test_slack_burst_of_100_is_answered_or_rate_limited_once_and_retries_are_ignored(
    app: App, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    handled = listeners_done(monkeypatch)
    answers = sum(expected(m + d)[0] for m, d in SLACK_PLAN.values())
    notices = sum(expected(m + d)[1] for m, d in SLACK_PLAN.values())
    with caplog.at_level(logging.WARNING), FakeSlack(BOT_TOKEN, "xapp-unused") as slack:
        settings = app.settings.model_copy(
            update={
                "slack_bot_token": SecretStr(BOT_TOKEN),
                "slack_signing_secret": SecretStr(SIGNING_SECRET),
                "slack_api_url": slack.base_url,
                "slack_mode": "http",
                "chat_rate_limit": LIMIT,
                "chat_rate_window": WINDOW,
            }
        )
        service = build_app(settings, app.store, persistent_conversations=True).service
        bot = SlackBot(service, settings)
        deliveries, threads = slack_burst(slack)
        assert sum(retry for _, retry in deliveries) == sum(RETRIED.values())
        with serve_events(bot) as url, ThreadPoolExecutor(16) as pool:
            statuses = list(pool.map(lambda d: signed_post(url, *d), deliveries))
            assert statuses == [200] * len(deliveries)
            handled(len(deliveries))  # every delivery, retries included: no late answer
        posts = slack.posts()

    kinds = Counter(slack_kind(p) for p in posts)
    assert kinds == {"answer": answers, "limited": notices}, kinds
    per_user: dict[str, Counter[str]] = {user: Counter() for user in SLACK_PLAN}
    replied: Counter[tuple[str, str]] = Counter()
    for post in posts:
        key = (post.params["channel"], post.params["thread_ts"])
        replied[key] += 1
        per_user[threads[key]][slack_kind(post)] += 1
    assert max(replied.values()) == 1  # no event answered twice, retries included
    for user, (mentions, dms) in SLACK_PLAN.items():
        answered, limited = expected(mentions + dms)
        assert per_user[user] == +Counter({"answer": answered, "limited": limited}), user
    no_errors(caplog)

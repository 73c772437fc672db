"""The Telegram bot: real python-telegram-bot against a fake Bot API, real index and answers."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import signal
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import pytest
from pydantic import SecretStr

from bot.app.wiring import App, build_app
from bot.chat.conversations import SqliteConversations
from bot.chat.service import ChatService
from bot.frontends.chat_common import (
    APOLOGY,
    EMPTY_QUESTION,
    NOT_ALLOWED,
    RATE_LIMITED,
    RESET_DONE,
    RateLimiter,
    split_message,
    utf16_len,
)
from bot.frontends.telegram import MESSAGE_LIMIT, TelegramBot
from bot.render.telegram import render_html
from bot.types import Answer, Citation
from tests.fakes.chat_service import BrokenService, FixedService
from tests.fakes.telegram_api import SECRET_HEADER, FakeBotAPI, free_port, polling

TOKEN = "123456:AAH-test-token-0123456789abcdef"
WEBHOOK_SECRET = "webhook-secret_0123456789"
LINK = (
    '<a href="https://example.com/report?id=1&amp;lang=en">'
    "Scam &lt;Rings&gt; &amp; Deportations</a>"
)
T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


@pytest.fixture
def app(make_app: Callable[..., App], report: Path) -> App:
    return make_app([report])


def make_bot(
    app: App, api: FakeBotAPI, service: ChatService | None = None, **overrides: Any
) -> TelegramBot:
    """A bot as `reportbot telegram` builds it: SQLite conversations under the data dir."""
    settings = app.settings.model_copy(
        update={"telegram_token": SecretStr(TOKEN), "telegram_api_url": api.base_url, **overrides}
    )
    if service is None:
        service = build_app(settings, app.store, persistent_conversations=True).service
    return TelegramBot(service, settings)


def balanced(piece: str) -> bool:
    return all(piece.count(f"<{t}") == piece.count(f"</{t}>") for t in ("a", "b", "i"))


def test_a_private_question_gets_html_with_escaped_linked_footnotes(app: App) -> None:
    async def scenario() -> FakeBotAPI:
        async with FakeBotAPI(TOKEN) as api, polling(make_bot(app, api)):
            api.message("How many foreigners were deported?", chat_id=5)
            await api.wait_sent(1, 5)
        return api

    api = run(scenario())
    [reply] = api.sent(5)
    assert reply.params["parse_mode"] == "HTML"
    assert "2,825 foreigners, including 476 women, have already been deported. [1]" in reply.text
    assert "\n\n<b>Sources</b>\n[1] “Seventy-five individuals" in reply.text
    assert f"— {LINK}, Asia &lt;Business&gt; Daily, 2025-10-16" in reply.text
    assert reply.params["link_preview_options"] == {"is_disabled": True}
    assert "reply_parameters" not in reply.params  # private chats: no quoting
    typing = api.sent(5, "sendChatAction")
    assert typing and typing[0].params["action"] == "typing"
    assert api.unauthorized == 0


def test_follow_up_across_messages_and_a_restart(app: App) -> None:
    async def scenario() -> FakeBotAPI:
        async with FakeBotAPI(TOKEN) as api:
            async with polling(make_bot(app, api)):
                api.message("How many foreigners were deported?", chat_id=5)
                await api.wait_sent(1, 5)
            # A new bot over the same data dir, as after a restart, remembers the chat.
            async with polling(make_bot(app, api)):
                api.message("And how many of them were women?", chat_id=5)
                await api.wait_sent(2, 5)
        return api

    api = run(scenario())
    first, follow = api.sent(5)
    assert "2,825" in first.text
    assert "476 women" in follow.text and "[1]" in follow.text
    assert "Korean women" not in follow.text  # without the first turn, that sentence comes too
    turns = SqliteConversations(app.settings.data_dir / "conversations.sqlite").load("tg:5")
    assert [t.question for t in turns] == [
        "How many foreigners were deported?",
        "And how many of them were women?",
    ]


def test_in_groups_it_answers_mentions_and_replies_only(app: App) -> None:
    group = -1001

    async def scenario() -> FakeBotAPI:
        async with FakeBotAPI(TOKEN) as api, polling(make_bot(app, api)):
            api.message("How many foreigners were deported?", group, "supergroup")
            mention = api.message(
                "@reportbot_test_bot How many foreigners were deported?", group, "supergroup"
            )
            await api.wait_sent(1, group)
            bot_message = {
                "message_id": 1,
                "date": 0,
                "chat": {"id": group, "type": "supergroup"},
                "from": api.me,
                "text": "2,825 [1]",
            }
            api.message(
                "And how many of them were women?", group, "supergroup", reply_to=bot_message
            )
            api.message("@reportbot_test_bot", group, "supergroup")
            await api.wait_sent(3, group)
            await asyncio.sleep(0.3)
            api.mention_id = mention["message"]["message_id"]  # type: ignore[attr-defined]
        return api

    api = run(scenario())
    sent = api.sent(group)
    assert len(sent) == 3, [c.text for c in sent]
    texts = sorted(c.text for c in sent)
    assert EMPTY_QUESTION in texts
    assert any("2,825" in t and "476" in t for t in texts)
    # The deportation answer opens with its short answer (in bold); the follow-up with "476".
    answer = next(c for c in sent if c.text.replace("<b>", "").startswith("2,825 foreigners"))
    assert answer.params["reply_parameters"]["message_id"] == api.mention_id  # type: ignore[attr-defined]


def test_commands_start_help_sources_reset(app: App) -> None:
    async def scenario() -> FakeBotAPI:
        async with FakeBotAPI(TOKEN) as api, polling(make_bot(app, api)):
            texts = ["/start", "/sources", "How many foreigners were deported?", "/reset", "/help"]
            for n, text in enumerate(texts, start=1):
                api.message(text, chat_id=7)
                await api.wait_sent(n, 7)
        return api

    api = run(scenario())
    start, sources, _, reset, help_ = (c.text for c in api.sent(7))
    assert "/sources" in start and "/reset" in start and "@reportbot_test_bot" in start
    assert help_ == start
    assert f"1. {LINK} — Asia &lt;Business&gt; Daily, 2025-10-16" in sources
    assert "I know 1 report" in sources
    assert reset == RESET_DONE
    assert SqliteConversations(app.settings.data_dir / "conversations.sqlite").load("tg:7") == []


def test_chats_off_the_allowlist_get_one_polite_refusal(app: App) -> None:
    async def scenario() -> FakeBotAPI:
        async with (
            FakeBotAPI(TOKEN) as api,
            polling(make_bot(app, api, telegram_allowed_chats=[5])),
        ):
            api.message("How many foreigners were deported?", chat_id=9)
            await api.wait_sent(1, 9)
            api.message("Hello?", chat_id=9)
            api.message("/sources", chat_id=9)
            api.message("How many foreigners were deported?", chat_id=5)
            await api.wait_sent(1, 5)
            await asyncio.sleep(0.3)
        return api

    api = run(scenario())
    assert [c.text for c in api.sent(9)] == [NOT_ALLOWED]
    assert "2,825" in api.sent(5)[0].text
    assert not api.sent(9, "sendChatAction")


def test_rate_limit_per_user_with_one_polite_message(app: App) -> None:
    async def scenario() -> FakeBotAPI:
        async with (
            FakeBotAPI(TOKEN) as api,
            polling(make_bot(app, api, chat_rate_limit=2, chat_rate_window=60.0)),
        ):
            for _ in range(4):
                api.message("How many foreigners were deported?", chat_id=5)
            await api.wait_sent(3, 5)
            await asyncio.sleep(0.5)
        return api

    api = run(scenario())
    texts = [c.text for c in api.sent(5)]
    assert len(texts) == 3 and texts.count(RATE_LIMITED) == 1
    assert sum("2,825" in t for t in texts) == 2


def test_rate_limiter_window_slides() -> None:
    now = [0.0]
    limiter = RateLimiter(2, 60.0, clock=lambda: now[0])
    assert limiter.allow("u") and limiter.allow("u") and not limiter.allow("u")
    assert limiter.allow("other")
    now[0] = 61.0
    assert limiter.allow("u")
    assert RateLimiter(0).allow("u")


def test_a_long_answer_is_split_into_messages_with_whole_tags(
    make_app: Callable[..., App], report: Path
) -> None:
    waves = ", ".join(
        f"in wave number {i} from the province of Kampot and Kandal" for i in range(80)
    )
    sentence = f"The committee said that 2,825 foreigners were deported {waves}."
    cited = Citation(n=1, doc_id="long", title="Waves & <Figures>", source="Wire",
                     url="https://example.com/waves?a=1&b=2", published="2025-10-17",
                     quote=sentence, start=0, end=len(sentence))  # fmt: skip
    long_answer = Answer(f"{sentence} [1]", False, [cited], "extractive")
    app = make_app([report])

    async def scenario() -> FakeBotAPI:
        async with FakeBotAPI(TOKEN) as api, polling(make_bot(app, api, FixedService(long_answer))):
            api.message("How many foreigners were deported in wave number 7 from Kampot?", 5)
            await api.wait_sent(2, 5)
            await asyncio.sleep(0.3)
        return api

    sent = run(scenario()).sent(5)
    assert len(sent) == 2
    assert all(c.params["parse_mode"] == "HTML" for c in sent)
    assert all(utf16_len(c.text) <= MESSAGE_LIMIT and balanced(c.text) for c in sent)
    assert " ".join(c.text for c in sent).startswith(f"{sentence} [1]")  # cut between words
    assert "<b>Sources</b>" in sent[1].text
    assert (
        '<a href="https://example.com/waves?a=1&amp;b=2">Waves &amp; &lt;Figures&gt;</a>'
        in sent[1].text
    )


def test_split_message_prefers_paragraphs_and_never_cuts_markup() -> None:
    text = "First paragraph here.\n\nSecond one is a bit longer.\nA line.\n\nThird."
    assert split_message(text, 40) == [
        "First paragraph here.",
        "Second one is a bit longer.\nA line.",
        "Third.",
    ]
    link = '<a href="https://x.org/?a=1&amp;b=2">a title with words</a>'
    html = " ".join(["word &amp; word"] * 5 + [link] + ["tail"] * 5)
    for limit in range(len(link) + 2, len(html), 7):
        pieces = split_message(html, limit, html=True)
        assert all(len(p) <= limit and balanced(p) for p in pieces)
        assert all(not re.search(r"&[a-z]*$", p) and not re.match(r"^[a-z]*;", p) for p in pieces)
        assert " ".join(pieces).split() == html.split()
    # Telegram counts UTF-16 units: an emoji is two.
    pieces = split_message("😀 " * 30, 10, measure=utf16_len)
    assert all(utf16_len(p) <= 10 for p in pieces) and "".join(pieces).count("😀") == 30
    # A single word longer than the limit is cut anyway.
    assert split_message("x" * 25, 10) == ["x" * 10, "x" * 10, "x" * 5]


def test_render_html_escapes_the_answer_and_notice() -> None:
    citation = Citation(1, "d1", None, "javascript:alert(1)", None, None, "a <b> quote", 0, 11)
    answer = Answer("Tom & <Jerry> [1]", False, [citation], "llm", notice="LLM <down>")
    html = render_html(answer)
    assert html.startswith("<i>LLM &lt;down&gt;</i>\n\nTom &amp; &lt;Jerry&gt; [1]")
    assert "<a " not in html  # only http(s) links become links
    assert "“a &lt;b&gt; quote” — d1 — javascript:alert(1)" in html


def test_a_failure_becomes_an_apology_and_a_logged_exception(
    app: App, caplog: pytest.LogCaptureFixture
) -> None:
    async def scenario() -> FakeBotAPI:
        async with FakeBotAPI(TOKEN) as api, polling(make_bot(app, api, service=BrokenService())):
            api.message("How many foreigners were deported?", chat_id=5)
            await api.wait_sent(1, 5)
            api.message("/sources", chat_id=5)  # a command's failure: the error handler
            await api.wait_sent(2, 5)
        return api

    with caplog.at_level(logging.ERROR, logger="bot.frontends.telegram"):
        api = run(scenario())
    assert [c.text for c in api.sent(5)] == [APOLOGY, APOLOGY]
    answering, command = [r for r in caplog.records if r.name == "bot.frontends.telegram"]
    assert answering.exc_info and "tg:5" in answering.getMessage()
    assert command.exc_info and "the catalog is on fire" in caplog.text
    assert "the index is on fire" in caplog.text


def test_webhook_checks_the_secret_token(app: App, caplog: pytest.LogCaptureFixture) -> None:
    """python-telegram-bot's own webhook server, with the secret token registered and checked."""
    port = free_port()
    statuses: list[int] = []

    async def scenario() -> FakeBotAPI:
        async with FakeBotAPI(TOKEN) as api:
            bot = make_bot(
                app,
                api,
                telegram_webhook_url="https://bot.example.com/tg/hook",
                telegram_webhook_secret=SecretStr(WEBHOOK_SECRET),
                telegram_webhook_port=port,
            )
            await bot.start_webhook()
            url = f"http://127.0.0.1:{port}/tg/hook"
            try:
                async with aiohttp.ClientSession() as http:
                    update = api.message("How many foreigners were deported?", chat_id=5)
                    wrong: list[dict[str, str]] = [
                        {SECRET_HEADER: "wrong"},
                        {SECRET_HEADER: WEBHOOK_SECRET[:-1]},
                        {},
                    ]
                    for headers in wrong:
                        async with http.post(url, json=update, headers=headers) as r:
                            statuses.append(r.status)
                    async with http.post(
                        url,
                        data="{not json",
                        headers={SECRET_HEADER: WEBHOOK_SECRET, "Content-Type": "application/json"},
                    ) as r:
                        statuses.append(r.status)
                    async with http.post(
                        url,
                        data=json.dumps(update) + " " * 2_000_000,  # an update padded past the cap
                        headers={SECRET_HEADER: WEBHOOK_SECRET, "Content-Type": "application/json"},
                    ) as r:
                        statuses.append(r.status)
                    async with http.post(
                        url, json=update, headers={SECRET_HEADER: WEBHOOK_SECRET}
                    ) as r:
                        statuses.append(r.status)
                    await api.wait_sent(1, 5)
            finally:
                await bot.stop_webhook()
        return api

    with caplog.at_level(logging.WARNING, logger="bot.frontends.telegram"):
        api = run(scenario())
    assert statuses[:3] == [403, 403, 403]
    assert statuses[3] >= 400 and statuses[5] == 200  # not an update: refused, nothing queued
    assert statuses[4] in (400, 413)  # over the body cap: refused before it is read whole
    refusals = [r for r in caplog.records if "wrong secret token" in r.getMessage()]
    assert len(refusals) == 2  # a header with the wrong token; PTB refuses a missing one itself
    assert WEBHOOK_SECRET[:-1] not in caplog.text
    [hook] = [c for c in api.calls if c.method == "setWebhook"]
    assert hook.params["url"] == "https://bot.example.com/tg/hook"
    assert hook.params["secret_token"] == WEBHOOK_SECRET
    assert hook.params["allowed_updates"] == ["message"]
    assert not [c for c in api.calls if c.method == "getUpdates"]
    [reply] = api.sent(5)
    assert "2,825" in reply.text


def test_flood_control_retries_after_the_time_telegram_asks(app: App) -> None:
    async def scenario() -> FakeBotAPI:
        async with FakeBotAPI(TOKEN) as api, polling(make_bot(app, api)):
            api.flood("sendMessage", 2)  # "Too Many Requests: retry after 1", twice
            api.message("How many foreigners were deported?", chat_id=5)
            await api.wait_sent(1, 5)
        return api

    api = run(scenario())
    sends = [c for c in api.calls if c.method == "sendMessage"]
    assert [c.status for c in sends] == [429, 429, 200]
    assert sends[0].text == sends[2].text and "2,825" in sends[2].text


def test_tokens_never_appear_in_logs(app: App, caplog: pytest.LogCaptureFixture) -> None:
    httpx_logger = logging.getLogger("httpx")
    level = httpx_logger.level

    async def scenario() -> FakeBotAPI:
        async with FakeBotAPI(TOKEN) as api:
            bot = make_bot(
                app,
                api,
                telegram_webhook_url="https://bot.example.com/hook",
                telegram_webhook_secret=SecretStr(WEBHOOK_SECRET),
                telegram_webhook_port=port,
            )
            httpx_logger.setLevel(logging.DEBUG)  # even with httpx's request lines switched on
            await bot.start_webhook()
            try:
                update = api.message("How many foreigners were deported?", chat_id=5)
                async with aiohttp.ClientSession() as http:
                    headers = {SECRET_HEADER: WEBHOOK_SECRET}
                    await http.post(f"http://127.0.0.1:{port}/hook", json=update, headers=headers)
                await api.wait_sent(1, 5)
            finally:
                await bot.stop_webhook()
        return api

    port = free_port()
    try:
        with caplog.at_level(logging.DEBUG):
            run(scenario())
    finally:
        httpx_logger.setLevel(level)
    text = caplog.text
    assert "HTTP Request: POST" in text and "sendMessage" in text  # the noisy lines were there
    assert "[redacted]" in text
    assert TOKEN not in text and WEBHOOK_SECRET not in text
    assert not any(
        TOKEN in r.getMessage() or WEBHOOK_SECRET in r.getMessage() for r in caplog.records
    )


def test_the_reportbot_telegram_command_polls_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    """The console entry point, as a user runs it (-v logging on, an empty index)."""
    env = {
        **os.environ,
        "REPORTBOT_DATA_DIR": str(tmp_path / "cli-data"),
        "REPORTBOT_TELEGRAM_TOKEN": TOKEN,
    }

    async def scenario() -> tuple[FakeBotAPI, int, str]:
        async with FakeBotAPI(TOKEN) as api:
            env["REPORTBOT_TELEGRAM_API_URL"] = api.base_url
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot.frontends.cli",
                "-v",
                "telegram",
                env=env,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            try:
                api.message("/sources", chat_id=5)
                await api.wait_sent(1, 5, timeout=60)
                api.message("How many foreigners were deported?", chat_id=5)
                await api.wait_sent(2, 5)
            finally:
                proc.send_signal(signal.SIGINT)
                _, err = await asyncio.wait_for(proc.communicate(), 30)
        return api, proc.returncode or 0, err.decode()

    api, code, stderr = run(scenario())
    sources, answer = (c.text for c in api.sent(5))
    assert sources == "I don't know any reports yet." and answer
    assert code == 0, stderr
    assert "reportbot on Telegram (polling" in stderr and "Application started" in stderr
    assert TOKEN not in stderr


def test_the_reportbot_telegram_command_serves_a_webhook_and_stops_on_ctrl_c(
    tmp_path: Path,
) -> None:
    """Webhook mode as a user runs it: python-telegram-bot's run_webhook, the secret checked."""
    port = free_port()
    env = {
        **os.environ,
        "REPORTBOT_DATA_DIR": str(tmp_path / "cli-data"),
        "REPORTBOT_TELEGRAM_TOKEN": TOKEN,
        "REPORTBOT_TELEGRAM_WEBHOOK_URL": "https://bot.example.com/tg/hook",
        "REPORTBOT_TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "REPORTBOT_TELEGRAM_WEBHOOK_PORT": str(port),
    }

    async def scenario() -> tuple[FakeBotAPI, list[int], int, str]:
        statuses = []
        async with FakeBotAPI(TOKEN) as api:
            env["REPORTBOT_TELEGRAM_API_URL"] = api.base_url
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot.frontends.cli", "-v", "telegram", env=env,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            )  # fmt: skip
            try:
                await api.wait_for(lambda a: any(c.method == "setWebhook" for c in a.calls), 60)
                url = f"http://127.0.0.1:{port}/tg/hook"
                async with aiohttp.ClientSession() as http:
                    for secret in ("wrong", WEBHOOK_SECRET):
                        update = api.message("/sources", chat_id=5)
                        headers = {SECRET_HEADER: secret}
                        async with http.post(url, json=update, headers=headers) as r:
                            statuses.append(r.status)
                await api.wait_sent(1, 5)
            finally:
                proc.send_signal(signal.SIGINT)
                _, err = await asyncio.wait_for(proc.communicate(), 30)
        return api, statuses, proc.returncode or 0, err.decode()

    api, statuses, code, stderr = run(scenario())
    assert statuses == [403, 200]
    assert [c.text for c in api.sent(5)] == ["I don't know any reports yet."]
    [hook] = [c for c in api.calls if c.method == "setWebhook"]
    assert hook.params["url"] == "https://bot.example.com/tg/hook"
    assert hook.params["secret_token"] == WEBHOOK_SECRET
    assert code == 0, stderr
    assert "refused a webhook request: wrong secret token" in stderr
    assert TOKEN not in stderr and WEBHOOK_SECRET not in stderr

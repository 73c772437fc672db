"""Burst benchmark: N Telegram messages at once to the bot, as `reportbot telegram` runs it.

  .venv/bin/python tests/benchmarks/bench_bots.py --messages 100 --users 10

Real python-telegram-bot (long polling, concurrent updates) against the fake Bot API on
127.0.0.1 (tests/fakes/telegram_api.py), the extractive answerer over the sample report in a
fresh data dir. Users take turns (every 5th message is a mention in a group); each user's
first --rate-limit questions are answered, the next gets the rate-limit notice, the rest are
left unanswered by design. Prints one JSON object: answered, rate_limited, errors (apologies
and ERROR log records), unanswered, seconds from the burst to the last reply, replies/s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from pydantic import SecretStr

from bot.app.wiring import SAMPLE_REPORT, build_app, quiet_offline_env
from bot.config.settings import Settings
from bot.frontends.chat_common import APOLOGY, RATE_LIMITED
from bot.frontends.telegram import TelegramBot
from index.storage.embeddings import LocalOnnxEmbedding
from index.storage.store import Store
from tests.fakes.telegram_api import FakeBotAPI

TOKEN = "123456:AAH-bench-token-0123456789abcdef"
QUESTIONS = [
    "How many foreigners were deported?",
    "How many women were deported?",
    "When did the authorities announce the arrests?",
    "How many individuals were brought to trial?",
]
GROUP = -1001


class ErrorCount(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


async def burst(bot: TelegramBot, api: FakeBotAPI, messages: int, users: int) -> float:
    """Queue the burst while the bot polls; return when every reply is sent (the start time)."""
    application = bot.application
    assert application.updater is not None
    async with application:
        await application.start()
        await application.updater.start_polling(poll_interval=0, timeout=1)
        started = time.monotonic()
        for i in range(messages):
            user, question = 1 + i % users, QUESTIONS[i % len(QUESTIONS)]
            if i % 5 == 4:
                api.message(f"@{api.me['username']} {question}", GROUP, "supergroup", user)
            else:
                api.message(question, chat_id=user, user_id=user)
        await api.wait_for(lambda a: a.pending == 0, timeout=600)
        await application.updater.stop()
        await application.stop()  # waits for every update still being answered
    return started


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--messages", type=int, default=100, help="updates in the burst")
    p.add_argument("--users", type=int, default=10, help="distinct users sending them")
    p.add_argument("--rate-limit", type=int, default=10, help="questions per user per minute")
    args = p.parse_args()
    quiet_offline_env()
    errors = ErrorCount()
    logging.getLogger().addHandler(errors)
    with tempfile.TemporaryDirectory(prefix="bench-bots-") as tmp:
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            data_dir=Path(tmp),
            telegram_token=SecretStr(TOKEN),
            chat_rate_limit=args.rate_limit,
            chat_rate_window=60.0,
        )
        store = Store(settings, LocalOnnxEmbedding())
        try:
            app = build_app(settings, store, persistent_conversations=True)  # as the CLI does
            report = app.ingestor.ingest([str(SAMPLE_REPORT)], progress=False)
            assert not report.failed, report.failed
            service = app.service
            service.answer("warm up the models")

            async def run() -> tuple[FakeBotAPI, float]:
                async with FakeBotAPI(TOKEN) as api:
                    update: dict[str, Any] = {"telegram_api_url": api.base_url}
                    bot = TelegramBot(service, settings.model_copy(update=update))
                    return api, await burst(bot, api, args.messages, args.users)

            api, started = asyncio.run(run())
        finally:
            store.close()
    replies = api.sent()
    answered = sum("<b>Sources</b>" in c.text for c in replies)
    limited = sum(c.text == RATE_LIMITED for c in replies)
    apologies = sum(c.text == APOLOGY for c in replies)
    seconds = max((c.at for c in replies), default=started) - started
    result = {
        "messages": args.messages,
        "users": args.users,
        "rate_limit_per_minute": args.rate_limit,
        "answered": answered,
        "rate_limited": limited,
        "errors": apologies + errors.count,
        "unanswered": args.messages - len(replies),
        "seconds_to_last_reply": round(seconds, 3),
        "replies_per_s": round(len(replies) / seconds, 1) if seconds else None,
    }
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()

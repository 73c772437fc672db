"""The one settings object of the app: index settings plus answering and serving."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import NoDecode

from bot.config.paths import default_data_dir
from index import IndexSettings


class Settings(IndexSettings):
    """Loaded once at the entry point (env vars REPORTBOT_*, optional .env) and passed down."""

    data_dir: Path = Field(
        default_factory=default_data_dir,
        description="Where the index lives: the user's data directory (~/.local/share/reportbot"
        " on Linux) unless REPORTBOT_DATA_DIR or --data-dir says otherwise, so every command "
        "finds the same index from any folder.",
    )
    answerer: Literal["auto", "extractive", "llm"] = Field(
        default="auto", description="auto: the LLM when OPENAI_API_KEY or a base URL is set."
    )
    openai_model: str = "gpt-4o-mini"
    llm_timeout: float = 30.0
    llm_retries: int = 2
    llm_deadline: float = Field(
        default=120.0,
        description="Seconds an LLM answer may take in all (a slow trickle included); "
        "then the extractive answer.",
    )
    llm_temperature: float = 0.0
    retrieve_k: int = 8
    reader: Literal["spacy", "regex"] = Field(
        default="spacy",
        description="Names in the extractive answer: spaCy's entity recogniser (en_core_web_sm, "
        "offline), or capitalised words alone (faster, weaker).",
    )
    max_answer_sentences: int = Field(
        default=3, description="Supporting sentences quoted after the short answer (extractive)."
    )
    host: str = "127.0.0.1"
    port: int = 7860
    api_token: str | None = None
    max_upload_bytes: int = 20_000_000
    # Limits of `serve` against slow, greedy or guessing clients (bot/frontends/connections.py).
    max_connections: int = Field(
        default=1000, description="Open connections at most; beyond: 503 with Retry-After."
    )
    header_timeout: float = Field(
        default=10.0, description="Seconds a client may take to send a request's headers."
    )
    body_timeout: float = Field(
        default=30.0, description="Seconds a request body may stall between two pieces."
    )
    keep_alive_timeout: float = Field(default=5.0, description="Idle seconds, then closed.")
    max_header_bytes: int = 64 * 1024
    max_question_chars: int = Field(
        default=4000,
        description="The longest question (web, /api, /v1, Telegram, Slack); longer: refused.",
    )
    max_messages: int = Field(default=100, description="Messages in one /v1 request at most.")
    max_turns: int = Field(default=10, description="Turns of a conversation remembered.")
    max_conversations: int = Field(
        default=1000, description="Web and API conversations kept in memory (least recent go)."
    )
    max_json_bytes: int = Field(
        default=1_000_000, description="Bytes of a JSON request body (/api/ask, /v1) at most."
    )
    auth_failures: int = Field(
        default=10, description="Wrong tokens per client per auth_window; then 429."
    )
    auth_window: float = 60.0
    # Chat bots (`reportbot telegram`, `reportbot slack`). Tokens are secrets: never logged.
    telegram_token: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org/bot"  # the token is appended
    telegram_webhook_url: str | None = Field(
        default=None, description="Public HTTPS URL: set it for webhook mode (else long polling)."
    )
    telegram_webhook_secret: SecretStr | None = Field(
        default=None, description="X-Telegram-Bot-Api-Secret-Token; random if unset."
    )
    telegram_webhook_listen: str = "127.0.0.1"  # behind the reverse proxy that terminates TLS
    telegram_webhook_port: int = 8443
    telegram_allowed_chats: Annotated[list[int], NoDecode] = Field(
        default_factory=list, description="Chat ids (comma-separated); empty: every chat."
    )
    slack_bot_token: SecretStr | None = None
    slack_app_token: SecretStr | None = None  # xapp-…, Socket Mode
    slack_signing_secret: SecretStr | None = None  # HTTP mode
    slack_mode: Literal["socket", "http"] = "socket"
    slack_api_url: str = "https://slack.com/api/"
    slack_http_host: str = "127.0.0.1"
    slack_http_port: int = 3000
    slack_allowed_channels: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Channel ids (comma-separated); empty: every channel."
    )
    slack_allow_dms: bool = True
    chat_rate_limit: int = Field(default=10, description="Questions per user per window; 0: off.")
    chat_rate_window: float = 60.0
    follow_feeds: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Feed URLs (comma-separated) `serve` keeps current, with those followed "
        "before, every follow_every seconds.",
    )

    @field_validator(
        "telegram_allowed_chats", "slack_allowed_channels", "follow_feeds", mode="before"
    )
    @classmethod
    def _comma_list(cls, value: Any) -> Any:
        """A comma-separated list ("123,-100456": easier in an env var) or a JSON list."""
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [part.strip() for part in text.split(",") if part.strip()]
        return value

    @property
    def use_llm(self) -> bool:
        if self.answerer == "auto":
            return bool(self.openai_api_key or self.openai_base_url)
        return self.answerer == "llm"

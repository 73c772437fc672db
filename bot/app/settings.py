"""The one settings object of the app: index settings plus answering and serving."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import NoDecode

from index import IndexSettings


class Settings(IndexSettings):
    """Loaded once at the entry point (env vars REPORTBOT_*, optional .env) and passed down."""

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
    max_answer_sentences: int = 2
    host: str = "127.0.0.1"
    port: int = 7860
    api_token: str | None = None
    max_upload_bytes: int = 20_000_000
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

"""The one settings object of the app: index settings plus answering and serving."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from index.settings import IndexSettings


class Settings(IndexSettings):
    """Loaded once at the entry point (env vars REPORTBOT_*, optional .env) and passed down."""

    answerer: Literal["auto", "extractive", "llm"] = Field(
        default="auto", description="auto: the LLM when OPENAI_API_KEY or a base URL is set."
    )
    openai_model: str = "gpt-4o-mini"
    llm_timeout: float = 30.0
    llm_retries: int = 2
    llm_temperature: float = 0.0
    retrieve_k: int = 8
    max_answer_sentences: int = 2
    host: str = "127.0.0.1"
    port: int = 7860
    api_token: str | None = None
    max_upload_bytes: int = 20_000_000

    @property
    def use_llm(self) -> bool:
        if self.answerer == "auto":
            return bool(self.openai_api_key or self.openai_base_url)
        return self.answerer == "llm"

"""Composition root: builds the index, the answerer and the ChatService from Settings."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from bot.answering.base import Answerer
from bot.answering.extractive import ExtractiveAnswerer
from bot.chat.conversations import MemoryConversations, SqliteConversations
from bot.chat.service import RagChatService
from bot.config.settings import Settings
from index import HybridSearcher, Ingestor, Store, make_embedding

SAMPLE_REPORT = Path(__file__).resolve().parents[1] / "assets" / "sample-report.txt"


def quiet_offline_env() -> None:
    """Telemetry and hub look-ups off: reportbot never phones home."""
    for key, value in {
        "ANONYMIZED_TELEMETRY": "False",
        "ORT_DISABLE_TELEMETRY": "1",
        "GRADIO_ANALYTICS_ENABLED": "False",
        "HF_HUB_OFFLINE": "1",
        "TOKENIZERS_PARALLELISM": "false",
    }.items():
        os.environ.setdefault(key, value)


@dataclass
class App:
    """Everything a front end or command needs, built once."""

    settings: Settings
    store: Store
    searcher: HybridSearcher
    ingestor: Ingestor
    service: RagChatService


def open_store(settings: Settings) -> Store:
    quiet_offline_env()
    return Store(settings, make_embedding(settings))


def make_answerer(settings: Settings) -> Answerer:
    """The extractive answerer, or the LLM one when an OpenAI key or base URL is configured."""
    extractive = ExtractiveAnswerer(settings.max_answer_sentences, ner=settings.reader == "spacy")
    if not settings.use_llm:
        return extractive
    from bot.answering.llm import LLMAnswerer

    return LLMAnswerer.from_settings(settings, fallback=extractive)


def build_app(
    settings: Settings, store: Store | None = None, persistent_conversations: bool = False
) -> App:
    """Compose the app. Chat bots keep conversations in SQLite so they survive a restart."""
    store = store or open_store(settings)
    searcher = HybridSearcher(store)
    answerer = make_answerer(settings)
    if getattr(store.embed_model, "multilingual", False):  # issue 17: read across languages
        from bot.answering.language import with_languages

        answerer = with_languages(answerer, store.embed_model)
    condense = getattr(answerer, "condense", None)
    conversations = (
        SqliteConversations(settings.data_dir / "conversations.sqlite")
        if persistent_conversations
        else None
    )
    service = RagChatService(
        searcher,
        answerer,
        k=settings.retrieve_k,
        condense=condense,
        conversations=conversations or MemoryConversations(settings.max_conversations),
        max_turns=settings.max_turns,
        max_question_chars=settings.max_question_chars,
    )
    return App(settings, store, searcher, Ingestor(store), service)

"""Typed settings for ingestion, storage and retrieval (env vars prefixed REPORTBOT_)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class IndexSettings(BaseSettings):
    """Where the index lives and how it is built and searched.

    Loaded once at the entry point and passed down; nothing reads the environment later.
    """

    model_config = SettingsConfigDict(
        env_prefix="REPORTBOT_", env_file=".env", extra="ignore", populate_by_name=True
    )

    data_dir: Path = Field(default=Path("data"), description="Where the index lives.")
    embedding: Literal["local", "multilingual", "openai"] = "local"
    openai_embedding_model: str = "text-embedding-3-small"
    embed_batch_size: int = 32
    vector_store: Literal["embedded", "server", "ephemeral"] = "embedded"
    chroma_host: str = "127.0.0.1"
    chroma_port: int = 8000
    chroma_timeout: float = Field(
        default=30.0,
        description="Seconds each request to a Chroma server may take (at most 5 of them to "
        "connect) before the server counts as unreachable.",
    )
    collection: str = "reports"
    chunk_chars: int = 1000
    chunk_overlap_sentences: int = 1
    max_file_bytes: int = 20_000_000
    # Chunks per ingest write (one commit to Chroma + tantivy): a crash redoes at most this many.
    ingest_group_chunks: int = 256
    # Fetching URLs and feeds: per-operation timeout (a whole fetch gets at most 4x), the
    # response size limit (enforced while streaming), redirects followed, who we say we are.
    fetch_timeout: float = 15.0
    max_fetch_bytes: int = 20_000_000
    max_redirects: int = 5
    user_agent: str = "reportbot/0.1 (+news research bot)"
    allow_private_urls: bool = Field(
        default=False,
        description="Let URLs submitted through the web UI or the API reach loopback, private "
        "and link-local addresses (the CLI and followed feeds always may).",
    )
    follow_every: float = Field(default=900.0, description="Seconds between feed polls.")
    # Syndicated copies: word 5-gram Jaccard (MinHash estimate) at or above this is a copy.
    near_duplicate_threshold: float = 0.8
    # Hybrid retrieval: how deep each retriever looks and how the ranks are fused.
    dense_depth: int = 50
    lexical_depth: int = 50
    rrf_k: int = 60
    # Recency prior: reports published in the `recency_days` before the as-of day (default
    # today) get this much added to their fused score (1/61 is a first place in one ranking).
    recency_days: int = 7
    recency_boost: float = 0.01
    # Lead prior: a report's first chunk gets this much added to its fused score. Off: it
    # helps questions about a story's main fact and hurts questions about a detail.
    lead_boost: float = 0.0
    # Fusion weights. BM25 counts twice the dense ranking: chosen on every training fold and
    # better on the generated questions too (tests/benchmarks/bench_cv.py, docs/benchmarks.md).
    lexical_weight: float = 1.0
    dense_weight: float = 0.5
    openai_api_key: str | None = Field(default=None, validation_alias="OPENAI_API_KEY")
    openai_base_url: str | None = None

"""Ingestion, storage and retrieval of news reports: the public face (never imports `bot`).

`bot` imports only the names in ``__all__``. Each loads its module on first use (PEP 562), so
`import index` is instant and a command pays only for the parts it touches.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from index.errors import (
        ConfigError,
        IndexBusyError,
        IndexMismatchError,
        QueryError,
        ReportbotError,
        VectorStoreUnavailable,
    )
    from index.ingest.chunking import split_sentences
    from index.ingest.follow import FeedFollower, FollowReport, parse_interval
    from index.ingest.pipeline import Ingestor, IngestReport
    from index.readers import extensions as report_extensions
    from index.readers.office import page_of
    from index.search import Filters, HybridSearcher
    from index.settings import IndexSettings
    from index.sources.http import Fetcher
    from index.storage.embeddings import make_embedding
    from index.storage.lexical import STOPWORDS
    from index.storage.store import Store
    from index.types import Chunk, Document, Hit, SourceDoc, SourceError

_WHERE = {
    "Chunk": "index.types",
    "ConfigError": "index.errors",
    "Document": "index.types",
    "FeedFollower": "index.ingest.follow",
    "Fetcher": "index.sources.http",
    "Filters": "index.search",
    "FollowReport": "index.ingest.follow",
    "Hit": "index.types",
    "HybridSearcher": "index.search",
    "IndexBusyError": "index.errors",
    "IndexMismatchError": "index.errors",
    "IndexSettings": "index.settings",
    "IngestReport": "index.ingest.pipeline",
    "Ingestor": "index.ingest.pipeline",
    "QueryError": "index.errors",
    "ReportbotError": "index.errors",
    "STOPWORDS": "index.storage.lexical",
    "SourceDoc": "index.types",
    "SourceError": "index.types",
    "Store": "index.storage.store",
    "VectorStoreUnavailable": "index.errors",
    "make_embedding": "index.storage.embeddings",
    "page_of": "index.readers.office",
    "parse_interval": "index.ingest.follow",
    "report_extensions": "index.readers",
    "split_sentences": "index.ingest.chunking",
}
_RENAMED = {"report_extensions": "extensions"}

__all__ = [
    "STOPWORDS",
    "Chunk",
    "ConfigError",
    "Document",
    "FeedFollower",
    "Fetcher",
    "Filters",
    "FollowReport",
    "Hit",
    "HybridSearcher",
    "IndexBusyError",
    "IndexMismatchError",
    "IndexSettings",
    "IngestReport",
    "Ingestor",
    "QueryError",
    "ReportbotError",
    "SourceDoc",
    "SourceError",
    "Store",
    "VectorStoreUnavailable",
    "make_embedding",
    "page_of",
    "parse_interval",
    "report_extensions",
    "split_sentences",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'index' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), _RENAMED.get(name, name))
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return __all__

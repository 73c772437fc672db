"""Ingestion, storage and retrieval of news reports (never imports `bot`)."""

from index.errors import ConfigError, IndexMismatchError, ReportbotError
from index.ingest import Ingestor, IngestReport
from index.search import Filters, HybridSearcher
from index.settings import IndexSettings
from index.store import Store
from index.types import Chunk, Document, Hit, SourceDoc, SourceError

__all__ = [
    "Chunk",
    "ConfigError",
    "Document",
    "Filters",
    "Hit",
    "HybridSearcher",
    "IndexMismatchError",
    "IndexSettings",
    "IngestReport",
    "Ingestor",
    "ReportbotError",
    "SourceDoc",
    "SourceError",
    "Store",
]

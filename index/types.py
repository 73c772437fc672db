"""The records that flow through ingestion and retrieval."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class SourceDoc:
    """One report as read from a file, URL or JSONL record, before it is indexed."""

    text: str
    location: str  # file path, URL or "file.jsonl#id": identifies the report for updates
    title: str | None = None
    source: str | None = None  # outlet
    url: str | None = None
    published: str | None = None  # ISO date YYYY-MM-DD
    doc_id: str | None = None  # explicit id (JSONL "id")
    author: str | None = None
    # Start offset in ``text`` of each page (PDF): page n (1-based) starts at pages[n - 1].
    pages: list[int] | None = None
    # "published" (metadata, feed, URL, dateline) or "ingested" (no date found: the ingest day).
    date_kind: str | None = None


@dataclass
class SourceError:
    """A file or record that could not be read, and why."""

    location: str
    reason: str


@dataclass
class Document:
    """A stored report: its exact text (quotes come from it) and metadata."""

    doc_id: str
    text: str
    location: str
    title: str | None
    source: str | None
    url: str | None
    published: str | None
    content_hash: str
    ingested_at: str
    n_chunks: int = 0
    author: str | None = None
    date_kind: str | None = None  # "published", or "ingested" when no date could be found
    pages: list[int] | None = None  # start offset of each page (PDF): page n at pages[n - 1]


@dataclass
class Chunk:
    """A sentence-aligned span of a document: text == document.text[start:end]."""

    chunk_id: str
    doc_id: str
    start: int
    end: int
    text: str


@dataclass
class Hit:
    """A retrieved chunk with its document and fused score."""

    chunk: Chunk
    document: Document
    score: float
    ranks: dict[str, int] = field(default_factory=dict)

    def as_json(self) -> dict[str, object]:
        d = self.document
        return {
            "chunk_id": self.chunk.chunk_id,
            "doc_id": d.doc_id,
            "title": d.title,
            "url": d.url,
            "source": d.source,
            "published": d.published,
            "start": self.chunk.start,
            "end": self.chunk.end,
            "text": self.chunk.text,
            "score": round(self.score, 6),
        }


Item = SourceDoc | SourceError  # what a reader or a source yields: a report, or why not

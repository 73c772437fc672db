"""Ingestion: sources → documents → chunks → Store, idempotent, batched, with a progress bar."""

from __future__ import annotations

import hashlib
import re
import sys
from collections.abc import Iterable
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

from tqdm import tqdm

from index.ingest.chunking import chunk_document
from index.readers.dates import ingest_date_fallback
from index.sources import estimate_reports, iter_sources
from index.sources.http import Fetcher
from index.storage.store import Store
from index.types import Chunk, Document, SourceDoc, SourceError


@dataclass
class IngestReport:
    """What an ingest did, per document; ``failed`` holds each file or record and why."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[dict[str, str]] = field(default_factory=list)
    chunks: int = 0
    duplicates: dict[str, str] = field(default_factory=dict)  # doc_id → the report it copies
    # A report whose exact text another name already holds (a copied file): location → doc_id.
    # It is stored once; its original is also counted in ``unchanged``.
    same_text: dict[str, str] = field(default_factory=dict)

    def as_json(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def combine(cls, reports: Iterable[IngestReport]) -> IngestReport:
        """One report for several ingests (a server ingests uploads one at a time)."""
        out = cls()
        for r in reports:
            out.added += r.added
            out.updated += r.updated
            out.unchanged += r.unchanged
            out.failed += r.failed
            out.chunks += r.chunks
            out.duplicates.update(r.duplicates)
            out.same_text.update(r.same_text)
        return out

    def summary(self) -> str:
        n = len(self.same_text)
        copies = f" ({n} the same text under another name)" if n else ""
        return (
            f"{len(self.added)} added, {len(self.updated)} updated, "
            f"{len(self.unchanged)} unchanged{copies}, {len(self.failed)} failed "
            f"({self.chunks} chunk{'' if self.chunks == 1 else 's'})"
        )


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def make_doc_id(src: SourceDoc) -> str:
    """The explicit id (made safe), else a stable id from where the report came from."""
    if src.doc_id:
        return re.sub(r"[^\w.\-]+", "_", src.doc_id)[:100]
    return "d" + hashlib.sha1(src.location.encode("utf-8")).hexdigest()[:15]


def _same_report(doc: Document, src: SourceDoc, digest: str) -> bool:
    """True if ``src`` would store exactly ``doc``: same text and same metadata."""
    return (doc.content_hash, doc.location, doc.title, doc.source, doc.url, doc.published) == (
        digest, src.location, src.title, src.source, src.url, src.published
    )  # fmt: skip


class Ingestor:
    """Adds reports to a Store in groups of about ``group_chunks`` chunks.

    Each group is one Store.write (catalog pending → vectors + lexical → ready), so a crash
    loses at most the group in flight, and a re-run redoes it with cached embeddings.
    """

    def __init__(self, store: Store, group_chunks: int | None = None) -> None:
        self.store = store
        self.group_chunks = group_chunks or store.settings.ingest_group_chunks
        s = store.settings
        self._chunk = lambda doc_id, text: chunk_document(
            doc_id, text, s.chunk_chars, s.chunk_overlap_sentences
        )

    def ingest(
        self, inputs: list[str], progress: bool = True, fetcher: Fetcher | None = None
    ) -> IngestReport:
        """Read files, folders, JSONL files and URLs (articles, feeds) and store their reports.

        URLs go through ``fetcher`` when given (the server's checks remote users' URLs),
        else through one made from the settings for this call.
        """
        s = self.store.settings
        total = estimate_reports(inputs) if progress else None
        with nullcontext(fetcher) if fetcher else Fetcher.from_settings(s) as using:
            items = iter_sources(inputs, s.max_file_bytes, using)
            return self.ingest_items(items, progress, total)

    def ingest_items(
        self,
        items: Iterable[SourceDoc | SourceError],
        progress: bool = True,
        total: int | None = None,
    ) -> IngestReport:
        """Store reports as they are read (or a feed poll's entries); errors go to ``failed``.

        Streamed: only the group being written is held in memory, so a JSONL archive larger
        than the machine's memory can be ingested. ``total`` (an estimate) sizes the bar.
        """
        report = IngestReport()
        group: list[tuple[Document, list[Chunk]]] = []
        replaces: list[str] = []
        if total is None and isinstance(items, list):
            total = len(items)
        bar = tqdm(total=total, desc="ingesting", unit=" reports", disable=not progress,
                   file=sys.stderr)  # fmt: skip
        seen: dict[str, str] = {}  # content hash -> doc_id of the text stored by this run
        for taken, src in enumerate(items, start=1):
            if bar.total is not None and taken > bar.total:  # a feed gave more than its one
                bar.total = taken
            if isinstance(src, SourceError):
                report.failed.append({"location": src.location, "reason": src.reason})
                bar.update(1)
                continue
            planned = self._plan(src, report, seen)
            if planned is not None:
                doc, chunks, old = planned
                # A later record with the same id (a corrected JSONL line, say) wins.
                if any(d.doc_id == doc.doc_id for d, _ in group):
                    group = [(d, c) for d, c in group if d.doc_id != doc.doc_id]
                    bar.update(1)
                group.append((doc, chunks))
                replaces.extend(old)
                if sum(len(c) for _, c in group) >= self.group_chunks:
                    self._flush(group, replaces, report, bar)
                    group, replaces = [], []
            else:
                bar.update(1)
        self._flush(group, replaces, report, bar)
        bar.total = bar.n  # the estimate was off (blank JSONL lines, say): end at 100%
        bar.close()
        return report

    def _plan(
        self, src: SourceDoc, report: IngestReport, seen: dict[str, str]
    ) -> tuple[Document, list[Chunk], list[str]] | None:
        """The document to write (and older ids it replaces), or None if nothing changes."""
        digest = content_hash(src.text)
        doc_id = make_doc_id(src)
        catalog = self.store.catalog
        existing = catalog.get(doc_id)
        ingest_date_fallback(src, existing.published if existing else None)
        at_location = [d for d in catalog.find(location=src.location) if d != doc_id]
        if existing is not None and _same_report(existing, src, digest):
            report.unchanged.append(doc_id)
            return None
        if digest in seen:  # the same text earlier in this batch
            report.unchanged.append(seen[digest])
            if seen[digest] != doc_id:
                report.same_text[src.location] = seen[digest]
            return None
        same_content = [d for d in catalog.find(content_hash=digest) if catalog.get(d)]
        if existing is None and not at_location and same_content:
            report.unchanged.append(same_content[0])  # the same report under another name
            report.same_text[src.location] = same_content[0]
            return None
        seen[digest] = doc_id
        if doc_id not in report.added and doc_id not in report.updated:
            (report.updated if existing or at_location else report.added).append(doc_id)
        doc = Document(
            doc_id=doc_id, text=src.text, location=src.location, title=src.title,
            source=src.source, url=src.url, published=src.published, content_hash=digest,
            ingested_at=datetime.now(UTC).isoformat(timespec="seconds"), author=src.author,
            date_kind=src.date_kind, pages=src.pages,
        )  # fmt: skip
        chunks = self._chunk(doc_id, src.text)
        doc.n_chunks = len(chunks)
        return doc, chunks, at_location

    def _flush(
        self,
        group: list[tuple[Document, list[Chunk]]],
        replaces: list[str],
        report: IngestReport,
        bar: tqdm,
    ) -> None:
        if not group and not replaces:
            return
        try:
            report.duplicates.update(self.store.write(group, replaces))
            report.chunks += sum(len(c) for _, c in group)
        except Exception as exc:  # keep the rest of the batch going; say which reports failed
            self.store.repair()
            for doc, _ in group:
                reason = f"could not store: {exc}"
                report.failed.append({"location": doc.location, "reason": reason})
                for bucket in (report.added, report.updated):
                    if doc.doc_id in bucket:
                        bucket.remove(doc.doc_id)
        bar.update(len(group))

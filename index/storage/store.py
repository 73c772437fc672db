"""The index as one consistent whole: catalog (truth) + Chroma (dense) + tantivy (lexical)."""

from __future__ import annotations

import fcntl
import hashlib
import os
import threading
from collections.abc import Iterable
from typing import IO, TYPE_CHECKING, Any

import numpy as np

from index.errors import IndexBusyError, IndexMismatchError
from index.settings import IndexSettings
from index.storage.catalog import Catalog
from index.storage.dedupe import DuplicateIndex
from index.storage.lexical import LexicalIndex
from index.storage.vectors import VectorIndex, VectorRow, describe_store, make_chroma_client
from index.types import Chunk, Document

if TYPE_CHECKING:
    from index.storage.embeddings import BatchEmbedding


def published_int(published: str | None) -> int:
    """YYYY-MM-DD as the integer YYYYMMDD (-1 when unknown), for range filters."""
    if not published:
        return -1
    try:
        return int(published[:10].replace("-", ""))
    except ValueError:
        return -1


def embed_text(doc: Document, chunk: Chunk) -> str:
    """What is embedded and BM25-indexed for a chunk: its title, then its text (never quoted)."""
    return f"{doc.title}\n{chunk.text}" if doc.title else chunk.text


class Store:
    """Writes go catalog(pending) → vectors + lexical → catalog(ready); ``repair`` heals drift."""

    def __init__(
        self, settings: IndexSettings, embed_model: BatchEmbedding, chroma_client: Any = None
    ) -> None:
        self.settings = settings
        self.embed_model = embed_model
        self.catalog = Catalog(settings.data_dir / "catalog.sqlite")
        model = embed_model.model_name
        built_with = self.catalog.get_meta("embedding_model")
        if built_with is None:
            self.catalog.set_meta("embedding_model", model)
        elif built_with != model:
            raise IndexMismatchError(
                f"The index in {settings.data_dir} was built with the embedding model "
                f"{built_with!r}, not {model!r}. Use the same REPORTBOT_EMBEDDING, or another "
                "REPORTBOT_DATA_DIR to build a new index."
            )
        # A client made here is closed by close(): Chroma caches an embedded index per path and
        # process, so reopening later (after another process wrote) would read a stale one.
        client = chroma_client if chroma_client is not None else make_chroma_client(settings)
        self._own_client = None if chroma_client is not None else client
        self.vectors = VectorIndex(client, settings.collection, model, describe_store(settings))
        self.lexical = LexicalIndex(settings.data_dir / "lexical")
        self.duplicates = DuplicateIndex.for_settings(settings)  # syndicated copies
        # Writers take turns: a server ingests uploads while a feed follower polls.
        self._write_lock = threading.RLock()
        self._writer_file: IO[str] | None = None  # held from the first write until close()
        self.repair()

    # -- reading (what `bot` may ask) -------------------------------------------------------
    def document(self, doc_id: str) -> Document | None:
        """A ready document with its text, or None."""
        return self.catalog.get(doc_id)

    def documents(self, with_text: bool = False) -> list[Document]:
        """Every ready document, newest first (without their text unless asked)."""
        return self.catalog.documents(with_text=with_text)

    def documents_by_id(self, doc_ids: Iterable[str]) -> dict[str, Document]:
        """The ready documents among ``doc_ids``, by id."""
        return self.catalog.get_many(doc_ids)

    def find(self, location: str) -> list[str]:
        """The doc_ids of the reports read from ``location`` (a path or URL)."""
        return self.catalog.find(location=location)

    def count(self) -> int:
        """How many reports are ready to search."""
        return self.catalog.count_ready_docs()

    def canonical_of(self, doc_id: str) -> str:
        """The report that stands for ``doc_id``'s syndicated copies (itself if it has none)."""
        return self.duplicates.canonical_of(doc_id)

    def copies_of(self, doc_id: str) -> list[Document]:
        """The other outlets' copies of the same story, oldest first."""
        return list(self.documents_by_id(self.duplicates.copies_of(doc_id)).values())

    def unavailable(self) -> str | None:
        """Why the vector store cannot be used right now (a server away), or None."""
        return self.vectors.unavailable()

    # -- writing ----------------------------------------------------------------------------
    def write(
        self, docs: list[tuple[Document, list[Chunk]]], replaces: list[str]
    ) -> dict[str, str]:
        """Store ``docs`` (and drop ``replaces``, older documents they supersede) atomically.

        Returns the stored documents that copy an earlier report: doc_id → the original's id.
        """
        if not docs and not replaces:
            return {}
        # Embed before touching anything: if the model fails, the stored versions stay intact.
        rows = self._vector_rows(docs)
        with self._write_lock:
            self._claim_writer()
            self.catalog.delete(replaces)
            self.catalog.put_pending(docs)
            doc_ids = [d.doc_id for d, _ in docs]
            stale = replaces + doc_ids
            self.vectors.replace_docs(stale, rows)
            self.lexical.add_and_delete(self._lexical_rows(docs), stale)
            self.catalog.mark_ready(doc_ids)
            self.duplicates.remove(replaces)
            copies = {d.doc_id: self.duplicates.add(d.doc_id, d.text) for d, _ in docs}
        return {doc_id: original for doc_id, original in copies.items() if original}

    def remove(self, doc_ids: list[str]) -> None:
        with self._write_lock:
            self._claim_writer()
            self.vectors.delete_docs(doc_ids)
            self.lexical.add_and_delete([], doc_ids)
            self.catalog.delete(doc_ids)
            self.duplicates.remove(doc_ids)

    def _vector_rows(self, docs: list[tuple[Document, list[Chunk]]]) -> list[VectorRow]:
        pairs = [(doc, chunk) for doc, chunks in docs for chunk in chunks]
        vectors = self.embed([embed_text(d, c) for d, c in pairs])
        return [
            (
                c.chunk_id,
                d.doc_id,
                v.tolist(),
                {
                    "doc_id": d.doc_id,
                    "source": d.source or "",
                    "published_int": published_int(d.published),
                },
            )
            for (d, c), v in zip(pairs, vectors, strict=True)
        ]

    def _lexical_rows(self, docs: list[tuple[Document, list[Chunk]]]) -> list[dict[str, object]]:
        return [
            {
                "chunk_id": c.chunk_id,
                "doc_id": d.doc_id,
                "body": embed_text(d, c),
                "source": d.source or "",
                "published": published_int(d.published),
            }
            for d, chunks in docs
            for c in chunks
        ]

    def embed(self, texts: list[str]) -> np.ndarray:
        """Embed texts, reusing vectors already computed for the same text and model."""
        model = self.embed_model.model_name
        keys = [hashlib.sha1(f"{model}\0{t}".encode()).hexdigest() for t in texts]
        cached = self.catalog.cached_vectors(keys)
        todo = sorted(
            {k: t for k, t in zip(keys, texts, strict=True) if k not in cached}.items(),
            key=lambda kv: len(kv[1]),
        )  # similar lengths batch together
        if todo:
            fresh = self.embed_model.get_text_embedding_batch([t for _, t in todo])
            new = {
                k: np.asarray(v, dtype=np.float32) for (k, _), v in zip(todo, fresh, strict=True)
            }
            self.catalog.cache_vectors(new)
            cached.update(new)
        dim = len(next(iter(cached.values()))) if cached else 0
        return np.stack([cached[k] for k in keys]) if keys else np.zeros((0, dim), np.float32)

    # -- consistency ------------------------------------------------------------------------
    def repair(self) -> dict[str, int]:
        """Make Chroma and the lexical index agree with the catalog after a crash.

        Unfinished documents are purged (a re-run of the ingest adds them again, reusing cached
        embeddings). When counts still disagree, chunk ids are compared one by one. While
        another process holds the index for writing, its work in flight is not drift: skip.
        """
        fixed = {"purged_docs": 0, "vectors_fixed": 0, "lexical_fixed": 0, "duplicates": 0}
        with self._write_lock:
            pending = self.catalog.pending()
            expected = self.catalog.count_ready_chunks()
            drift = (
                self.vectors.count() != expected
                or self.lexical.count() != expected
                or self.duplicates.count() != self.catalog.count_ready_docs()
            )
            if not pending and not drift:
                return fixed
            try:
                self._claim_writer()
            except IndexBusyError:
                return fixed
            if pending:
                self.vectors.delete_docs(pending)
                self.lexical.add_and_delete([], pending)
                self.catalog.delete(pending)
                self.duplicates.remove(pending)
                fixed["purged_docs"] = len(pending)
            if self.vectors.count() != expected:
                fixed["vectors_fixed"] = self._reconcile_vectors()
            if self.lexical.count() != expected:
                fixed["lexical_fixed"] = self._reconcile_lexical()
            if self.duplicates.count() != self.catalog.count_ready_docs():
                docs = self.catalog.documents()
                fixed["duplicates"] = self.duplicates.sync((d.doc_id, d.text) for d in docs)
            return fixed

    def _missing_docs(self, have: set[str], want: set[str]) -> list[tuple[Document, list[Chunk]]]:
        doc_ids = {cid.split(":", 1)[0] for cid in want - have}
        docs = self.catalog.get_many(doc_ids)
        return [(docs[d], self.catalog.chunks_of(d)) for d in sorted(docs)]

    def _reconcile_vectors(self) -> int:
        want, have = self.catalog.ready_chunk_ids(), self.vectors.all_chunk_ids()
        self.vectors.delete_chunks(sorted(have - want))
        missing = self._missing_docs(have, want)
        self.vectors.upsert(self._vector_rows(missing))
        return len(have - want) + sum(len(c) for _, c in missing)

    def _reconcile_lexical(self) -> int:
        want, have = self.catalog.ready_chunk_ids(), self.lexical.all_chunk_ids()
        affected = sorted({cid.split(":", 1)[0] for cid in want ^ have})
        docs = self.catalog.get_many(affected)
        rows = self._lexical_rows([(docs[d], self.catalog.chunks_of(d)) for d in sorted(docs)])
        self.lexical.add_and_delete(rows, affected)
        return len(want ^ have)

    def _claim_writer(self) -> None:
        """Become the one process that writes this index (Chroma's embedded store and tantivy
        are single-writer); another process trying gets a clear error, not a corrupt index."""
        if self._writer_file is not None:
            return
        f = open(self.settings.data_dir / "writer.lock", "a+")  # noqa: SIM115 - held open
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.seek(0)
            pid = f.read().strip() or "?"
            f.close()
            raise IndexBusyError(
                f"Another reportbot process (pid {pid}) is writing to {self.settings.data_dir}. "
                "Ingest through it (the web UI or POST /api/documents), or stop it first."
            ) from None
        f.seek(0)
        f.truncate()
        f.write(str(os.getpid()))
        f.flush()
        self._writer_file = f

    def close(self) -> None:
        self.catalog.close()
        self.duplicates.close()
        if self._own_client is not None and hasattr(self._own_client, "close"):
            self._own_client.close()
            self._own_client = None
        if self._writer_file is not None:
            self._writer_file.close()  # releases the lock
            self._writer_file = None

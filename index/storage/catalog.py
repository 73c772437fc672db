"""The SQLite catalog: documents (with their exact text), chunks, embedding cache, journal.

It is the source of truth for what the index holds. A document is written as ``pending``
before its chunks go to Chroma and the lexical index and becomes ``ready`` after both have
committed, so a crash leaves a state that ``Store.repair`` can always reconcile.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from index.types import Chunk, Document

_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY, location TEXT NOT NULL, text TEXT NOT NULL, title TEXT,
    source TEXT, url TEXT, published TEXT, content_hash TEXT NOT NULL, ingested_at TEXT NOT NULL,
    n_chunks INTEGER NOT NULL DEFAULT 0, state TEXT NOT NULL DEFAULT 'pending');
CREATE INDEX IF NOT EXISTS documents_location ON documents(location);
CREATE INDEX IF NOT EXISTS documents_hash ON documents(content_hash);
CREATE TABLE IF NOT EXISTS chunks (
    chunk_id TEXT PRIMARY KEY, doc_id TEXT NOT NULL, seq INTEGER NOT NULL,
    start INTEGER NOT NULL, "end" INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id);
CREATE TABLE IF NOT EXISTS embed_cache (key TEXT PRIMARY KEY, vector BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
# Columns added after the first release: added in place when an older catalog is opened.
_LATER_COLUMNS = {"author": "TEXT", "date_kind": "TEXT", "pages": "TEXT"}
_FIELDS = ("doc_id", "text", "location", "title", "source", "url", "published", "content_hash",
           "ingested_at", "n_chunks", "author", "date_kind", "pages")  # fmt: skip
_DOC_COLS = ", ".join(_FIELDS)


class Catalog:
    """Documents, chunks and cached embeddings in one SQLite file (WAL, crash-safe)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        have = {row[1] for row in self._db.execute("PRAGMA table_info(documents)")}
        for column, kind in _LATER_COLUMNS.items():
            if column not in have:
                self._db.execute(f"ALTER TABLE documents ADD COLUMN {column} {kind}")
        # One connection is shared by the threads of a server: writes take turns.
        self.lock = threading.RLock()

    def close(self) -> None:
        self._db.close()

    # -- metadata ---------------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    # -- documents --------------------------------------------------------------------------
    def _doc(self, row: tuple) -> Document:
        values = dict(zip(_FIELDS, row, strict=True))
        values["pages"] = json.loads(values["pages"]) if values["pages"] else None
        return Document(**values)

    def get(self, doc_id: str, ready_only: bool = True) -> Document | None:
        sql = f"SELECT {_DOC_COLS} FROM documents WHERE doc_id=?"
        sql += " AND state='ready'" if ready_only else ""
        row = self._db.execute(sql, (doc_id,)).fetchone()
        return self._doc(row) if row else None

    def get_many(self, doc_ids: Iterable[str]) -> dict[str, Document]:
        ids = list(set(doc_ids))
        out: dict[str, Document] = {}
        for i in range(0, len(ids), 500):
            part = ids[i : i + 500]
            marks = ",".join("?" * len(part))
            sql = f"SELECT {_DOC_COLS} FROM documents "
            sql += f"WHERE state='ready' AND doc_id IN ({marks})"
            for row in self._db.execute(sql, part):
                out[row[0]] = self._doc(row)
        return out

    def find(self, *, location: str | None = None, content_hash: str | None = None) -> list[str]:
        """doc_ids (any state) at ``location`` or with ``content_hash``."""
        col, value = (
            ("location", location) if location is not None else ("content_hash", content_hash)
        )
        return [
            r[0] for r in self._db.execute(f"SELECT doc_id FROM documents WHERE {col}=?", (value,))
        ]

    def documents(self, with_text: bool = True) -> list[Document]:
        """Every ready document, newest first; without their (large) text unless asked."""
        cols = _DOC_COLS if with_text else _DOC_COLS.replace("text,", "'' AS text,", 1)
        sql = f"SELECT {cols} FROM documents WHERE state='ready' ORDER BY published DESC, title"
        return [self._doc(r) for r in self._db.execute(sql)]

    def pending(self) -> list[str]:
        return [r[0] for r in self._db.execute("SELECT doc_id FROM documents WHERE state!='ready'")]

    def count_ready_docs(self) -> int:
        return int(
            self._db.execute("SELECT COUNT(*) FROM documents WHERE state='ready'").fetchone()[0]
        )

    def count_ready_chunks(self) -> int:
        sql = "SELECT COALESCE(SUM(n_chunks), 0) FROM documents WHERE state='ready'"
        return int(self._db.execute(sql).fetchone()[0])

    def put_pending(self, docs: list[tuple[Document, list[Chunk]]]) -> None:
        """Record documents and their chunks as pending, in one transaction."""
        with self._tx():
            for doc, chunks in docs:
                self._delete(doc.doc_id)
                values = {f: getattr(doc, f) for f in _FIELDS}
                values["n_chunks"] = len(chunks)
                values["pages"] = json.dumps(doc.pages) if doc.pages else None
                marks = ",".join("?" * len(_FIELDS))
                self._db.execute(
                    f"INSERT INTO documents ({_DOC_COLS}, state) VALUES ({marks}, 'pending')",
                    [values[f] for f in _FIELDS],
                )
                self._db.executemany(
                    "INSERT INTO chunks VALUES (?,?,?,?,?)",
                    [(c.chunk_id, c.doc_id, i, c.start, c.end) for i, c in enumerate(chunks)],
                )

    def mark_ready(self, doc_ids: list[str]) -> None:
        with self._tx():
            self._db.executemany(
                "UPDATE documents SET state='ready' WHERE doc_id=?", [(d,) for d in doc_ids]
            )

    def delete(self, doc_ids: list[str]) -> None:
        with self._tx():
            for doc_id in doc_ids:
                self._delete(doc_id)

    def _delete(self, doc_id: str) -> None:
        self._db.execute("DELETE FROM chunks WHERE doc_id=?", (doc_id,))
        self._db.execute("DELETE FROM documents WHERE doc_id=?", (doc_id,))

    # -- chunks -----------------------------------------------------------------------------
    def chunks_of(self, doc_id: str) -> list[Chunk]:
        doc = self.get(doc_id, ready_only=False)
        if doc is None:
            return []
        sql = 'SELECT chunk_id, start, "end" FROM chunks WHERE doc_id=? ORDER BY seq'
        return [
            Chunk(cid, doc_id, s, e, doc.text[s:e])
            for cid, s, e in self._db.execute(sql, (doc_id,))
        ]

    def publication_dates(self, doc_ids: Iterable[str]) -> dict[str, str]:
        """doc_id → published date, for documents whose date is a real publication date."""
        ids = list(doc_ids)
        out: dict[str, str] = {}
        for i in range(0, len(ids), 500):
            part = ids[i : i + 500]
            marks = ",".join("?" * len(part))
            sql = (
                "SELECT doc_id, published FROM documents WHERE published IS NOT NULL AND "
                f"COALESCE(date_kind, 'published') != 'ingested' AND doc_id IN ({marks})"
            )
            out.update(self._db.execute(sql, part).fetchall())
        return out

    def chunk_spans(self, chunk_ids: list[str]) -> dict[str, tuple[str, int, int]]:
        out: dict[str, tuple[str, int, int]] = {}
        for i in range(0, len(chunk_ids), 500):
            part = chunk_ids[i : i + 500]
            marks = ",".join("?" * len(part))
            sql = f'SELECT chunk_id, doc_id, start, "end" FROM chunks WHERE chunk_id IN ({marks})'
            for cid, doc_id, s, e in self._db.execute(sql, part):
                out[cid] = (doc_id, s, e)
        return out

    def ready_chunk_ids(self) -> set[str]:
        sql = (
            "SELECT c.chunk_id FROM chunks c JOIN documents d USING (doc_id) WHERE d.state='ready'"
        )
        return {r[0] for r in self._db.execute(sql)}

    # -- embedding cache --------------------------------------------------------------------
    def cached_vectors(self, keys: list[str]) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        for i in range(0, len(keys), 500):
            part = keys[i : i + 500]
            marks = ",".join("?" * len(part))
            sql = f"SELECT key, vector FROM embed_cache WHERE key IN ({marks})"
            for key, blob in self._db.execute(sql, part):
                out[key] = np.frombuffer(blob, dtype=np.float32)
        return out

    def cache_vectors(self, items: dict[str, np.ndarray]) -> None:
        with self._tx():
            self._db.executemany(
                "INSERT OR REPLACE INTO embed_cache VALUES (?, ?)",
                [(k, np.asarray(v, dtype=np.float32).tobytes()) for k, v in items.items()],
            )

    @contextmanager
    def _tx(self) -> Iterator[None]:
        """One write transaction at a time on the shared connection."""
        with self.lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

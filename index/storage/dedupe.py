"""Syndicated copies: near-duplicate reports (word 5-gram Jaccard ≥ 0.8), found at ingest.

The same wire story runs under many outlets and URLs with a different headline, byline or
footer. Each document gets a MinHash signature of its word 5-grams (120 hash functions, so an
estimate within about ±0.04 of the true Jaccard near 0.8); LSH bands (20 × 6) find the few
candidates worth comparing, so adding a document costs a handful of indexed look-ups, never a
scan. Copies form a group whose canonical member is the first one seen.

``DuplicateIndex`` persists that in SQLite next to the catalog; ``near_duplicates`` compares
texts exactly, for callers that hold them (e.g. the hits of one answer).
"""

from __future__ import annotations

import functools
import hashlib
import re
import sqlite3
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from index.settings import IndexSettings

SHINGLE_WORDS = 5
MIN_SHINGLES = 10  # shorter texts are not grouped: too few 5-grams to tell a copy from chance
_BANDS, _ROWS = 20, 6
_PERMS = _BANDS * _ROWS
_rng = np.random.default_rng(20251016)  # fixed: stored signatures must stay comparable
_A = _rng.integers(1, 2**63, size=_PERMS, dtype=np.uint64) | np.uint64(1)
_B = _rng.integers(0, 2**63, size=_PERMS, dtype=np.uint64)
_MIX = _rng.integers(1, 2**63, size=SHINGLE_WORDS, dtype=np.uint64) | np.uint64(1)
_WORD = re.compile(r"\w+")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS dup_docs (
    doc_id TEXT PRIMARY KEY, canonical TEXT NOT NULL, signature BLOB NOT NULL,
    seq INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS dup_docs_canonical ON dup_docs(canonical);
CREATE INDEX IF NOT EXISTS dup_docs_seq ON dup_docs(seq);
CREATE TABLE IF NOT EXISTS dup_bands (band INTEGER NOT NULL, doc_id TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS dup_bands_band ON dup_bands(band);
CREATE INDEX IF NOT EXISTS dup_bands_doc ON dup_bands(doc_id);
"""


@functools.lru_cache(maxsize=1 << 18)  # a news vocabulary: most words were hashed before
def _word_hash(word: str) -> int:
    return int.from_bytes(hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest(), "little")


def shingles(text: str, n: int = SHINGLE_WORDS) -> np.ndarray:
    """The distinct word n-grams of ``text`` (case and punctuation ignored) as 64-bit hashes."""
    words = _WORD.findall(text.lower())
    if len(words) < n:
        return np.zeros(0, dtype=np.uint64)
    ids = np.fromiter(map(_word_hash, words), np.uint64, len(words))
    mixed = np.zeros(len(words) - n + 1, dtype=np.uint64)
    for k in range(n):  # order-sensitive combination, wrapping mod 2**64
        mixed = mixed * np.uint64(31) + ids[k : len(words) - n + 1 + k] * _MIX[k % len(_MIX)]
    return np.unique(mixed)


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    if not len(a) or not len(b):
        return 0.0
    inter = len(np.intersect1d(a, b, assume_unique=True))
    return inter / (len(a) + len(b) - inter)


def near_duplicates(
    text: str, candidates: Mapping[str, str], threshold: float = 0.8
) -> list[tuple[str, float]]:
    """(id, Jaccard) of the candidate texts that are near-copies of ``text``, most similar first."""
    mine = shingles(text)
    if len(mine) < MIN_SHINGLES:
        return []
    found = [(key, jaccard(mine, shingles(other))) for key, other in candidates.items()]
    return sorted(((k, j) for k, j in found if j >= threshold), key=lambda kj: -kj[1])


def signature(text: str) -> np.ndarray | None:
    """The MinHash signature (120 × uint32) of ``text``, or None when it is too short."""
    grams = shingles(text)
    if len(grams) < MIN_SHINGLES:
        return None
    sig = np.full(_PERMS, np.iinfo(np.uint64).max, dtype=np.uint64)
    for i in range(0, len(grams), 2048):  # bounded memory on very long texts
        part = grams[i : i + 2048]
        hashed = (_A[:, None] * part[None, :] + _B[:, None]) >> np.uint64(32)  # multiply-shift
        sig = np.minimum(sig, hashed.min(axis=1))
    return sig.astype(np.uint32)


def _bands(sig: np.ndarray) -> list[int]:
    out = []
    for b in range(_BANDS):
        raw = b.to_bytes(2, "little") + sig[b * _ROWS : (b + 1) * _ROWS].tobytes()
        out.append(
            int.from_bytes(hashlib.blake2b(raw, digest_size=8).digest(), "little", signed=True)
        )
    return out


class DuplicateIndex:
    """Groups of near-duplicate documents, persisted in SQLite; thread-safe."""

    def __init__(self, path: Path, threshold: float = 0.8) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.threshold = threshold
        self._lock = threading.RLock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")  # WAL stays consistent on a crash
        self._db.executescript(_SCHEMA)

    @classmethod
    def for_settings(cls, settings: IndexSettings) -> DuplicateIndex:
        """The index of the data dir (``duplicates.sqlite`` beside the catalog)."""
        return cls(settings.data_dir / "duplicates.sqlite", settings.near_duplicate_threshold)

    def close(self) -> None:
        self._db.close()

    def add(self, doc_id: str, text: str) -> str | None:
        """Record ``doc_id``; returns the canonical doc_id it is a copy of, or None if original."""
        sig = signature(text)
        with self._lock:
            row = self._db.execute(
                "SELECT canonical, signature FROM dup_docs WHERE doc_id=?", (doc_id,)
            ).fetchone()
            if row and sig is not None and row[1] == sig.tobytes():  # same text again
                return row[0] if row[0] != doc_id else None
            if row:
                self.remove([doc_id])
            if sig is None:
                return None
            bands = _bands(sig)
            best = self._best_match(doc_id, sig, bands)
            canonical = best or doc_id
            self._db.execute("BEGIN IMMEDIATE")
            try:
                # Plain MAX(seq) so SQLite reads it off the index instead of scanning.
                last = self._db.execute("SELECT MAX(seq) FROM dup_docs").fetchone()[0]
                seq = (last or 0) + 1
                self._db.execute(
                    "INSERT INTO dup_docs VALUES (?,?,?,?)", (doc_id, canonical, sig.tobytes(), seq)
                )
                self._db.executemany(
                    "INSERT INTO dup_bands VALUES (?,?)", [(b, doc_id) for b in bands]
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            return best

    def _best_match(self, doc_id: str, sig: np.ndarray, bands: list[int]) -> str | None:
        """The canonical doc_id of the most similar stored document at or over the threshold."""
        marks = ",".join("?" * len(bands))
        sql = (
            "SELECT d.doc_id, d.canonical, d.signature, d.seq FROM dup_docs d WHERE d.doc_id IN "
            f"(SELECT DISTINCT doc_id FROM dup_bands WHERE band IN ({marks})) AND d.doc_id != ?"
        )
        best: tuple[float, int, str] | None = None
        for _, canonical, blob, seq in self._db.execute(sql, [*bands, doc_id]):
            similarity = float(np.mean(np.frombuffer(blob, dtype=np.uint32) == sig))
            if similarity >= self.threshold and (best is None or (similarity, -seq) > best[:2]):
                best = (similarity, -seq, canonical)
        return best[2] if best else None

    def remove(self, doc_ids: Iterable[str]) -> None:
        """Forget documents; a group that loses its canonical member gets the next oldest."""
        with self._lock:
            for doc_id in doc_ids:
                row = self._db.execute(
                    "SELECT canonical FROM dup_docs WHERE doc_id=?", (doc_id,)
                ).fetchone()
                if row is None:
                    continue
                self._db.execute("DELETE FROM dup_bands WHERE doc_id=?", (doc_id,))
                self._db.execute("DELETE FROM dup_docs WHERE doc_id=?", (doc_id,))
                if row[0] == doc_id:
                    heir = self._db.execute(
                        "SELECT doc_id FROM dup_docs WHERE canonical=? ORDER BY seq LIMIT 1",
                        (doc_id,),
                    ).fetchone()
                    if heir:
                        self._db.execute(
                            "UPDATE dup_docs SET canonical=? WHERE canonical=?", (heir[0], doc_id)
                        )

    def count(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM dup_docs").fetchone()[0])

    def canonical_of(self, doc_id: str) -> str:
        """The doc_id that stands for ``doc_id``'s group (itself when it has no copies)."""
        with self._lock:
            row = self._db.execute(
                "SELECT canonical FROM dup_docs WHERE doc_id=?", (doc_id,)
            ).fetchone()
        return row[0] if row else doc_id

    def copies_of(self, doc_id: str) -> list[str]:
        """The other documents of ``doc_id``'s group, oldest first (empty if none)."""
        canonical = self.canonical_of(doc_id)
        with self._lock:
            rows = self._db.execute(
                "SELECT doc_id FROM dup_docs WHERE canonical=? AND doc_id != ? ORDER BY seq",
                (canonical, doc_id),
            ).fetchall()
        return [r[0] for r in rows]

    def groups(self) -> dict[str, list[str]]:
        """Every group with at least two members: canonical → all members, oldest first."""
        out: dict[str, list[str]] = {}
        with self._lock:
            rows = self._db.execute(
                "SELECT canonical, doc_id FROM dup_docs ORDER BY seq"
            ).fetchall()
        for canonical, doc_id in rows:
            out.setdefault(canonical, []).append(doc_id)
        return {c: m for c, m in out.items() if len(m) > 1}

    def sync(self, docs: Iterable[tuple[str, str]]) -> int:
        """Add (doc_id, text) pairs not yet known and forget ids not among them; returns adds."""
        with self._lock:
            known = {r[0] for r in self._db.execute("SELECT doc_id FROM dup_docs")}
        present: set[str] = set()
        added = 0
        for doc_id, text in docs:
            present.add(doc_id)
            if doc_id not in known:
                self.add(doc_id, text)
                added += 1
        self.remove(known - present)
        return added

"""Hybrid retrieval: dense (Chroma) + BM25 (tantivy), fused by weighted reciprocal rank."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from index.errors import QueryError, VectorStoreUnavailable
from index.readers.text import iso_date
from index.storage.store import Store, published_int
from index.types import Chunk, Hit

log = logging.getLogger(__name__)


class Hits(list[Hit]):
    """Search results, best first; ``degraded`` says why they come from BM25 alone (the
    vector store is unreachable), else None."""

    degraded: str | None = None


@dataclass
class Filters:
    """Optional restrictions: published date range (YYYY-MM-DD, inclusive) and outlet; and
    the day the question is asked "as of" (default today), for the recency prior."""

    date_from: str | None = None
    date_to: str | None = None
    source: str | None = None
    as_of: str | None = None

    def as_kwargs(self) -> dict[str, int | str | None]:
        return {"date_from": _day(self.date_from), "date_to": _day(self.date_to),
                "source": self.source or None}  # fmt: skip


def _day(value: str | None) -> int | None:
    """A filter date (2024-03-01, 2024/03/01…) as YYYYMMDD; unreadable ones raise, since
    dropping the filter silently would return reports from any date."""
    if not value:
        return None
    day = iso_date(value)
    if day is None:
        raise QueryError(f"Cannot read the date {value!r}: use YYYY-MM-DD.")
    return published_int(day)


def _is_lead(chunk_id: str) -> bool:
    """Whether a chunk id ("doc_id:seq:hash") names a report's first chunk, its lead."""
    parts = chunk_id.rsplit(":", 2)
    return len(parts) == 3 and parts[1] == "0"


class HybridSearcher:
    """Ranks chunks by weighted RRF over the dense and lexical rankings of the same query,
    plus a recency prior (reports from the days before the as-of day get a small lift) and an
    optional lead prior (a report's first chunk; off by default). Every weight was chosen by
    cross-validation (``tests/benchmarks/bench_cv.py``, ``docs/benchmarks.md``)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.settings = store.settings

    def search(self, query: str, k: int = 10, filters: Filters | None = None) -> Hits:
        query = query.strip()
        if not query:
            return Hits()
        kw = (filters or Filters()).as_kwargs()
        s = self.settings
        dense, degraded = self._dense(query, max(k, s.dense_depth), kw)
        rankings = {
            "dense": dense,
            "lexical": self.store.lexical.search(query, max(k, s.lexical_depth), **kw),  # type: ignore[arg-type]
        }
        weights = {"dense": s.dense_weight, "lexical": s.lexical_weight}
        scores: dict[str, float] = {}
        ranks: dict[str, dict[str, int]] = {}
        for name, ranking in rankings.items():
            for rank, (chunk_id, _) in enumerate(ranking, start=1):
                scores[chunk_id] = scores.get(chunk_id, 0.0) + weights[name] / (s.rrf_k + rank)
                ranks.setdefault(chunk_id, {})[name] = rank
        if s.lead_boost:
            for chunk_id in scores:
                if _is_lead(chunk_id):
                    scores[chunk_id] += s.lead_boost
        if s.recency_boost:
            self._recency_prior(scores, (filters or Filters()).as_of)
        best = sorted(scores, key=lambda c: scores[c], reverse=True)
        hits = Hits(self._hits(best, scores, ranks, k))
        hits.degraded = degraded
        return hits

    def _dense(
        self, query: str, depth: int, kw: dict[str, int | str | None]
    ) -> tuple[list[tuple[str, float]], str | None]:
        """The dense ranking; empty, with the reason, while the vector store is unreachable (a
        Chroma server restarting): the lexical ranking alone still finds and cites reports."""
        vector = self.store.embed_model.get_query_embedding(query)
        try:
            return self.store.vectors.search(vector, depth, **kw), None  # type: ignore[arg-type]
        except VectorStoreUnavailable as exc:
            log.warning("%s Searching with BM25 alone until it answers.", exc)
            return [], str(exc)

    def _recency_prior(self, scores: dict[str, float], as_of: str | None) -> None:
        """News questions are about this week: lift reports published in the
        ``recency_days`` before the as-of day (dates that are only ingest days don't count)."""
        day = iso_date(as_of) if as_of else datetime.now(UTC).date().isoformat()
        if day is None:
            raise QueryError(f"Cannot read the date {as_of!r}: use YYYY-MM-DD.")
        end = date.fromisoformat(day)
        start = (end - timedelta(days=self.settings.recency_days)).isoformat()
        published = self.store.catalog.publication_dates({c.split(":", 1)[0] for c in scores})
        for chunk_id in scores:
            when = published.get(chunk_id.split(":", 1)[0])
            if when and start <= when[:10] <= day:
                scores[chunk_id] += self.settings.recency_boost

    def _hits(
        self, ordered: list[str], scores: dict[str, float], ranks: dict[str, dict[str, int]], k: int
    ) -> list[Hit]:
        """Resolve chunk ids to chunks of ready documents (others are skipped), best first."""
        catalog = self.store.catalog
        spans = catalog.chunk_spans(ordered[: k * 3])
        docs = catalog.get_many(doc_id for doc_id, _, _ in spans.values())
        hits: list[Hit] = []
        for chunk_id in ordered:
            if chunk_id not in spans or spans[chunk_id][0] not in docs:
                continue
            doc_id, start, end = spans[chunk_id]
            doc = docs[doc_id]
            chunk = Chunk(chunk_id, doc_id, start, end, doc.text[start:end])
            hits.append(Hit(chunk, doc, scores[chunk_id], ranks[chunk_id]))
            if len(hits) == k:
                break
        return hits

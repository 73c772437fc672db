"""The lexical (BM25) index: tantivy with English stemming, updated in place per document."""

from __future__ import annotations

import re
from pathlib import Path

import tantivy

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
# Query words that carry no topic; dropping them keeps BM25 on the words that matter.
STOPWORDS = frozenset(
    """a about after again against all am an and any are as at be because been before being
    between both but by can could did do does doing down during each few for from further had
    has have having he her here hers herself him himself his how i if in into is it its itself
    just me more most my myself no nor not now of off on once only or other our ours ourselves
    out over own same she should so some such than that the their theirs them themselves then
    there these they this those through to too under until up very was we were what when where
    which while who whom why will with would you your yours yourself yourselves according
    said says also""".split()  # noqa: SIM905
)


def query_terms(text: str) -> list[str]:
    """The content words of a query, lower-cased, in order, without duplicates."""
    seen: dict[str, None] = {}
    for word in _WORD.findall(text.lower()):
        if word not in STOPWORDS:
            seen.setdefault(word)
    return list(seen)


class LexicalIndex:
    """BM25 over chunk texts (with their title), with date and outlet fields for filters."""

    def __init__(self, path: Path) -> None:
        path.mkdir(parents=True, exist_ok=True)
        builder = tantivy.SchemaBuilder()
        builder.add_text_field("chunk_id", stored=True, tokenizer_name="raw")
        builder.add_text_field("doc_id", stored=False, tokenizer_name="raw")
        builder.add_text_field("body", stored=False, tokenizer_name="en_stem")
        builder.add_text_field("source", stored=False, tokenizer_name="raw")
        builder.add_integer_field("published", stored=False, indexed=True, fast=True)
        self._schema = builder.build()
        self._index = tantivy.Index(self._schema, path=str(path), reuse=True)

    def add_and_delete(self, add: list[dict[str, object]], delete_doc_ids: list[str]) -> None:
        """Delete every chunk of ``delete_doc_ids`` and add ``add`` in one commit."""
        writer = self._index.writer(heap_size=50_000_000, num_threads=1)
        try:
            for doc_id in delete_doc_ids:
                writer.delete_documents_by_term("doc_id", doc_id)
            for row in add:
                writer.add_document(tantivy.Document(**row))
            writer.commit()
            writer.wait_merging_threads()
        except BaseException:
            writer.rollback()
            raise
        self._index.reload()

    def count(self) -> int:
        self._index.reload()
        return int(self._index.searcher().num_docs)

    def all_chunk_ids(self) -> set[str]:
        self._index.reload()
        searcher = self._index.searcher()
        n = searcher.num_docs
        if n == 0:
            return set()
        hits = searcher.search(tantivy.Query.all_query(), limit=n).hits
        return {searcher.doc(addr)["chunk_id"][0] for _, addr in hits}

    def search(
        self,
        text: str,
        k: int,
        *,
        date_from: int | None = None,
        date_to: int | None = None,
        source: str | None = None,
    ) -> list[tuple[str, float]]:
        """(chunk_id, bm25 score) for the best ``k`` chunks matching any content word."""
        terms = query_terms(text)
        if not terms:
            return []
        query = self._index.parse_query(" ".join(terms), ["body"])
        clauses = [(tantivy.Occur.Must, query)]
        if date_from is not None or date_to is not None:
            rq = tantivy.Query.range_query(
                self._schema, "published", tantivy.FieldType.Integer, date_from, date_to
            )
            clauses.append((tantivy.Occur.Must, rq))
        if source:
            clauses.append(
                (tantivy.Occur.Must, tantivy.Query.term_query(self._schema, "source", source))
            )
        if len(clauses) > 1:
            query = tantivy.Query.boolean_query(clauses)
        searcher = self._index.searcher()
        result = searcher.search(query, limit=k)
        return [(searcher.doc(addr)["chunk_id"][0], float(score)) for score, addr in result.hits]

"""The lexical (BM25) index: tantivy with English stemming and CJK character bigrams, updated
in place per document."""

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


# Scripts written without spaces between words (Han, kana) or gluing particles to words
# (Hangul: "송환됐으며"): indexed and searched as overlapping character bigrams in their own
# field, so "송환" finds "송환됐으며" and no long word is dropped. English keeps its stemmer.
_CJK_RUN = re.compile(
    "[\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7a3\uf900-\ufaff]+"
)
_EN_ANALYZER = "reportbot_en"  # en_stem with a 255-byte token limit instead of 40
_CJK_FIELD = "body_cjk"


def cjk_bigrams(text: str) -> list[str]:
    """The character bigrams of every CJK run in ``text`` (a one-character run as itself)."""
    out: list[str] = []
    for m in _CJK_RUN.finditer(text):
        run = m.group()
        out.extend([run] if len(run) == 1 else [run[i : i + 2] for i in range(len(run) - 1)])
    return out


def _english_analyzer() -> tantivy.TextAnalyzer:
    """tantivy's en_stem (simple tokenizer, lower case, English stemmer) without its silent
    drop of tokens over 40 bytes (a 14-syllable Korean word, a long compound)."""
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(255))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.stemmer("english"))
        .build()
    )


class LexicalIndex:
    """BM25 over chunk texts (with their title), with date and outlet fields for filters.

    Indexes made before the CJK field (English ``en_stem`` body only) still open and are
    searched as they are; re-ingesting into a new data dir adds CJK bigrams.
    """

    def __init__(self, path: Path) -> None:
        path.mkdir(parents=True, exist_ok=True)
        builder = tantivy.SchemaBuilder()
        builder.add_text_field("chunk_id", stored=True, tokenizer_name="raw")
        builder.add_text_field("doc_id", stored=False, tokenizer_name="raw")
        builder.add_text_field("body", stored=False, tokenizer_name=_EN_ANALYZER)
        builder.add_text_field("source", stored=False, tokenizer_name="raw")
        builder.add_integer_field("published", stored=False, indexed=True, fast=True)
        builder.add_text_field(_CJK_FIELD, stored=False, tokenizer_name="whitespace")
        try:
            self._index = tantivy.Index(builder.build(), path=str(path), reuse=True)
            self._cjk = True
        except ValueError:  # built before the CJK field: open it with the schema it has
            self._index = tantivy.Index.open(str(path))
            self._cjk = False
        self._index.register_tokenizer(_EN_ANALYZER, _english_analyzer())
        self._schema = self._index.schema

    def add_and_delete(self, add: list[dict[str, object]], delete_doc_ids: list[str]) -> None:
        """Delete every chunk of ``delete_doc_ids`` and add ``add`` in one commit."""
        writer = self._index.writer(heap_size=50_000_000, num_threads=1)
        try:
            for doc_id in delete_doc_ids:
                writer.delete_documents_by_term("doc_id", doc_id)
            for row in add:
                writer.add_document(tantivy.Document(**self._with_cjk(row)))
            writer.commit()
            writer.wait_merging_threads()
        except BaseException:
            writer.rollback()
            raise
        self._index.reload()

    def _with_cjk(self, row: dict[str, object]) -> dict[str, object]:
        """The row with the bigrams of its CJK text in the CJK field (when the index has it)."""
        grams = cjk_bigrams(str(row.get("body") or "")) if self._cjk else []
        return {**row, _CJK_FIELD: " ".join(grams)} if grams else row

    def _cjk_query(self, words: tantivy.Query, text: str) -> tantivy.Query:
        """Words or bigrams: a query without CJK text is left exactly as it was."""
        grams = list(dict.fromkeys(cjk_bigrams(text))) if self._cjk else []
        if not grams:
            return words
        clauses = [(tantivy.Occur.Should, words)] + [
            (tantivy.Occur.Should, tantivy.Query.term_query(self._schema, _CJK_FIELD, g))
            for g in grams
        ]
        return tantivy.Query.boolean_query(clauses)

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
        query = self._cjk_query(self._index.parse_query(" ".join(terms), ["body"]), text)
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

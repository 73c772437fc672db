"""llama-index adapters, for llama-index users (imports llama-index: keep it off the hot path).

``ReportbotRetriever`` plugs reportbot's hybrid search (dense + BM25, fused, with filters and
the recency prior) into a llama-index pipeline, e.g. a ``RetrieverQueryEngine``;
``LlamaIndexEmbedding`` makes a reportbot embedding model a llama-index ``BaseEmbedding``.
"""

from __future__ import annotations

from typing import Any

from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode
from pydantic import PrivateAttr

from index.search import Filters, HybridSearcher
from index.storage.embeddings import BatchEmbedding
from index.types import Hit


class LlamaIndexEmbedding(BaseEmbedding):
    """A reportbot embedding model (``BatchEmbedding``) as a llama-index ``BaseEmbedding``."""

    _inner: BatchEmbedding = PrivateAttr()

    @classmethod
    def wrap(cls, inner: BatchEmbedding) -> LlamaIndexEmbedding:
        model = cls(model_name=inner.model_name, embed_batch_size=inner.embed_batch_size)
        model._inner = inner
        return model

    @classmethod
    def class_name(cls) -> str:
        return "ReportbotEmbedding"

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self._inner.get_text_embedding_batch(texts)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._inner.get_text_embedding(text)

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._inner.get_query_embedding(query)

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)


def hit_node(hit: Hit) -> NodeWithScore:
    """A search hit as a llama-index node: the chunk's exact text, its offsets in the report
    and the report's citation metadata (title, source, published, url, doc_id)."""
    doc = hit.document
    metadata: dict[str, Any] = {
        "doc_id": doc.doc_id,
        "title": doc.title,
        "source": doc.source,
        "published": doc.published,
        "url": doc.url,
        "location": doc.location,
        "start": hit.chunk.start,
        "end": hit.chunk.end,
    }
    node = TextNode(
        id_=hit.chunk.chunk_id,
        text=hit.chunk.text,
        metadata={k: v for k, v in metadata.items() if v is not None},
        start_char_idx=hit.chunk.start,
        end_char_idx=hit.chunk.end,
    )
    return NodeWithScore(node=node, score=hit.score)


class ReportbotRetriever(BaseRetriever):
    """reportbot's hybrid search as a llama-index retriever.

    >>> retriever = ReportbotRetriever(HybridSearcher(store), k=5)
    >>> nodes = retriever.retrieve("How many were deported?")
    """

    def __init__(
        self, searcher: HybridSearcher, k: int = 10, filters: Filters | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.searcher = searcher
        self.k = k
        self.filters = filters

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        hits = self.searcher.search(query_bundle.query_str, k=self.k, filters=self.filters)
        return [hit_node(h) for h in hits]

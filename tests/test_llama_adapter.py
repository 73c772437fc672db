"""index.llama: reportbot's hybrid search as a llama-index retriever, and its embedding model
as a llama-index BaseEmbedding, for llama-index users' own pipelines."""

from __future__ import annotations

import numpy as np
from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.base.embeddings.base import BaseEmbedding

from bot.app.wiring import App
from index.llama import LlamaIndexEmbedding, ReportbotRetriever
from index.search import Filters
from index.storage.embeddings import LocalOnnxEmbedding


def test_the_retriever_returns_cited_passages(sample_app: App) -> None:
    retriever = ReportbotRetriever(sample_app.searcher, k=2)
    assert isinstance(retriever, BaseRetriever)
    nodes = retriever.retrieve("How many foreigners were deported?")
    assert 0 < len(nodes) <= 2
    top = nodes[0]
    assert "2,825 foreigners" in top.node.get_content()
    meta = top.node.metadata
    doc = sample_app.store.document(meta["doc_id"])
    assert doc is not None and meta["title"] == doc.title
    assert doc.text[meta["start"] : meta["end"]] == top.node.get_content()  # exact offsets
    scores = [n.score for n in nodes]
    assert scores == sorted(scores, reverse=True)  # type: ignore[type-var]


def test_the_retriever_applies_filters(sample_app: App) -> None:
    doc = sample_app.store.documents()[0]
    assert doc.published
    later = Filters(date_from="2999-01-01")
    assert ReportbotRetriever(sample_app.searcher, filters=later).retrieve("deported") == []
    same_day = Filters(date_from=doc.published, date_to=doc.published)
    assert ReportbotRetriever(sample_app.searcher, filters=same_day).retrieve("deported")


def test_the_embedding_wrapper_gives_the_same_vectors(embed_model: LocalOnnxEmbedding) -> None:
    wrapped = LlamaIndexEmbedding.wrap(embed_model)
    assert isinstance(wrapped, BaseEmbedding) and wrapped.model_name == embed_model.model_name
    texts = ["Aardvark escapes from the zoo.", "How many were deported?"]
    ours = np.asarray(embed_model.get_text_embedding_batch(texts))
    theirs = np.asarray(wrapped.get_text_embedding_batch(texts))
    assert ours.shape == (2, 384) and np.allclose(ours, theirs)
    assert np.allclose(wrapped.get_query_embedding(texts[1]), ours[1], atol=1e-6)

"""OpenAI embeddings, selected by setting, through the real openai client to a local fake."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fakes.openai_server import FakeOpenAI

from bot.app.wiring import SAMPLE_REPORT
from bot.config.settings import Settings
from index.errors import ConfigError, IndexMismatchError
from index.ingest.pipeline import Ingestor
from index.search import HybridSearcher
from index.storage.embeddings import OpenAIEmbedding, make_embedding
from index.storage.store import Store


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


def test_openai_embedding_builds_and_searches_an_index(fake: FakeOpenAI, make_settings) -> None:  # type: ignore[no-untyped-def]
    settings: Settings = make_settings(
        embedding="openai", openai_base_url=fake.url, openai_api_key="sk-test"
    )
    model = make_embedding(settings)
    assert isinstance(model, OpenAIEmbedding)
    store = Store(settings, model)
    report = Ingestor(store).ingest([str(SAMPLE_REPORT)], progress=False)
    assert report.added and not report.failed
    calls = [r for r in fake.requests if r.path.endswith("/embeddings")]
    assert calls and calls[0].body["model"] == "text-embedding-3-small"
    hits = HybridSearcher(store).search("foreigners deported", k=2)
    assert any("deported" in h.chunk.text for h in hits) and hits.degraded is None
    # The dense ranking on its own (keyword search alone passes the line above): a chunk's
    # text, embedded through the OpenAI client as a query, finds that very chunk.
    chunks = [c for d in store.documents() for c in store.catalog.chunks_of(d.doc_id)]
    target = chunks[-1]
    before = len(fake.requests)
    vector = model.get_query_embedding(target.text)
    assert len(fake.requests) == before + 1 and fake.requests[-1].path.endswith("/embeddings")
    [(nearest, similarity)] = store.vectors.search(vector, 1)
    assert nearest == target.chunk_id and similarity > 0.99
    store.close()
    # The index remembers its model: the local one is refused with a message saying what to do.
    with pytest.raises(IndexMismatchError, match="REPORTBOT_EMBEDDING"):
        Store(make_settings(), make_embedding(make_settings()))


def test_openai_embedding_needs_a_key_or_base_url(make_settings) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        make_embedding(make_settings(embedding="openai", openai_api_key=None))

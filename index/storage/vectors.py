"""The dense index: a llama-index ChromaVectorStore over an embedded, server or ephemeral client."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from llama_index.core.schema import BaseNode, NodeRelationship, RelatedNodeInfo, TextNode
from llama_index.core.vector_stores.types import (
    FilterOperator,
    MetadataFilter,
    MetadataFilters,
    VectorStoreQuery,
)
from llama_index.vector_stores.chroma import ChromaVectorStore

from index.errors import ConfigError, IndexMismatchError, VectorStoreUnavailable
from index.settings import IndexSettings

SERVER_TIMEOUT = httpx.Timeout(30.0, connect=5.0)


def make_chroma_client(settings: IndexSettings) -> Any:
    """The chromadb client chosen by ``settings.vector_store`` (telemetry off)."""
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if settings.vector_store == "embedded":
        path = settings.data_dir / "chroma"
        path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path), settings=chroma_settings)
    if settings.vector_store == "server":
        try:
            client = chromadb.HttpClient(
                host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings
            )
        except Exception as exc:  # chromadb raises a bare ValueError/ConnectionError
            raise ConfigError(
                f"Cannot reach the Chroma server at {settings.chroma_host}:{settings.chroma_port}"
                f" ({exc}). Start it with `chroma run --path DIR --port "
                f"{settings.chroma_port}` or set REPORTBOT_VECTOR_STORE=embedded."
            ) from exc
        # chromadb's HTTP session never times out: a server that stops answering (stopped,
        # network gone) would hang every request. No public setting, hence the private path.
        session = getattr(getattr(client, "_server", None), "_session", None)
        if isinstance(session, httpx.Client):
            session.timeout = SERVER_TIMEOUT
        return client
    if settings.vector_store == "ephemeral":
        return chromadb.EphemeralClient(settings=chroma_settings)
    raise ConfigError(f"Unknown vector store {settings.vector_store!r}.")


def describe_store(settings: IndexSettings) -> str:
    """Where the vectors live, for messages."""
    if settings.vector_store == "server":
        return f"the Chroma server at {settings.chroma_host}:{settings.chroma_port}"
    return f"Chroma ({settings.vector_store})"


class VectorIndex:
    """Chunk vectors in a Chroma collection that records the embedding model that made them.

    With a Chroma server, every call can find it gone (restarted, stopped): that is raised as
    VectorStoreUnavailable, and the next call after it is back simply works.
    """

    def __init__(
        self, client: Any, collection: str, model_name: str, where: str = "Chroma"
    ) -> None:
        self.where = where
        coll = client.get_or_create_collection(
            collection, metadata={"hnsw:space": "cosine", "embedding_model": model_name}
        )
        built_with = (coll.metadata or {}).get("embedding_model")
        if built_with != model_name:
            raise IndexMismatchError(
                f"The collection {collection!r} was built with the embedding model "
                f"{built_with!r}, not {model_name!r}. Use the same REPORTBOT_EMBEDDING, or "
                "another REPORTBOT_DATA_DIR / REPORTBOT_COLLECTION to build a new index."
            )
        self._collection = coll
        self._store = ChromaVectorStore(chroma_collection=coll)

    def add(self, rows: list[tuple[str, str, list[float], dict[str, Any]]]) -> None:
        """Upsert (chunk_id, doc_id, vector, metadata) rows; the chunk text stays in the catalog."""
        nodes: list[BaseNode] = []
        for chunk_id, doc_id, vector, metadata in rows:
            node = TextNode(id_=chunk_id, text="", embedding=vector, metadata=metadata)
            node.relationships[NodeRelationship.SOURCE] = RelatedNodeInfo(node_id=doc_id)
            nodes.append(node)
        if nodes:
            with self._reachable():
                self._collection.delete(ids=[n.node_id for n in nodes])
                self._store.add(nodes)

    def delete_docs(self, doc_ids: list[str]) -> None:
        # One metadata scan per 500 documents: a delete per document scans every time (~50 ms
        # each at 20k chunks), which made each ingest group of new reports cost seconds.
        with self._reachable():
            for i in range(0, len(doc_ids), 500):
                self._collection.delete(where={"doc_id": {"$in": doc_ids[i : i + 500]}})

    def delete_chunks(self, chunk_ids: list[str]) -> None:
        if chunk_ids:
            with self._reachable():
                self._collection.delete(ids=chunk_ids)

    def count(self) -> int:
        with self._reachable():
            return int(self._collection.count())

    def all_chunk_ids(self) -> set[str]:
        with self._reachable():
            return set(self._collection.get(include=[])["ids"])

    def unavailable(self) -> str | None:
        """Why the vector store cannot be used right now, or None when it answers."""
        try:
            self.count()
        except VectorStoreUnavailable as exc:
            return str(exc)
        return None

    @contextmanager
    def _reachable(self) -> Iterator[None]:
        try:
            yield
        except httpx.TransportError as exc:  # refused, reset, timed out: the server is away
            raise VectorStoreUnavailable(
                f"Cannot reach the vector store, {self.where} ({type(exc).__name__}). Check "
                "that it is running (`chroma run --path DIR --port PORT`)."
            ) from exc

    def search(
        self,
        vector: list[float],
        k: int,
        *,
        date_from: int | None = None,
        date_to: int | None = None,
        source: str | None = None,
    ) -> list[tuple[str, float]]:
        """(chunk_id, similarity) of the ``k`` nearest chunks, optionally filtered."""
        filters: list[MetadataFilter] = []
        if date_from is not None:
            filters.append(
                MetadataFilter(key="published_int", value=date_from, operator=FilterOperator.GTE)
            )
        if date_to is not None:
            filters.append(
                MetadataFilter(key="published_int", value=date_to, operator=FilterOperator.LTE)
            )
        if source:
            filters.append(MetadataFilter(key="source", value=source))
        query = VectorStoreQuery(
            query_embedding=vector,
            similarity_top_k=k,
            filters=MetadataFilters(filters=filters) if filters else None,  # type: ignore[arg-type]
        )
        with self._reachable():
            result = self._store.query(query)
        return list(zip(result.ids or [], result.similarities or [], strict=False))

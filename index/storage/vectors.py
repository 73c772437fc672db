"""The dense index: chunk vectors in one Chroma collection (embedded, server or ephemeral).

`VectorIndex` is the only code that holds or queries the collection; it talks to Chroma's own
collection API (``upsert``, ``delete``, ``get``, ``query``, ``count``) and nothing else does.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import httpx

from index.errors import ConfigError, IndexMismatchError, VectorStoreUnavailable
from index.settings import IndexSettings

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection

log = logging.getLogger(__name__)

# A row to store: (chunk_id, doc_id, vector, metadata); the chunk's text stays in the catalog.
VectorRow = tuple[str, str, list[float], dict[str, Any]]
# Documents per metadata scan (delete/get by doc_id): one scan per document costs ~50 ms each
# at 20k chunks, which made each ingest group of new reports cost seconds.
DOCS_PER_SCAN = 500


def server_timeout(settings: IndexSettings) -> httpx.Timeout:
    """The limit on each request to a Chroma server: ``REPORTBOT_CHROMA_TIMEOUT`` seconds to
    read, write or wait for a pooled connection, and at most 5 s of those to connect."""
    seconds = settings.chroma_timeout
    return httpx.Timeout(seconds, connect=min(5.0, seconds))


def make_chroma_client(settings: IndexSettings) -> ClientAPI:
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
        set_http_timeout(client, server_timeout(settings))
        return client
    if settings.vector_store == "ephemeral":
        return chromadb.EphemeralClient(settings=chroma_settings)
    raise ConfigError(f"Unknown vector store {settings.vector_store!r}.")


def set_http_timeout(client: ClientAPI, timeout: httpx.Timeout) -> bool:
    """Bound every request of a Chroma HTTP client by ``timeout``; False if it cannot be set.

    chromadb (1.5.x) builds its HTTP session as ``httpx.Client(timeout=None)`` and offers no
    setting for it (``chromadb/api/fastapi.py``; its ``Settings`` only has server-side
    timeouts, and ``chroma_api_impl`` accepts no subclass). Without a bound, a server that
    stops answering (paused, network gone) would hang every search and write. So this one
    function sets the timeout on the session with httpx's public ``timeout`` property, right
    after the client is made; ``tests/test_chroma_server.py`` checks that it takes effect, so
    a chromadb upgrade that moves the session fails there, and here it is logged, not hidden.
    """
    session = getattr(getattr(client, "_server", None), "_session", None)
    if not isinstance(session, httpx.Client):
        log.warning(
            "Cannot set a timeout on this chromadb client (%s): requests to the Chroma server "
            "are unbounded.",
            type(client).__name__,
        )
        return False
    session.timeout = timeout
    return True


def describe_store(settings: IndexSettings) -> str:
    """Where the vectors live, for messages."""
    if settings.vector_store == "server":
        return f"the Chroma server at {settings.chroma_host}:{settings.chroma_port}"
    return f"Chroma ({settings.vector_store})"


class VectorIndex:
    """The one owner of the Chroma collection of chunk vectors.

    It opens the collection (cosine space, tagged with the embedding model that made its
    vectors) and is the only code that reads or writes it: `Store` keeps it consistent with
    the catalog and tantivy, `HybridSearcher` queries it through `search`. Each chunk is one
    record: id = chunk_id, its vector, metadata ``doc_id``, ``source``, ``published_int``.

    With a Chroma server, every call can find it gone (restarted, stopped, not answering
    within ``REPORTBOT_CHROMA_TIMEOUT``): that is raised as VectorStoreUnavailable, and the
    next call after it is back simply works.
    """

    def __init__(
        self, client: ClientAPI, collection: str, model_name: str, where: str = "Chroma"
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
        self._collection: Collection = coll
        self._max_batch = max(1, int(client.get_max_batch_size()))

    # -- writing ----------------------------------------------------------------------------
    def upsert(self, rows: Sequence[VectorRow]) -> None:
        """Store (chunk_id, doc_id, vector, metadata) rows; a chunk id already stored is
        overwritten, so writing the same rows twice leaves one copy of each."""
        with self._reachable():
            for i in range(0, len(rows), self._max_batch):
                batch = rows[i : i + self._max_batch]
                embeddings: list[Sequence[float]] = [vector for _, _, vector, _ in batch]
                self._collection.upsert(
                    ids=[chunk_id for chunk_id, _, _, _ in batch],
                    embeddings=embeddings,
                    metadatas=[{**meta, "doc_id": doc_id} for _, doc_id, _, meta in batch],
                )

    def replace_docs(self, doc_ids: Sequence[str], rows: Sequence[VectorRow]) -> None:
        """Make ``rows`` the only chunks of the documents ``doc_ids``: upsert them, then
        delete those documents' other chunks (a shorter new version, a superseded document)."""
        self.upsert(rows)
        keep = {chunk_id for chunk_id, _, _, _ in rows}
        with self._reachable():
            for i in range(0, len(doc_ids), DOCS_PER_SCAN):
                scan = {"doc_id": {"$in": list(doc_ids[i : i + DOCS_PER_SCAN])}}
                held = self._collection.get(where=scan, include=[])["ids"]  # type: ignore[arg-type]
                drop = [chunk_id for chunk_id in held if chunk_id not in keep]
                if drop:
                    self._collection.delete(ids=drop)

    def delete_docs(self, doc_ids: Sequence[str]) -> None:
        """Delete every chunk of the documents ``doc_ids``."""
        with self._reachable():
            for i in range(0, len(doc_ids), DOCS_PER_SCAN):
                scan = {"doc_id": {"$in": list(doc_ids[i : i + DOCS_PER_SCAN])}}
                self._collection.delete(where=scan)  # type: ignore[arg-type]

    def delete_chunks(self, chunk_ids: Sequence[str]) -> None:
        if chunk_ids:
            with self._reachable():
                self._collection.delete(ids=list(chunk_ids))

    # -- reading ----------------------------------------------------------------------------
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

    def search(
        self,
        vector: Sequence[float],
        k: int,
        *,
        date_from: int | None = None,
        date_to: int | None = None,
        source: str | None = None,
    ) -> list[tuple[str, float]]:
        """(chunk_id, cosine similarity) of the ``k`` nearest chunks, optionally filtered."""
        conditions: list[dict[str, Any]] = []
        if date_from is not None:
            conditions.append({"published_int": {"$gte": date_from}})
        if date_to is not None:
            conditions.append({"published_int": {"$lte": date_to}})
        if source:
            conditions.append({"source": source})
        where = (
            None
            if not conditions
            else conditions[0]
            if len(conditions) == 1
            else {"$and": conditions}
        )
        queries: list[Sequence[float]] = [list(vector)]
        with self._reachable():
            result = self._collection.query(
                query_embeddings=queries,
                n_results=k,
                where=where,  # type: ignore[arg-type]
                include=["distances"],
            )
        ids = result["ids"][0] if result["ids"] else []
        distances = result["distances"][0] if result["distances"] else []
        return [(chunk_id, 1.0 - float(d)) for chunk_id, d in zip(ids, distances, strict=True)]

    @contextmanager
    def _reachable(self) -> Iterator[None]:
        try:
            yield
        except httpx.TransportError as exc:  # refused, reset, timed out: the server is away
            raise VectorStoreUnavailable(
                f"Cannot reach the vector store, {self.where} ({type(exc).__name__}). Check "
                "that it is running (`chroma run --path DIR --port PORT`)."
            ) from exc

"""The index over a real Chroma server (`chroma run`): a clear error when none answers at
start, BM25-only answers while it restarts under a running server, and dense search back after."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.app.wiring import SAMPLE_REPORT, App
from bot.frontends.server import ServerThread
from index.errors import ConfigError, VectorStoreUnavailable
from index.ingest.pipeline import Ingestor
from index.search import HybridSearcher
from index.storage.store import Store


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ChromaServer:
    """A `chroma run` on a fixed port and path, which a test can stop and start again."""

    def __init__(self, path: Path, log: Path) -> None:
        self.path, self.log, self.port = path, log, _free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> ChromaServer:
        """Start it and wait for its heartbeat."""
        chroma = Path(sys.executable).parent / "chroma"
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [str(chroma), "run", "--host", "127.0.0.1", "--port", str(self.port),
                 "--path", str(self.path)],
                stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        deadline = time.monotonic() + 30
        while True:
            assert self.proc.poll() is None, self.log.read_text(errors="replace")
            try:
                url = f"http://127.0.0.1:{self.port}/api/v2/heartbeat"
                with urllib.request.urlopen(url, timeout=1):
                    return self
            except OSError:
                if time.monotonic() > deadline:
                    raise AssertionError("the Chroma server did not answer within 30 s") from None
                time.sleep(0.2)

    def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None


@pytest.fixture
def chroma_server(tmp_path: Path) -> Iterator[ChromaServer]:
    """A `chroma run` on a free port, answering its heartbeat; stopped afterwards."""
    server = ChromaServer(tmp_path / "server", tmp_path / "chroma.log")
    try:
        yield server.start()
    finally:
        server.stop()


def test_ingest_and_search_over_a_chroma_server(
    chroma_server: ChromaServer, make_store: Callable[..., Store]
) -> None:
    store = make_store(
        vector_store="server", chroma_host="127.0.0.1", chroma_port=chroma_server.port
    )
    report = Ingestor(store).ingest([str(SAMPLE_REPORT)], progress=False)
    assert len(report.added) == 1 and report.failed == []
    assert store.vectors.count() == store.lexical.count() == report.chunks > 0
    hits = HybridSearcher(store).search("How many foreigners were deported?", k=3)
    assert any("2,825 foreigners" in h.chunk.text for h in hits)
    assert hits[0].ranks.get("dense") is not None  # the server answered the dense half
    assert hits[0].document.source == "The Asia Business Daily"


def test_unreachable_chroma_server_is_a_clear_config_error(
    make_store: Callable[..., Store],
) -> None:
    port = _free_port()  # nothing listens there
    with pytest.raises(ConfigError) as info:
        make_store(vector_store="server", chroma_port=port)
    message = str(info.value)
    assert f"127.0.0.1:{port}" in message
    assert "chroma run" in message and "REPORTBOT_VECTOR_STORE=embedded" in message


QUESTION = "How many foreigners were deported?"
DEPORTED = "2,825 foreigners, including 476 women"
HARBOUR = (
    b"---\ntitle: Harbour reopens\nsource: Port Daily\ndate: 2025-10-20\n---\n"
    b"The harbour reopened on Monday after 12 days of repairs.\n"
)


def test_serve_degrades_to_bm25_while_the_chroma_server_restarts(
    chroma_server: ChromaServer,
    make_app: Callable[..., App],
    serve: Callable[[App], ServerThread],
) -> None:
    """Chroma stopped under a running server: answers still come, cited, from BM25 alone;
    /healthz says what is wrong; writes get a clear 503. Chroma back on the same port and
    path: dense retrieval and writes resume, without restarting reportbot."""
    port = chroma_server.port
    app = make_app(vector_store="server", chroma_host="127.0.0.1", chroma_port=port)
    healthy = {"status": "ok", "mode": "extractive", "documents": 1}

    def answer(api: httpx.Client, question: str = QUESTION) -> dict[str, Any]:
        resp = api.post("/api/ask", json={"question": question})
        assert resp.status_code == 200, resp.text
        data: dict[str, Any] = resp.json()
        assert not data["abstained"] and data["citations"], data
        for c in data["citations"]:
            doc = app.store.catalog.get(c["doc_id"])
            assert doc is not None and doc.text[c["start"] : c["end"]] == c["quote"]
        return data

    with httpx.Client(base_url=serve(app).url, timeout=30) as api:
        assert DEPORTED in answer(api)["answer"]
        assert app.searcher.search(QUESTION, k=3)[0].ranks.get("dense") is not None
        assert api.get("/healthz").json() == healthy

        chroma_server.stop()
        degraded = answer(api)
        assert DEPORTED in degraded["answer"]  # from the lexical index alone, and it says so
        assert "keyword search alone" in degraded["notice"]
        assert all("dense" not in h.ranks for h in app.searcher.search(QUESTION, k=3))
        stream = api.post(
            "/v1/chat/completions",
            json={"messages": [{"role": "user", "content": QUESTION}], "stream": True},
        )
        assert stream.status_code == 200 and DEPORTED in stream.text
        assert '"error"' not in stream.text and stream.text.endswith("data: [DONE]\n\n")
        health = api.get("/healthz")
        assert health.status_code == 200
        assert health.json()["status"] == "degraded"
        assert f"the Chroma server at 127.0.0.1:{port}" in health.json()["vector_store"]
        upload = api.post("/api/documents", files={"files": ("harbour.md", HARBOUR)})
        assert upload.status_code == 503 and upload.headers["retry-after"] == "5"
        error = upload.json()["error"]
        assert error["type"] == "vector_store_unavailable"
        assert error["message"].startswith(
            f"Cannot reach the vector store, the Chroma server at 127.0.0.1:{port} ("
        )
        assert "chroma run" in error["message"]

        chroma_server.start()  # the same port and path
        recovered = answer(api)
        assert DEPORTED in recovered["answer"] and recovered["notice"] is None
        assert app.searcher.search(QUESTION, k=3)[0].ranks.get("dense") is not None
        assert api.get("/healthz").json() == healthy
        upload = api.post("/api/documents", files={"files": ("harbour.md", HARBOUR)})
        assert upload.status_code == 200 and len(upload.json()["added"]) == 1, upload.text
        harbour = answer(api, "When did the harbour reopen?")
        assert "reopened on Monday" in harbour["citations"][0]["quote"]
        store = app.store
        assert store.catalog.pending() == []
        assert store.vectors.all_chunk_ids() == store.lexical.all_chunk_ids()
        assert store.vectors.count() == store.lexical.count() == store.catalog.count_ready_chunks()


def test_a_chroma_server_that_stops_answering_times_out_to_bm25(
    chroma_server: ChromaServer, make_store: Callable[..., Store]
) -> None:
    """REPORTBOT_CHROMA_TIMEOUT reaches chromadb's HTTP client: a paused server (it still
    accepts connections, never answers) makes calls fail and searches fall back to BM25
    instead of hanging; once it resumes, the same client works again."""
    store = make_store(
        vector_store="server",
        chroma_host="127.0.0.1",
        chroma_port=chroma_server.port,
        chroma_timeout=5.0,
    )
    Ingestor(store).ingest([str(SAMPLE_REPORT)], progress=False)
    chunks = store.vectors.count()
    assert chunks > 0 and chroma_server.proc is not None
    chroma_server.proc.send_signal(signal.SIGSTOP)
    try:
        with pytest.raises(VectorStoreUnavailable, match=r"Timeout\)"):
            store.vectors.count()
        hits = HybridSearcher(store).search(QUESTION, k=3)
        assert hits.degraded and "Timeout" in hits.degraded
        assert any("2,825 foreigners" in h.chunk.text for h in hits)
        assert all("dense" not in h.ranks for h in hits)
    finally:
        chroma_server.proc.send_signal(signal.SIGCONT)
    assert store.vectors.count() == chunks
    assert HybridSearcher(store).search(QUESTION, k=3)[0].ranks.get("dense") is not None

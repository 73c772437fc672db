"""The index over a real Chroma server (`chroma run`), and a clear error when none answers."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.service import SAMPLE_REPORT
from index.errors import ConfigError
from index.ingest import Ingestor
from index.search import HybridSearcher
from index.store import Store


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def chroma_server(tmp_path: Path) -> Iterator[int]:
    """A `chroma run` on a free port, answering its heartbeat; stopped afterwards."""
    port = _free_port()
    chroma = Path(sys.executable).parent / "chroma"
    log = (tmp_path / "chroma.log").open("wb")
    proc = subprocess.Popen(
        [str(chroma), "run", "--host", "127.0.0.1", "--port", str(port),
         "--path", str(tmp_path / "server")],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, (tmp_path / "chroma.log").read_text(errors="replace")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise AssertionError("the Chroma server did not answer within 30 s") from None
                time.sleep(0.2)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def test_ingest_and_search_over_a_chroma_server(
    chroma_server: int, make_store: Callable[..., Store]
) -> None:
    store = make_store(vector_store="server", chroma_host="127.0.0.1", chroma_port=chroma_server)
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

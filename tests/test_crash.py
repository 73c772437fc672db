"""Crash safety: an ingest killed mid-way leaves an index that opens, agrees and resumes."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import chromadb
import numpy as np
import tantivy
from tqdm import tqdm

from index.ingest.chunking import chunk_document
from index.ingest.pipeline import Ingestor
from index.search import HybridSearcher
from index.settings import IndexSettings
from index.storage.embeddings import LocalOnnxEmbedding
from index.storage.store import Store
from index.types import Document

N_REPORTS = 120
TOWNS = ["Riverton", "Lakeside", "Hillcrest", "Oakdale", "Brookfield", "Fairview"]
EVENTS = ["a flood", "a fire", "an election", "a strike", "a festival", "a storm"]


def _report(i: int) -> dict[str, object]:
    town, event = TOWNS[i % 6], EVENTS[(i // 6) % 6]
    text = (
        f"{town} faced {event} on day {i}. Officials counted {i * 7 + 3} people affected, "
        f"and the case number was zq{i:04d}."
    )
    return {"id": f"r{i:04d}", "title": f"{town} report {i}", "date": f"2024-01-{i % 28 + 1:02d}",
            "source": "Wire", "text": text}  # fmt: skip


def _counts(store: Store) -> tuple[int, int, int]:
    return store.vectors.count(), store.lexical.count(), store.catalog.count_ready_chunks()


def _states(catalog: Path) -> dict[str, int]:
    if not catalog.exists():
        return {}
    db = sqlite3.connect(f"file:{catalog}?mode=ro", uri=True, timeout=5)
    try:
        return dict(db.execute("SELECT state, COUNT(*) FROM documents GROUP BY state").fetchall())
    except sqlite3.OperationalError:  # the schema is not there yet
        return {}
    finally:
        db.close()


def _kill_mid_ingest(feed: Path, data_dir: Path, cwd: Path) -> dict[str, int]:
    """Start `reportbot ingest`, SIGKILL it after two groups; the catalog's states then."""
    env = {**os.environ, "REPORTBOT_DATA_DIR": str(data_dir), "REPORTBOT_INGEST_GROUP_CHUNKS": "10"}
    reportbot = Path(sys.executable).parent / "reportbot"
    proc = subprocess.Popen(
        [str(reportbot), "ingest", str(feed), "--json", "-q"], cwd=cwd, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    catalog = data_dir / "catalog.sqlite"
    deadline = time.monotonic() + 90
    try:
        while time.monotonic() < deadline:
            states = _states(catalog)
            if states.get("ready", 0) >= 20:
                break
            assert proc.poll() is None, f"ingest ended before the kill: {proc.stderr.read()!r}"  # type: ignore[union-attr]
            time.sleep(0.02)
        else:
            raise AssertionError("the ingest never got going")
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    return _states(catalog)


def test_killed_ingest_repairs_and_resumes(
    make_store: Callable[..., Store], tmp_path: Path
) -> None:
    feed = tmp_path / "feed.jsonl"
    feed.write_text("".join(json.dumps(_report(i)) + "\n" for i in range(N_REPORTS)))
    data_dir = tmp_path / "data"
    states = _kill_mid_ingest(feed, data_dir, tmp_path)
    assert 20 <= states.get("ready", 0) < N_REPORTS

    store = make_store(data_dir=data_dir)  # opening repairs
    assert store.catalog.pending() == []
    vectors, lexical, ready = _counts(store)
    assert vectors == lexical == ready >= 20
    assert store.vectors.all_chunk_ids() == store.lexical.all_chunk_ids()
    assert store.duplicates.count() == store.catalog.count_ready_docs()
    assert store.repair() == {
        "purged_docs": 0,
        "vectors_fixed": 0,
        "lexical_fixed": 0,
        "duplicates": 0,
    }
    searcher = HybridSearcher(store)
    hits = searcher.search("zq0003", k=3)
    assert "r0003" in [h.document.doc_id for h in hits]

    report = Ingestor(store, group_chunks=64).ingest([str(feed)], progress=False)
    assert report.failed == []
    assert len(report.added) + len(report.unchanged) == N_REPORTS
    assert len(report.unchanged) == ready
    assert len(store.catalog.documents()) == N_REPORTS
    vectors, lexical, ready = _counts(store)
    assert vectors == lexical == ready == N_REPORTS
    last = N_REPORTS - 1
    hits = searcher.search(f"zq{last:04d}", k=3)
    assert f"r{last:04d}" in [h.document.doc_id for h in hits]


def test_repair_heals_drift_between_the_three_stores(
    make_store: Callable[..., Store], tmp_path: Path
) -> None:
    feed = tmp_path / "feed.jsonl"
    feed.write_text("".join(json.dumps(_report(i)) + "\n" for i in range(8)))
    store = make_store()
    Ingestor(store).ingest([str(feed)], progress=False)
    want = store.catalog.ready_chunk_ids()
    assert len(want) == 8
    data_dir = store.settings.data_dir

    # Behind the store's back: two vectors lost, one stray vector, one document's BM25 rows lost.
    client = chromadb.PersistentClient(path=str(data_dir / "chroma"))
    coll = client.get_collection(store.settings.collection)
    lost = sorted(want)[:2]
    coll.delete(ids=lost)
    stray = np.zeros((1, 384), dtype=np.float32)
    stray[0, 0] = 1.0
    coll.add(ids=["ghost:0:00000000"], embeddings=stray, metadatas=[{"doc_id": "ghost"}])
    index = tantivy.Index.open(str(data_dir / "lexical"))
    writer = index.writer(heap_size=15_000_000, num_threads=1)
    writer.delete_documents_by_term("doc_id", "r0005")
    writer.commit()
    writer.wait_merging_threads()
    del writer
    assert store.vectors.count() == 7 and store.lexical.count() == 7

    fixed = store.repair()
    assert fixed["vectors_fixed"] == 3 and fixed["lexical_fixed"] == 1
    assert store.vectors.all_chunk_ids() == store.lexical.all_chunk_ids() == want
    hits = HybridSearcher(store).search("zq0005", k=1)
    assert hits[0].document.doc_id == "r0005"
    vector = store.embed_model.get_query_embedding(str(_report(0)["text"]))
    dense = store.vectors.search(vector, 1)
    assert dense[0][0].startswith("r0000:")


def test_half_written_group_is_purged_at_open(
    make_store: Callable[..., Store], tmp_path: Path
) -> None:
    """A crash after Chroma and tantivy took a group but before the catalog marked it ready."""
    feed = tmp_path / "feed.jsonl"
    feed.write_text("".join(json.dumps(_report(i)) + "\n" for i in range(3)))
    store = make_store()
    Ingestor(store).ingest([str(feed)], progress=False)
    text = "The zq9999 report was half written when the power failed."
    doc = Document("half", text, "x", "Half", "Wire", None, "2024-01-01", "h", "2024-01-01")
    chunks = chunk_document("half", text)
    store.catalog.put_pending([(doc, chunks)])
    vectors = store.embed([c.text for c in chunks])
    meta = {"doc_id": "half", "source": "Wire", "published_int": 20240101}
    store.vectors.upsert(
        [(c.chunk_id, "half", v.tolist(), meta) for c, v in zip(chunks, vectors, strict=True)]
    )
    fields = {"doc_id": "half", "source": "Wire", "published": 20240101}
    store.lexical.add_and_delete(
        [{"chunk_id": c.chunk_id, "body": c.text, **fields} for c in chunks], []
    )
    assert store.vectors.count() == store.lexical.count() == 4
    store.close()  # the "crashed" process is gone: its hold on the index with it

    reopened = make_store()
    assert reopened.catalog.pending() == []
    assert reopened.catalog.get("half", ready_only=False) is None
    assert _counts(reopened) == (3, 3, 3)
    assert HybridSearcher(reopened).search("zq9999 half written", k=5)[0].document.doc_id != "half"


# -- many kills at random points ---------------------------------------------------------------
LOOP_REPORTS = 150
LOOP_GROUP_CHUNKS = 10  # each report is one chunk: 15 groups, each one Store.write


# Where a kill trial's child kills itself (SIGKILL: no cleanup, no atexit, no flush), in its
# n-th group write (Store.write): after embedding the group, before anything is written
# ("embedded"); after Chroma took it, its documents pending ("chroma"); after tantivy took
# it too ("tantivy"); or after the catalog marked it ready, before duplicate detection
# ("marked"). "start": as soon as the Store is open. Exact points, not timings: a kill can
# neither come too late (the ingest already done) nor too early on a slow or busy machine.
KILL_POINTS = {"embedded": "_vector_rows", "chroma": "vectors.replace_docs",
               "tantivy": "lexical.add_and_delete", "marked": "catalog.mark_ready"}  # fmt: skip


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _ingest_child(feed: str, data_dir: str, out: str, kill: tuple[str, int] | None = None) -> None:
    """The ingest run in a forked child; writes its report to ``out``, unless ``kill`` (a
    point of KILL_POINTS and which group write, from 1) makes it kill itself first."""
    tqdm.set_lock(threading.RLock())  # tqdm's default, a multiprocessing lock, leaks when killed
    settings = IndexSettings(  # type: ignore[call-arg]
        _env_file=None, data_dir=Path(data_dir), ingest_group_chunks=LOOP_GROUP_CHUNKS
    )
    store = Store(settings, LocalOnnxEmbedding())
    if kill is not None:
        point, group = kill
        if point == "start":
            _die()
        *owner_path, name = KILL_POINTS[point].split(".")
        owner: object = store
        for attribute in owner_path:
            owner = getattr(owner, attribute)
        original = getattr(owner, name)
        calls = 0

        def then_die(*args: object, **kwargs: object) -> object:
            nonlocal calls
            result = original(*args, **kwargs)
            calls += 1
            if calls == group:
                _die()
            return result

        setattr(owner, name, then_die)
    report = Ingestor(store).ingest([feed], progress=False)
    store.close()
    Path(out).write_text(json.dumps(report.as_json()))


def _forkserver() -> multiprocessing.context.ForkServerContext:
    """Children forked from a server that has imported the index once: a kill trial then costs
    the model load (~1 s), not a fresh interpreter's imports (~8 s on a busy 2-core box)."""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(
        ["index.ingest.pipeline", "index.storage.store", "index.storage.embeddings", "chromadb"]
    )
    return ctx


def _kill_trial(
    ctx: multiprocessing.context.ForkServerContext,
    args: tuple[str, str, str],
    kill: tuple[str, int],
) -> dict[str, int]:
    """Run the ingest until it kills itself at ``kill``; the catalog's states after."""
    proc = ctx.Process(target=_ingest_child, args=(*args, kill), daemon=True)
    proc.start()
    proc.join(240)
    try:
        assert proc.exitcode == -signal.SIGKILL, f"no kill at {kill}: exit code {proc.exitcode}"
    finally:
        if proc.is_alive():
            proc.kill()
            proc.join(30)
    return _states(Path(args[1]) / "catalog.sqlite")


def _doc_ids(chunk_ids: set[str]) -> set[str]:
    return {cid.split(":", 1)[0] for cid in chunk_ids}


def _assert_consistent(store: Store) -> set[str]:
    """Catalog, Chroma and tantivy hold the same ready documents and chunks, each once."""
    assert store.catalog.pending() == []
    ready_docs = {d.doc_id for d in store.catalog.documents()}
    chunks = store.catalog.ready_chunk_ids()
    vector_ids, lexical_ids = store.vectors.all_chunk_ids(), store.lexical.all_chunk_ids()
    assert _doc_ids(chunks) == ready_docs
    assert _doc_ids(vector_ids) == ready_docs
    assert _doc_ids(lexical_ids) == ready_docs
    assert vector_ids == lexical_ids == chunks
    # Counts equal to the id sets: no chunk is held twice (tantivy would allow it).
    assert store.vectors.count() == store.lexical.count() == len(chunks)
    assert store.catalog.count_ready_chunks() == len(chunks)
    assert store.duplicates.count() == len(ready_docs)
    if chunks:  # the dense index itself (not just Chroma's metadata) has every vector, once
        vector = store.embed_model.get_query_embedding("officials counted people affected")
        found = [cid for cid, _ in store.vectors.search(vector, len(chunks))]
        assert len(found) == len(set(found)) and set(found) == chunks
    assert store.repair() == {
        "purged_docs": 0, "vectors_fixed": 0, "lexical_fixed": 0, "duplicates": 0,
    }  # fmt: skip
    return ready_docs


def test_repeated_kills_at_every_kind_of_point_always_leave_a_consistent_index(
    embed_model: LocalOnnxEmbedding, tmp_path: Path
) -> None:
    feed = tmp_path / "feed.jsonl"
    feed.write_text("".join(json.dumps(_report(i)) + "\n" for i in range(LOOP_REPORTS)))
    data_dir, out = tmp_path / "data", tmp_path / "report.json"
    settings = IndexSettings(_env_file=None, data_dir=data_dir)  # type: ignore[call-arg]
    args = (str(feed), str(data_dir), str(out))
    # Kills at every kind of point, each in an early group write of its trial (each trial
    # resumes where the last left off): at most 7 of the 15 groups get written in all.
    plan = [("start", 0), ("embedded", 2), ("chroma", 1), ("tantivy", 2), ("start", 0),
            ("marked", 1), ("chroma", 2), ("embedded", 1), ("tantivy", 1)]  # fmt: skip
    ctx = _forkserver()
    ready: set[str] = set()
    history: list[tuple[tuple[str, int], dict[str, int], int]] = []
    for kill in plan:
        at_kill = _kill_trial(ctx, args, kill)
        store = Store(settings, embed_model)  # opening repairs
        try:
            now = _assert_consistent(store)
        finally:
            store.close()
        assert now >= ready, history  # a kill never loses documents that were ready before it
        ready = now
        history.append((kill, at_kill, len(ready)))
        if kill[0] in ("chroma", "tantivy"):  # killed with a group half written
            assert at_kill.get("pending"), history
    assert 0 < len(ready) < LOOP_REPORTS, history

    proc = ctx.Process(target=_ingest_child, args=args)
    proc.start()
    proc.join(120)
    assert proc.exitcode == 0
    report = json.loads(out.read_text())
    assert report["failed"] == []
    assert set(report["unchanged"]) >= ready
    assert len(report["added"]) + len(report["unchanged"]) == LOOP_REPORTS
    store = Store(settings, embed_model)
    try:
        everything = _assert_consistent(store)
        assert everything == {f"r{i:04d}" for i in range(LOOP_REPORTS)}
        assert store.vectors.count() == store.lexical.count() == LOOP_REPORTS
        searcher = HybridSearcher(store)
        for i in (0, 77, LOOP_REPORTS - 1):
            hits = searcher.search(f"zq{i:04d}", k=1)
            assert hits[0].document.doc_id == f"r{i:04d}"
    finally:
        store.close()

"""Ingest into the real index: ids, metadata, offsets, idempotence, updates and removal."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pydantic import PrivateAttr

from bot.app.wiring import SAMPLE_REPORT
from bot.config.settings import Settings
from index import readers, sources
from index.errors import IndexBusyError, IndexMismatchError
from index.ingest.chunking import split_sentences
from index.ingest.pipeline import Ingestor, content_hash
from index.search import HybridSearcher
from index.storage.embeddings import BatchEmbedding, LocalOnnxEmbedding
from index.storage.store import Store
from index.storage.vectors import VectorIndex, make_chroma_client
from index.types import SourceDoc, SourceError

FLOOD = (
    "Flood waters receded in Riverton on Monday. The mayor said 120 homes were damaged. "
    "Volunteers handed out 3,000 sandbags over the weekend.\n\n"
    "Dr. Jane Okafor of the U.S. Geological Survey said the river peaked at 6.2 metres. "
    "Engineers will inspect the levee on Thursday."
)


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _assert_consistent(store: Store) -> set[str]:
    """Catalog, Chroma and tantivy hold exactly the same chunks; returns their ids."""
    want = store.catalog.ready_chunk_ids()
    assert store.vectors.all_chunk_ids() == want
    assert store.lexical.all_chunk_ids() == want
    assert store.catalog.count_ready_chunks() == len(want)
    return want


def _lexical_hits(store: Store, text: str) -> set[str]:
    return {cid.split(":", 1)[0] for cid, _ in store.lexical.search(text, 50)}


def test_ingest_stores_metadata_offsets_and_sentence_aligned_chunks(
    make_store: Callable[..., Store], tmp_path: Path
) -> None:
    store = make_store(chunk_chars=150, chunk_overlap_sentences=1)
    md = _write(
        tmp_path / "flood.md",
        "---\ntitle: Riverton floods\nsource: River Times\ndate: 2024-02-01\n"
        f"url: https://river.example/flood\n---\n{FLOOD}\n",
    )
    report = Ingestor(store).ingest([str(md)], progress=False)
    (doc_id,) = report.added
    assert report.failed == [] and report.chunks > 2

    doc = store.catalog.get(doc_id)
    assert doc is not None
    assert (doc.title, doc.source, doc.published) == (
        "Riverton floods",
        "River Times",
        "2024-02-01",
    )
    assert doc.url == "https://river.example/flood"
    assert doc.location == str(md.resolve())
    assert doc.text == FLOOD
    assert doc.content_hash == content_hash(FLOOD)
    assert datetime.fromisoformat(doc.ingested_at).tzinfo is not None

    chunks = store.catalog.chunks_of(doc_id)
    assert len(chunks) == doc.n_chunks == report.chunks
    starts = {s for s, _ in split_sentences(doc.text)}
    ends = {e for _, e in split_sentences(doc.text)}
    for c in chunks:
        assert doc.text[c.start : c.end] == c.text
        assert c.start in starts and c.end in ends  # whole sentences only
        assert len(c.text) <= 150
    # "Dr." and "U.S." do not end a sentence: that sentence is never cut.
    assert any("Dr. Jane Okafor of the U.S. Geological Survey" in c.text for c in chunks)
    # Consecutive chunks overlap by one sentence, and together they cover the whole text.
    assert all(b.start < a.end for a, b in itertools.pairwise(chunks))
    assert chunks[0].start == 0 and chunks[-1].end == len(doc.text)
    _assert_consistent(store)

    # The same path always maps to the same id, in a fresh index too.
    other = make_store(data_dir=tmp_path / "other")
    assert Ingestor(other).ingest([str(md)], progress=False).added == [doc_id]


def test_same_content_twice_or_under_another_name_is_unchanged(
    make_store: Callable[..., Store], tmp_path: Path
) -> None:
    store = make_store()
    a = _write(tmp_path / "a.txt", f"Riverton floods\n{FLOOD}")
    ingestor = Ingestor(store)
    first = ingestor.ingest([str(a)], progress=False)
    (doc_id,) = first.added
    ids = _assert_consistent(store)

    again = ingestor.ingest([str(a)], progress=False)
    assert (again.added, again.updated, again.unchanged) == ([], [], [doc_id])

    copy = _write(tmp_path / "copy-of-a.txt", a.read_text())
    renamed = ingestor.ingest([str(copy)], progress=False)
    assert (renamed.added, renamed.updated, renamed.unchanged) == ([], [], [doc_id])
    assert [d.doc_id for d in store.catalog.documents()] == [doc_id]
    assert _assert_consistent(store) == ids


def test_duplicates_within_one_batch_are_stored_once(
    make_store: Callable[..., Store], tmp_path: Path
) -> None:
    store = make_store()
    _write(tmp_path / "a.txt", f"Riverton floods\n{FLOOD}")
    _write(tmp_path / "b.txt", f"Riverton floods\n{FLOOD}")
    report = Ingestor(store).ingest([str(tmp_path)], progress=False)
    assert len(report.added) == 1
    assert report.unchanged == report.added  # the copy names the report that holds its text
    assert len(store.catalog.documents()) == 1
    _assert_consistent(store)


def test_repeated_jsonl_id_keeps_the_last_record(
    make_store: Callable[..., Store], tmp_path: Path
) -> None:
    store = make_store()
    jl = tmp_path / "feed.jsonl"
    jl.write_text(
        json.dumps({"id": "r1", "title": "First", "text": "The first draft about zebras."}) + "\n"
        + json.dumps({"id": "r1", "title": "Second", "text": "The final story about giraffes."})
        + "\n"
    )  # fmt: skip
    report = Ingestor(store).ingest([str(jl)], progress=False)
    assert report.added == ["r1"] and report.updated == []
    doc = store.catalog.get("r1")
    assert doc is not None and doc.title == "Second"
    _assert_consistent(store)
    assert _lexical_hits(store, "zebras") == set()


def test_a_large_jsonl_is_streamed_group_by_group_with_a_sized_progress_bar(
    make_store: Callable[..., Store], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Reports are read as the groups before them are stored, not all up front, so an
    archive bigger than memory can be ingested; the bar's total comes from a line count."""
    store = make_store()
    animals = ["aardvark", "badger", "cheetah", "dingo", "emu", "ferret", "gazelle", "heron"]
    jl = tmp_path / "archive.jsonl"
    lines = [json.dumps({"id": f"r{i}", "title": f"{a.title()} news",
                         "text": f"The {a} was seen near the river on day {i}."})
             for i, a in enumerate(animals)]  # fmt: skip
    jl.write_text("\n".join(lines[:4]) + "\n\n{broken\n" + "\n".join(lines[4:]) + "\n")
    read: list[str] = []
    at_write: list[int] = []
    jsonl = readers.BY_EXTENSION[".jsonl"]
    original = jsonl.stream
    assert original is not None

    def reading(path: Path, max_bytes: int) -> Iterator[SourceDoc | SourceError]:
        for item in original(path, max_bytes):
            read.append(item.location)
            yield item

    store_write = store.write

    def writing(*args: Any, **kwargs: Any) -> dict[str, str]:
        at_write.append(len(read))
        return store_write(*args, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(readers.BY_EXTENSION, ".jsonl", jsonl._replace(stream=reading))
        mp.setattr(store, "write", writing)
        report = Ingestor(store, group_chunks=2).ingest([str(jl)], progress=True)

    assert len(report.added) == 8 and len(report.failed) == 1
    assert at_write[0] <= 3 and at_write == sorted(at_write) and len(at_write) >= 4
    _assert_consistent(store)
    bar = capsys.readouterr().err
    assert "ingesting: 100%" in bar and "9/9 [" in bar  # 10 lines, one blank: ends at 9 of 9
    assert sources.estimate_reports([str(jl), str(tmp_path / "x.txt")]) == 11


def test_changed_content_at_same_path_replaces_old_chunks_everywhere(
    make_store: Callable[..., Store], tmp_path: Path
) -> None:
    store = make_store(chunk_chars=200)
    path = _write(tmp_path / "story.txt", f"Riverton floods\n{FLOOD}\nThe aardvark escaped.")
    ingestor = Ingestor(store)
    (doc_id,) = ingestor.ingest([str(path)], progress=False).added
    old_ids = _assert_consistent(store)
    assert _lexical_hits(store, "aardvark") == {doc_id}

    _write(path, "Riverton floods\nThe river is calm again and the pangolin was found.")
    report = ingestor.ingest([str(path)], progress=False)
    assert (report.added, report.updated, report.unchanged) == ([], [doc_id], [])
    new_ids = _assert_consistent(store)
    assert not new_ids & old_ids
    assert _lexical_hits(store, "aardvark") == set()
    assert _lexical_hits(store, "pangolin") == {doc_id}
    hits = HybridSearcher(store).search("aardvark escaped", k=5)
    assert all("aardvark" not in h.chunk.text for h in hits)
    doc = store.catalog.get(doc_id)
    assert doc is not None and "pangolin" in doc.text


def test_rewriting_a_document_keeps_one_copy_of_each_chunk_in_chroma(
    make_store: Callable[..., Store], tmp_path: Path
) -> None:
    """Chunks are upserted: the same document written again (a retried group, a repair) leaves
    exactly one vector per chunk id, and a shorter version leaves none of its other chunks."""
    store = make_store(chunk_chars=150)
    (doc_id,) = (
        Ingestor(store).ingest([str(_write(tmp_path / "f.md", FLOOD))], progress=False).added
    )
    doc, chunks = store.catalog.get(doc_id), store.catalog.chunks_of(doc_id)
    assert doc is not None and len(chunks) > 2
    ids = {c.chunk_id for c in chunks}
    for _ in range(2):
        store.write([(doc, chunks)], replaces=[])
        assert store.vectors.all_chunk_ids() == ids and store.vectors.count() == len(ids)
        _assert_consistent(store)

    vectors = store.embed([c.text for c in chunks])
    meta = {"doc_id": doc_id, "source": "", "published_int": -1}
    rows = [(c.chunk_id, doc_id, v.tolist(), meta) for c, v in zip(chunks, vectors, strict=True)]
    store.vectors.upsert(rows)
    store.vectors.upsert(rows)
    assert store.vectors.count() == len(ids)
    found = [chunk_id for chunk_id, _ in store.vectors.search(vectors[0].tolist(), 50)]
    assert sorted(found) == sorted(ids)  # every chunk, each once
    assert found[0] == chunks[0].chunk_id

    store.write([(doc, chunks[:1])], replaces=[])
    assert _assert_consistent(store) == {chunks[0].chunk_id}


def test_changed_metadata_alone_is_an_update(
    make_store: Callable[..., Store], tmp_path: Path
) -> None:
    store = make_store()
    path = _write(tmp_path / "s.md", f"---\ntitle: Draft title\ndate: 2024-01-01\n---\n{FLOOD}")
    ingestor = Ingestor(store)
    (doc_id,) = ingestor.ingest([str(path)], progress=False).added
    _write(path, f"---\ntitle: Final title\ndate: 2024-01-02\n---\n{FLOOD}")
    report = ingestor.ingest([str(path)], progress=False)
    assert report.updated == [doc_id]
    doc = store.catalog.get(doc_id)
    assert doc is not None and (doc.title, doc.published) == ("Final title", "2024-01-02")
    _assert_consistent(store)


def test_remove_by_id_and_by_path(make_store: Callable[..., Store], tmp_path: Path) -> None:
    store = make_store()
    a = _write(tmp_path / "a.txt", "Aardvark news\nThe aardvark escaped from the zoo.")
    b = _write(tmp_path / "b.txt", "Pangolin news\nThe pangolin was found in a garden.")
    c = _write(tmp_path / "c.txt", "Zebra news\nThe zebra crossed the road.")
    report = Ingestor(store).ingest([str(a), str(b), str(c)], progress=False)
    id_a, id_b, id_c = report.added
    store.remove([id_a])
    (id_at_b,) = store.catalog.find(location=str(b.resolve()))
    assert id_at_b == id_b
    store.remove([id_at_b])
    assert [d.doc_id for d in store.catalog.documents()] == [id_c]
    assert store.catalog.get(id_a) is None and store.catalog.chunks_of(id_b) == []
    ids = _assert_consistent(store)
    assert {i.split(":", 1)[0] for i in ids} == {id_c}
    assert _lexical_hits(store, "aardvark pangolin zebra") == {id_c}


def test_report_json_lists_added_updated_unchanged_failed(
    make_store: Callable[..., Store], tmp_path: Path
) -> None:
    store = make_store(max_file_bytes=400)
    a = _write(tmp_path / "a.txt", "Aardvark news\nThe aardvark escaped.")
    b = _write(tmp_path / "b.txt", "Pangolin news\nThe pangolin was found.")
    ingestor = Ingestor(store)
    ingestor.ingest([str(a), str(b)], progress=False)
    _write(b, "Pangolin news\nThe pangolin was found again.")
    c = _write(tmp_path / "c.txt", "Zebra news\nThe zebra crossed.")
    big = _write(tmp_path / "big.txt", "Big\n" + "word " * 100)
    empty = _write(tmp_path / "empty.txt", "")
    report = ingestor.ingest([str(p) for p in (a, b, c, big, empty)], progress=False)
    data = json.loads(json.dumps(report.as_json()))
    assert set(data) >= {"added", "updated", "unchanged", "failed"}
    assert len(data["added"]) == len(data["updated"]) == len(data["unchanged"]) == 1
    failed = {Path(f["location"]).name: f["reason"] for f in data["failed"]}
    assert set(failed) == {"big.txt", "empty.txt"}
    assert "over the limit of 400" in failed["big.txt"]
    assert failed["empty.txt"] == "empty file"
    assert len(store.catalog.documents()) == 3
    assert "1 added, 1 updated, 1 unchanged, 2 failed" in report.summary()


def test_embedding_is_deterministic_and_unit_length(embed_model: LocalOnnxEmbedding) -> None:
    texts = ["Flood waters receded on Monday.", "캄보디아 당국", "x " * 400]
    a = embed_model.embed(texts)
    b = np.asarray(embed_model.get_text_embedding_batch(list(reversed(texts)))[::-1])
    assert a.shape == (3, 384)
    np.testing.assert_allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(a, b, atol=1e-5)  # same vector alone, in a batch, in any order
    single = np.asarray(embed_model.get_query_embedding(texts[0]))
    np.testing.assert_allclose(single, a[0], atol=1e-5)
    assert float(a[0] @ a[1]) < 0.99


class OtherModel(LocalOnnxEmbedding):
    def __init__(self) -> None:
        super().__init__(model_name="some-other-model")


def test_index_refuses_another_embedding_model(
    make_store: Callable[..., Store], tmp_path: Path
) -> None:
    store = make_store()
    Ingestor(store).ingest([str(_write(tmp_path / "a.txt", "A\nThe aardvark."))], progress=False)
    store.close()
    with pytest.raises(IndexMismatchError) as info:
        Store(store.settings, OtherModel())
    message = str(info.value)
    assert "all-MiniLM-L6-v2-onnx-int8" in message and "some-other-model" in message
    assert "REPORTBOT_DATA_DIR" in message and "REPORTBOT_EMBEDDING" in message
    # The Chroma collection records its model too (it may live on a shared server).
    client = make_chroma_client(store.settings)
    with pytest.raises(IndexMismatchError, match="some-other-model"):
        VectorIndex(client, store.settings.collection, "some-other-model")


class FlakyEmbedding(BatchEmbedding):
    """The same model (same name), except that it fails while ``down`` is set."""

    down: bool = False
    _inner: LocalOnnxEmbedding = PrivateAttr()

    def __init__(self, inner: LocalOnnxEmbedding) -> None:
        super().__init__(model_name=inner.model_name)
        self._inner = inner

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        if self.down:
            raise RuntimeError("embedding service down")
        return self._inner.get_text_embedding_batch(texts)


def test_failed_update_keeps_the_stored_version(
    make_settings: Callable[..., Settings], embed_model: LocalOnnxEmbedding, tmp_path: Path
) -> None:
    flaky = FlakyEmbedding(embed_model)
    store = Store(make_settings(), flaky)
    try:
        path = _write(tmp_path / "s.txt", "Aardvark news\nThe aardvark escaped from the zoo.")
        other = _write(tmp_path / "o.txt", "Zebra news\nThe zebra crossed the road.")
        ingestor = Ingestor(store)
        (doc_id, _) = ingestor.ingest([str(path), str(other)], progress=False).added
        _write(path, "Aardvark news\nThe aardvark was found in a garden.")
        flaky.down = True
        report = ingestor.ingest([str(path), str(other)], progress=False)
        assert report.updated == [] and len(report.unchanged) == 1
        (failed,) = report.failed
        assert failed["reason"] == "could not store: embedding service down"
        doc = store.catalog.get(doc_id)
        assert doc is not None and "escaped from the zoo" in doc.text
        assert len(_assert_consistent(store)) == 2
        assert _lexical_hits(store, "escaped") == {doc_id}
        flaky.down = False
        assert ingestor.ingest([str(path)], progress=False).updated == [doc_id]
        assert _lexical_hits(store, "garden") == {doc_id}
    finally:
        store.close()


def test_a_second_writer_process_gets_a_clear_error(make_store, tmp_path) -> None:  # type: ignore[no-untyped-def]
    store = make_store()
    report = Ingestor(store).ingest([str(SAMPLE_REPORT)], progress=False)
    assert report.added  # this process now holds the index for writing
    code = (
        "import sys; from bot.frontends.cli import main; "
        f"sys.exit(main(['--data-dir', {str(store.settings.data_dir)!r}, 'remove', "
        f"{report.added[0]!r}]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 2
    assert "Another reportbot process" in out.stderr and "writing to" in out.stderr
    assert store.catalog.get(report.added[0]) is not None  # nothing was removed
    store.close()  # releases the lock: another store may write now
    again = make_store()
    again.remove(report.added)
    assert again.catalog.documents() == []
    with pytest.raises(IndexBusyError, match="pid"):
        make_store()._claim_writer()  # a second handle in this process is refused too


def test_overlong_sentences_are_cut_at_clause_or_word_breaks() -> None:
    from index.ingest.chunking import MAX_SENTENCE_CHARS, chunk_document

    run_on = "The minister spoke, " + " ".join(f"word{i}" for i in range(3000)) + ". Next one."
    spans = split_sentences(run_on)
    assert len(spans) > 20
    assert all(e - s <= MAX_SENTENCE_CHARS for s, e in spans)
    assert run_on[spans[-1][0] : spans[-1][1]] == "Next one."
    # Nothing is lost, repeated or cut mid-word: the spans' words are the text's words.
    assert " ".join(run_on[s:e] for s, e in spans).split() == run_on.split()
    chunks = chunk_document("d", run_on, max_chars=1000)
    assert max(len(c.text) for c in chunks) <= 1000
    assert all(c.text == run_on[c.start : c.end] for c in chunks)

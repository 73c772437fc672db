"""The `reportbot` index commands as a user runs them: ingest, search, list, remove."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from bot.app.wiring import SAMPLE_REPORT
from index.storage.store import Store

REPORTBOT = Path(sys.executable).parent / "reportbot"


def _run(tmp_path: Path, *args: str, code: int = 0) -> str:
    env = {**os.environ, "REPORTBOT_DATA_DIR": str(tmp_path / "data")}
    done = subprocess.run(
        [str(REPORTBOT), *args], cwd=tmp_path, env=env, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert done.returncode == code, done.stderr
    return done.stdout


def test_ingest_search_list_remove(tmp_path: Path, make_store: Callable[..., Store]) -> None:
    reports = tmp_path / "reports"
    reports.mkdir()
    zoo = reports / "zoo.md"
    zoo.write_text("---\ntitle: Aardvark escapes\nsource: Zoo News\ndate: 2024-05-01\n"
                   "url: https://zoo.example/aardvark\n---\nThe aardvark escaped from the zoo "
                   "on Tuesday. Keepers found it in a garden nearby.\n")  # fmt: skip
    (reports / "empty.txt").write_text("")

    report = json.loads(
        _run(tmp_path, "ingest", str(SAMPLE_REPORT), str(reports), "--json", "-q", code=3)
    )  # 3: some inputs failed (empty.txt), the others landed
    assert len(report["added"]) == 2 and report["updated"] == report["unchanged"] == []
    assert [Path(f["location"]).name for f in report["failed"]] == ["empty.txt"]
    assert report["failed"][0]["reason"] == "empty file"

    hits = json.loads(_run(tmp_path, "search", "How many were deported?", "--k", "3", "--json"))
    assert 0 < len(hits) <= 3
    for key in ("doc_id", "title", "url", "source", "published", "text", "score"):
        assert key in hits[0]
    assert hits[0]["title"] == "3,455 Arrested from 20 Countries Since Late July"
    assert hits[0]["source"] == "The Asia Business Daily"
    assert any("2,825 foreigners" in h["text"] for h in hits)
    assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)

    batch = tmp_path / "questions.jsonl"
    questions = [{"id": "q1", "question": "aardvark escaped"},
                 {"id": "q2", "question": "deported foreigners"}]  # fmt: skip
    batch.write_text("".join(json.dumps(q) + "\n" for q in questions))
    out = _run(tmp_path, "search", "--batch", str(batch), "--k", "2")
    lines = [json.loads(x) for x in out.splitlines()]
    assert [x["id"] for x in lines] == ["q1", "q2"]
    assert all(0 < len(x["results"]) <= 2 for x in lines)
    top = lines[0]["results"][0]
    assert (top["title"], top["url"], top["published"]) == (
        "Aardvark escapes", "https://zoo.example/aardvark", "2024-05-01"
    )  # fmt: skip

    listed = json.loads(_run(tmp_path, "list", "--json"))
    by_title = {d["title"]: d for d in listed}
    assert set(by_title) == {"Aardvark escapes", "3,455 Arrested from 20 Countries Since Late July"}
    zoo_id = by_title["Aardvark escapes"]["doc_id"]
    assert by_title["Aardvark escapes"]["location"] == str(zoo.resolve())
    assert by_title["Aardvark escapes"]["chunks"] >= 1

    out = _run(tmp_path, "remove", str(zoo), by_title[hits[0]["title"]]["doc_id"])
    assert "removed 2" in out
    store = make_store(data_dir=tmp_path / "data")
    assert store.catalog.documents() == []
    assert store.catalog.get(zoo_id) is None
    assert store.vectors.count() == store.lexical.count() == 0

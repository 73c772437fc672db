"""`reportbot ask --json`, `ask --batch` and `chat`: the answer contract of DESIGN.md."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from bot.app.wiring import App
from bot.frontends.cli import main

KEYS = {"answer", "abstained", "citations", "mode", "verification", "notice"}
CITATION_KEYS = {"n", "doc_id", "title", "url", "source", "published", "quote", "start", "end"}


def _args(app: App, *rest: str) -> list[str]:
    return ["--data-dir", str(app.settings.data_dir), *rest]


def test_ask_json_prints_the_contract(sample_app: App, capsys: pytest.CaptureFixture) -> None:
    assert main(_args(sample_app, "ask", "How many were deported?", "--json")) == 0
    out = json.loads(capsys.readouterr().out)
    assert out.keys() >= KEYS and out["mode"] == "extractive" and not out["abstained"]
    assert "2,825" in out["answer"]
    cited = out["citations"][0]
    assert cited.keys() >= CITATION_KEYS
    doc = sample_app.store.catalog.get(cited["doc_id"])
    assert doc is not None and doc.text[cited["start"] : cited["end"]] == cited["quote"]
    short = out["short_answer"]  # a span of the cited report, copied exactly
    assert short["citation"] == 1 and doc.text[short["start"] : short["end"]] == short["text"]
    assert out["answer"].startswith(short["text"])


def test_ask_batch_answers_questions_and_turns(
    sample_app: App, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    batch = tmp_path / "q.jsonl"
    batch.write_text(
        json.dumps({"id": "a", "question": "How many were deported?"}) + "\n"
        + json.dumps({"id": "b", "turns": ["How many foreigners were deported?",
                                           "And how many of them were women?"]}) + "\n"
        + "not json\n"
        + json.dumps({"id": "c"}) + "\n",
        encoding="utf-8",
    )  # fmt: skip
    assert main(_args(sample_app, "ask", "--batch", str(batch))) == 3  # 2 answered, 2 refused
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line.get("id") for line in lines] == ["a", "b", None, "c"]
    assert "2,825" in lines[0]["answer"] and "476" in lines[1]["answer"]
    assert "invalid JSON" in lines[2]["error"] and "question" in lines[3]["error"]


def test_chat_holds_the_conversation(
    sample_app: App, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    turns = "How many foreigners were deported?\nAnd how many of them were women?\nquit\n"
    monkeypatch.setattr("sys.stdin", io.StringIO(turns))
    assert main(_args(sample_app, "chat")) == 0
    out = capsys.readouterr().out
    assert "extractive mode, 1 report)" in out
    assert out.count("[1] “") == 2 and "476 women" in out.split("2,825", 1)[1]

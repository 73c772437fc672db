"""`reportbot eval`: metric code on fixtures with known values, and the sample eval set in CI."""

from __future__ import annotations

import json
from pathlib import Path

from bot.app.evaluate import (
    EvalResult,
    contains_gold,
    evaluate,
    first_relevant_rank,
    load_questions,
    percentile,
    stems_gold,
)
from bot.app.wiring import SAMPLE_REPORT, App

EVAL_SET = Path(__file__).parent / "eval" / "sample.jsonl"


def _row(**kw: object) -> dict[str, object]:
    row: dict[str, object] = {
        "gold_docs": ["a"], "rank": None, "golds": ["x"], "contains_gold": False,
        "abstained": False, "expect_abstain": False, "citations_valid": True, "latency_ms": 1.0,
    }  # fmt: skip
    row.update(kw)
    return row


def test_rank_and_gold_helpers() -> None:
    assert first_relevant_rank(["x", "x", "y", "a"], {"a"}) == 3  # documents count once
    assert first_relevant_rank(["x"] * 3, {"a"}) is None
    assert contains_gold("It was 2,825 [1].", ["2,825"])
    assert contains_gold("They said “Hello”", ['"hello"'])
    assert not contains_gold("It was 2,800 [1].", ["2,825"])
    assert percentile(list(range(1, 21)), 0.95) == 19
    assert percentile([], 0.5) == 0.0


def test_metrics_on_known_rows() -> None:
    result = EvalResult(
        [
            _row(rank=1, contains_gold=True, latency_ms=10.0),
            _row(rank=3, latency_ms=20.0),
            _row(rank=None, latency_ms=30.0, citations_valid=False),
            _row(gold_docs=[], golds=[], expect_abstain=True, abstained=True, latency_ms=40.0),
            _row(gold_docs=[], golds=[], expect_abstain=True, abstained=False, latency_ms=50.0),
            _row(rank=7, abstained=True, latency_ms=60.0),
        ]
    )
    m = result.metrics()
    assert m["questions"] == 6
    assert m["hit@1"] == 0.25 and m["hit@5"] == 0.5 and m["hit@10"] == 0.75
    assert m["mrr@10"] == round((1 + 1 / 3 + 1 / 7) / 4, 4)
    assert m["answer_contains_gold"] == 0.25
    assert m["abstention_precision"] == 0.5 and m["abstention_recall"] == 0.5
    assert m["citation_validity"] == round(5 / 6, 4)
    assert m["latency_p50_ms"] == 35.0


def test_sample_eval_set_meets_its_bar(sample_app: App) -> None:
    """Regression guard: the numbers of the shipped eval set over the sample report."""
    records = load_questions(EVAL_SET)
    location = str(SAMPLE_REPORT.resolve())
    for r in records:
        r["urls"] = [location if u == "SAMPLE" else u for u in r.get("urls", [])]
    m = evaluate(sample_app, records).metrics()
    assert m["hit@1"] == 1.0
    assert m["answer_contains_gold"] is not None and m["answer_contains_gold"] >= 0.9, m
    assert m["abstention_precision"] == 1.0 and m["abstention_recall"] == 1.0, m
    assert m["citation_validity"] == 1.0, m


def test_eval_command_writes_table_and_json(sample_app: App, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    from bot.frontends.cli import main

    questions = tmp_path / "q.jsonl"
    questions.write_text(
        json.dumps({"id": "d", "question": "How many were deported?", "answers": ["2,825"]}) + "\n",
        encoding="utf-8",
    )
    out = tmp_path / "eval.json"
    code = main(
        ["--data-dir", str(sample_app.settings.data_dir), "eval", str(questions), "--out", str(out)]
    )
    assert code == 0
    assert "answer_contains_gold  1.0" in capsys.readouterr().out
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["metrics"]["answer_contains_gold"] == 1.0 and data["rows"][0]["id"] == "d"


def test_stems_gold_counts_reworded_right_answers() -> None:
    assert stems_gold("Spirit and Frontier Airlines [1]", ["Spirit Airlines and Frontier Airlines"])
    assert stems_gold("a nine-year sentence [1]", ["9"])
    assert stems_gold("2.5 million customers", ["2.5 million"])
    assert stems_gold("It fell to $4.33 a gallon.", ["$4.33"])
    assert not stems_gold("a female lion", ["A lioness"])
    assert not stems_gold("about 2.4 million customers", ["2.5 million"])
    assert not stems_gold("Spirit Airlines [1]", ["Spirit Airlines and Frontier Airlines"])


def test_metrics_report_short_answers_stems_and_answer_types() -> None:
    result = EvalResult(
        [
            _row(contains_gold=True, stems_gold=True, short_contains_gold=True, qtype="count"),
            _row(contains_gold=False, stems_gold=True, short_contains_gold=False, qtype="count"),
            _row(contains_gold=False, stems_gold=False, short_contains_gold=False, qtype="date",
                 abstained=True),
        ]
    )  # fmt: skip
    m = result.metrics()
    assert m["answer_contains_gold"] == round(1 / 3, 4)
    assert m["answer_stems_gold"] == round(2 / 3, 4)
    assert m["short_answer_contains_gold"] == round(1 / 3, 4)
    assert m["refused_answerable"] == round(1 / 3, 4)
    assert m["contains_gold[count]"] == 0.5 and m["questions[count]"] == 2
    assert m["contains_gold[date]"] == 0.0 and m["questions[date]"] == 1


def test_sample_eval_rows_carry_the_short_answer(sample_app: App) -> None:
    rows = evaluate(
        sample_app, [{"id": "d", "question": "How many were deported?", "answers": ["2,825"]}]
    ).rows
    assert rows[0]["short_answer"] == "2,825 foreigners"
    assert rows[0]["short_contains_gold"] and rows[0]["stems_gold"] and rows[0]["qtype"] == "count"

"""`reportbot eval`: retrieval, answer, abstention and citation metrics over a question file.

Answers are scored three ways: the answer contains a gold string (normalised), all of a gold's
word stems are in the answer, and the short direct answer contains a gold string; each also
per answer type of the question (count, date, person, org, place, …, general).

A question file is JSONL, one object per line:
  {"id", "question" | "turns": [...], "answers"?: [str] | "answer"?: str,
   "doc_ids"?: [str] | "urls"?: [str], "abstain"?: bool, "as_of"?: "YYYY-MM-DD",
   "direction"?: str}  (e.g. "ko→en": correct / abstained / wrong are counted per direction)
"""

from __future__ import annotations

import json
import re
import statistics
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.answering.question import Question, stem, stems, words
from bot.app.wiring import App
from bot.grounding.figures import find_figures
from bot.types import Answer
from index import STOPWORDS, Filters

_MARKER = re.compile(r"\[\d+\]")
_QUOTES = str.maketrans("’‘“”", "''\"\"")


def normalise(text: str) -> str:
    """NFKC, straight quotes, lower case, collapsed spaces: for answer-contains-gold."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    return " ".join(text.lower().split())


def contains_gold(answer: str, golds: list[str]) -> bool:
    text = normalise(_MARKER.sub("", answer))
    return any(normalise(g).strip(" .,;:!?\"'") in text for g in golds if g.strip())


def stems_gold(answer: str, golds: list[str]) -> bool:
    """Are all of a gold answer's word stems in the answer ("Spirit and Frontier Airlines" for
    "Spirit Airlines and Frontier Airlines")? Numbers match by value ("nine-year" for "9")."""
    text = _MARKER.sub("", answer)
    have = stems(text)
    values = {f.value for f in find_figures(text)}
    for gold in golds:
        gold = normalise(gold)
        figures = find_figures(gold)
        rest = gold
        for f in reversed(figures):
            rest = rest[: f.start] + " " + rest[f.end :]
        needed = [w for w in words(rest) if w not in STOPWORDS]
        if not needed and not figures:
            continue
        if {f.value for f in figures} <= values and all(stem(w) in have for w in needed):
            return True
    return False


def first_relevant_rank(ranked: list[str], gold: set[str], depth: int = 10) -> int | None:
    """1-based rank of the first gold document among distinct documents, or None."""
    for rank, doc_id in enumerate(list(dict.fromkeys(ranked))[:depth], start=1):
        if doc_id in gold:
            return rank
    return None


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def citations_valid(app: App, answer: Answer) -> bool:
    """Every [n] has a citation, every quote is the stored text at its offsets, figures verified."""
    numbers = {int(m.group()[1:-1]) for m in _MARKER.finditer(answer.answer)}
    by_n = {c.n: c for c in answer.citations}
    if not numbers <= set(by_n) or not answer.verification.ok:
        return False
    for c in answer.citations:
        doc = app.store.document(c.doc_id)
        if doc is None or doc.text[c.start : c.end] != c.quote:
            return False
    return True


@dataclass
class EvalResult:
    rows: list[dict[str, Any]] = field(default_factory=list)

    def metrics(self) -> dict[str, float | int | None]:
        rows = self.rows
        retr = [r for r in rows if r["gold_docs"]]
        ans = [r for r in rows if r["golds"] and not r["expect_abstain"]]
        predicted = [r for r in rows if r["abstained"]]
        expected = [r for r in rows if r["expect_abstain"]]
        both = [r for r in predicted if r["expect_abstain"]]

        def share(items: list[dict[str, Any]], key: str) -> float | None:
            return round(sum(bool(r[key]) for r in items) / len(items), 4) if items else None

        def hit(k: int) -> float | None:
            if not retr:
                return None
            return round(sum(1 for r in retr if r["rank"] and r["rank"] <= k) / len(retr), 4)

        latency = [r["latency_ms"] for r in rows]
        answered = [r for r in ans if not r["abstained"]]
        by_type: dict[str, float | int | None] = {}
        for qtype in sorted({r.get("qtype") or "general" for r in ans}):
            of_type = [r for r in ans if (r.get("qtype") or "general") == qtype]
            by_type[f"contains_gold[{qtype}]"] = share(of_type, "contains_gold")
            by_type[f"questions[{qtype}]"] = len(of_type)
        # Per "direction" of a record ("ko→en": Korean questions over English reports):
        # correct (the gold, in the short answer when there is one, or abstaining when
        # expected), abstained on an answerable question, wrong.
        for direction in sorted({str(r["direction"]) for r in rows if r.get("direction")}):
            outcomes = [outcome(r) for r in rows if r.get("direction") == direction]
            for kind in ("correct", "abstained", "wrong"):
                by_type[f"{kind}[{direction}]"] = outcomes.count(kind)
        return {
            "questions": len(rows),
            "hit@1": hit(1),
            "hit@5": hit(5),
            "hit@10": hit(10),
            "mrr@10": round(sum(1 / r["rank"] for r in retr if r["rank"]) / len(retr), 4)
            if retr
            else None,
            "answer_contains_gold": share(ans, "contains_gold"),
            "answer_stems_gold": share(ans, "stems_gold")
            if ans and "stems_gold" in ans[0]
            else None,
            "short_answer_contains_gold": share(ans, "short_contains_gold")
            if ans and "short_contains_gold" in ans[0]
            else None,
            "refused_answerable": round(1 - len(answered) / len(ans), 4) if ans else None,
            "abstention_precision": round(len(both) / len(predicted), 4) if predicted else None,
            "abstention_recall": round(len(both) / len(expected), 4) if expected else None,
            "citation_validity": share(rows, "citations_valid"),
            "latency_p50_ms": round(statistics.median(latency), 2) if latency else None,
            "latency_p95_ms": round(percentile(latency, 0.95), 2) if latency else None,
            **by_type,
        }


def outcome(row: dict[str, Any]) -> str:
    """One row's outcome: "correct", "abstained" (on an answerable question) or "wrong"."""
    if row["expect_abstain"]:
        return "correct" if row["abstained"] else "wrong"
    if row["abstained"]:
        return "abstained"
    right = row["short_contains_gold"] if row.get("short_answer") else row["contains_gold"]
    return "correct" if right else "wrong"


def _gold_docs(app: App, record: dict[str, Any]) -> set[str]:
    gold = set(record.get("doc_ids") or [])
    for url in record.get("urls") or []:
        gold.update(app.store.find(url))
    return gold


def evaluate(app: App, records: list[dict[str, Any]], k: int = 10) -> EvalResult:
    """Ask every question (multi-turn when "turns"), score retrieval, answers and citations."""
    result = EvalResult()
    for record in records:
        turns = record.get("turns") or [record["question"]]
        golds = record.get("answers") or ([record["answer"]] if record.get("answer") else [])
        conversation = None
        filters = Filters(as_of=record.get("as_of"))
        start = time.perf_counter()
        for turn in turns:
            answer = app.service.answer(turn, conversation, filters)
            conversation = answer.conversation_id
        latency = (time.perf_counter() - start) * 1000 / len(turns)
        app.service.reset(conversation or "")
        short = answer.short_answer.text if answer.short_answer else None
        gold_docs = _gold_docs(app, record)
        rank = None
        if gold_docs:
            query = turns[-1] if len(turns) == 1 else " ".join(turns)
            hits = app.searcher.search(query, k=k, filters=filters)
            rank = first_relevant_rank([h.document.doc_id for h in hits], gold_docs)
        result.rows.append(
            {
                "id": record.get("id"),
                "question": turns[-1],
                "answer": answer.answer,
                "golds": golds,
                "gold_docs": sorted(gold_docs),
                "rank": rank,
                "contains_gold": contains_gold(answer.answer, golds) if golds else None,
                "stems_gold": stems_gold(answer.answer, golds) if golds else None,
                "short_answer": short,
                "short_contains_gold": bool(short and contains_gold(short, golds))
                if golds
                else None,
                "qtype": Question.parse(turns[-1]).atype,
                "direction": record.get("direction"),
                "abstained": answer.abstained,
                "expect_abstain": bool(record.get("abstain")),
                "citations_valid": citations_valid(app, answer),
                "latency_ms": round(latency, 2),
            }
        )
    return result


def load_questions(path: Path) -> list[dict[str, Any]]:
    records = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        record = json.loads(line)
        if not (isinstance(record.get("question"), str) or isinstance(record.get("turns"), list)):
            raise ValueError(f'{path}:{n}: each line needs "question" or "turns"')
        records.append(record)
    return records


def format_table(metrics: dict[str, float | int | None]) -> str:
    width = max(len(k) for k in metrics)
    return "\n".join(f"{k.ljust(width)}  {'–' if v is None else v}" for k, v in metrics.items())

"""RGB en_fact (counterfactual robustness): does the answer follow the true passages or the
counterfactual ones, and are conflicts shown?

Each question's snippets (true, counterfactual, irrelevant) are ingested as reports whose
outlet is the question's id, and the question is asked with --source restricted to it, so
each question sees exactly its own snippets.

  python tests/benchmarks/bench_rgb.py --shared ../shared [--data-dir /tmp/rb-rgb]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bot.app.evaluate import contains_gold
from bot.app.wiring import build_app
from bot.config.settings import Settings
from index.search import Filters

KINDS = (("positive", "true"), ("positive_wrong", "counterfactual"), ("negative", "irrelevant"))


def snippets_jsonl(rows: list[dict], out: Path) -> None:
    with out.open("w", encoding="utf-8") as f:
        for row in rows:
            for field, kind in KINDS:
                for i, text in enumerate(row.get(field) or []):
                    record = {"id": f"q{row['id']}-{kind}-{i}", "source": f"q{row['id']}",
                              "title": None, "text": text}  # fmt: skip
                    f.write(json.dumps(record) + "\n")


def _strings(value: object) -> list[str]:
    """An RGB answer: a string, or (nested) lists of acceptable strings."""
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return [str(value)]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--shared", type=Path, required=True)
    p.add_argument("--data-dir", type=Path, help="default: a temporary folder")
    p.add_argument("--out", type=Path, help="per-question rows as JSON")
    args = p.parse_args()
    path = args.shared / "bench" / "rgb" / "en_fact.json"
    rows = [json.loads(line) for line in path.open(encoding="utf-8")]
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = args.data_dir or Path(tmp) / "data"
        app = build_app(Settings(data_dir=data_dir, answerer="extractive"))
        feed = Path(tmp) / "rgb.jsonl"
        snippets_jsonl(rows, feed)
        app.ingestor.ingest([str(feed)], progress=False)
        counts: Counter[str] = Counter()
        out = []
        for row in rows:
            golds, fakes = _strings(row["answer"]), _strings(row["fakeanswer"])
            answer = app.service.answer(row["query"], None, Filters(source=f"q{row['id']}"))
            true, fake = contains_gold(answer.answer, golds), contains_gold(answer.answer, fakes)
            kinds = {c.doc_id.split("-")[1] for c in answer.citations}
            verdict = (
                "abstained" if answer.abstained
                else "both" if true and fake
                else "true" if true
                else "counterfactual" if fake
                else "neither"
            )  # fmt: skip
            counts[verdict] += 1
            shown = answer.answer.startswith(("The reports give different", "The reports differ"))
            counts["conflict_shown"] += shown
            counts["both_shown_as_conflict"] += shown and verdict == "both"
            counts["cites_counterfactual"] += "counterfactual" in kinds
            out.append({"id": row["id"], "query": row["query"], "verdict": verdict,
                        "answer": answer.answer})  # fmt: skip
    n = len(rows)
    summary = {
        "questions": n,
        **dict(sorted(counts.items())),
        "share_true": round(counts["true"] / n, 3),
        "share_counterfactual": round(counts["counterfactual"] / n, 3),
    }
    print(json.dumps(summary, indent=1))
    if args.out:
        args.out.write_text(json.dumps(out, indent=1, ensure_ascii=False), "utf-8")


if __name__ == "__main__":
    main()

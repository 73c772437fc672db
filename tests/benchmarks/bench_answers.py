"""Answer benchmark over RealTimeQA dev questions: `reportbot eval` on an index built by
bench_index.py (extractive by default), printing answer-contains-gold (exact, by word stems,
of the short answer), refusals, per-answer-type accuracy, hit@k and latency, for all the dev
questions and for its two halves: thresholds are chosen on the even question ids ("tune"),
the odd ones ("held_out") show whether they generalise.

  python tests/benchmarks/bench_answers.py --shared ../shared --data-dir /tmp/reportbot-bench
  python tests/benchmarks/bench_answers.py --shared ../shared --reader regex
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from common import load_questions

from bot.app.evaluate import EvalResult, evaluate
from bot.app.wiring import build_app
from bot.config.settings import Settings


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--shared", type=Path, required=True, help="path to the shared/ folder")
    p.add_argument("--data-dir", type=Path, default=Path("/tmp/reportbot-bench"))
    p.add_argument("--out", type=Path, help="per-question rows as JSON")
    p.add_argument("--no-as-of", dest="as_of", action="store_false",
                   help="ask as of today instead of each question's date")  # fmt: skip
    p.add_argument("--reader", choices=["spacy", "regex"], default="spacy")
    args = p.parse_args()
    app = build_app(Settings(data_dir=args.data_dir, answerer="extractive", reader=args.reader))
    questions = load_questions(args.shared)
    records = [
        {"id": q["id"], "question": q["question"], "answers": [q["answer"]],
         "doc_ids": q["article_ids"], "in_text": q["answer_in_text"],
         "as_of": q["date"] if args.as_of else None}
        for q in questions
    ]  # fmt: skip
    app.service.answer("Who warms up the models?")  # loads the entity model too (a name asked)
    result = evaluate(app, records)
    metrics = result.metrics()
    in_text = [r for r, rec in zip(result.rows, records, strict=True) if rec["in_text"]]
    metrics["answer_contains_gold_in_text_subset"] = round(
        sum(bool(r["contains_gold"]) for r in in_text) / max(1, len(in_text)), 4
    )
    metrics["abstained"] = sum(r["abstained"] for r in result.rows)
    for half, parity in (("tune", 0), ("held_out", 1)):
        rows = [r for r in result.rows if int(str(r["id"]).rsplit("_", 1)[-1]) % 2 == parity]
        part = EvalResult(rows).metrics()
        keys = ("questions", "answer_contains_gold", "answer_stems_gold",
                "short_answer_contains_gold", "refused_answerable")  # fmt: skip
        metrics[half] = {k: part[k] for k in keys}
    print(json.dumps(metrics, indent=1))
    if args.out:
        args.out.write_text(json.dumps(result.rows, indent=1, ensure_ascii=False), "utf-8")


if __name__ == "__main__":
    main()

"""Default (MiniLM) vs multilingual (e5) mode on one RealTimeQA slice: ingest chunks/s,
article hit@5 / MRR@10 of English questions, ask latency; and the Korean/English eval set.

  python tests/benchmarks/bench_multilingual.py --shared ../shared --work /tmp/rb-ml \
      [--questions 30] [--distractors 100]

The slice is the gold articles of the first N dev questions plus the first M other articles,
so both modes index exactly the same reports. Each mode builds its own index under --work
(kept: a second run reuses it and only measures search and answers).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from common import build_corpus, load_questions, percentiles, rank_metrics

from bot.app.evaluate import evaluate
from bot.app.evaluate import load_questions as load_eval
from bot.app.wiring import SAMPLE_REPORT, build_app
from bot.config.settings import Settings
from index.search import Filters

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "multilingual"
HELD_OUT = FIXTURES.with_name("multilingual-heldout")


def slice_corpus(shared: Path, work: Path, n_questions: int, n_other: int) -> tuple[Path, list]:
    corpus = build_corpus(shared, work / "corpus.jsonl")
    questions = load_questions(shared)[:n_questions]
    gold = {a for q in questions for a in q["article_ids"]}
    out = work / f"slice-{n_questions}-{n_other}.jsonl"
    if not out.exists():
        others = 0
        with corpus.open(encoding="utf-8") as src, out.open("w", encoding="utf-8") as dst:
            for line in src:
                rid = json.loads(line)["id"]
                if rid in gold or others < n_other:
                    others += rid not in gold
                    dst.write(line)
    return out, questions


def run_mode(mode: str, work: Path, corpus: Path, questions: list) -> dict[str, object]:
    settings = Settings(_env_file=None, data_dir=work / mode, embedding=mode)  # type: ignore[call-arg]
    app = build_app(settings)
    t = time.perf_counter()
    report = app.ingestor.ingest([str(corpus)], progress=False)
    seconds = time.perf_counter() - t
    ranked, plain, search_ms, ask_ms = [], [], [], []
    for q in questions:
        # Without the recency prior too: on a small slice the prior alone finds the article.
        plain.append([h.document.doc_id for h in app.searcher.search(q["question"], k=10)])
        filters = Filters(as_of=q["date"])
        t = time.perf_counter()
        hits = app.searcher.search(q["question"], k=10, filters=filters)
        search_ms.append((time.perf_counter() - t) * 1000)
        ranked.append([h.document.doc_id for h in hits])
        t = time.perf_counter()
        app.service.answer(q["question"], filters=filters)
        ask_ms.append((time.perf_counter() - t) * 1000)
    gold = [set(q["article_ids"]) for q in questions]
    return {
        "chunks": app.store.catalog.count_ready_chunks(),
        "ingested_chunks": report.chunks,
        "ingest_chunks_per_s": round(report.chunks / seconds, 2) if report.chunks else None,
        **{k: round(v, 3) for k, v in rank_metrics(ranked, gold).items()},
        "no_as_of": {k: round(v, 3) for k, v in rank_metrics(plain, gold).items()},
        "search": percentiles(search_ms),
        "ask": percentiles(ask_ms),
    }


def run_eval_set(mode: str, work: Path) -> dict[str, object]:
    """The Korean/English eval set over the sample report and the Korean fixture reports, and
    the held-out set over those and its own three reports."""
    out: dict[str, object] = {}
    sets = [("eval_set", FIXTURES, []), ("held_out", HELD_OUT, sorted(HELD_OUT.glob("*.txt")))]
    for name, folder, extra in sets:
        settings = Settings(_env_file=None, data_dir=work / f"{name}-{mode}", embedding=mode)  # type: ignore[call-arg]
        app = build_app(settings)
        reports = [SAMPLE_REPORT, *sorted(FIXTURES.glob("ko-*.txt")), *extra]
        app.ingestor.ingest(list(map(str, reports)), progress=False)
        metrics = evaluate(app, load_eval(folder / "questions.jsonl")).metrics()
        out[name] = {k: v for k, v in metrics.items() if ("[" in k and "→" in k) or "latency" in k}
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--shared", type=Path, required=True)
    p.add_argument("--work", type=Path, default=Path("/tmp/reportbot-bench-multilingual"))
    p.add_argument("--questions", type=int, default=30)
    p.add_argument("--distractors", type=int, default=100)
    p.add_argument("--modes", default="local,multilingual")
    args = p.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    corpus, questions = slice_corpus(args.shared, args.work, args.questions, args.distractors)
    out = {}
    for mode in args.modes.split(","):
        out[mode] = {"realtimeqa": run_mode(mode, args.work, corpus, questions),
                     **run_eval_set(mode, args.work)}  # fmt: skip
        print(json.dumps({mode: out[mode]}, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()

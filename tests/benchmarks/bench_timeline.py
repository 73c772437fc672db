"""Figure timelines (issue 16): series precision/recall on a labelled set, reach, latency.

  python tests/benchmarks/bench_timeline.py quality
  python tests/benchmarks/bench_timeline.py build   --shared ../shared --data-dir /tmp/rb-tl-big
  python tests/benchmarks/bench_timeline.py latency --data-dir /tmp/rb-tl-big [--real-query-model]

`quality` indexes tests/fixtures/timeline/reports.jsonl (invented reports on one invented
story, with syndicated copies, worded figures, ranges, separators and distractor figures) in a
temporary folder and scores each labelled claim's series against gold.json: a returned point
is right when its (report, value) is a gold point of the gold series its series maps to (by
most shared points); precision over returned points, recall over gold points; dates and
date kinds checked on the right ones; syndicated copies must be one point "also in" the rest.

`build` indexes the 6,442 RealTimeQA articles plus the labelled reports (resumable). Embedding
53k chunks with the offline model takes ~1.5 h on 2 cores, so `build` uses a stand-in
embedding (a hash of the words, 384 dimensions, the real model's size): Chroma's HNSW search
costs the same for any vectors, BM25 is real. `latency` times `TimelineBuilder.build` (wide
retrieval, reading every reached report, grouping, citing) over a set of claims and adds the
real model's query embedding time, measured separately, to each; and measures how many of the
story's reports an answer's 8 chunks reach versus the timeline's wide retrieval.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from llama_index.core.base.embeddings.base import BaseEmbedding  # noqa: E402

from bot.app.wiring import build_app, quiet_offline_env  # noqa: E402
from bot.config.settings import Settings  # noqa: E402
from bot.timeline.build import TimelineBuilder  # noqa: E402
from index import HybridSearcher, Store  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "timeline"
CLAIMS = [  # latency: the labelled story's claims and RealTimeQA topics
    "foreigners deported from Marovia",
    "arrests in Marovia",
    "how has the number of deportations from Marovia changed?",
    "people killed in the shooting",
    "Ukrainian refugees who fled to Poland",
    "COVID-19 cases reported",
    "homes destroyed by the hurricane",
    "jobs added to the US economy",
    "migrants who crossed the border",
    "people arrested during the protests",
    "troops deployed",
    "flights cancelled",
]


def score(builder: TimelineBuilder, gold: dict[str, Any]) -> dict[str, Any]:
    """Point precision / recall per claim and overall, date accuracy, copy merging."""
    rows = []
    first = gold["claims"][0]["series"]
    tp = fp = fn = dated_ok = 0
    merge_ok = merge_n = 0
    misses: list[str] = []
    for case in gold["claims"]:
        want = {
            name: first[name] if isinstance(points, str) else points
            for name, points in case["series"].items()
        }
        gold_pts = {(name, p["doc"], p["value"]): p for name, ps in want.items() for p in ps}
        timeline = builder.build(case["claim"])
        got_tp = got_fp = 0
        for s in timeline.series:
            pts = [(p.doc_id, p.mention.value, p) for p in s.points]
            votes = Counter(
                name for name, ps in want.items() for d, v, _ in pts
                if any(g["doc"] == d and g["value"] == v for g in ps)
            )  # fmt: skip
            mapped = votes.most_common(1)[0][0] if votes else None
            for d, v, p in pts:
                g = gold_pts.pop((mapped, d, v), None) if mapped else None
                if g is None:
                    got_fp += 1
                    misses.append(f"{case['claim']}: extra {s.label} {v:g} ({d})")
                    continue
                got_tp += 1
                when = p.date.isoformat() if p.date and p.date_kind != "ingested" else None
                dated_ok += when == g["date"] and p.date_kind == g["date_kind"]
                if "also_in" in g:
                    merge_n += 1
                    merge_ok += sorted(p.citation.also_in) == sorted(g["also_in"])
        for (name, d, v), g in gold_pts.items():
            misses.append(f"{case['claim']}: missed {name} {v:g} ({d})" +
                          (f" — {g['hard']}" if "hard" in g else ""))  # fmt: skip
        n_gold = sum(len(ps) for ps in want.values())
        got_fn = len(gold_pts)
        rows.append({"claim": case["claim"], "gold": n_gold, "returned": got_tp + got_fp,
                     "right": got_tp, "precision": _ratio(got_tp, got_tp + got_fp),
                     "recall": _ratio(got_tp, n_gold)})  # fmt: skip
        tp, fp, fn = tp + got_tp, fp + got_fp, fn + got_fn
    return {
        "claims": rows,
        "precision": _ratio(tp, tp + fp),
        "recall": _ratio(tp, tp + fn),
        "dated_right": _ratio(dated_ok, tp),
        "copies_merged_right": _ratio(merge_ok, merge_n),
        "misses": misses,
    }


def _ratio(a: int, b: int) -> float:
    return round(a / b, 3) if b else 0.0


def cmd_quality(args: argparse.Namespace) -> None:
    quiet_offline_env()
    from bot.app.wiring import open_store

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(_env_file=None, data_dir=Path(tmp) / "data")  # type: ignore[call-arg]
        store = open_store(settings)
        app = build_app(settings, store)
        files = [str(FIXTURES / "reports.jsonl"), str(FIXTURES / "heldout.jsonl")]
        report = app.ingestor.ingest(files, progress=False)
        assert not report.failed, report.failed
        result = {}
        for name in ("gold", "heldout-gold"):
            gold = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
            result[name] = score(TimelineBuilder(app.searcher), gold)
        store.close()
    print(json.dumps(result, indent=1, ensure_ascii=False))


class StandInEmbedding(BaseEmbedding):
    """384-d unit vectors from hashed words: free to compute, same search cost as MiniLM."""

    model_name: str = "stand-in-hash-384"

    def _vec(self, text: str) -> list[float]:
        v = np.zeros(384, dtype=np.float32)
        for w in text.lower().split()[:400]:
            h = int.from_bytes(hashlib.blake2b(w.encode(), digest_size=4).digest(), "little")
            v[h % 384] += 1.0 if h & 1 else -1.0
        n = float(np.linalg.norm(v)) or 1.0
        return (v / n).tolist()

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._vec(query)

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._vec(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._vec(text)

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return [self._vec(t) for t in texts]


def _open(data_dir: Path) -> Store:
    quiet_offline_env()
    settings = Settings(_env_file=None, data_dir=data_dir)  # type: ignore[call-arg]
    return Store(settings, StandInEmbedding())


def cmd_build(args: argparse.Namespace) -> None:
    from common import build_corpus

    from index import Ingestor

    corpus = build_corpus(args.shared, args.data_dir / "corpus.jsonl")
    store = _open(args.data_dir)
    t = time.perf_counter()
    report = Ingestor(store).ingest([str(corpus), str(FIXTURES / "reports.jsonl")])
    print(json.dumps({"summary": report.summary(), "seconds": round(time.perf_counter() - t),
                      "documents": store.count()}))  # fmt: skip
    store.close()


def cmd_latency(args: argparse.Namespace) -> None:
    store = _open(args.data_dir)
    searcher = HybridSearcher(store)
    builder = TimelineBuilder(searcher)
    query_ms = 0.0
    if args.real_query_model:  # what the real model adds per claim (the stand-in costs ~0)
        from index import make_embedding

        model = make_embedding(store.settings)
        model.get_query_embedding("warm up")
        t = time.perf_counter()
        for c in CLAIMS:
            model.get_query_embedding(c)
        query_ms = (time.perf_counter() - t) * 1000 / len(CLAIMS)
    for c in CLAIMS[:3]:
        builder.build(c)  # warm-up: caches, first queries
    ms: list[float] = []
    sizes = []
    for _ in range(args.rounds):
        for c in CLAIMS:
            t = time.perf_counter()
            tl = builder.build(c)
            ms.append((time.perf_counter() - t) * 1000 + query_ms)
            sizes.append((tl.reports, sum(len(s.points) for s in tl.series)))
    story = {"mh-0805", "cd-0902", "nt-0902", "hp-0903", "mt-0915", "mh-1010", "rdw-1120",
             "kt-undated"}  # fmt: skip
    reach = {}
    for k in (8, 20, 50, 120, 200):
        found = {h.document.doc_id for h in searcher.search(CLAIMS[0], k=k)}
        reach[k] = f"{len(found & story)}/{len(story)}"
    ms.sort()
    print(json.dumps({
        "documents": store.count(), "claims": len(CLAIMS), "runs": len(ms),
        "p50_ms": round(statistics.median(ms), 1),
        "p95_ms": round(ms[int(0.95 * (len(ms) - 1))], 1),
        "max_ms": round(ms[-1], 1), "query_embedding_ms_added": round(query_ms, 1),
        "reports_reached_median": statistics.median(r for r, _ in sizes),
        "points_median": statistics.median(p for _, p in sizes),
        "story_reports_reached_by_k": reach,
    }, indent=1))  # fmt: skip
    store.close()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser("quality").set_defaults(func=cmd_quality)
    b = sub.add_parser("build")
    b.add_argument("--shared", type=Path, required=True)
    b.add_argument("--data-dir", type=Path, required=True)
    b.set_defaults(func=cmd_build)
    lat = sub.add_parser("latency")
    lat.add_argument("--data-dir", type=Path, required=True)
    lat.add_argument("--rounds", type=int, default=3)
    lat.add_argument("--real-query-model", action="store_true")
    lat.set_defaults(func=cmd_latency)
    args = p.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()

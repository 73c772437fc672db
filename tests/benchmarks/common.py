"""Shared helpers for the benchmark scripts: the RealTimeQA corpus, questions and metrics.

Standard library and numpy only: scripts that run outside the project's venv import it too.
"""

from __future__ import annotations

import gzip
import json
import statistics
from pathlib import Path
from urllib.parse import urlparse

import numpy as np


def build_corpus(shared: Path, out: Path) -> Path:
    """Write articles + distractors as one reportbot JSONL file (once) and return its path."""
    if out.exists():
        return out
    rtqa = shared / "bench" / "realtimeqa"
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8") as f:
        for opener, name in ((open, "articles.jsonl"), (gzip.open, "distractors.jsonl.gz")):
            with opener(rtqa / name, "rt", encoding="utf-8") as src:  # type: ignore[operator]
                for line in src:
                    r = json.loads(line)
                    host = urlparse(r.get("url") or "").netloc.removeprefix("www.")
                    rec = {"id": r["id"], "url": r.get("url"), "title": r.get("title"),
                           "date": r.get("date"), "source": r.get("source") or host,
                           "text": r["text"]}  # fmt: skip
                    f.write(json.dumps(rec) + "\n")
    tmp.rename(out)
    return out


def load_questions(shared: Path) -> list[dict]:
    path = shared / "bench" / "realtimeqa" / "questions-dev.jsonl"
    return [json.loads(line) for line in path.open(encoding="utf-8")]


def rank_metrics(ranked_doc_ids: list[list[str]], gold: list[set[str]]) -> dict[str, float]:
    """Article-level hit@1/5/10 and MRR@10 (a document counts once, at its best rank)."""
    hits = {1: 0, 5: 0, 10: 0}
    rr = 0.0
    for ranked, g in zip(ranked_doc_ids, gold, strict=True):
        docs = list(dict.fromkeys(ranked))[:10]
        first = next((i for i, d in enumerate(docs, 1) if d in g), None)
        for k in hits:
            hits[k] += bool(first and first <= k)
        rr += 1.0 / first if first else 0.0
    n = len(gold) or 1
    return {"hit@1": hits[1] / n, "hit@5": hits[5] / n, "hit@10": hits[10] / n, "mrr@10": rr / n}


def percentiles(ms: list[float]) -> dict[str, float]:
    ms = sorted(ms)
    if not ms:
        return {"p50_ms": 0.0, "p95_ms": 0.0}
    return {
        "p50_ms": statistics.median(ms),
        "p95_ms": ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))],
    }


# -- cross-validation (bench_cv.py, bench_bm25_params.py) ---------------------------------------
def date_folds(ids_dates: list[tuple[str, str]], k: int) -> list[int]:
    """Fold of each question: sorted by (date, id) and dealt round robin, so every fold
    spans the whole period."""
    order = sorted(range(len(ids_dates)), key=lambda i: (ids_dates[i][1], ids_dates[i][0]))
    fold = [0] * len(ids_dates)
    for pos, i in enumerate(order):
        fold[i] = pos % k
    return fold


def first_rank_metrics(firsts: np.ndarray) -> dict[str, float]:
    """hit@1/5/10 and MRR@10 from each question's first gold rank (> 10: a miss)."""
    n = len(firsts) or 1
    return {
        "hit@1": float((firsts <= 1).sum() / n),
        "hit@5": float((firsts <= 5).sum() / n),
        "hit@10": float((firsts <= 10).sum() / n),
        "mrr@10": float(np.where(firsts <= 10, 1.0 / firsts, 0).sum() / n),
    }


def objective(firsts: np.ndarray) -> float:
    """What cross-validation maximises: MRR@10 + hit@5."""
    m = first_rank_metrics(firsts)
    return m["mrr@10"] + m["hit@5"]

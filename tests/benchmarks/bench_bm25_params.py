"""Do BM25's k1 and b matter for our retrieval? (tantivy's Python API fixes k1=1.2, b=0.75.)

  python tests/benchmarks/bench_bm25_params.py export --work /tmp/rb-cv --out /tmp/rb-bm25
  /tmp/rb-bm25/venv/bin/python tests/benchmarks/bench_bm25_params.py run --out /tmp/rb-bm25 \
      --dev ../shared/bench/realtimeqa/questions-dev.jsonl \
      --generated /tmp/rb-cv/generated.jsonl

``export`` (project venv, after ``bench_cv.py prepare``) writes the indexed chunks ("title +
chunk", as ingest indexes them) of ``docs.pkl`` to ``chunks.jsonl``. ``run`` needs only bm25s,
PyStemmer and numpy (a separate venv: none is a project dependency) and imports nothing from
the project. It builds one bm25s index over all chunks (English stopwords, Snowball English
stemmer) per setting: method "lucene" over a k1 x b grid, plus "bm25+" and "bm25l" at k1=1.2,
b=0.75. Every question scores every chunk; "as of" masks the chunks of reports published
after the question's date before ranking (a report without a date stays eligible); no recency
bonus, no dense side: BM25 alone. Article-level hit@k and MRR@10 over the top 10 reports of
the top 200 chunks.

The 98 dev questions are split into 5 folds by date as in ``bench_cv.py``; (k1, b) is chosen
on 4 folds (MRR@10 + hit@5, as of plus without it; ties keep k1=1.2, b=0.75) and scored on
the fifth; held-out rows pool the five held-out folds. The generated set is scored at the
setting chosen on all 98 and is never used for choosing. Nothing from ../shared is written
into the repository.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from common import date_folds, first_rank_metrics, objective

DEPTH = 200  # chunks ranked per question
K1S = [0.6, 0.9, 1.2, 1.5, 2.0]
BS = [0.3, 0.5, 0.75, 0.9, 1.0]
BASE = ("lucene", 1.2, 0.75)  # tantivy's fixed parameters
SETTINGS = [("lucene", k1, b) for k1 in K1S for b in BS] + [
    ("bm25+", 1.2, 0.75),
    ("bm25l", 1.2, 0.75),
]
MISS = 99  # first gold rank of a question whose report is not in the top 10


# -- export (project venv) -----------------------------------------------------------------
def cmd_export(args: argparse.Namespace) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import bench_cv

    docs = bench_cv.read_docs(args.work)
    args.out.mkdir(parents=True, exist_ok=True)
    n = 0
    with (args.out / "chunks.jsonl").open("w", encoding="utf-8") as f:
        for d in docs:
            for cid, body in d.chunks:
                assert cid.split(":", 1)[0] == d.doc_id, cid
                row = {"chunk_id": cid, "doc_id": d.doc_id, "published": d.published}
                f.write(json.dumps({**row, "text": body}) + "\n")
                n += 1
    print(json.dumps({"docs": len(docs), "chunks": n, "out": str(args.out / "chunks.jsonl")}))


# -- run (bm25s venv) ----------------------------------------------------------------------


def rr(firsts: np.ndarray) -> np.ndarray:
    return np.where(firsts <= 10, 1.0 / firsts, 0.0)


def _r(m: dict[str, float], keys: tuple[str, ...] = ("hit@5", "mrr@10")) -> dict[str, float]:
    return {k: round(m[k], 3) for k in keys}


def _name(s: tuple[str, float, float]) -> str:
    return f"{s[0]} k1={s[1]} b={s[2]}"


def first_gold(
    retriever: Any,
    query_ids: list[list[int]],
    gold: list[set[str]],
    eligible: list[np.ndarray | None],
    doc_of: np.ndarray,
) -> np.ndarray:
    """Rank of each question's first gold report (``MISS`` outside the top 10). Only chunks
    that contain a query term are ranked (as in tantivy); ``eligible`` masks the others."""
    indices, indptr, n = (retriever.scores[k] for k in ("indices", "indptr", "num_docs"))
    out = []
    for ids, g, elig in zip(query_ids, gold, eligible, strict=True):
        if not ids:
            out.append(MISS)
            continue
        scores = retriever.get_scores_from_ids(ids)
        matched = np.zeros(n, dtype=bool)
        for t in set(ids):
            matched[indices[indptr[t] : indptr[t + 1]]] = True
        if elig is not None:
            matched &= elig
        cand = np.flatnonzero(matched)
        top = cand[np.argsort(-scores[cand], kind="stable")[:DEPTH]]
        reports = list(dict.fromkeys(doc_of[top].tolist()))[:10]
        out.append(next((i for i, d in enumerate(reports, 1) if d in g), MISS))
    return np.asarray(out)


def cmd_run(args: argparse.Namespace) -> None:
    import bm25s
    import Stemmer

    t0 = time.perf_counter()
    rows = [json.loads(line) for line in (args.out / "chunks.jsonl").open(encoding="utf-8")]
    doc_of = np.asarray([r["doc_id"] for r in rows])
    published = np.asarray([(r["published"] or "")[:10] for r in rows])  # "" <= any date
    stemmer = Stemmer.Stemmer("english")
    corpus = bm25s.tokenize(
        [r["text"] for r in rows], stopwords="en", stemmer=stemmer, show_progress=False
    )
    tokenize_s = time.perf_counter() - t0
    known = set(doc_of.tolist())
    sets: dict[str, list[dict]] = {}
    for name, path in (("dev", args.dev), ("generated", args.generated)):
        qs = [json.loads(line) for line in path.open(encoding="utf-8")]
        sets[name] = [q for q in qs if set(q["article_ids"]) & known]
    qtokens = {
        name: bm25s.tokenize(
            [q["question"] for q in qs],
            stopwords="en",
            stemmer=stemmer,
            return_ids=False,
            show_progress=False,
        )
        for name, qs in sets.items()
    }
    vocab = corpus.vocab
    qids = {n: [[vocab[t] for t in toks if t in vocab] for toks in qtokens[n]] for n in sets}
    gold = {n: [set(q["article_ids"]) for q in qs] for n, qs in sets.items()}
    eligible_as_of = {n: [published <= q["date"][:10] for q in qs] for n, qs in sets.items()}
    print(
        json.dumps(
            {
                "bm25s": bm25s.__version__,
                "PyStemmer": Stemmer.version(),
                "numpy": np.__version__,
                "chunks": len(rows),
                "vocab": len(vocab),
                "dev": len(sets["dev"]),
                "generated": len(sets["generated"]),
                "empty_queries": {n: sum(not q for q in qids[n]) for n in sets},
                "load_tokenize_s": round(tokenize_s, 1),
            }
        ),
        flush=True,
    )

    # firsts[setting][(set name, as_of)] = first gold rank per question
    firsts: dict[tuple[str, float, float], dict[tuple[str, bool], np.ndarray]] = {}
    for s in SETTINGS:
        method, k1, b = s
        t = time.perf_counter()
        retriever = bm25s.BM25(method=method, k1=k1, b=b)
        retriever.index(corpus, show_progress=False)
        build_s = time.perf_counter() - t
        t = time.perf_counter()
        firsts[s] = {}
        for n in sets:
            for as_of in (True, False):
                elig = eligible_as_of[n] if as_of else [None] * len(sets[n])
                firsts[s][(n, as_of)] = first_gold(retriever, qids[n], gold[n], elig, doc_of)
        del retriever
        row = {
            "setting": _name(s),
            "dev as of": _r(first_rank_metrics(firsts[s][("dev", True)])),
            "dev no as_of": _r(first_rank_metrics(firsts[s][("dev", False)])),
            "generated as of": _r(first_rank_metrics(firsts[s][("generated", True)])),
            "generated no as_of": _r(first_rank_metrics(firsts[s][("generated", False)])),
            "build_s": round(build_s, 1),
            "search_s": round(time.perf_counter() - t, 1),
        }
        print(json.dumps(row), flush=True)

    dev = sets["dev"]
    fold = np.asarray(date_folds([(q["id"], q["date"]) for q in dev], args.folds))
    families = {
        "k1, b (lucene grid)": [s for s in SETTINGS if s[0] == "lucene"],
        "method (k1=1.2, b=0.75)": [s for s in SETTINGS if s[1:] == BASE[1:]],
    }
    for fam, space in families.items():
        print(json.dumps(cross_validate(fam, space, firsts, fold, args)), flush=True)


def choose(
    space: list[tuple[str, float, float]],
    firsts: dict[tuple[str, float, float], dict[tuple[str, bool], np.ndarray]],
    rows: np.ndarray,
) -> tuple[str, float, float]:
    """The setting of ``space`` with the best MRR@10 + hit@5 (as of plus no as_of) over the
    dev ``rows``; the baseline unless another beats it."""

    def score(s: tuple[str, float, float]) -> float:
        f = firsts[s]
        return objective(f[("dev", True)][rows]) + objective(f[("dev", False)][rows])

    best, best_score = BASE, score(BASE)
    for s in space:
        if score(s) > best_score + 1e-9:
            best, best_score = s, score(s)
    return best


def cross_validate(
    fam: str,
    space: list[tuple[str, float, float]],
    firsts: dict[tuple[str, float, float], dict[tuple[str, bool], np.ndarray]],
    fold: np.ndarray,
    args: argparse.Namespace,
) -> dict[str, Any]:
    held = {a: np.zeros(len(fold), dtype=int) for a in (True, False)}
    chosen = []
    for k in range(args.folds):
        tr = fold != k
        best = choose(space, firsts, tr)
        chosen.append(_name(best))
        for a in (True, False):
            held[a][~tr] = firsts[best][("dev", a)][~tr]
    final = choose(space, firsts, np.ones(len(fold), dtype=bool))
    base = firsts[BASE]
    keys = ("hit@1", "hit@5", "hit@10", "mrr@10")
    out: dict[str, Any] = {"cv": fam, "chosen per fold": chosen}
    for a, label in ((True, "as of"), (False, "no as_of")):
        d_rr = rr(held[a]) - rr(base[("dev", a)])
        out[f"held-out {label}"] = {
            "chosen": _r(first_rank_metrics(held[a]), keys),
            "baseline": _r(first_rank_metrics(base[("dev", a)]), keys),
            "delta mrr@10": round(float(d_rr.mean()), 3),
            "mrr@10 delta 95% CI": bootstrap_ci(d_rr, args.seed),
            "questions better/worse": [int((d_rr > 0).sum()), int((d_rr < 0).sum())],
        }
    out["chosen on all 98"] = _name(final)
    for a, label in ((True, "as of"), (False, "no as_of")):
        d_rr = rr(firsts[final][("generated", a)]) - rr(base[("generated", a)])
        out[f"generated {label}"] = {
            "chosen": _r(first_rank_metrics(firsts[final][("generated", a)]), keys),
            "baseline": _r(first_rank_metrics(base[("generated", a)]), keys),
            "delta mrr@10": round(float(d_rr.mean()), 3),
            "mrr@10 delta 95% CI": bootstrap_ci(d_rr, args.seed),
        }
    return out


def bootstrap_ci(diff: np.ndarray, seed: int, n: int = 10_000) -> list[float]:
    """Percentile bootstrap (paired: resampled questions) of the mean of ``diff``."""
    rng = np.random.default_rng(seed)
    means = diff[rng.integers(0, len(diff), size=(n, len(diff)))].mean(axis=1)
    return [round(float(x), 3) for x in np.percentile(means, [2.5, 97.5])]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("command", choices=["export", "run"])
    p.add_argument("--work", type=Path, default=Path("/tmp/rb-cv"), help="bench_cv.py's work")
    p.add_argument("--out", type=Path, default=Path("/tmp/rb-bm25"), help="chunks.jsonl here")
    p.add_argument("--dev", type=Path, help="questions-dev.jsonl")
    p.add_argument("--generated", type=Path, default=Path("/tmp/rb-cv/generated.jsonl"))
    p.add_argument("--folds", type=int, default=5)
    p.add_argument("--seed", type=int, default=18)
    args = p.parse_args()
    if args.command == "export":
        cmd_export(args)
    else:
        if args.dev is None:
            p.error("run needs --dev")
        cmd_run(args)


if __name__ == "__main__":
    main()

"""Index benchmark over RealTimeQA: ingest throughput vs raw embedding, search quality, latency.

  python tests/benchmarks/bench_index.py build  --shared ../shared --data-dir /tmp/rb-bench \
      [--seed-cache /tmp/rb-cv/vectors.sqlite ...]
  python tests/benchmarks/bench_index.py throughput --shared ../shared --docs 150
  python tests/benchmarks/bench_index.py search --shared ../shared --data-dir /tmp/rb-bench

`build` is resumable: run it again after an interruption and it finishes the job.
`--seed-cache` first copies vectors of the same model for the same texts (the embedding cache
of another index, or `bench_cv.py embed`'s file: same keys) into the new index's embedding
cache, so a text embedded once is not embedded again; everything else is the real ingest.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from common import build_corpus, load_questions, percentiles, rank_metrics

from index.ingest.chunking import chunk_document
from index.ingest.pipeline import Ingestor
from index.search import Filters, HybridSearcher
from index.settings import IndexSettings
from index.storage.embeddings import make_embedding
from index.storage.store import Store, embed_text


def open_store(data_dir: Path) -> Store:
    settings = IndexSettings(data_dir=data_dir)
    return Store(settings, make_embedding(settings))


def cmd_build(args: argparse.Namespace) -> None:
    corpus = build_corpus(args.shared, args.data_dir / "corpus.jsonl")
    store = open_store(args.data_dir)
    if args.seed_cache:
        store.close()
        db = sqlite3.connect(str(args.data_dir / "catalog.sqlite"))
        for i, path in enumerate(args.seed_cache):
            db.execute(f"ATTACH DATABASE ? AS seed{i}", (f"file:{path}?mode=ro",))
            db.execute(
                f"INSERT OR IGNORE INTO embed_cache SELECT key, vector FROM seed{i}.embed_cache"
            )
            db.commit()
            db.execute(f"DETACH DATABASE seed{i}")
        print(
            json.dumps(
                {"cached_vectors": db.execute("SELECT COUNT(*) FROM embed_cache").fetchone()[0]}
            )
        )
        db.close()
        store = open_store(args.data_dir)
    t = time.perf_counter()
    report = Ingestor(store).ingest([str(corpus)])
    dt = time.perf_counter() - t
    print(json.dumps({"summary": report.summary(), "seconds": round(dt, 1),
                      "chunks_per_s": round(report.chunks / dt, 2) if report.chunks else None,
                      "documents": len(store.catalog.documents()),
                      "chunks": store.catalog.count_ready_chunks()}))  # fmt: skip


def cmd_throughput(args: argparse.Namespace) -> None:
    """Ingest the first N reports into a fresh index, then embed the same texts raw."""
    corpus = build_corpus(args.shared, args.cache / "corpus.jsonl")
    with tempfile.TemporaryDirectory() as tmp:
        sub = Path(tmp) / "sub.jsonl"
        with corpus.open() as src, sub.open("w") as dst:
            for _, line in zip(range(args.docs), src, strict=False):
                dst.write(line)
        store = open_store(Path(tmp) / "data")
        t = time.perf_counter()
        report = Ingestor(store).ingest([str(sub)], progress=False)
        ingest_s = time.perf_counter() - t
        docs = [(d, chunk_document(d.doc_id, d.text, store.settings.chunk_chars,
                                   store.settings.chunk_overlap_sentences))
                for d in store.catalog.documents()]  # fmt: skip
        texts = sorted((embed_text(d, c) for d, cs in docs for c in cs), key=len)
        model = store.embed_model
        t = time.perf_counter()
        for i in range(0, len(texts), 32):
            model.embed(texts[i : i + 32])  # type: ignore[attr-defined]
        raw_s = time.perf_counter() - t
    ingest_rate, raw_rate = report.chunks / ingest_s, len(texts) / raw_s
    print(json.dumps({"docs": args.docs, "chunks": report.chunks,
                      "ingest_chunks_per_s": round(ingest_rate, 2),
                      "raw_embed_chunks_per_s": round(raw_rate, 2),
                      "ratio": round(ingest_rate / raw_rate, 3)}))  # fmt: skip


def cmd_search(args: argparse.Namespace) -> None:
    store = open_store(args.data_dir)
    searcher = HybridSearcher(store)
    questions = load_questions(args.shared)
    gold = [set(q["article_ids"]) for q in questions]
    for q in questions:  # warm up: models loaded, index files in the page cache
        searcher.search(q["question"], k=10)
    results: dict[str, dict[str, float]] = {}
    modes = {"hybrid": None, "lexical": ("lexical_weight", 1.0, "dense_weight", 0.0),
             "dense": ("lexical_weight", 0.0, "dense_weight", 1.0)}  # fmt: skip
    for mode, override in modes.items():
        settings = store.settings
        saved = (settings.lexical_weight, settings.dense_weight)
        if override:
            setattr(settings, override[0], override[1])
            setattr(settings, override[2], override[3])
        ranked, ms = [], []
        for q in questions:
            filters = Filters(as_of=q["date"] if args.as_of else None)
            t = time.perf_counter()
            hits = searcher.search(q["question"], k=10, filters=filters)
            ms.append((time.perf_counter() - t) * 1000)
            ranked.append([h.document.doc_id for h in hits])
        settings.lexical_weight, settings.dense_weight = saved
        results[mode] = {**rank_metrics(ranked, gold), **percentiles(ms)}
    print(
        json.dumps(
            {
                "questions": len(questions),
                "chunks": store.catalog.count_ready_chunks(),
                "results": results,
            },
            indent=1,
        )
    )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("command", choices=["build", "throughput", "search"])
    p.add_argument("--shared", type=Path, required=True, help="path to the shared/ folder")
    p.add_argument("--data-dir", type=Path, default=Path("/tmp/reportbot-bench"))
    p.add_argument("--cache", type=Path, default=Path("/tmp/reportbot-bench-cache"))
    p.add_argument("--docs", type=int, default=150)
    p.add_argument("--seed-cache", type=Path, nargs="*", default=[],
                   help="build: sqlite files with an embed_cache table to reuse")  # fmt: skip
    p.add_argument("--no-as-of", dest="as_of", action="store_false",
                   help="search as of today instead of each question's date")  # fmt: skip
    args = p.parse_args()
    {"build": cmd_build, "throughput": cmd_throughput, "search": cmd_search}[args.command](args)


if __name__ == "__main__":
    main()

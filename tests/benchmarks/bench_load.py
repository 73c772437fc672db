"""Load benchmark: N concurrent clients asking a running `reportbot serve` for T seconds.

  .venv/bin/reportbot serve --port 7860 &          # the server under test
  python tests/benchmarks/bench_load.py --url http://127.0.0.1:7860 --clients 50 --seconds 60

Prints one JSON object: requests/s, p50/p95 latency (ms), error count and a few error samples.
Each client asks POST /api/ask in a loop (one request at a time, a fresh conversation each);
only servers on this machine (127.0.0.1, localhost, ::1) are accepted as targets.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from urllib.parse import urlparse

import httpx

LOCAL = {"127.0.0.1", "localhost", "::1"}


def percentile(ms: list[float], q: float) -> float:
    ms = sorted(ms)
    return round(ms[min(len(ms) - 1, round(q * (len(ms) - 1)))], 1) if ms else 0.0


async def client_loop(
    http: httpx.AsyncClient,
    question: str,
    deadline: float,
    latencies: list[float],
    errors: list[str],
) -> None:
    while time.perf_counter() < deadline:
        t = time.perf_counter()
        try:
            resp = await http.post("/api/ask", json={"question": question})
            ok = resp.status_code == 200 and bool(resp.json().get("answer"))
            if not ok:
                errors.append(f"HTTP {resp.status_code}: {resp.text[:200]}")
        except (httpx.HTTPError, ValueError) as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
            ok = False
        if ok:
            latencies.append((time.perf_counter() - t) * 1000)


async def run(url: str, clients: int, seconds: float, question: str, token: str | None) -> dict:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    latencies: list[float] = []
    errors: list[str] = []
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=120, limits=limits) as http:
        health = await http.get("/healthz")
        health.raise_for_status()
        start = time.perf_counter()
        deadline = start + seconds
        await asyncio.gather(
            *(client_loop(http, question, deadline, latencies, errors) for _ in range(clients))
        )
        elapsed = time.perf_counter() - start
    return {
        "url": url,
        "clients": clients,
        "seconds": round(elapsed, 1),
        "question": question,
        "mode": health.json().get("mode"),
        "requests": len(latencies) + len(errors),
        "ok": len(latencies),
        "errors": len(errors),
        "requests_per_s": round(len(latencies) / elapsed, 2),
        "p50_ms": round(statistics.median(latencies), 1) if latencies else 0.0,
        "p95_ms": percentile(latencies, 0.95),
        "max_ms": round(max(latencies, default=0.0), 1),
        "error_samples": sorted(set(errors))[:5],
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--url", default="http://127.0.0.1:7860", help="the running server")
    p.add_argument("--clients", type=int, default=50)
    p.add_argument("--seconds", type=float, default=60.0)
    p.add_argument("--question", default="How many were deported?")
    p.add_argument(
        "--token",
        default=os.environ.get("REPORTBOT_API_TOKEN"),
        help="bearer token (default: $REPORTBOT_API_TOKEN)",
    )
    args = p.parse_args(argv)
    host = urlparse(args.url).hostname
    if host not in LOCAL:
        print(f"error: only local servers can be load-tested, not {host!r}", file=sys.stderr)
        return 2
    if args.clients < 1 or args.seconds <= 0:
        print("error: --clients and --seconds must be positive", file=sys.stderr)
        return 2
    result = asyncio.run(
        run(args.url.rstrip("/"), args.clients, args.seconds, args.question, args.token)
    )
    print(json.dumps(result, ensure_ascii=False))
    return 1 if result["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())

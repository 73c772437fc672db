"""Robustness benchmarks of issue 14: slow clients, large /v1 requests, long conversations.

  nice .venv/bin/python tests/benchmarks/bench_hardening.py slow     # slow connections held
  nice .venv/bin/python tests/benchmarks/bench_hardening.py memory   # RSS after 300 big /v1s
  nice .venv/bin/python tests/benchmarks/bench_hardening.py turns    # turn 500 vs turn 1

Each prints one JSON object (the numbers in docs/benchmarks.md). Everything runs on 127.0.0.1
over a fresh data dir holding the sample report.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.benchmarks.common import percentiles  # noqa: E402


def _app(data_dir: Path, **overrides: object):  # type: ignore[no-untyped-def]
    from bot.config.settings import Settings
    from bot.frontends.server import prepare_app

    return prepare_app(Settings(_env_file=None, data_dir=data_dir, **overrides))  # type: ignore[arg-type]


def slow(n: int, requests: int) -> dict[str, object]:
    """``n`` connections that send half a request header and stall, then ``requests``
    /healthz (and a few /api/ask) while they are held: latency, and how many stay open."""
    from bot.frontends.server import ServerThread, create_server_app

    with tempfile.TemporaryDirectory() as tmp:
        app = _app(Path(tmp) / "data")
        with ServerThread(create_server_app(app)) as srv:
            socks = []
            for _ in range(n):
                sock = socket.create_connection((srv.host, srv.port), timeout=10)
                sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
                socks.append(sock)
            ms, asks, statuses = [], [], []
            with httpx.Client(base_url=srv.url, timeout=30) as client:
                for i in range(requests):
                    t = time.perf_counter()
                    statuses.append(client.get("/healthz").status_code)
                    ms.append((time.perf_counter() - t) * 1000)
                    if i % 20 == 0:
                        t = time.perf_counter()
                        asked = client.post(
                            "/api/ask", json={"question": "How many were deported?"}
                        )
                        statuses.append(asked.status_code)
                        asks.append((time.perf_counter() - t) * 1000)
            held = 0
            for sock in socks:
                sock.setblocking(False)
                try:
                    sock.recv(1)  # a 408, or EOF: closed by the server
                except BlockingIOError:
                    held += 1  # still open, nothing sent
                except OSError:  # reset: closed too
                    pass
                sock.close()
            closed = n - held
    return {
        "slow_connections_opened": n,
        "still_held_after": held,
        "closed_by_server": closed,
        "healthz": {**percentiles(ms), "n": len(ms)},
        "ask": {**percentiles(asks), "n": len(asks)},
        "non_200": sum(s != 200 for s in statuses),
    }


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def memory(n: int) -> dict[str, object]:
    """A `reportbot serve` process; RSS before, at the peak of and after ``n`` /v1 requests
    of ~900 KB each (half a 900 KB question, refused; half 900 KB of earlier assistant turns
    with a short question, answered)."""
    with tempfile.TemporaryDirectory() as tmp:
        port = _free_port()
        code = (
            "import sys; from pathlib import Path; from bot.config.settings import Settings; "
            "from bot.frontends.server import serve; "
            f"serve(Settings(_env_file=None, data_dir=Path({str(Path(tmp) / 'data')!r}), "
            f"port={port}))"
        )
        proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT)
        try:
            url = f"http://127.0.0.1:{port}"
            with httpx.Client(base_url=url, timeout=120) as client:
                _wait_up(client)
                for _ in range(20):  # warm up: every code path once
                    _v1(client, "How many were deported?", 10)
                    _v1(client, "x" * 900_000, 0)
                time.sleep(2)
                start, peak = _rss_kb(proc.pid), 0
                statuses: dict[int, int] = {}
                t = time.perf_counter()
                for i in range(n):
                    resp = (
                        _v1(client, "x" * 900_000, 0)
                        if i % 2
                        else _v1(client, "How many were deported?", 22)
                    )
                    statuses[resp.status_code] = statuses.get(resp.status_code, 0) + 1
                    peak = max(peak, _rss_kb(proc.pid))
                seconds = time.perf_counter() - t
                time.sleep(5)
                after = _rss_kb(proc.pid)
        finally:
            proc.terminate()
            proc.wait(30)
    return {
        "requests": n,
        "statuses": statuses,
        "seconds": round(seconds, 1),
        "rss_start_mb": round(start / 1024, 1),
        "rss_peak_mb": round(peak / 1024, 1),
        "rss_after_mb": round(after / 1024, 1),
        "after_vs_start": round(after / start, 3),
    }


def _v1(client: httpx.Client, question: str, history: int) -> httpx.Response:
    earlier = [
        m
        for i in range(history)
        for m in (
            {"role": "user", "content": f"Question {i}?"},
            {"role": "assistant", "content": "y" * 40_000},
        )
    ]
    return client.post(
        "/v1/chat/completions",
        json={"messages": [*earlier, {"role": "user", "content": question}]},
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_up(client: httpx.Client) -> None:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            if client.get("/healthz").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise RuntimeError("the server did not start")


def turns(n: int) -> dict[str, object]:
    """One conversation of ``n`` long follow-ups: the latency of the first turns and the last."""
    with tempfile.TemporaryDirectory() as tmp:
        service = _app(Path(tmp) / "data").service
        cid = service.answer("How many foreigners were deported?").conversation_id
        ms = []
        for i in range(n):
            question = (
                f"And how many of them were women, in the reports of week {i} and the "
                "weeks after it, counting those sent home by air and by land?"
            )
            t = time.perf_counter()
            service.answer(question, cid)
            ms.append((time.perf_counter() - t) * 1000)
    first, last = statistics.median(ms[:10]), statistics.median(ms[-10:])
    return {
        "turns": n,
        "first_10_median_ms": round(first, 1),
        "last_10_median_ms": round(last, 1),
        "ratio": round(last / first, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["slow", "memory", "turns"])
    parser.add_argument("-n", type=int, default=0)
    args = parser.parse_args()
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    if args.what == "slow":
        result = slow(args.n or 2000, 200)
    elif args.what == "memory":
        result = memory(args.n or 300)
    else:
        result = turns(args.n or 500)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()

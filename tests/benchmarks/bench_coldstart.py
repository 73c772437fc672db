"""Cold start, whole process: `reportbot --help` and `reportbot ask` on the sample report (a
count question, and one about names that also loads spaCy), each a new process timed from
spawn to exit (median of 5 after one untimed run), as a user sees it.

  nice python tests/benchmarks/bench_coldstart.py [--runs 5] [--reportbot .venv/bin/reportbot]

Targets (issue 15, quiet 2-core machine): --help <= 0.5 s, ask <= 3 s. Prints a Markdown table
for docs/benchmarks.md, with the load average, which says how quiet the machine was.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "bot" / "assets" / "sample-report.txt"
QUESTION = "How many were deported?"
NAMES_QUESTION = "Who announced the arrests?"  # loads the spaCy entity reader too


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """(wall seconds, CPU seconds, stdout) of one run of ``cmd``."""
    cpu, start = _cpu(), time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    elapsed, cpu = time.perf_counter() - start, _cpu() - cpu
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} exited {done.returncode}:\n{done.stderr}")
    return elapsed, cpu, done.stdout


def measure(cmd: list[str], env: dict[str, str], runs: int) -> dict[str, list[float]]:
    """Wall and CPU (user + system) seconds of ``runs`` runs, after one untimed run (the page
    cache, as on any second start). On a busy machine the wall time waits for a core; the
    CPU time does not, and on a quiet one the two are close."""
    timed(cmd, env)
    runs_ = [timed(cmd, env)[:2] for _ in range(runs)]
    return {"wall": [w for w, _ in runs_], "cpu": [c for _, c in runs_]}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--runs", type=int, default=5, help="timed runs per command (default 5)")
    p.add_argument("--reportbot", type=Path, default=Path(sys.executable).parent / "reportbot",
                   help="the command to time (default: next to this Python)")  # fmt: skip
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    args = p.parse_args()

    with tempfile.TemporaryDirectory(prefix="reportbot-coldstart-") as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith("REPORTBOT_")}
        env.pop("OPENAI_API_KEY", None)
        env.update(REPORTBOT_DATA_DIR=str(Path(tmp) / "data"), REPORTBOT_ANSWERER="extractive")
        bot = str(args.reportbot)
        timed([bot, "ingest", str(SAMPLE), "-q"], env)
        out = timed([bot, "ask", QUESTION, "--json"], env)[2]
        assert "2,825" in json.loads(out)["answer"], out  # it answers, not just starts
        load_before = os.getloadavg()
        results = {
            "reportbot --help": measure([bot, "--help"], env, args.runs),
            f'reportbot ask "{QUESTION}"': measure([bot, "ask", QUESTION], env, args.runs),
            f'reportbot ask "{NAMES_QUESTION}"': measure(
                [bot, "ask", NAMES_QUESTION], env, args.runs
            ),
        }
        load_after = os.getloadavg()

    if args.json:
        print(json.dumps({"runs": results, "load": [load_before, load_after]}))
        return
    print(f"{os.cpu_count()} CPUs; load average {load_before[0]:.2f} before, "
          f"{load_after[0]:.2f} after\n")  # fmt: skip
    print(f"| command ({args.runs} runs) | wall median | min | max | CPU (user+sys) median |")
    print("|---|---|---|---|---|")
    for name, r in results.items():
        wall, cpu = r["wall"], r["cpu"]
        print(f"| `{name}` | {statistics.median(wall):.2f} s | {min(wall):.2f} s "
              f"| {max(wall):.2f} s | {statistics.median(cpu):.2f} s |")  # fmt: skip


if __name__ == "__main__":
    main()

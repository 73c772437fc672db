"""The built wheel on its own: installed (not editable) into a fresh venv and run from outside
the repository, it answers in LLM mode, so its prompts and assets ship inside the package.

The venv gets only the wheel (``--no-deps``, offline); the dependencies come from the project's
venv through a ``.pth`` line (a plain path: that venv's own ``.pth`` files, among them the
editable install pointing at this repository, are not read). Nothing is downloaded.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from tests.fakes import FakeOpenAI, Reply

ROOT = Path(__file__).resolve().parents[1]
QUESTION = "How many foreigners were deported?"
SOURCE = re.compile(r"<<<SOURCE (\d+)>>>\n(.*?)\n<<<END SOURCE \1>>>", re.DOTALL)
SHIPPED = [
    "bot/answering/prompts/answer.md",
    "bot/answering/prompts/condense.md",
    "bot/assets/sample-report.txt",
    "index/assets/minilm-tokenizer.json",
]


def uv() -> str:
    found = ROOT / ".uv" / "bin" / "uv"
    path = str(found) if found.exists() else shutil.which("uv")
    assert path, "building the wheel needs uv: `make` installs it in .uv/"
    return path


def run(args: Sequence[str | Path], **kwargs: Any) -> str:
    done = subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, timeout=600, **kwargs
    )
    assert done.returncode == 0, (args, done.stdout[-3000:], done.stderr[-3000:])
    return done.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    build: list[str | Path] = [uv(), "build", "--wheel", "--out-dir", out, ROOT]
    try:
        run([*build, "--offline"], cwd=ROOT)  # hatchling from uv's cache
    except AssertionError:
        run(build, cwd=ROOT)  # ... or from the package index
    [built] = out.glob("reportbot-*.whl")
    return built


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv with the wheel installed (no editable install), the dependencies borrowed."""
    where = tmp_path_factory.mktemp("wheel-venv") / "venv"
    run([uv(), "venv", "--offline", "--python", sys.executable, where])
    python = where / "bin" / "python"
    run([uv(), "pip", "install", "--offline", "--no-deps", "--python", python, wheel])
    purelib = run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"])
    (Path(purelib.strip()) / "reportbot-deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    return where


def test_the_wheel_holds_the_prompts_and_assets(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert set(SHIPPED) <= names, sorted(n for n in names if not n.endswith(".py"))
    assert not [n for n in names if n.startswith(("tests/", "prompts/"))]


def test_the_installed_wheel_answers_with_the_llm_from_outside_the_repo(
    venv: Path, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REPORTBOT_", "OPENAI_"))}
    env.pop("PYTHONPATH", None)
    env["REPORTBOT_DATA_DIR"] = str(tmp_path / "data")
    python, reportbot = venv / "bin" / "python", venv / "bin" / "reportbot"
    probe = (
        "import json, sys, bot, bot.answering.prompts as p, bot.app.wiring as w; "
        "print(json.dumps([bot.__file__, str(p.PROMPTS_DIR), str(w.SAMPLE_REPORT), sys.path]))"
    )
    package, prompts, sample, path = json.loads(run([python, "-c", probe], cwd=tmp_path, env=env))
    assert Path(package).is_relative_to(venv) and Path(prompts).is_relative_to(venv)
    assert not [p for p in path if p and Path(p).resolve() == ROOT]

    run([reportbot, "ingest", sample], cwd=tmp_path, env=env)  # the sample, from the package
    with FakeOpenAI() as fake:

        def cite(body: dict[str, Any]) -> str:  # as a model would: the source with the figure
            prompt = body["messages"][-1]["content"]
            n = next(m[1] for m in SOURCE.finditer(prompt) if "2,825" in m[2])
            return f"2,825 foreigners, including 476 women, have been deported [{n}]."

        fake.queue(Reply(cite))
        env |= {"OPENAI_API_KEY": "sk-test", "REPORTBOT_OPENAI_BASE_URL": fake.url,
                "REPORTBOT_ANSWERER": "llm", "REPORTBOT_OPENAI_MODEL": "fake-model"}  # fmt: skip
        answer = json.loads(run([reportbot, "ask", "--json", QUESTION], cwd=tmp_path, env=env))
        [request] = fake.completions

    assert answer["mode"] == "llm" and answer["notice"] is None, answer
    assert answer["answer"] == "2,825 foreigners, including 476 women, have been deported [1]."
    assert "2,825 foreigners" in answer["citations"][0]["quote"]
    system = request.messages[0]
    assert system["role"] == "system"
    assert system["content"].startswith("You answer questions about news reports.")
    assert QUESTION in request.messages[-1]["content"]

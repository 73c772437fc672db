"""CLI conventions: global options before or after the command, every argument described,
documented exit codes (0 done, 1 nothing done, 2 usage, 3 partly done), a default data dir
that does not depend on the folder, and a `--help` that loads nothing heavy."""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import bot.frontends.cli as cli
from bot.app.wiring import SAMPLE_REPORT
from bot.config.paths import configured_data_dir, default_data_dir
from bot.config.settings import Settings
from index import report_extensions

ROOT = Path(__file__).resolve().parents[1]


def _help(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "bot.frontends.cli", *args, "--help"],
        capture_output=True, text=True, timeout=60, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    (action,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(action.choices)


def test_global_options_work_before_and_after_the_command(
    tmp_path: Path, cli_reuses_model: object, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    assert cli.main(["ingest", str(SAMPLE_REPORT), "-q", "--data-dir", str(data)]) == 0
    capsys.readouterr()
    shown = []
    for argv in (
        ["--data-dir", str(data), "--json", "list"],
        ["list", "--data-dir", str(data), "--json"],
        ["--json", "list", "--data-dir", str(data)],
        ["--data-dir", str(tmp_path / "elsewhere"), "list", "--data-dir", str(data), "--json"],
    ):
        assert cli.main(argv) == 0, argv
        shown.append(json.loads(capsys.readouterr().out))
    assert all(s == shown[0] for s in shown) and len(shown[0]) == 1
    assert shown[0][0]["title"] == "3,455 Arrested from 20 Countries Since Late July"


def test_every_argument_is_described() -> None:
    parser = cli._parser()
    commands = _subparsers(parser)
    assert set(commands) >= {"ingest", "list", "remove", "search", "ask", "chat", "serve"}
    for name, sub in {"reportbot": parser, **commands}.items():
        for action in sub._actions:
            if isinstance(action, argparse._HelpAction | argparse._SubParsersAction):
                continue
            assert action.help and action.help.strip(), (name, action.dest)


def test_ingest_help_names_every_kind_of_input() -> None:
    text = _help("ingest")
    for ext in report_extensions():
        assert re.search(rf"(?<![\w.]){re.escape(ext)}(?!\w)", text), ext
    for kind in ("folders", "URLs", "RSS/Atom feed", "article"):
        assert kind in text, kind


def test_help_documents_the_exit_codes_and_the_data_dir() -> None:
    text = _help()
    codes = dict(re.findall(r"^  (\d+)\s+(\S.*)$", text, flags=re.M))
    assert set(codes) == {"0", "1", "2", "3", "130", "141"}, text
    assert codes["3"].startswith("partly done") and codes["2"].startswith("usage")
    assert f"data directory: {configured_data_dir(ROOT / '.env')[0]}" in text
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for code, meaning in codes.items():
        assert f"| {code} | {meaning.split(':')[0]}" in readme, (code, meaning)


def test_exit_codes(
    tmp_path: Path, cli_reuses_model: object, capsys: pytest.CaptureFixture[str]
) -> None:
    data = ["--data-dir", str(tmp_path / "data")]
    good = tmp_path / "good.txt"
    good.write_text("Aardvark news\nThe aardvark escaped from the zoo on Tuesday.\n")
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    assert cli.main([*data, "ingest", str(good), "-q"]) == cli.EXIT_OK == 0
    assert cli.main([*data, "ingest", str(good), str(empty), "-q"]) == cli.EXIT_PARTIAL == 3
    assert cli.main([*data, "ingest", str(empty), "-q"]) == cli.EXIT_FAILED == 1
    out = capsys.readouterr().out
    assert "(1 chunk)" in out  # plurals

    assert cli.main([*data, "remove", str(good), "no-such-report"]) == 3
    assert "removed 1 report\n" in capsys.readouterr().out
    assert cli.main([*data, "remove", "no-such-report"]) == 1

    for argv in (["--no-such-option", "list"], ["--json", "serve"], ["search", "--k", "many"]):
        with pytest.raises(SystemExit) as exc:
            cli.main([*data, *argv])
        assert exc.value.code == cli.EXIT_USAGE == 2, argv
    assert cli.main([*data, "ask"]) == 2  # no question
    assert "give a question" in capsys.readouterr().err


def test_output_closed_early_ends_quietly_with_141(
    tmp_path: Path, cli_reuses_model: object, capsys: pytest.CaptureFixture[str]
) -> None:
    """`reportbot list | head`: the reader is gone before anything is written; no traceback."""
    data = ["--data-dir", str(tmp_path / "data")]
    assert cli.main([*data, "ingest", str(SAMPLE_REPORT), "-q"]) == 0
    capsys.readouterr()
    read_end, write_end = os.pipe()
    os.close(read_end)  # every write to write_end now fails with EPIPE
    done = subprocess.run(
        [sys.executable, "-m", "bot.frontends.cli", *data, "list"],
        stdout=write_end, stderr=subprocess.PIPE, text=True, timeout=120, cwd=ROOT,
    )  # fmt: skip
    os.close(write_end)
    assert done.returncode == cli.EXIT_PIPE_CLOSED == 141
    assert "Traceback" not in done.stderr and "BrokenPipeError" not in done.stderr


def test_the_default_data_dir_does_not_depend_on_the_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("REPORTBOT_DATA_DIR", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    seen = set()
    for folder in (tmp_path / "a", tmp_path / "b"):
        folder.mkdir()
        monkeypatch.chdir(folder)
        seen.add(Settings(_env_file=None).data_dir)  # type: ignore[call-arg]
        assert configured_data_dir() == (tmp_path / "xdg" / "reportbot", "the default")
    assert seen == {default_data_dir()} == {tmp_path / "xdg" / "reportbot"}
    (tmp_path / "a" / ".env").write_text("REPORTBOT_DATA_DIR=/srv/reports\n")
    monkeypatch.chdir(tmp_path / "a")
    assert configured_data_dir() == (Path("/srv/reports"), "REPORTBOT_DATA_DIR in .env")
    monkeypatch.setenv("REPORTBOT_DATA_DIR", str(tmp_path / "env"))
    assert configured_data_dir() == (tmp_path / "env", "$REPORTBOT_DATA_DIR")


def test_help_loads_nothing_heavy() -> None:
    code = (
        "import sys\n"
        "from bot.frontends.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = ('pydantic', 'chromadb', 'llama_index', 'onnxruntime', 'numpy', 'index.search')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy or m in heavy))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_ask_runs_without_llama_index(tmp_path: Path) -> None:
    """llama-index is an adapter for its users (index.llama), not on the answer path."""
    env = {**os.environ, "REPORTBOT_DATA_DIR": str(tmp_path / "data")}
    env.pop("OPENAI_API_KEY", None)
    code = (
        "import sys\n"
        "from bot.frontends.cli import main\n"
        f"assert main(['ingest', {str(SAMPLE_REPORT)!r}, '-q']) == 0\n"
        "assert main(['ask', 'How many were deported?', '--json']) == 0\n"
        "print(sorted({m.split('.')[0] for m in sys.modules if m.startswith('llama_index')}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env
    )
    assert done.returncode == 0, done.stderr
    *_, answer, loaded = done.stdout.strip().splitlines()
    assert "2,825" in json.loads(answer)["answer"]
    assert loaded == "[]"

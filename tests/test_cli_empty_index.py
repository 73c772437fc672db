"""No silent empty index: ask, search, chat and timeline over a data dir without reports say
so, name the data dir, tell how to ingest and exit 1 (never creating a mistyped dir); `serve`
adds the sample on a first start and says so at INFO."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable
from pathlib import Path

import pytest

import bot.frontends.cli as cli
from bot.app.wiring import SAMPLE_REPORT
from bot.app.wiring import build_app as real_build_app
from bot.config.settings import Settings
from bot.frontends.server import prepare_app
from index.storage.store import Store

COMMANDS = [
    ["ask", "How many were deported?"],
    ["search", "deported"],
    ["chat"],
    ["ask", "--batch", "questions.jsonl"],
    ["timeline", "foreigners deported"],
]


def _check_message(err: str, data_dir: Path) -> None:
    assert f"no reports in {data_dir.resolve()}: the index is empty." in err
    assert "reportbot ingest" in err and str(SAMPLE_REPORT) in err
    assert "--data-dir" in err


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c))
def test_a_missing_data_dir_is_reported_not_created(
    command: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("sys.stdin", io.StringIO("How many?\nquit\n"))
    data = tmp_path / "typo"
    assert cli.main(["--data-dir", str(data), *command]) == cli.EXIT_FAILED
    out, err = capsys.readouterr()
    _check_message(err, data)
    assert out == "" and not data.exists()


def test_an_index_in_the_old_default_place_is_pointed_at(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "catalog.sqlite").write_bytes(b"")
    monkeypatch.chdir(tmp_path)
    assert cli.main(["--data-dir", str(tmp_path / "new"), "ask", "How many?"]) == 1
    err = capsys.readouterr().err
    assert f"There is an index in {tmp_path / 'data'}: --data-dir data" in err


@pytest.mark.parametrize("command", COMMANDS[:3], ids=lambda c: " ".join(c))
def test_an_index_whose_reports_were_removed_is_reported(
    command: list[str],
    tmp_path: Path,
    cli_reuses_model: object,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("How many?\nquit\n"))
    data = ["--data-dir", str(tmp_path / "data")]
    assert cli.main([*data, "ingest", str(SAMPLE_REPORT), "-q"]) == 0
    assert cli.main([*data, "remove", str(SAMPLE_REPORT)]) == 0
    capsys.readouterr()
    assert cli.main([*data, *command]) == cli.EXIT_FAILED
    out, err = capsys.readouterr()
    _check_message(err, tmp_path / "data")
    assert "I could not find" not in out


def test_json_callers_get_the_empty_index_as_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "nothing-here"
    assert cli.main(["ask", "How many?", "--json", "--data-dir", str(data)]) == 1
    error = json.loads(capsys.readouterr().out)["error"]
    assert error["type"] == "empty_index" and error["data_dir"] == str(data.resolve())


def test_list_of_an_empty_index_names_the_data_dir(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "nothing-here"
    assert cli.main(["--data-dir", str(data), "list"]) == 0
    assert capsys.readouterr().out == f"0 reports in {data.resolve()}\n"
    assert not data.exists()


def test_serve_adds_the_sample_on_a_first_start_and_says_so_at_info(
    make_settings: Callable[..., Settings],
    make_store: Callable[..., Store],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(
        "bot.frontends.server.build_app",
        lambda s, **kw: real_build_app(s, make_store(data_dir=s.data_dir), **kw),
    )
    settings = make_settings()
    caplog.set_level(logging.INFO, logger="reportbot")
    app = prepare_app(settings)
    assert app.store.count() == 1
    (record,) = [r for r in caplog.records if "new library" in r.getMessage()]
    assert record.levelno == logging.INFO and str(settings.data_dir) in record.getMessage()
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]

    app.store.remove([d.doc_id for d in app.store.documents()])
    caplog.clear()
    again = prepare_app(settings)  # not a first start: no sample, but a plain note
    assert again.store.count() == 0
    (note,) = [r for r in caplog.records if "index is empty" in r.getMessage()]
    assert note.levelno == logging.INFO and str(settings.data_dir.resolve()) in note.getMessage()

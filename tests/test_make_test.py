"""`make test` on any machine: without Chromium the browser tests are skipped with one line
saying how to run them; with REPORTBOT_REQUIRE_BROWSER=1 (.ci/run) that is a failure."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import browser_gate

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent

BROWSER_FILE = """
def test_drives_chromium():
    pass
"""
OTHER_FILE = """
import pytest

@pytest.mark.browser
def test_marked_as_a_browser_test():
    pass

def test_not_a_browser_test():
    pass
"""
CONFTEST = """
from browser_gate import (
    browser_gate, pytest_collection_modifyitems, pytest_configure, pytest_runtest_makereport,
)
"""


def _pytest(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """pytest with the real gate on a browser test file, a marked test and a plain one."""
    (tmp_path / "test_browser_tiny.py").write_text(BROWSER_FILE, encoding="utf-8")
    (tmp_path / "test_other.py").write_text(OTHER_FILE, encoding="utf-8")
    (tmp_path / "conftest.py").write_text(CONFTEST, encoding="utf-8")
    clean = {k: v for k, v in os.environ.items() if not k.startswith("REPORTBOT_")}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-ra", "-p", "no:cacheprovider", "."],
        cwd=tmp_path,
        env={**clean, "PYTHONPATH": str(TESTS), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_without_chromium_browser_tests_are_skipped_with_one_line(tmp_path: Path) -> None:
    done = _pytest(tmp_path, REPORTBOT_CHROMIUM=str(tmp_path / "no-chromium"))
    assert done.returncode == 0, done.stdout + done.stderr
    lines = [line for line in done.stdout.splitlines() if "browser tests skipped" in line]
    assert len(lines) == 1, done.stdout
    assert lines[0].startswith("SKIPPED [2] ") and "no-chromium" in lines[0]
    assert "make browser" in lines[0] and "REPORTBOT_REQUIRE_BROWSER=1" in lines[0]
    assert "1 passed, 2 skipped" in done.stdout


def test_ci_turns_the_skip_into_a_failure(tmp_path: Path) -> None:
    done = _pytest(
        tmp_path, REPORTBOT_CHROMIUM=str(tmp_path / "no-chromium"), REPORTBOT_REQUIRE_BROWSER="1"
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "1 passed, 2 errors" in done.stdout
    assert "REPORTBOT_REQUIRE_BROWSER is set but there is no" in done.stdout
    assert "skipped" not in done.stdout


def test_with_a_browser_the_browser_tests_run(tmp_path: Path) -> None:
    fake = tmp_path / "bin"
    fake.mkdir()
    for name in ("chromium", "chromedriver"):
        (fake / name).write_text("#!/bin/sh\n", encoding="utf-8")
        (fake / name).chmod(0o755)
    done = _pytest(
        tmp_path,
        REPORTBOT_CHROMIUM=str(fake / "chromium"),
        REPORTBOT_CHROMEDRIVER=str(fake / "chromedriver"),
        REPORTBOT_REQUIRE_BROWSER="1",
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "3 passed" in done.stdout and "skipped" not in done.stdout


def test_the_gate_reads_its_paths_from_the_environment(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("REPORTBOT_CHROMIUM", "/nowhere/chromium")
    monkeypatch.delenv("REPORTBOT_CHROMEDRIVER", raising=False)
    assert browser_gate.missing()[0] == "/nowhere/chromium"


def test_ci_requires_the_browser_and_make_test_tries_to_install_it() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "export REPORTBOT_REQUIRE_BROWSER=1" in ci and ci.rstrip().endswith("make test")
    dry = subprocess.run(
        ["make", "-n", "test"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert dry.returncode == 0, dry.stderr
    assert "apt-get install -y -qq chromium chromium-driver" in dry.stdout
    assert "timeout" in dry.stdout

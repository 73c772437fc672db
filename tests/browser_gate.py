"""Browser tests run where Chromium is, are skipped (one summary line) where it is not, and
fail instead when REPORTBOT_REQUIRE_BROWSER=1 (as in .ci/run): CI can never pass without them.

A browser test is one marked ``browser`` or in a ``test_browser*.py`` file. Paths default to
Debian's chromium (REPORTBOT_CHROMIUM, REPORTBOT_CHROMEDRIVER override them). The hooks and the
autouse fixture live here, imported by conftest.py, so a test can run them alone.
"""

from __future__ import annotations

import os
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

REQUIRE = "REPORTBOT_REQUIRE_BROWSER"
SKIPPED = "browser tests skipped: "


def chromium() -> Path:
    return Path(os.environ.get("REPORTBOT_CHROMIUM") or "/usr/bin/chromium")


def chromedriver() -> Path:
    return Path(os.environ.get("REPORTBOT_CHROMEDRIVER") or "/usr/bin/chromedriver")


def missing() -> list[str]:
    """The browser files this machine lacks (none: the browser tests can run)."""
    return [str(p) for p in (chromium(), chromedriver()) if not os.access(p, os.X_OK)]


def require_browser() -> None:
    """Skip the calling test without a browser, or fail it when one is required."""
    lacking = missing()
    if not lacking:
        return
    if os.environ.get(REQUIRE, "") not in ("", "0"):
        pytest.fail(f"{REQUIRE} is set but there is no {' and '.join(lacking)}: install "
                    "Debian's chromium and chromium-driver (`make browser` as root)",
                    pytrace=False)  # fmt: skip
    pytest.skip(
        f"{SKIPPED}no {' and '.join(lacking)}. To run them: `make browser` as root "
        f"(apt-get install chromium chromium-driver); {REQUIRE}=1 turns this skip into a failure"
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: drives a real Chromium (skipped without one)")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.name.startswith("test_browser"):
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: Any) -> Generator[None, Any, Any]:
    """Every browser skip reported at one place, so `-ra` folds them into one line."""
    report = yield
    longrepr = report.longrepr
    if (
        report.skipped
        and isinstance(longrepr, tuple)
        and longrepr[2].startswith(f"Skipped: {SKIPPED}")
    ):
        report.longrepr = (__file__, 1, longrepr[2])
    return report


@pytest.fixture(autouse=True)
def browser_gate(request: pytest.FixtureRequest) -> None:
    """Before any other fixture of a browser test is built (they may start servers)."""
    if request.node.get_closest_marker("browser") is not None:
        require_browser()

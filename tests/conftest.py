"""Shared fixtures: the real offline embedding model (loaded once), real embedded Chroma."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

# The browser tests' skip-or-fail gate (hooks and an autouse fixture), in a module of its own.
from browser_gate import (
    browser_gate,
    pytest_collection_modifyitems,
    pytest_configure,
    pytest_runtest_makereport,
)

from bot.app.wiring import SAMPLE_REPORT, App, build_app, quiet_offline_env
from bot.config.settings import Settings
from index.storage.embeddings import LocalOnnxEmbedding
from index.storage.store import Store

quiet_offline_env()
# The default data dir (the user's, bot/config/paths.py) is never touched by a test.
os.environ["XDG_DATA_HOME"] = tempfile.mkdtemp(prefix="reportbot-tests-xdg-")
# The suite never talks to a real OpenAI: a developer's key must not leak into a test.
os.environ.pop("OPENAI_API_KEY", None)

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
__all__ = [
    "browser_gate",
    "pytest_collection_modifyitems",
    "pytest_configure",
    "pytest_runtest_makereport",
]


@pytest.fixture(scope="session")
def embed_model() -> LocalOnnxEmbedding:
    return LocalOnnxEmbedding()


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    def make(**overrides: Any) -> Settings:
        overrides.setdefault("data_dir", tmp_path / "data")
        return Settings(_env_file=None, **overrides)  # type: ignore[call-arg]

    return make


@pytest.fixture
def make_store(make_settings: Callable[..., Settings], embed_model: LocalOnnxEmbedding):
    stores: list[Store] = []

    def make(**overrides: Any) -> Store:
        store = Store(make_settings(**overrides), embed_model)
        stores.append(store)
        return store

    yield make
    for store in stores:
        store.close()


@pytest.fixture
def make_app(make_store: Callable[..., Store]) -> Callable[..., App]:
    """An App over a fresh index holding the given report files (default: the sample)."""

    def make(paths: list[Path] | None = None, **overrides: Any) -> App:
        store = make_store(**overrides)
        app = build_app(store.settings, store)  # type: ignore[arg-type]
        report = app.ingestor.ingest([str(p) for p in (paths or [SAMPLE_REPORT])], progress=False)
        assert not report.failed, report.failed
        return app

    return make


@pytest.fixture
def serve() -> Iterator[Callable[[App], Any]]:
    """Start the web + API server over an App on a free port; stopped after the test."""
    from bot.frontends.server import ServerThread, create_server_app

    servers: list[ServerThread] = []

    def start(app: App) -> ServerThread:
        servers.append(ServerThread(create_server_app(app)).start())
        return servers[-1]

    yield start
    for srv in servers:
        srv.stop()


@pytest.fixture
def report(tmp_path: Path) -> Path:
    """The sample report with metadata that needs escaping (for chat renderers)."""
    path = tmp_path / "report.txt"
    path.write_text(
        '---\ntitle: "Scam <Rings> & Deportations"\nsource: Asia <Business> Daily\n'
        "date: 2025-10-16\nurl: https://example.com/report?id=1&lang=en\n---\n"
        + SAMPLE_REPORT.read_text(encoding="utf-8"),
        encoding="utf-8",
    )
    return path


@pytest.fixture
def sample_app(make_app: Callable[..., App]) -> App:
    return make_app()


@pytest.fixture
def cli_reuses_model(
    monkeypatch: pytest.MonkeyPatch, make_store: Callable[..., Store]
) -> dict[Path, Store]:
    """`bot.frontends.cli.main` in this process opens each data dir once (as one CLI process
    would), with the session's embedding model; the stores, by data dir."""
    import bot.frontends.cli as cli

    stores: dict[Path, Store] = {}

    def open_store(settings: Settings) -> Store:
        if settings.data_dir not in stores:
            stores[settings.data_dir] = make_store(data_dir=settings.data_dir)
        return stores[settings.data_dir]

    monkeypatch.setattr(cli, "open_store", open_store)
    monkeypatch.setattr(
        cli,
        "build_app",
        lambda s, **kw: build_app(s, open_store(s), **kw),  # type: ignore[arg-type]
    )
    return stores

"""Architecture rules: dependencies point one way and public surfaces stay small."""

from __future__ import annotations

import ast
from pathlib import Path

import bot
import index

ROOT = Path(__file__).resolve().parents[1]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_index_never_imports_bot() -> None:
    for path in (ROOT / "index").rglob("*.py"):
        assert not any(n == "bot" or n.startswith("bot.") for n in _imports(path)), path


def test_front_ends_use_only_the_chat_contract() -> None:
    frontends = ROOT / "bot" / "frontends"
    for path in frontends.rglob("*.py"):
        for name in _imports(path):
            assert not name.startswith(("llama_index", "chromadb", "tantivy")), (path, name)


def test_every_module_opens_with_a_docstring() -> None:
    for package in ("bot", "index"):
        for path in (ROOT / package).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            assert ast.get_docstring(tree), f"{path} needs a one-line docstring"


def test_public_surfaces_are_pinned() -> None:
    assert sorted(index.__all__) == [
        "Chunk", "ConfigError", "Document", "Filters", "Hit", "HybridSearcher",
        "IndexMismatchError", "IndexSettings", "IngestReport", "Ingestor", "ReportbotError",
        "SourceDoc", "SourceError", "Store",
    ]  # fmt: skip
    assert sorted(bot.__all__) == [
        "Answer", "App", "ChatService", "Citation", "RagChatService", "Settings",
        "Verification", "build_app",
    ]  # fmt: skip


def test_no_global_llama_index_settings() -> None:
    for package in ("bot", "index"):
        for path in (ROOT / package).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            assert "llama_index.core import Settings" not in text, path
            assert "Settings.llm" not in text and "Settings.embed_model" not in text, path

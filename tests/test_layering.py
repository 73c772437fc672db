"""Architecture rules: dependencies point one way, no import cycles, public surfaces stay small."""

from __future__ import annotations

import ast
from pathlib import Path

import bot
import index

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "index")


def _modules() -> dict[str, Path]:
    """Every module of the two packages by dotted name (a package by its __init__)."""
    out = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            out[".".join(parts)] = path
    return out


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    """(module, imported names) for every import in the file, inside functions too."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[tuple[str, list[str]]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((alias.name, []) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module, [alias.name for alias in node.names]))
    return found


def _edges(modules: dict[str, Path]) -> dict[str, set[str]]:
    """module → the project modules it imports (``from pkg import sub`` counts as pkg.sub)."""
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for module, names in _imports(path):
            targets = [f"{module}.{n}" for n in names if f"{module}.{n}" in modules]
            if module in modules and len(targets) < len(names or [None]):
                targets.append(module)
            graph[name].update(t for t in targets if t != name)
    return graph


def test_no_import_cycles() -> None:
    graph = _edges(_modules())
    state: dict[str, int] = {}  # 1 on the path, 2 done
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycle = [*path[path.index(nxt) :], nxt]
                raise AssertionError("import cycle: " + " → ".join(cycle))
            if nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)


# bot's rooms by floor: a room imports only rooms on lower floors (docs/design.md).
BOT_FLOORS = {
    "bot.frontends": 6,
    "bot.app": 5,
    "bot.chat": 4,
    "bot.answering": 3,
    "bot.timeline": 3,
    "bot.grounding": 2,
    "bot.render": 2,
    "bot.config": 1,
    "bot.types": 1,
}


def _room(module: str) -> str:
    return ".".join(module.split(".")[:2])


def test_bot_rooms_import_only_rooms_below_them() -> None:
    graph = _edges(_modules())
    upward = [
        f"{a} → {b}"
        for a, targets in graph.items()
        for b in targets
        if _room(a) in BOT_FLOORS
        and _room(b) in BOT_FLOORS
        and _room(a) != _room(b)
        and BOT_FLOORS[_room(b)] >= BOT_FLOORS[_room(a)]
    ]
    assert not upward, upward
    rooms = {_room(m) for m in _modules() if m.startswith("bot.")}
    assert rooms <= set(BOT_FLOORS), f"give the new room a floor: {rooms - set(BOT_FLOORS)}"


def test_index_never_imports_bot() -> None:
    for path in (ROOT / "index").rglob("*.py"):
        for module, _ in _imports(path):
            assert not (module == "bot" or module.startswith("bot.")), path


def test_bot_imports_only_the_public_face_of_index() -> None:
    for path in (ROOT / "bot").rglob("*.py"):
        for module, names in _imports(path):
            if module.startswith("index."):
                raise AssertionError(f"{path} imports {module}: import from `index` instead")
            if module == "index":
                hidden = [n for n in names if n not in index.__all__]
                assert not hidden, f"{path} imports {hidden}, not in index.__all__"


def test_the_public_face_loads_every_name() -> None:
    for name in index.__all__:
        assert getattr(index, name) is not None, name


def test_front_ends_use_only_the_chat_contract() -> None:
    frontends = ROOT / "bot" / "frontends"
    for path in frontends.rglob("*.py"):
        for module, _ in _imports(path):
            assert not module.startswith(("llama_index", "chromadb", "tantivy")), (path, module)


def test_every_module_opens_with_a_docstring() -> None:
    for path in _modules().values():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        assert ast.get_docstring(tree), f"{path} needs a one-line docstring"


def test_public_surfaces_are_pinned() -> None:
    assert sorted(index.__all__) == [
        "Chunk", "ConfigError", "Document", "FeedFollower", "Fetcher", "Filters",
        "FollowReport", "Hit", "HybridSearcher", "IndexBusyError", "IndexMismatchError",
        "IndexSettings", "IngestReport", "Ingestor", "QueryError", "ReportbotError",
        "STOPWORDS", "SourceDoc", "SourceError", "Store", "VectorStoreUnavailable",
        "make_embedding", "page_of", "parse_interval", "report_extensions", "split_sentences",
    ]  # fmt: skip
    assert sorted(bot.__all__) == [
        "Answer", "App", "ChatService", "Citation", "RagChatService", "Settings",
        "Verification", "build_app",
    ]  # fmt: skip


def test_no_global_llama_index_settings() -> None:
    for path in _modules().values():
        text = path.read_text(encoding="utf-8")
        assert "llama_index.core import Settings" not in text, path
        assert "Settings.llm" not in text and "Settings.embed_model" not in text, path

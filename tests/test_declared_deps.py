"""Every third-party module that `bot` and `index` import is a declared dependency of the
project, not something that only arrives as another package's dependency."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _imported_top_levels() -> dict[str, set[str]]:
    """Top-level module → the files importing it (at module level or inside functions)."""
    found: dict[str, set[str]] = {}
    for package in ("bot", "index"):
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    top = name.split(".")[0]
                    found.setdefault(top, set()).add(str(path.relative_to(ROOT)))
    return found


def test_every_third_party_import_is_declared() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = {
        _normal(re.split(r"[<>=!~\[;\s]", dep, maxsplit=1)[0]) for dep in project["dependencies"]
    }
    providers = metadata.packages_distributions()
    undeclared = {}
    for top, files in sorted(_imported_top_levels().items()):
        if top in sys.stdlib_module_names or top in ("bot", "index", "__future__"):
            continue
        dists = {_normal(d) for d in providers.get(top, [])}
        if not dists & declared:
            undeclared[top] = (sorted(dists) or ["not installed"], sorted(files))
    assert undeclared == {}, f"imported but not in [project] dependencies: {undeclared}"

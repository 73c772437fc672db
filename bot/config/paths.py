"""Where reportbot keeps its index by default: the user's data directory, whatever the cwd.

Pure standard library, so `reportbot --help` can print it without loading the settings.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ENV_VAR = "REPORTBOT_DATA_DIR"


def default_data_dir() -> Path:
    """The platform's per-user data directory for reportbot.

    Linux and other Unixes: ``$XDG_DATA_HOME/reportbot`` (``~/.local/share/reportbot``);
    macOS: ``~/Library/Application Support/reportbot``; Windows: ``%LOCALAPPDATA%\\reportbot``.
    """
    home = Path.home()
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or str(home / "AppData" / "Local")
        return Path(base) / "reportbot"
    if sys.platform == "darwin":
        return home / "Library" / "Application Support" / "reportbot"
    xdg = os.environ.get("XDG_DATA_HOME", "")
    return Path(xdg if os.path.isabs(xdg) else home / ".local" / "share") / "reportbot"


def configured_data_dir(env_file: Path = Path(".env")) -> tuple[Path, str]:
    """The data directory the settings will use, and where that choice comes from:
    REPORTBOT_DATA_DIR in the environment, then in ``.env``, then the default."""
    for key, value in os.environ.items():
        if key.upper() == ENV_VAR and value:
            return Path(value), f"${ENV_VAR}"
    try:
        lines = env_file.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        lines = []
    for line in lines:
        key, sep, value = line.strip().removeprefix("export ").partition("=")
        if sep and key.strip().upper() == ENV_VAR and value.strip().strip("'\""):
            return Path(value.strip().strip("'\"")), f"{ENV_VAR} in {env_file}"
    return default_data_dir(), "the default"

"""Answering with citations, the conversation, and the front ends (depends on `index`).

Names load on first use (PEP 562): `reportbot --help` must not pay for the whole stack.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.app.wiring import App, build_app
    from bot.chat.service import ChatService, RagChatService
    from bot.config.settings import Settings
    from bot.types import Answer, Citation, Verification

_WHERE = {
    "Answer": "bot.types",
    "App": "bot.app.wiring",
    "ChatService": "bot.chat.service",
    "Citation": "bot.types",
    "RagChatService": "bot.chat.service",
    "Settings": "bot.config.settings",
    "Verification": "bot.types",
    "build_app": "bot.app.wiring",
}

__all__ = [
    "Answer",
    "App",
    "ChatService",
    "Citation",
    "RagChatService",
    "Settings",
    "Verification",
    "build_app",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'bot' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return __all__

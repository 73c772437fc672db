"""Answering with citations, the conversation, and the front ends (depends on `index`)."""

from bot.engine import ChatService, RagChatService
from bot.service import App, build_app
from bot.settings import Settings
from bot.types import Answer, Citation, Verification

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

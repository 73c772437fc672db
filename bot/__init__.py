"""Answering with citations, the conversation, and the front ends (depends on `index`)."""

from bot.app.settings import Settings
from bot.app.wiring import App, build_app
from bot.chat.service import ChatService, RagChatService
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

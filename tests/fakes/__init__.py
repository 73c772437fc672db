"""Test doubles that implement the real interfaces (fake servers speaking the real protocols)."""

from .openai_server import FakeOpenAI, Recorded, Reply

__all__ = ["FakeOpenAI", "Recorded", "Reply"]

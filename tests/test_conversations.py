"""Conversation memory: follow-ups across a restart with the SQLite store."""

from __future__ import annotations

from bot.app.wiring import App, build_app
from bot.chat.conversations import MemoryConversations, SqliteConversations, Turn


def test_sqlite_conversations_survive_a_restart(sample_app: App) -> None:
    settings = sample_app.settings
    first = build_app(settings, sample_app.store, persistent_conversations=True)
    answer = first.service.answer("How many foreigners were deported?", "chat-42")
    assert "2,825" in answer.answer
    # A new service over the same data dir (as after a restart) remembers the chat.
    second = build_app(settings, sample_app.store, persistent_conversations=True)
    follow = second.service.answer("And how many of them were women?", "chat-42")
    assert "476" in follow.answer and not follow.abstained
    second.service.reset("chat-42")
    assert second.service.conversations.load("chat-42") == []


def test_memory_store_is_bounded_least_recently_used_first() -> None:
    store = MemoryConversations(max_conversations=2)
    for cid in ("a", "b"):
        store.save(cid, [Turn("q", "q", "a")])
    store.load("a")  # a is now the most recently used
    store.save("c", [Turn("q", "q", "a")])
    assert store.load("b") == [] and store.load("a") and store.load("c")


def test_sqlite_store_round_trips_turns(tmp_path) -> None:  # type: ignore[no-untyped-def]
    store = SqliteConversations(tmp_path / "c.sqlite")
    turns = [Turn("How many?", "How many?", "2,825 [1]", ["d1"])]
    store.save("x", turns)
    assert SqliteConversations(tmp_path / "c.sqlite").load("x") == turns

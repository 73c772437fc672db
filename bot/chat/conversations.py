"""Conversation memory: the last turns of each conversation, in memory or in SQLite."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Protocol

from bot.chat.bounded import BoundedMap


@dataclass
class Turn:
    """One exchange, as much of it as follow-ups need."""

    question: str
    standalone: str  # the question as retrieved (with the context it leaned on)
    answer: str
    cited_docs: list[str] = field(default_factory=list)


class ConversationStore(Protocol):
    def load(self, conversation_id: str) -> list[Turn]: ...

    def save(self, conversation_id: str, turns: list[Turn]) -> None: ...

    def delete(self, conversation_id: str) -> None: ...


class MemoryConversations:
    """Bounded in-memory store: the least recently used conversation goes first."""

    def __init__(self, max_conversations: int = 1000) -> None:
        self._data: BoundedMap[str, list[Turn]] = BoundedMap(max_conversations)

    def load(self, conversation_id: str) -> list[Turn]:
        return list(self._data.get(conversation_id, []))

    def save(self, conversation_id: str, turns: list[Turn]) -> None:
        self._data.put(conversation_id, list(turns))

    def delete(self, conversation_id: str) -> None:
        self._data.pop(conversation_id)


class SqliteConversations:
    """Conversations that survive a restart (chat bots keep one per chat or thread)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS conversations "
            "(id TEXT PRIMARY KEY, turns TEXT NOT NULL, updated REAL NOT NULL)"
        )
        self._lock = threading.Lock()

    def load(self, conversation_id: str) -> list[Turn]:
        with self._lock:
            row = self._db.execute(
                "SELECT turns FROM conversations WHERE id=?", (conversation_id,)
            ).fetchone()
        return [Turn(**t) for t in json.loads(row[0])] if row else []

    def save(self, conversation_id: str, turns: list[Turn]) -> None:
        data = json.dumps([asdict(t) for t in turns], ensure_ascii=False)
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO conversations VALUES (?, ?, ?)",
                (conversation_id, data, time.time()),
            )

    def delete(self, conversation_id: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM conversations WHERE id=?", (conversation_id,))

"""BoundedMap: a thread-safe dict with a size cap that forgets the least recently used entry.

The one home for the "remember the last N of something" maps of the chat side: conversations
in memory, the /v1 message histories, the chats and events a chat bot has seen.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar, overload

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
D = TypeVar("D")


class BoundedMap(Generic[K, V]):
    """At most ``max_size`` entries; putting one more forgets the least recently used.

    ``get`` and ``put`` count as a use; ``in`` and ``len`` do not. Every method holds one lock,
    so threads can share a map (a server's request threads, a bot's update handlers).
    """

    def __init__(self, max_size: int) -> None:
        if max_size < 0:
            raise ValueError(f"max_size must be 0 (remember nothing) or more, not {max_size}")
        self._max_size = max_size
        self._items: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def max_size(self) -> int:
        return self._max_size

    @overload
    def get(self, key: K) -> V | None: ...
    @overload
    def get(self, key: K, default: D) -> V | D: ...
    def get(self, key: K, default: object = None) -> object:
        """The value of ``key`` (now the most recently used), or ``default``."""
        with self._lock:
            if key not in self._items:
                return default
            self._items.move_to_end(key)
            return self._items[key]

    def put(self, key: K, value: V) -> bool:
        """Set ``key`` (now the most recently used), forgetting the least recently used entries
        beyond ``max_size``; True if ``key`` was not there ("tell them once": ``if put(...)``)."""
        with self._lock:
            new = key not in self._items
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._max_size:
                self._items.popitem(last=False)
            return new

    @overload
    def pop(self, key: K) -> V | None: ...
    @overload
    def pop(self, key: K, default: D) -> V | D: ...
    def pop(self, key: K, default: object = None) -> object:
        """Remove ``key`` and return its value, or ``default`` if it is not there."""
        with self._lock:
            return self._items.pop(key, default)

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return key in self._items

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def __repr__(self) -> str:
        return f"BoundedMap({len(self)}/{self._max_size})"

"""BoundedMap: least-recently-used eviction at its size cap, and safe to share between threads."""

from __future__ import annotations

import threading

import pytest

from bot.chat.bounded import BoundedMap
from bot.chat.conversations import MemoryConversations, Turn
from bot.frontends.chat_common import BoundedSet


def test_the_least_recently_used_entry_goes_first() -> None:
    m: BoundedMap[str, int] = BoundedMap(3)
    assert m.max_size == 3
    assert [m.put(k, i) for i, k in enumerate("abc")] == [True, True, True]
    assert m.get("a") == 0  # a is now the most recently used: b is the oldest
    assert "b" in m and "z" not in m  # `in` is not a use
    assert m.put("d", 3) is True
    assert len(m) == 3 and "b" not in m and m.get("b") is None
    assert m.put("c", 20) is False  # an update is a use too: a is now the oldest
    m.put("e", 4)
    assert "a" not in m
    assert [m.get(k) for k in "cde"] == [20, 3, 4]
    assert m.get("missing", -1) == -1


def test_size_cap_pop_and_zero() -> None:
    m: BoundedMap[int, str] = BoundedMap(5)
    for i in range(100):
        m.put(i, str(i))
        assert len(m) == min(i + 1, 5)
    assert [i for i in range(100) if i in m] == [95, 96, 97, 98, 99]
    assert m.pop(97) == "97" and 97 not in m and len(m) == 4
    assert m.pop(97) is None and m.pop(97, "gone") == "gone"
    nothing: BoundedMap[str, str] = BoundedMap(0)
    nothing.put("a", "b")
    assert len(nothing) == 0 and nothing.get("a") is None
    with pytest.raises(ValueError, match="max_size"):
        BoundedMap(-1)


def test_threads_sharing_a_map_keep_the_cap_and_see_each_new_key_once() -> None:
    m: BoundedMap[int, int] = BoundedMap(1000)
    threads, keys = 6, 500
    start = threading.Barrier(threads)
    firsts: list[int] = []
    lock = threading.Lock()

    def worker(n: int) -> None:
        start.wait()
        mine = 0
        for k in range(keys):  # every thread puts the same keys: each is new exactly once
            mine += m.put(k, n)
            m.get((k * 7) % keys)
        for k in range(keys):  # and keys of its own, which push the oldest out
            m.put(10_000 * (n + 1) + k, n)
            assert len(m) <= 1000
        with lock:
            firsts.append(mine)

    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    assert len(firsts) == threads and sum(firsts) == keys
    assert len(m) == 1000


def test_the_chat_side_uses_it() -> None:
    seen = BoundedSet(size=2)
    assert [seen.add(c) for c in (1, 1, 2, 3)] == [True, False, True, True]
    assert 1 not in seen and len(seen) == 2
    store = MemoryConversations(max_conversations=2)
    store.save("a", [Turn("q", "q", "a")])
    store.save("b", [])
    assert store.load("a")[0].answer == "a"  # a used: b goes when c comes
    store.save("c", [])
    assert store.load("b") == [] and store.load("a") != []

"""What the chat bots share: messages, rate limits, splitting long replies, secret-free logs."""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Hashable, Iterable
from urllib.parse import quote

from bot.chat.bounded import BoundedMap
from index import Document

APOLOGY = "Sorry, something went wrong while answering. Please try again in a moment."
NOT_ALLOWED = "Sorry, I'm not enabled in this chat. Ask the bot's administrator to allow it."
RATE_LIMITED = "You're asking faster than I can keep up. Please wait a minute and ask again."
EMPTY_QUESTION = "Ask me a question about the reports, e.g. “How many foreigners were deported?”"
RESET_DONE = "Done: I've forgotten our conversation. Ask me anything about the reports."


def newest_first(documents: Iterable[Document]) -> list[Document]:
    """Reports by publication date, newest first (undated last)."""
    docs = list(documents)
    dated = sorted((d for d in docs if d.published), key=lambda d: d.published or "", reverse=True)
    return [*dated, *(d for d in docs if not d.published)]


class RateLimiter:
    """At most ``limit`` events per key in any ``window`` seconds (sliding); limit 0: no limit."""

    def __init__(
        self, limit: int, window: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit, self.window, self._clock = limit, window, clock
        self._events: dict[Hashable, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: Hashable) -> bool:
        if self.limit <= 0:
            return True
        now = self._clock()
        with self._lock:
            if len(self._events) > 10_000:  # forget idle users so memory stays bounded
                self._events = {
                    k: q for k, q in self._events.items() if q and q[-1] > now - self.window
                }
            events = self._events.setdefault(key, deque())
            while events and events[0] <= now - self.window:
                events.popleft()
            if len(events) >= self.limit:
                return False
            events.append(now)
            return True


class BoundedSet:
    """A set that forgets its oldest members beyond ``size`` (chats refused, threads joined)."""

    def __init__(self, size: int = 10_000) -> None:
        self._items: BoundedMap[Hashable, None] = BoundedMap(size)

    def add(self, key: Hashable) -> bool:
        """Add ``key``; True if it was new (so "tell them once" is ``if seen.add(chat): ...``)."""
        return self._items.put(key, None)

    def discard(self, key: Hashable) -> None:
        self._items.pop(key)

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def __len__(self) -> int:
        return len(self._items)


def utf16_len(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def _fit(text: str, limit: int, measure: Callable[[str], int]) -> int:
    """The length of the longest prefix of ``text`` whose measure is at most ``limit``."""
    if measure is len:
        return min(limit, len(text))
    lo, hi = 0, min(limit, len(text))
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if measure(text[:mid]) <= limit:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _cut(text: str, limit: int, measure: Callable[[str], int], html: bool) -> int:
    """Where to cut: the last paragraph, line or word break that fits, never inside markup."""
    end = _fit(text, limit, measure)
    para = line = space = anywhere = 0
    depth, in_tag, in_entity, closing = 0, False, False, False
    for i in range(end + 1):
        if depth == 0 and not in_tag and not in_entity and i > 0:
            anywhere = i
            if text.startswith("\n\n", i):
                para = i
            elif text.startswith("\n", i):
                line = i
            elif text.startswith(" ", i):
                space = i
        if i == len(text):
            break
        ch = text[i]
        if in_tag:
            if ch == ">":
                in_tag = False
                if html and text[i - 1] != "/":
                    depth = max(0, depth - 1) if closing else depth + 1
        elif ch == "<":
            in_tag, closing = True, text.startswith("</", i)
        elif ch == "&":
            in_entity = True
        elif in_entity and not (ch.isalnum() or ch == "#"):
            in_entity = False
    for cut in (para, line, space):
        if cut >= end // 2:
            return cut
    return max(para, line, space) or anywhere or end


def split_message(
    text: str, limit: int, measure: Callable[[str], int] = len, html: bool = False
) -> list[str]:
    """Pieces of at most ``limit`` (by ``measure``), split on paragraph, then line, then word
    boundaries; never inside a tag or an entity, and with ``html`` never inside an element."""
    pieces: list[str] = []
    rest = text.strip()
    while rest and measure(rest) > limit:
        cut = _cut(rest, limit, measure, html)
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces


class _Redactor:
    """Replaces registered secrets in every log record, whichever library logs it."""

    def __init__(self) -> None:
        self.secrets: set[str] = set()
        self.installed = False
        self.lock = threading.Lock()

    def redact(self, text: str) -> str:
        for secret in sorted(self.secrets, key=len, reverse=True):
            text = text.replace(secret, "[redacted]")
        return text

    def __call__(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is the logging module's business
            return
        if any(s in message for s in self.secrets):
            record.msg, record.args = self.redact(message), None
        if record.exc_info and record.exc_info[1] is not None:
            trace = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
            if any(s in trace for s in self.secrets):
                record.exc_info, record.exc_text = None, self.redact(trace)


_REDACTOR = _Redactor()


def protect_secrets(*secrets: str | None) -> None:
    """Keep these strings out of every log record from now on, in this process.

    PTB logs its API URL (which holds the bot token) at DEBUG and httpx logs every request URL
    at INFO, so a filter on one logger is not enough: the log record factory redacts instead.
    httpx's per-request lines are noise for a long-polling bot anyway: WARNING unless set.
    """
    with _REDACTOR.lock:
        for secret in secrets:
            if secret and len(secret) >= 6:
                _REDACTOR.secrets.update({secret, quote(secret, safe="")})
        if not _REDACTOR.installed:
            previous = logging.getLogRecordFactory()

            def factory(*args: object, **kwargs: object) -> logging.LogRecord:
                record = previous(*args, **kwargs)
                if _REDACTOR.secrets:
                    _REDACTOR(record)
                return record

            logging.setLogRecordFactory(factory)
            _REDACTOR.installed = True
    for name in ("httpx", "httpcore"):
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET:
            logger.setLevel(logging.WARNING)

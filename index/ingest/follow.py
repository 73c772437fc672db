"""Following feeds: poll with conditional requests, ingest only new or changed entries.

State (followed feeds, their ETag / Last-Modified, each ingested entry's id and content hash)
lives in ``feeds.sqlite`` in the data dir, so a restart picks up where it left off. ``serve`` can
run ``FeedFollower.run_forever`` in a background thread with a stop event.
"""

from __future__ import annotations

import logging
import re
import sqlite3
import threading
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from index.ingest.pipeline import Ingestor, IngestReport
from index.readers.encodings import ReadError
from index.settings import IndexSettings
from index.sources.feeds import FeedEntry, entry_item, is_feed, parse_feed
from index.sources.http import Fetcher
from index.storage.store import Store
from index.types import SourceDoc

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feeds (
    url TEXT PRIMARY KEY, title TEXT, etag TEXT, last_modified TEXT, added_at TEXT NOT NULL,
    checked_at TEXT, error TEXT);
CREATE TABLE IF NOT EXISTS feed_entries (
    feed_url TEXT NOT NULL, entry_key TEXT NOT NULL, content_hash TEXT NOT NULL,
    location TEXT, seen_at TEXT NOT NULL, PRIMARY KEY (feed_url, entry_key));
"""
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_interval(value: str) -> float:
    """Seconds from "90", "30s", "15m", "2h" or "1d"."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", value.lower())
    if not m or float(m[1]) <= 0:
        raise ValueError(f"not an interval: {value!r} (try 30s, 15m, 2h)")
    return float(m[1]) * _UNITS[m[2] or "s"]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class FeedState:
    """Followed feeds, their validators and the entries already ingested (SQLite, thread-safe)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    def follow(self, urls: Iterable[str]) -> None:
        with self._lock:
            self._db.executemany(
                "INSERT OR IGNORE INTO feeds (url, added_at) VALUES (?, ?)",
                [(u, _now()) for u in urls],
            )

    def unfollow(self, urls: Iterable[str]) -> None:
        with self._lock:
            for url in urls:
                self._db.execute("DELETE FROM feed_entries WHERE feed_url=?", (url,))
                self._db.execute("DELETE FROM feeds WHERE url=?", (url,))

    def followed(self) -> list[str]:
        with self._lock:
            return [r[0] for r in self._db.execute("SELECT url FROM feeds ORDER BY added_at, url")]

    def validators(self, url: str) -> tuple[str | None, str | None]:
        """The ETag and Last-Modified the feed last answered with."""
        with self._lock:
            row = self._db.execute(
                "SELECT etag, last_modified FROM feeds WHERE url=?", (url,)
            ).fetchone()
        return (row[0], row[1]) if row else (None, None)

    def checked(
        self,
        url: str,
        *,
        error: str | None = None,
        title: str | None = None,
        validators: tuple[str | None, str | None] | None = None,
    ) -> None:
        """Record a poll; ``validators`` (ETag, Last-Modified) replace the old ones if given."""
        with self._lock:
            self._db.execute(
                "UPDATE feeds SET checked_at=?, error=?, title=COALESCE(?, title) WHERE url=?",
                (_now(), error, title, url),
            )
            if validators is not None:
                self._db.execute(
                    "UPDATE feeds SET etag=?, last_modified=? WHERE url=?", (*validators, url)
                )

    def seen(self, url: str) -> dict[str, str]:
        """entry id → content hash of every entry of ``url`` already ingested."""
        with self._lock:
            sql = "SELECT entry_key, content_hash FROM feed_entries WHERE feed_url=?"
            return dict(self._db.execute(sql, (url,)).fetchall())

    def mark_seen(self, url: str, entries: list[tuple[str, str, str]]) -> None:
        """Remember (entry id, content hash, document location) triples as ingested."""
        with self._lock:
            self._db.executemany(
                "INSERT OR REPLACE INTO feed_entries VALUES (?, ?, ?, ?, ?)",
                [(url, key, digest, loc, _now()) for key, digest, loc in entries],
            )


@dataclass
class FollowReport:
    """One poll: per feed what happened, and the ingest of the new or changed entries."""

    feeds: dict[str, str] = field(default_factory=dict)  # url → "not modified" / "3 new…" / error
    ingest: IngestReport = field(default_factory=IngestReport)

    def merge(self, part: IngestReport) -> None:
        self.ingest = IngestReport.combine([self.ingest, part])

    def summary(self) -> str:
        lines = [f"{url}: {status}" for url, status in self.feeds.items()]
        return "\n".join([*lines, self.ingest.summary()])

    def as_json(self) -> dict[str, object]:
        return asdict(self)


class FeedFollower:
    """Polls followed feeds and ingests what is new; one instance per index."""

    def __init__(
        self,
        store: Store,
        ingestor: Ingestor,
        settings: IndexSettings,
        fetcher: Fetcher | None = None,
    ) -> None:
        self.store = store
        self.ingestor = ingestor
        self.settings = settings
        self.state = FeedState(settings.data_dir / "feeds.sqlite")
        self.fetcher = fetcher or Fetcher.from_settings(settings)

    def close(self) -> None:
        self.fetcher.close()
        self.state.close()

    def follow(self, urls: Iterable[str]) -> None:
        self.state.follow(urls)

    def followed(self) -> list[str]:
        return self.state.followed()

    def poll_once(self, urls: list[str] | None = None) -> FollowReport:
        """Poll ``urls`` (followed from now on; default: every followed feed) once.

        Never raises for one bad feed: its error is in the report.
        """
        report = FollowReport()
        if urls is not None:
            self.state.follow(urls)
        for url in urls if urls is not None else self.state.followed():
            try:
                report.feeds[url] = self._poll(url, report)
            except ReadError as exc:
                self.state.checked(url, error=str(exc))
                report.feeds[url] = f"error: {exc}"
                report.ingest.failed.append({"location": url, "reason": str(exc)})
        return report

    def _poll(self, url: str, report: FollowReport) -> str:
        response = self.fetcher.get(url, *self.state.validators(url))
        if response.not_modified:
            self.state.checked(url)
            return "not modified"
        if not is_feed(response):
            raise ReadError(f"not a feed (content type {response.content_type or 'unknown'})")
        feed = parse_feed(response)
        seen = self.state.seen(url)
        fresh: dict[str, FeedEntry] = {}  # first of each id: some feeds repeat an entry
        for entry in feed.entries:
            if seen.get(entry.key) != entry.content_hash:
                fresh.setdefault(entry.key, entry)
        items = [(e, entry_item(e, feed, self.fetcher)) for e in fresh.values()]
        result = self.ingestor.ingest_items([item for _, item in items], progress=False)
        report.merge(result)
        failed = {f["location"] for f in result.failed}
        done = [
            (e.key, e.content_hash, item.location)
            for e, item in items
            if isinstance(item, SourceDoc) and item.location not in failed
        ]
        self.state.mark_seen(url, done)
        # Keep the old validators while an entry still fails: the next poll then gets the feed
        # again (not a 304) and retries just the entries not yet ingested.
        validators = (response.headers.get("etag"), response.headers.get("last-modified"))
        self.state.checked(
            url, title=feed.title, validators=validators if len(done) == len(items) else None
        )
        status = f"{len(items)} new or changed entr{'y' if len(items) == 1 else 'ies'}"
        return status + (f", {len(items) - len(done)} failed" if len(done) < len(items) else "")

    def run_forever(
        self,
        interval: float,
        stop: threading.Event,
        on_report: Callable[[FollowReport], None] | None = None,
        urls: list[str] | None = None,
    ) -> None:
        """Poll every ``interval`` seconds until ``stop`` is set (e.g. from a server's shutdown).

        ``urls``: these feeds only (default: every followed feed, re-read at each poll).
        """
        while not stop.is_set():
            try:
                report = self.poll_once(urls)
            except Exception:  # a poll that breaks (disk full…) must not end the follower
                log.exception("polling feeds failed")
            else:
                if on_report is not None:
                    on_report(report)
            stop.wait(interval)

"""URLs and RSS/Atom feeds: read a URL (an article or every entry of a feed) into SourceDocs.

A URL whose response is a feed (by content type, or by sniffing its first element) yields one
item per entry: the entry's page fetched as an article, dated by the entry when the page has no
date; if the page cannot be had, the entry's own content or summary stands in when it is
substantial, else the entry becomes a SourceError. Following feeds over time (conditional
polls, seen entries) is ``index.ingest.follow``.
"""

from __future__ import annotations

import calendar
import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from index.readers.dates import complete_dates
from index.readers.encodings import ReadError, clean_text
from index.sources.files import Item
from index.sources.http import Fetcher, Response, clean_url, page_doc
from index.types import SourceDoc, SourceError

FEED_TYPES = {"application/rss+xml", "application/atom+xml", "application/rdf+xml"}
# Below this, an entry's summary is a teaser, not a report worth quoting.
FALLBACK_MIN_CHARS = 280
_PROLOG = re.compile(
    rb"\A(?:\xef\xbb\xbf)?\s*(?:<\?xml[^>]*>\s*|<!--.*?-->\s*|<!DOCTYPE[^>]*>\s*)*", re.S
)
_FEED_ROOT = re.compile(rb"<(?:rss|feed|rdf:RDF)[\s>]", re.I)
_BLOCKS = re.compile(r"<\s*(?:br|/p|/div|/li|/h[1-6]|/blockquote|/tr)\b[^>]*>", re.I)


@dataclass
class FeedEntry:
    """One entry of a feed, as much as the feed says about it."""

    key: str  # the entry's id (guid), else its link's address: what "seen" is remembered by
    link: str | None  # as the feed gives it (fetched as is)
    title: str | None
    published: str | None
    author: str | None
    text: str  # the entry's content or summary as plain text ("" if none)
    content_hash: str  # changes when the entry is updated


@dataclass
class Feed:
    url: str
    title: str | None
    entries: list[FeedEntry] = field(default_factory=list)


def is_feed(response: Response) -> bool:
    """True for RSS/Atom: by content type, else by the document's first element."""
    if response.content_type in FEED_TYPES:
        return True
    head = response.content[:4096]
    prolog = _PROLOG.match(head)
    rest = head[prolog.end() if prolog else 0 :]
    return _FEED_ROOT.match(rest) is not None


def fragment_text(html: str) -> str:
    """Plain text of an HTML fragment (an entry's summary), with line breaks at block ends."""
    import lxml.html

    if "<" not in html:
        return clean_text(html)
    try:
        root = lxml.html.fragment_fromstring(_BLOCKS.sub("\n", html), create_parent="div")
    except Exception:  # junk markup: fall back to dropping the tags
        return clean_text(re.sub(r"<[^>]+>", " ", html))
    lines = (re.sub(r"[ \t\xa0]+", " ", line).strip() for line in root.text_content().split("\n"))
    return clean_text("\n".join(line for line in lines if line))


def _entry_date(entry: Any) -> str | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        parsed = dict.get(entry, key)  # not entry.get: feedparser maps (and warns) on "updated"
        if parsed:
            return datetime.fromtimestamp(calendar.timegm(parsed), UTC).date().isoformat()
    return None


def _entry(raw: Any) -> FeedEntry:
    bodies = [c.get("value", "") for c in raw.get("content") or []] + [raw.get("summary") or ""]
    text = max((fragment_text(b) for b in bodies if b), key=len, default="")
    link = raw.get("link") or None
    if link and not link.startswith(("http://", "https://")):
        link = None  # feedparser offers an Atom id ("tag:…") as the link when there is none
    title = clean_text(raw.get("title") or "") or None
    published = _entry_date(raw)
    stamp = dict.get(raw, "updated") or dict.get(raw, "published")
    # The link as the page's address (no tracking parameters): a feed that tags its links
    # differently at each poll still names the same, unchanged entry.
    address = clean_url(link) if link else None
    fingerprint = json.dumps([address, title, stamp, text])
    digest = hashlib.sha256(fingerprint.encode("utf-8")).hexdigest()
    key = raw.get("id") or address or "h" + digest[:16]
    return FeedEntry(str(key), link, title, published, raw.get("author") or None, text, digest)


def parse_feed(response: Response) -> Feed:
    """The entries of a feed response; a ReadError if it is not a readable feed."""
    import feedparser

    # Bytes, never the URL: feedparser must not fetch anything itself.
    parsed = feedparser.parse(
        response.content,
        response_headers={
            "content-location": response.url,
            "content-type": response.headers.get("content-type", ""),
        },
    )
    if parsed.get("bozo") and not parsed.entries:
        problem = parsed.get("bozo_exception")
        raise ReadError(f"malformed feed ({problem})" if problem else "malformed feed")
    title = clean_text(parsed.feed.get("title") or "") or None
    return Feed(response.url, title, [_entry(e) for e in parsed.entries])


def _is_hostname(source: str, url: str | None) -> bool:
    """True if ``source`` is just the host of ``url`` (the extractor's last resort)."""
    return bool(url) and source.lower() in urlsplit(url or "").netloc.lower()


def entry_item(entry: FeedEntry, feed: Feed, fetcher: Fetcher) -> Item:
    """The entry's article; its summary if the page fails and the summary is substantial."""
    page_error = "the entry has no link"
    if entry.link:
        try:
            doc = page_doc(fetcher.get(entry.link))
        except ReadError as exc:
            page_error = str(exc)
        except Exception as exc:  # an extractor crash on one page must not stop the feed
            page_error = f"{type(exc).__name__}: {exc}"
        else:
            doc.published = doc.published or entry.published
            doc.title = doc.title or entry.title
            doc.author = doc.author or entry.author
            if feed.title and (not doc.source or _is_hostname(doc.source, doc.url)):
                doc.source = feed.title  # the feed's name beats a bare host name
            return complete_dates(doc)
    where = clean_url(entry.link) if entry.link else f"{feed.url}#{entry.key}"
    if len(entry.text) >= FALLBACK_MIN_CHARS:
        return complete_dates(
            SourceDoc(
                text=entry.text,
                location=where,
                title=entry.title,
                source=feed.title,
                url=where if entry.link else None,
                published=entry.published,
                author=entry.author,
            )
        )
    return SourceError(where, f"{page_error}; the feed gives too little text to use instead")


def read_url(url: str, fetcher: Fetcher) -> Iterator[Item]:
    """The report at ``url``, or one report per entry if it is a feed; errors as SourceErrors."""
    try:
        response = fetcher.get(url)
        if not is_feed(response):
            yield complete_dates(page_doc(response))
            return
        feed = parse_feed(response)
    except ReadError as exc:
        yield SourceError(url, str(exc))
        return
    except Exception as exc:  # extractor crash on a strange page: that page fails, not the batch
        yield SourceError(url, f"{type(exc).__name__}: {exc}")
        return
    if not feed.entries:
        yield SourceError(url, "the feed has no entries")
    for entry in feed.entries:
        yield entry_item(entry, feed, fetcher)

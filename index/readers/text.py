"""Plain text and Markdown reports: front matter, a first-line title, a copyright outlet."""

from __future__ import annotations

import re
from datetime import date, datetime

from index.readers.encodings import ReadError, clean_text, decode
from index.types import SourceDoc


def iso_date(value: object) -> str | None:
    """YYYY-MM-DD from a date-like value, or None."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime | date):
        return value.isoformat()[:10]
    m = re.match(r"\s*(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})", str(value))
    if m:
        try:
            return date(int(m[1]), int(m[2]), int(m[3])).isoformat()
        except ValueError:
            return None
    return None


_FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\n", re.S)
_COPYRIGHT = re.compile(r"^(?:©|\(c\)|Copyright)\s*(?:\d{4}\s+)?([^(\n.]+?)\s*"
                        r"(?:\(([^)\s]+)\))?[.\s]*(?:All rights reserved\.?)?$",
                        re.I | re.M)  # fmt: skip


def is_url(value: object) -> bool:
    """Whether ``value`` is an http(s) URL (never a javascript: or file: link)."""
    return isinstance(value, str) and value.startswith(("http://", "https://"))


def parse_text(
    data: bytes, *, location: str, url: str | None = None, charset: str | None = None,
    max_bytes: int = 0,
) -> SourceDoc:  # fmt: skip
    """A plain-text or Markdown report from its bytes."""
    return text_doc(decode(data, charset), location=location, url=url)


def text_doc(text: str, location: str, url: str | None = None) -> SourceDoc:
    """A plain-text or Markdown report; metadata from front matter, first line, copyright line."""
    meta: dict[str, str] = {}
    text = text.replace("\r\n", "\n").replace("\r", "\n")  # so Windows files' front matter counts
    fm = _FRONT_MATTER.match(text)
    if fm:
        for line in fm.group(1).splitlines():
            key, sep, value = line.partition(":")
            if sep:
                meta[key.strip().lower()] = value.strip().strip("\"'")
        text = text[fm.end() :]
    text = clean_text(text)
    if not text:
        raise ReadError("no text after the front matter")
    first = text.split("\n", 1)[0].lstrip("# ").strip()
    titled = len(first) <= 200 and any(ch.isalnum() for ch in first)  # not a "---" fence
    title = meta.get("title") or (first if titled else None)
    source = meta.get("source") or meta.get("outlet")
    url = meta.get("url") if is_url(meta.get("url")) else url  # never a javascript: link
    if not source:
        m = _COPYRIGHT.search(text[-400:])
        if m:
            source = m.group(1).strip()
    return SourceDoc(
        text=text, location=location, title=title, source=source, url=url,
        published=iso_date(meta.get("date") or meta.get("published")), doc_id=meta.get("id"),
    )  # fmt: skip

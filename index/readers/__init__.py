"""Readers: bytes → SourceDoc. One registry of formats, keyed by file extension and media type.

A reader knows nothing of where its bytes came from (a file, a URL, an upload): `index.sources`
fetches the bytes and asks this registry which format they are. PDF and DOCX parsers load
their libraries only when such a report comes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NamedTuple

from index.readers.html import parse_html
from index.readers.jsonl import read_jsonl
from index.readers.office import parse_docx, parse_pdf
from index.readers.text import parse_text
from index.types import Item, SourceDoc

Parse = Callable[..., SourceDoc]  # parse(data, *, location, url=None, charset=None, max_bytes=0)
Stream = Callable[[Path, int], Iterator[Item]]  # a file read record by record (JSONL)

# A server that does not know a file's media type sends one of these: the URL's extension
# then decides.
_UNTYPED = {"", "application/octet-stream", "binary/octet-stream"}


class Format(NamedTuple):
    """One report format: what names it, and how to read it."""

    name: str
    extensions: tuple[str, ...]
    content_types: tuple[str, ...]
    parse: Parse | None = None  # the whole body at once
    stream: Stream | None = None  # or a file, record by record


FORMATS = (
    Format("text", (".txt", ".md", ".markdown"), ("text/plain", "text/markdown"), parse_text),
    Format("html", (".html", ".htm"), ("text/html", "application/xhtml+xml"), parse_html),
    Format("pdf", (".pdf",), ("application/pdf", "application/x-pdf"), parse_pdf),
    Format(
        "docx",
        (".docx",),
        ("application/vnd.openxmlformats-officedocument.wordprocessingml.document",),
        parse_docx,
    ),
    Format("jsonl", (".jsonl",), ("application/jsonl", "application/x-ndjson"), None, read_jsonl),
)
BY_EXTENSION: dict[str, Format] = {ext: f for f in FORMATS for ext in f.extensions}
BY_CONTENT_TYPE: dict[str, Format] = {kind: f for f in FORMATS for kind in f.content_types}


def extensions() -> list[str]:
    """Every file extension a report may have, sorted (".docx", ".htm", …)."""
    return sorted(BY_EXTENSION)


def for_path(path: Path | str) -> Format | None:
    """The format a file's extension names, or None."""
    return BY_EXTENSION.get(Path(path).suffix.lower())


def for_response(content_type: str, url_path: str, head: bytes) -> Format | None:
    """The format of a fetched body: its media type, else (untyped) its URL's extension or an
    opening "<" (HTML)."""
    found = BY_CONTENT_TYPE.get(content_type)
    if found is None and content_type in _UNTYPED:
        found = for_path(url_path)
        if found is None and not content_type and head.lstrip()[:1] == b"<":
            found = BY_CONTENT_TYPE["text/html"]
    return found if found is not None and found.parse is not None else None


__all__ = ["BY_CONTENT_TYPE", "BY_EXTENSION", "FORMATS", "Format", "extensions", "for_path",
           "for_response"]  # fmt: skip

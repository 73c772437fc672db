"""Readers: turn files, folders and JSONL records into SourceDocs (text + metadata).

A reader is chosen by file extension (``READERS``); URLs, feeds, PDF and DOCX slot in as more
readers. Every problem becomes a SourceError for that file or record, never an exception that
stops the batch.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from charset_normalizer import from_bytes

from index.dates import complete_dates
from index.types import SourceDoc, SourceError

if TYPE_CHECKING:
    from index.fetch import Fetcher

Item = SourceDoc | SourceError
Reader = Callable[[Path, int], Iterator[Item]]


class ReadError(Exception):
    """A file or record that cannot be read; the message says why."""


def decode(data: bytes) -> str:
    """Bytes to text: UTF-8 (with or without BOM), else the detected encoding (cp1252, EUC-KR…)."""
    if not data.strip():
        raise ReadError("empty file")
    if b"\x00" in data[:8192] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ReadError("binary file (not text)")
    try:
        return data.decode("utf-16" if data.startswith((b"\xff\xfe", b"\xfe\xff")) else "utf-8-sig")
    except UnicodeDecodeError:
        pass
    best = from_bytes(data).best()
    if best is None:
        raise ReadError("cannot detect the text encoding; save the file as UTF-8")
    text = str(best)
    # On short Latin-script texts the detector guesses among look-alike single-byte code pages
    # (cp775, cp1250…) and garbles "café – “quoted” €5"; cp1252, by far the most common legacy
    # one, wins whenever it reads the bytes at least as plausibly.
    if best.encoding != "cp1252" and len(text) == len(data) and _latin_script(text):
        try:
            latin = data.decode("cp1252")
        except UnicodeDecodeError:
            return text
        if _latin_script(latin) and _odd_in_words(latin) <= _odd_in_words(text):
            return latin
    return text


def _latin_script(text: str) -> bool:
    """True if every letter of ``text`` is a Latin one (so no Cyrillic, Hangul, CJK…)."""
    return all(
        ch.isascii() or not ch.isalpha() or unicodedata.name(ch, "").startswith("LATIN")
        for ch in text
    )


def _odd_in_words(text: str) -> int:
    """Symbols wedged between letters ("Za¿ó³æ"): the mark of a wrongly chosen code page."""
    return sum(
        1
        for i in range(1, len(text) - 1)
        if not text[i].isascii()
        and not text[i].isalpha()
        and text[i - 1].isalpha()
        and text[i + 1].isalpha()
    )


def clean_text(text: str) -> str:
    """Normalise newlines and strip trailing spaces: this is the exact text quotes come from."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    return "\n".join(line.rstrip() for line in text.split("\n")).strip()


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


def _text_doc(path: Path, text: str) -> SourceDoc:
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
    title = meta.get("title") or (first if 0 < len(first) <= 200 else None)
    source = meta.get("source") or meta.get("outlet")
    url = meta.get("url")
    if not source:
        m = _COPYRIGHT.search(text[-400:])
        if m:
            source = m.group(1).strip()
    return SourceDoc(
        text=text, location=str(path), title=title, source=source, url=url,
        published=iso_date(meta.get("date") or meta.get("published")), doc_id=meta.get("id"),
    )  # fmt: skip


def read_bytes(path: Path, max_bytes: int) -> bytes:
    """The file's bytes, refusing files over the size limit."""
    size = path.stat().st_size
    if size > max_bytes:
        raise ReadError(f"file is {size:,} bytes, over the limit of {max_bytes:,} "
                        "(REPORTBOT_MAX_FILE_BYTES)")  # fmt: skip
    return path.read_bytes()


def read_text(path: Path, max_bytes: int) -> Iterator[Item]:
    yield _text_doc(path, decode(read_bytes(path, max_bytes)))


def read_html(path: Path, max_bytes: int) -> Iterator[Item]:
    yield html_doc(decode(read_bytes(path, max_bytes)), location=str(path))


def html_doc(html: str, location: str, url: str | None = None) -> SourceDoc:
    """Main text and metadata of a news page, extracted with trafilatura."""
    import trafilatura

    extracted = trafilatura.bare_extraction(
        html, url=url, with_metadata=True, include_comments=False, favor_precision=True
    )
    meta = extracted.as_dict() if extracted is not None and hasattr(extracted, "as_dict") else {}
    text = clean_text(meta.get("text") or "")
    if not text:
        raise ReadError("no article text found in the HTML")
    return SourceDoc(
        text=text,
        location=location,
        title=meta.get("title") or None,
        source=meta.get("sitename") or meta.get("hostname") or None,
        url=url or meta.get("url") or None,
        published=iso_date(meta.get("date")),
        author=meta.get("author") or None,
    )


def read_jsonl(path: Path, max_bytes: int) -> Iterator[Item]:
    """One report per line: {"id"?, "url"?, "title"?, "date"?, "source"?, "text"}.

    Streamed line by line, so the file may be large; the size limit applies to each record.
    """
    with path.open("rb") as f:
        for n, raw in enumerate(f, start=1):
            if raw.strip():
                yield _jsonl_record(path, n, raw, max_bytes)


def _jsonl_record(path: Path, n: int, raw: bytes, max_bytes: int) -> Item:
    where = f"{path}:{n}"
    if len(raw) > max_bytes:
        return SourceError(where, f"record is {len(raw):,} bytes, over the limit of {max_bytes:,}")
    try:
        line = decode(raw)
    except ReadError as exc:
        return SourceError(where, str(exc))
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        return SourceError(where, f"invalid JSON ({exc.msg} at column {exc.colno})")
    if not isinstance(record, dict):
        return SourceError(where, "each line must be a JSON object")
    text = record.get("text")
    if not isinstance(text, str) or not text.strip():
        return SourceError(where, 'missing or empty "text"')
    rid = record.get("id")
    url = record.get("url") if isinstance(record.get("url"), str) else None
    return SourceDoc(
        text=clean_text(text),
        location=url or (f"{path}#{rid}" if rid is not None else where),
        title=_str_or_none(record.get("title")),
        source=_str_or_none(record.get("source") or record.get("outlet")),
        url=url,
        published=iso_date(record.get("date") or record.get("published")),
        doc_id=str(rid) if rid is not None else None,
    )


def _str_or_none(value: object) -> str | None:
    return str(value).strip() or None if value is not None else None


def read_pdf(path: Path, max_bytes: int) -> Iterator[Item]:
    from index.documents import read_pdf as read  # pypdf loads only when a PDF comes

    yield from read(path, max_bytes)


def read_docx(path: Path, max_bytes: int) -> Iterator[Item]:
    from index.documents import read_docx as read

    yield from read(path, max_bytes)


READERS: dict[str, Reader] = {
    ".txt": read_text,
    ".md": read_text,
    ".markdown": read_text,
    ".html": read_html,
    ".htm": read_html,
    ".jsonl": read_jsonl,
    ".pdf": read_pdf,
    ".docx": read_docx,
}


def _is_url(value: str) -> bool:
    return value.startswith(("http://", "https://"))


def iter_files(inputs: list[str]) -> Iterator[Path | str]:
    """Files named or found (recursively, hidden ones skipped) under folders; URLs as given."""
    for raw in inputs:
        if _is_url(raw):
            yield raw
            continue
        path = Path(raw).expanduser()
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                rel = child.relative_to(path).parts
                if child.is_file() and not any(p.startswith(".") for p in rel):
                    yield child.resolve()
        else:
            yield path.resolve() if path.exists() else path


def read_file(path: Path, max_bytes: int) -> Iterator[Item]:
    """The SourceDocs of one file, or a SourceError saying why it cannot be read."""
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        supported = ", ".join(sorted(READERS))
        yield SourceError(str(path), f"unsupported file type {path.suffix or '(none)'!r} "
                                     f"(supported: {supported})")  # fmt: skip
        return
    try:
        yield from reader(path, max_bytes)
    except FileNotFoundError:
        yield SourceError(str(path), "no such file or folder")
    except (ReadError, OSError, ValueError) as exc:
        yield SourceError(str(path), str(exc))


def iter_sources(
    inputs: list[str], max_bytes: int, fetcher: Fetcher | None = None
) -> Iterator[Item]:
    """Every report (or error) from files, folders, JSONL files and URLs named in ``inputs``.

    URLs are fetched with ``fetcher`` (default limits if None): an article, or each entry of a
    feed. Reports without a date in their metadata are dated from their URL or dateline.
    """
    own = None
    try:
        for item in iter_files(inputs):
            if isinstance(item, str):
                from index.feeds import read_url  # index.feeds builds on this module

                if fetcher is None:
                    from index.fetch import Fetcher

                    fetcher = own = Fetcher()
                found = read_url(item, fetcher)
            else:
                found = read_file(item, max_bytes)
            for doc in found:
                yield complete_dates(doc) if isinstance(doc, SourceDoc) else doc
    finally:
        if own is not None:
            own.close()

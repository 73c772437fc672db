"""Readers: turn files, folders and JSONL records into SourceDocs (text + metadata).

A reader is chosen by file extension (``READERS``); URLs, feeds, PDF and DOCX slot in as more
readers. Every problem becomes a SourceError for that file or record, never an exception that
stops the batch.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from index.dates import complete_dates
from index.encodings import ReadError, clean_text, decode
from index.types import SourceDoc, SourceError

if TYPE_CHECKING:
    from index.fetch import Fetcher

Item = SourceDoc | SourceError
Reader = Callable[[Path, int], Iterator[Item]]


NO_ARTICLE_TEXT = "no article text found in the HTML"
_NOT_REGULAR = "not a regular file (a pipe, socket or device): only files and folders are read"
# libxml2 stops building the tree past this depth: deeper text is silently lost.
MAX_HTML_DEPTH = 255
_TAG = re.compile(r"<(/?)([a-zA-Z][\w:-]*)(?:\s[^>]*?)?(/?)>")
# Elements that never nest (void), or that the parser closes by itself (p, li…).
_VOID_TAGS = frozenset(
    ["area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
     "source", "track", "wbr", "p", "li", "dt", "dd", "option", "tr", "td", "th"]
)  # fmt: skip


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
    titled = len(first) <= 200 and any(ch.isalnum() for ch in first)  # not a "---" fence
    title = meta.get("title") or (first if titled else None)
    source = meta.get("source") or meta.get("outlet")
    url = meta.get("url") if _is_url(meta.get("url")) else None  # never a javascript: link
    if not source:
        m = _COPYRIGHT.search(text[-400:])
        if m:
            source = m.group(1).strip()
    return SourceDoc(
        text=text, location=str(path), title=title, source=source, url=url,
        published=iso_date(meta.get("date") or meta.get("published")), doc_id=meta.get("id"),
    )  # fmt: skip


def read_bytes(path: Path, max_bytes: int) -> bytes:
    """The file's bytes, refusing files over the size limit and anything but a regular file."""
    if path.exists() and not path.is_file():
        raise ReadError(_NOT_REGULAR)
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
        if _nesting_depth(html) > MAX_HTML_DEPTH:
            raise ReadError(
                f"HTML nests its elements more than {MAX_HTML_DEPTH} levels deep, past what "
                "the parser reads, so no article text was found: save the article as text"
            )
        raise ReadError(NO_ARTICLE_TEXT)
    return SourceDoc(
        text=text,
        location=location,
        title=meta.get("title") or None,
        source=meta.get("sitename") or meta.get("hostname") or None,
        url=url or meta.get("url") or None,
        published=iso_date(meta.get("date")),
        author=meta.get("author") or None,
    )


def _nesting_depth(html: str) -> int:
    """How deep the elements of ``html`` nest, roughly (void and self-closed tags skipped)."""
    depth = deepest = 0
    for m in _TAG.finditer(html):
        if m[2].lower() in _VOID_TAGS or m[3]:
            continue
        if m[1]:
            depth = max(0, depth - 1)
        else:
            depth += 1
            deepest = max(deepest, depth)
    return deepest


def read_jsonl(path: Path, max_bytes: int) -> Iterator[Item]:
    """One report per line: {"id"?, "url"?, "title"?, "date"?, "source"?, "text"}.

    Streamed line by line, so the file may be large; the size limit applies to each record,
    and an overlong line is skipped without ever being held in memory whole.
    """
    with path.open("rb") as f:
        n = 0
        while raw := f.readline(max_bytes + 1):
            n += 1
            size, rest = len(raw), raw
            while size > max_bytes and rest and not rest.endswith(b"\n"):
                rest = f.readline(1 << 20)  # the rest of an overlong line, read and dropped
                size += len(rest)
            if size > max_bytes:
                reason = f"record is {size:,} bytes, over the limit of {max_bytes:,}"
                yield SourceError(f"{path}:{n}", reason + " (REPORTBOT_MAX_FILE_BYTES)")
            elif raw.strip():
                yield _jsonl_record(path, n, raw)


def _jsonl_record(path: Path, n: int, raw: bytes) -> Item:
    where = f"{path}:{n}"
    try:
        line = decode(raw)
    except ReadError as exc:
        return SourceError(where, str(exc))
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        return SourceError(where, f"invalid JSON ({exc.msg} at column {exc.colno})")
    except RecursionError:
        return SourceError(where, "invalid JSON (nested too deeply to read)")
    if not isinstance(record, dict):
        return SourceError(where, f"each line must be a JSON object, not {_json_type(record)}")
    text = record.get("text")
    if text is not None and not isinstance(text, str):
        return SourceError(where, f'"text" must be a string, not {_json_type(text)}')
    if not isinstance(text, str) or not text.strip():
        return SourceError(where, 'missing or empty "text"')
    rid = record.get("id")
    if rid is not None and not isinstance(rid, str | int):
        return SourceError(where, f'"id" must be a string or a number, not {_json_type(rid)}')
    url = record.get("url") if _is_url(record.get("url")) else None
    return SourceDoc(
        text=clean_text(text),
        location=url or (f"{path}#{rid}" if rid is not None else where),
        title=_str_or_none(record.get("title")),
        source=_str_or_none(record.get("source") or record.get("outlet")),
        url=url,
        published=iso_date(record.get("date") or record.get("published")),
        doc_id=str(rid) if rid is not None else None,
    )


def _json_type(value: object) -> str:
    """The JSON name of a value's type, for messages ("a number", "null")."""
    if value is None:
        return "null"
    kinds = ((bool, "true/false"), (int | float, "a number"), (str, "a string"), (list, "a list"))
    return next((name for t, name in kinds if isinstance(value, t)), "an object")


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


def _is_url(value: object) -> bool:
    return isinstance(value, str) and value.startswith(("http://", "https://"))


def iter_files(inputs: list[str]) -> Iterator[Path | str | SourceError]:
    """Files named or found (recursively, hidden ones skipped) under folders; URLs as given."""
    for raw in inputs:
        if _is_url(raw):
            yield raw
            continue
        path = Path(raw).expanduser()
        if path.is_dir():
            yield from _folder_files(path)
        else:
            yield path.resolve() if path.exists() else path


def _folder_files(folder: Path) -> Iterator[Path | SourceError]:
    """The files under ``folder``; links that are broken or lead out of it are errors."""
    top = folder.resolve()
    seen: set[Path] = set()
    for child in sorted(folder.rglob("*")):
        rel = child.relative_to(folder)
        if any(p.startswith(".") for p in rel.parts):
            continue
        where = str(top / rel)
        try:
            target = child.resolve()
        except (RuntimeError, OSError):  # Python 3.11 raises RuntimeError on a link loop
            yield SourceError(
                where, "symbolic link loop: the link leads back to itself; fix or remove it"
            )
            continue
        if child.is_symlink() and not target.exists():
            yield SourceError(
                where, f"broken symbolic link: its target {target} does not exist; fix or remove it"
            )
        elif child.is_symlink() and not target.is_relative_to(top):
            yield SourceError(where, f"symbolic link to {target}, outside the folder: not "
                                     "followed (name the target itself to ingest it)")  # fmt: skip
        elif target.is_file() and target not in seen:
            seen.add(target)
            yield target
        elif target.exists() and not target.is_file() and not target.is_dir():
            yield SourceError(where, _NOT_REGULAR)


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
    except PermissionError:
        yield SourceError(str(path), "permission denied: reportbot may not read this file "
                                     "(check its permissions)")  # fmt: skip
    except (ReadError, OSError, ValueError) as exc:
        yield SourceError(str(path), str(exc))
    except Exception as exc:  # a parser crash on a strange file: that file fails, not the batch
        yield SourceError(str(path), f"could not read the file ({type(exc).__name__}: {exc})")


def estimate_reports(inputs: list[str]) -> int:
    """About how many reports (or errors) ``iter_sources`` will give: a progress bar's total.

    Counts files without reading them, except JSONL files, whose lines are counted (a fast
    scan); a URL counts as one (a feed is more).
    """
    total = 0
    for item in iter_files(inputs):
        if isinstance(item, Path) and item.suffix.lower() == ".jsonl":
            total += max(1, _count_lines(item))
        else:
            total += 1
    return total


def _count_lines(path: Path) -> int:
    lines, last = 0, b"\n"
    try:
        with path.open("rb") as f:
            while block := f.read(1 << 20):
                lines += block.count(b"\n")
                last = block[-1:]
    except OSError:
        return 1
    return lines + (last != b"\n")


def _valid_text(text: str) -> str:
    """``text`` as valid Unicode: the raw bytes of a non-UTF-8 file name become \\xNN."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return text


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
            if isinstance(item, SourceError):
                item.location = _valid_text(item.location)
                yield item
                continue
            if isinstance(item, str):
                from index.feeds import read_url  # index.feeds builds on this module

                if fetcher is None:
                    from index.fetch import Fetcher

                    fetcher = own = Fetcher()
                found = read_url(item, fetcher)
            else:
                found = read_file(item, max_bytes)
            for doc in found:
                doc.location = _valid_text(doc.location)  # a file name that is not UTF-8
                yield complete_dates(doc) if isinstance(doc, SourceDoc) else doc
    finally:
        if own is not None:
            own.close()

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


# The first bytes of formats that turn up under a wrong extension, and what they are.
_SIGNATURES = (
    (b"%PDF-", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (a DOCX, XLSX or .zip file)"),
    (b"\xd0\xcf\x11\xe0", "an old Office document (.doc, .xls)"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"\x7fELF", "a program"),
)


_STRAY = re.compile("[\udc80-\udcff]+")  # bytes that are not UTF-8, as surrogateescape has them
_NON_ASCII = re.compile("[\x80-\ud7ff\ue000-\U0010ffff]")


def file_kind(data: bytes) -> str | None:
    """What ``data`` looks like from its first bytes ("a JPEG image"), or None if unknown."""
    return next((kind for magic, kind in _SIGNATURES if data.startswith(magic)), None)


def _utf16_without_bom(data: bytes) -> str | None:
    """The text of UTF-16 without a byte order mark (NUL in every other byte), else None."""
    sample = data[:8192]
    half = len(sample) // 2
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if odd > 0.3 * half and even < 0.05 * half:
        encoding = "utf-16-le"
    elif even > 0.3 * half and odd < 0.05 * half:
        encoding = "utf-16-be"
    else:
        return None
    try:
        text = data[: len(data) // 2 * 2].decode(encoding)
    except UnicodeDecodeError:
        return None
    controls = sum(1 for ch in text if ch < " " and ch not in "\t\n\r\f")
    return text if controls <= len(text) // 100 else None


def decode(data: bytes) -> str:
    """Bytes to text: UTF-8 (with or without BOM), else the detected encoding (cp1252, EUC-KR…)."""
    if not data.strip():
        raise ReadError("empty file")
    kind = file_kind(data)
    if kind:
        raise ReadError(f"binary file (not text): it looks like {kind}; give it its real extension")
    if b"\x00" in data[:8192] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        utf16 = _utf16_without_bom(data)
        if utf16 is None:
            raise ReadError("binary file (not text)")
        return utf16
    try:
        return data.decode("utf-16" if data.startswith((b"\xff\xfe", b"\xfe\xff")) else "utf-8-sig")
    except UnicodeDecodeError:
        pass
    mixed = _utf8_with_strays(data)
    if mixed is not None:
        return mixed
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


def _utf8_with_strays(data: bytes) -> str | None:
    """UTF-8 with lone legacy bytes (cp1252 text pasted into a UTF-8 file), each decoded alone.

    Only when the file has real UTF-8 characters and every invalid byte stands alone: in
    EUC-KR, Shift-JIS and the like, the non-ASCII bytes come in runs.
    """
    text = data.decode("utf-8", "surrogateescape").lstrip("\ufeff")
    strays = _STRAY.findall(text)
    if not strays or any(len(s) > 1 for s in strays) or not _NON_ASCII.search(text):
        return None
    return _STRAY.sub(lambda m: _cp1252_byte(ord(m[0]) - 0xDC00), text)


def _cp1252_byte(byte: int) -> str:
    try:
        return bytes([byte]).decode("cp1252")
    except UnicodeDecodeError:  # the five bytes cp1252 leaves undefined
        return bytes([byte]).decode("latin-1")


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

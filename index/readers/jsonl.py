"""JSONL archives: one report per line, streamed so the file may be larger than memory."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from index.readers.encodings import ReadError, clean_text, decode
from index.readers.text import is_url, iso_date
from index.types import Item, SourceDoc, SourceError


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
    url = record.get("url") if is_url(record.get("url")) else None
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

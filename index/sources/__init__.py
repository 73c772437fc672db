"""Where reports come from: files and folders, URLs over HTTP, and feeds.

``iter_sources`` is the one entry: it walks the inputs and yields every report (a SourceDoc)
or the reason one could not be read (a SourceError). Sources fetch bytes; ``index.readers``
turns them into reports (never the reverse).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from index.readers.dates import complete_dates
from index.sources.files import estimate_reports, iter_files, read_file
from index.types import Item, SourceDoc, SourceError

if TYPE_CHECKING:
    from index.sources.http import Fetcher

__all__ = ["estimate_reports", "iter_sources"]


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
                from index.sources.feeds import read_url  # httpx loads only when a URL comes

                if fetcher is None:
                    from index.sources.http import Fetcher

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

"""The report library as the web UI and the HTTP API share it: list, upload, ingest, remove."""

from __future__ import annotations

import os
import re
import tempfile
import threading
import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import BinaryIO

from bot.app.wiring import SAMPLE_REPORT, App
from index import Document, Fetcher, IngestReport, ReportbotError, report_extensions

_UNSAFE = re.compile(r"[^\w.\- ]+")
_COPY_CHUNK = 1 << 20


class LibraryError(ReportbotError):
    """A request the library refuses; ``status`` is the HTTP status that fits it."""

    def __init__(self, message: str, status: int = 400, kind: str = "invalid_request_error"):
        super().__init__(message)
        self.status = status
        self.kind = kind


def supported_types() -> list[str]:
    """File extensions the readers accept (".txt", ".pdf", ...)."""
    return report_extensions()


def sanitize_filename(name: str) -> str:
    """A safe base name for an uploaded file: no folders, no "..", no hidden or odd characters."""
    name = unicodedata.normalize("NFKC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE.sub("_", name).strip(" .")
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    stem = stem.strip(" .")[:100] or "upload"
    return f"{stem}.{ext[:10]}" if ext else stem


def public_location(location: str) -> str:
    """A location as a remote user may see it: a URL as it is, a server path by its file name
    only (where the server keeps its files is none of their business)."""
    if location.startswith(("http://", "https://")):
        return location
    return location.replace("\\", "/").rsplit("/", 1)[-1]


def document_json(doc: Document, remote: bool = False) -> dict[str, object]:
    """One report as the API lists it (the same fields as `reportbot list --json`); for a
    ``remote`` client the location of a file is its name only."""
    return {
        "doc_id": doc.doc_id,
        "title": doc.title,
        "source": doc.source,
        "published": doc.published,
        "url": doc.url,
        "location": public_location(doc.location) if remote else doc.location,
        "chunks": doc.n_chunks,
        "ingested_at": doc.ingested_at,
    }


class Library:
    """Wraps the App's ingestor and store; writes are serialised (one SQLite connection)."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.settings = app.settings
        self.uploads = Path(app.settings.data_dir) / "uploads"
        self._write = threading.Lock()

    def documents(self) -> list[Document]:
        return self.app.service.documents()

    def ensure_sample(self) -> IngestReport | None:
        """Ingest the bundled sample report when the library is empty (a first start)."""
        with self._write:
            if self.documents():
                return None
            return self.app.ingestor.ingest([str(SAMPLE_REPORT)], progress=False)

    def save_upload(self, filename: str, data: BinaryIO) -> Path:
        """Copy an uploaded file into data_dir/uploads, refusing odd types and big files."""
        name = sanitize_filename(filename)
        suffix = Path(name).suffix.lower()
        if suffix not in report_extensions():
            raise LibraryError(
                f"unsupported file type {suffix or '(none)'!r} for {name!r} "
                f"(supported: {', '.join(supported_types())})",
                status=415,
                kind="unsupported_media_type",
            )
        limit = self.settings.max_upload_bytes
        self.uploads.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.uploads, prefix=".upload-")
        size = 0
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := data.read(_COPY_CHUNK):
                    size += len(chunk)
                    if size > limit:
                        raise LibraryError(
                            f"{name!r} is over the upload limit of {limit:,} bytes "
                            "(REPORTBOT_MAX_UPLOAD_BYTES)",
                            status=413,
                            kind="payload_too_large",
                        )
                    out.write(chunk)
            target = self.uploads / name
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return target

    def ingest(
        self,
        uploads: list[Path],
        urls: Sequence[str] = (),
        on_item: Callable[[int, int, str], None] | None = None,
    ) -> IngestReport:
        """Ingest saved uploads and web pages one at a time (so progress can be shown).

        Only files in the uploads folder and http(s) URLs are accepted: a user must never be
        able to make the server read one of its own files, nor (unless the operator allows
        private URLs) fetch from its own network: every URL and redirect is checked.
        """
        folder = self.uploads.resolve()
        for path in uploads:
            if path.resolve().parent != folder:
                raise LibraryError(f"{path.name!r} is not an uploaded file")
        for url in urls:
            if not url.startswith(("http://", "https://")) or len(url) > 2000:
                raise LibraryError(f"not a web address (http:// or https://): {url[:100]!r}")
        items = [(str(p), p.name) for p in uploads] + [(u, u) for u in urls]
        reports = []
        kept: set[Path] = set()
        try:
            with self._write, Fetcher.from_settings(self.settings, untrusted=True) as fetcher:
                for i, (item, name) in enumerate(items):
                    if on_item:
                        on_item(i, len(items), name)
                    report = self.app.ingestor.ingest([item], progress=False, fetcher=fetcher)
                    reports.append(report)
                    if report.added or report.updated:
                        kept.add(Path(item))
        finally:  # a failed or duplicate upload leaves nothing behind
            self.discard([p for p in uploads if p not in kept])
        return IngestReport.combine(reports)

    def discard(self, uploads: Sequence[Path]) -> None:
        """Delete saved uploads that no report was read from (it failed, it was a copy of
        a report already in the library, or the request failed before it was ingested)."""
        folder = self.uploads.resolve()
        for path in uploads:
            resolved = path.resolve()
            if resolved.parent != folder:
                continue
            if not (self.app.store.find(str(resolved)) or self.app.store.find(str(path))):
                resolved.unlink(missing_ok=True)

    def remove(self, doc_id: str) -> Document:
        """Remove a report (and its uploaded file, if it came from an upload)."""
        with self._write:
            doc = self.app.store.document(doc_id)
            if doc is None:
                raise LibraryError(f"no report with id {doc_id!r}", status=404, kind="not_found")
            self.app.store.remove([doc_id])
            # The stored upload goes too, once no other report is read from it (the records
            # of one JSONL file are located at "file#id").
            path = Path(doc.location.split("#", 1)[0])
            if path.parent in (self.uploads.resolve(), self.uploads) and not any(
                d.location.split("#", 1)[0] == str(path) for d in self.documents()
            ):
                path.unlink(missing_ok=True)
        return doc

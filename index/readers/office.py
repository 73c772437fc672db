"""PDF (pypdf, text per page with page start offsets) and DOCX (python-docx) readers."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import UTC, datetime

from index.readers.encodings import ReadError, clean_text, file_kind
from index.readers.text import iso_date
from index.types import SourceDoc

NO_TEXT_LAYER = "PDF has no text layer (scanned?); OCR is not supported"
_DAMAGED = "the file is damaged or cut short; get a fresh copy"
_PAGE_BREAK = "\n\n"
# Titles that are really file names or the authoring tool ("Microsoft Word - memo.docx").
_JUNK_TITLE = re.compile(r"^(?:microsoft \w+ - |untitled\b)|\.(?:docx?|pdf|odt|rtf)$", re.I)
# python-docx's blank template stamps every new file with these; they say nothing about it.
_DOCX_TEMPLATE_CREATED = datetime(2013, 12, 23, 23, 15, tzinfo=UTC)
_DOCX_TEMPLATE_AUTHOR = "python-docx"
# A DOCX is a ZIP: it may unzip to this many times the file size limit (but at least
# DOCX_MIN_UNZIPPED; python-docx's own blank template unzips to 0.8 MB), no more (zip bombs).
DOCX_EXPANSION = 10
DOCX_MIN_UNZIPPED = 20_000_000


def _title(meta_title: object, text: str) -> str | None:
    title = str(meta_title).strip() if meta_title else ""
    if title and not _JUNK_TITLE.search(title):
        return title
    first = text.split("\n", 1)[0].strip()
    return first if 0 < len(first) <= 200 else None


def pdf_doc(data: bytes, location: str, url: str | None = None) -> SourceDoc:
    """The text of a PDF, pages separated by a blank line; ``pages`` holds each page's start."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    if b"%PDF-" not in data[:1024]:  # pypdf finds a header up to here; else it is not a PDF
        kind = file_kind(data)
        raise ReadError(
            f"not a PDF: it looks like {kind}; give it its real extension"
            if kind
            else "not a PDF: the file has no PDF header (renamed, or damaged?)"
        )
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise ReadError("PDF is encrypted (password protected)")
        page_texts = [clean_text(page.extract_text() or "") for page in reader.pages]
    except ReadError:
        raise
    except PyPdfError as exc:
        raise ReadError(f"not a readable PDF ({exc}): {_DAMAGED}") from exc
    except Exception as exc:  # pypdf raises assorted errors on corrupt files
        raise ReadError(f"not a readable PDF ({type(exc).__name__}: {exc}): {_DAMAGED}") from exc
    if not any(page_texts):
        raise ReadError(NO_TEXT_LAYER)
    parts: list[str] = []
    starts: list[int] = []
    offset = 0
    for page in page_texts:
        if page:
            offset += len(_PAGE_BREAK) if parts else 0
            parts.append(page)
        starts.append(offset if page else -1)
        offset += len(page)
    following = offset  # an empty page starts where the next text starts: bisect stays right
    for i in reversed(range(len(starts))):
        if starts[i] < 0:
            starts[i] = following
        following = starts[i]
    text = _PAGE_BREAK.join(parts)
    meta = _pdf_metadata(reader)
    return SourceDoc(
        text=text,
        location=location,
        url=url,
        title=_title(meta.get("title"), text),
        author=meta.get("author"),
        published=meta.get("published"),
        pages=starts,
    )


def _pdf_metadata(reader: object) -> dict[str, str]:
    """Title, author and creation date, each only if present and readable."""
    out: dict[str, str] = {}
    try:
        meta = reader.metadata  # type: ignore[attr-defined]
        if meta is None:
            return out
        if meta.title:
            out["title"] = str(meta.title)
        if meta.author:
            out["author"] = str(meta.author).strip()
        created = iso_date(meta.creation_date)
        if created:
            out["published"] = created
    except Exception:  # malformed metadata (bad date strings…) must not lose the text
        pass
    return out


def page_of(pages: list[int] | None, offset: int) -> int | None:
    """The 1-based page holding character ``offset``, given a document's page starts."""
    if not pages:
        return None
    import bisect

    return bisect.bisect_right(pages, offset) or 1


def _check_docx_package(data: bytes, max_unzipped: int) -> None:
    """A ReadError unless ``data`` is a ZIP holding a Word document of a sane unzipped size."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            names = set(package.namelist())
            unzipped = sum(info.file_size for info in package.infolist())
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        kind = None if data.startswith(b"PK") else file_kind(data)  # PK: a damaged ZIP
        raise ReadError(
            f"not a readable DOCX: it looks like {kind}; give it its real extension"
            if kind
            else f"not a readable DOCX (not a ZIP package: {exc}): {_DAMAGED}"
        ) from exc
    if "word/document.xml" not in names:
        raise ReadError("not a readable DOCX: a ZIP archive with no Word document inside "
                        "(no word/document.xml); save it from Word as .docx")  # fmt: skip
    if unzipped > max_unzipped:
        raise ReadError(f"not a readable DOCX: it unzips to {unzipped:,} bytes, over the limit "
                        f"of {max_unzipped:,} (a zip bomb?)")  # fmt: skip


def docx_doc(
    data: bytes, location: str, url: str | None = None, max_unzipped: int = 200_000_000
) -> SourceDoc:
    """The paragraphs of a Word document (blank line between them) and its core properties."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    _check_docx_package(data, max_unzipped)
    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, KeyError, ValueError) as exc:
        raise ReadError(f"not a readable DOCX ({exc or type(exc).__name__}): {_DAMAGED}") from exc
    except Exception as exc:  # zipfile.BadZipFile, lxml errors on a corrupt package
        raise ReadError(f"not a readable DOCX ({type(exc).__name__}: {exc}): {_DAMAGED}") from exc
    paragraphs = [clean_text(p.text) for p in document.paragraphs]
    text = "\n\n".join(p for p in paragraphs if p)
    if not text:
        raise ReadError("no text in the DOCX")
    props = document.core_properties
    author = props.author if props.author and props.author != _DOCX_TEMPLATE_AUTHOR else None
    created = props.created if props.created != _DOCX_TEMPLATE_CREATED else None
    return SourceDoc(
        text=text,
        location=location,
        url=url,
        title=_title(props.title, text),
        author=author or None,
        published=iso_date(created),
    )


def parse_pdf(
    data: bytes, *, location: str, url: str | None = None, charset: str | None = None,
    max_bytes: int = 0,
) -> SourceDoc:  # fmt: skip
    """A PDF report from its bytes (``charset`` does not apply)."""
    return pdf_doc(data, location=location, url=url)


def parse_docx(
    data: bytes, *, location: str, url: str | None = None, charset: str | None = None,
    max_bytes: int = 0,
) -> SourceDoc:  # fmt: skip
    """A DOCX report from its bytes; it may unzip to DOCX_EXPANSION × ``max_bytes``."""
    limit = max(DOCX_EXPANSION * max_bytes, DOCX_MIN_UNZIPPED) if max_bytes else 200_000_000
    return docx_doc(data, location=location, url=url, max_unzipped=limit)

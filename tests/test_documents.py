"""PDF and DOCX reports: text, page starts, core metadata; scans and junk fail clearly."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fakes.files import make_docx, make_pdf, scanned_pdf
from fakes.news_server import STORIES, NewsServer, Route

from index.ingest.pipeline import Ingestor
from index.readers.office import NO_TEXT_LAYER, page_of
from index.sources import iter_sources
from index.storage.store import Store
from index.types import SourceDoc, SourceError


def _pdf(pages: list[list[str]], title: str | None = "Harbour Report") -> bytes:
    return make_pdf(pages, title=title, author="Port Authority")


def _read(path: Path) -> SourceDoc | SourceError:
    (item,) = iter_sources([str(path)], 10_000_000)
    return item


@pytest.fixture
def news() -> Iterator[NewsServer]:
    with NewsServer() as server:
        yield server


def test_pdf_text_keeps_each_page_start(tmp_path: Path) -> None:
    path = tmp_path / "report.pdf"
    path.write_bytes(_pdf([STORIES["bridge"][:2], [], [STORIES["flood"][0][:80], "Page three."]]))
    doc = _read(path)
    assert isinstance(doc, SourceDoc)
    assert doc.pages is not None and len(doc.pages) == 3
    assert doc.text.startswith(STORIES["bridge"][0])
    third = doc.text.index("Flood waters")
    assert doc.pages[1] == doc.pages[2] == third  # the blank page starts where page 3 does
    assert doc.text[third - 2 : third] == "\n\n"
    assert page_of(doc.pages, 0) == 1
    assert page_of(doc.pages, doc.text.index("40 million")) == 1
    assert page_of(doc.pages, doc.text.index("Page three.")) == 3
    assert page_of(None, 5) is None
    assert (doc.title, doc.author, doc.published) == (
        "Harbour Report",
        "Port Authority",
        "2000-01-01",
    )
    assert doc.location == str(path)


def test_pdf_without_title_metadata_takes_its_first_line(tmp_path: Path) -> None:
    path = tmp_path / "untitled.pdf"
    path.write_bytes(_pdf([["Port strike ends", "Dock workers went back to work."]], title=None))
    doc = _read(path)
    assert isinstance(doc, SourceDoc) and doc.title == "Port strike ends"


def test_scanned_pdf_and_junk_fail_with_a_clear_reason(tmp_path: Path) -> None:
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(scanned_pdf())
    junk = tmp_path / "junk.pdf"
    junk.write_bytes(b"%PDF-1.4\nthis is not really a pdf")
    bad_docx = tmp_path / "bad.docx"
    bad_docx.write_bytes(b"PK\x03\x04 not a zip")
    assert _read(scan) == SourceError(
        str(scan), "PDF has no text layer (scanned?); OCR is not supported"
    )
    assert NO_TEXT_LAYER == "PDF has no text layer (scanned?); OCR is not supported"
    junk_error = _read(junk)
    assert isinstance(junk_error, SourceError) and junk_error.reason.startswith(
        "not a readable PDF"
    )
    docx_error = _read(bad_docx)
    assert isinstance(docx_error, SourceError) and docx_error.reason.startswith(
        "not a readable DOCX"
    )


def test_docx_paragraphs_and_core_properties(tmp_path: Path) -> None:
    path = tmp_path / "memo.docx"
    created = datetime(2025, 10, 16, 9, 30, tzinfo=UTC)
    path.write_bytes(
        make_docx(
            ["Vaccination drive", "", *STORIES["vaccine"]],
            title="Measles campaign",
            author="Health Desk",
            created=created,
        )
    )
    doc = _read(path)
    assert isinstance(doc, SourceDoc)
    assert doc.text == "\n\n".join(["Vaccination drive", *STORIES["vaccine"]])
    assert (doc.title, doc.author, doc.published) == (
        "Measles campaign",
        "Health Desk",
        "2025-10-16",
    )


def test_docx_without_properties_is_not_dated_by_the_template(tmp_path: Path) -> None:
    path = tmp_path / "plain.docx"
    path.write_bytes(make_docx(["Port strike ends", *STORIES["port"]]))
    doc = _read(path)
    assert isinstance(doc, SourceDoc)
    assert (doc.title, doc.author, doc.published) == ("Port strike ends", None, None)
    empty = tmp_path / "empty.docx"
    empty.write_bytes(make_docx(["", "  "]))
    assert _read(empty) == SourceError(str(empty), "no text in the DOCX")


def test_pdf_and_docx_over_http_are_ingested_with_exact_text(
    news: NewsServer, make_store: Callable[..., Store]
) -> None:
    pdf = _pdf([STORIES["bridge"][:1], STORIES["election"][:1]])
    news.set("/files/report.pdf", Route(pdf, content_type="application/pdf"))
    news.set(
        "/dl/memo.docx",
        Route(
            make_docx(STORIES["port"], title="Port memo"), content_type="application/octet-stream"
        ),
    )
    news.set("/scan", Route(scanned_pdf(), content_type="application/pdf"))
    (read,) = iter_sources([news.url("/files/report.pdf")], 1_000_000)
    assert isinstance(read, SourceDoc) and read.pages == [0, read.text.index("Voters")]

    store = make_store()
    urls = [news.url(p) for p in ("/files/report.pdf", "/dl/memo.docx", "/scan")]
    report = Ingestor(store).ingest(urls, progress=False)
    assert report.failed == [{"location": urls[2], "reason": NO_TEXT_LAYER}]
    docs = {d.location: d for d in store.catalog.documents()}
    assert docs[urls[0]].text == read.text  # page offsets hold for the stored text
    assert docs[urls[0]].url == urls[0]
    assert docs[urls[1]].title == "Port memo"


def test_pdf_citation_names_its_page_and_the_page_starts_persist(
    make_app: Callable[..., object], tmp_path: Path
) -> None:
    path = tmp_path / "harbour.pdf"
    path.write_bytes(
        _pdf(
            [
                ["The harbour authority met on Monday to review the port budget."],
                ["Officials said 1,250 containers were seized at the harbour this year."],
            ]
        )
    )
    app = make_app([path])
    (doc,) = app.store.catalog.documents()  # type: ignore[attr-defined]
    assert doc.pages == [0, doc.text.index("Officials")]
    answer = app.service.answer("How many containers were seized at the harbour?")  # type: ignore[attr-defined]
    assert "1,250" in answer.answer
    assert answer.citations[0].page == 2
    assert answer.as_json()["citations"][0]["page"] == 2

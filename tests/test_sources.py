"""Readers: text, Markdown, HTML and JSONL reports become SourceDocs; bad input a clear reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from index.sources import iter_sources
from index.types import SourceDoc, SourceError

ARTICLE = (
    "The council voted on Tuesday to approve the new harbour bridge after months of debate. "
    "Construction is expected to begin in the spring and cost 40 million euros, officials said."
)


def _read(
    *paths: Path | str, max_bytes: int = 1_000_000
) -> tuple[dict[str, SourceDoc], dict[str, str]]:
    """Docs and errors by location, from reading ``paths`` in one batch."""
    docs: dict[str, SourceDoc] = {}
    errors: dict[str, str] = {}
    for item in iter_sources([str(p) for p in paths], max_bytes):
        if isinstance(item, SourceDoc):
            docs[item.location] = item
        else:
            assert isinstance(item, SourceError)
            errors[item.location] = item.reason
    return docs, errors


def test_text_front_matter_gives_title_source_date_url(tmp_path: Path) -> None:
    md = tmp_path / "flood.md"
    md.write_text(
        '---\ntitle: "Flood waters recede"\nsource: River Times\ndate: 2024-02-01T08:00\n'
        "url: https://river.example/news/flood\n---\nThe flood waters receded on Monday.\n"
    )
    (doc,) = _read(md)[0].values()
    assert doc.title == "Flood waters recede"
    assert doc.source == "River Times"
    assert doc.published == "2024-02-01"
    assert doc.url == "https://river.example/news/flood"
    assert doc.text == "The flood waters receded on Monday."  # front matter is not text
    assert doc.location == str(md.resolve())


def test_front_matter_of_a_windows_file_is_read(tmp_path: Path) -> None:
    md = tmp_path / "crlf.md"
    md.write_bytes(b"---\r\ntitle: Dam opens\r\ndate: 2023-07-09\r\n---\r\nThe dam opened.\r\n")
    (doc,) = _read(md)[0].values()
    assert (doc.title, doc.published, doc.text) == ("Dam opens", "2023-07-09", "The dam opened.")


def test_plain_text_title_from_first_line_and_outlet_from_copyright(tmp_path: Path) -> None:
    txt = tmp_path / "bridge.txt"
    txt.write_text(
        "Bridge reopens after repairs\n\nThe bridge reopened on Friday.  \r\n\n"
        "© 2024 Daily Planet (dailyplanet.example). All rights reserved.\n"
    )
    (doc,) = _read(txt)[0].values()
    assert doc.title == "Bridge reopens after repairs"
    assert doc.source == "Daily Planet"
    assert doc.published is None
    assert "The bridge reopened on Friday.\n" in doc.text  # trailing spaces and CR dropped


def test_html_article_metadata_extracted_and_navigation_dropped(tmp_path: Path) -> None:
    page = tmp_path / "bridge.html"
    page.write_text(
        "<!DOCTYPE html><html><head><title>Harbour bridge approved | Coast Gazette</title>"
        '<meta property="og:title" content="Harbour bridge approved">'
        '<meta property="og:site_name" content="Coast Gazette">'
        '<meta property="article:published_time" content="2024-03-05T10:00:00Z">'
        '<link rel="canonical" href="https://coastgazette.example/news/bridge"></head><body>'
        '<nav><ul><li><a href="/">Home</a></li><li><a href="/sport">Sport pages</a></li>'
        "<li>Subscribe now for unlimited access</li></ul></nav>"
        f"<article><h1>Harbour bridge approved</h1><p>{ARTICLE}</p>"
        "<p>Residents who opposed the plan said they would appeal to the regional court.</p>"
        "</article><footer>Cookie settings. Privacy policy.</footer></body></html>"
    )
    (doc,) = _read(page)[0].values()
    assert doc.title == "Harbour bridge approved"
    assert doc.source == "Coast Gazette"
    assert doc.published == "2024-03-05"
    assert doc.url == "https://coastgazette.example/news/bridge"
    assert ARTICLE in doc.text
    for boilerplate in ("Subscribe now", "Sport pages", "Cookie settings"):
        assert boilerplate not in doc.text


def test_jsonl_records_mapped_and_bad_lines_reported_per_line(tmp_path: Path) -> None:
    jl = tmp_path / "feed.jsonl"
    lines = [
        json.dumps({"id": "a1", "title": "Alpha", "date": "2024-01-02", "source": "Wire",
                    "url": "https://wire.example/a", "text": "Alpha happened."}),
        "{broken json",
        "",
        json.dumps({"id": "a3", "title": "No text here"}),
        json.dumps({"title": "Beta", "published": "2024/03/04", "outlet": "Other",
                    "text": "Beta happened."}),
        json.dumps(["not", "an", "object"]),
    ]  # fmt: skip
    jl.write_text("\n".join(lines) + "\n")
    docs, errors = _read(jl)
    where = str(jl.resolve())
    assert errors[f"{where}:2"].startswith("invalid JSON")
    assert errors[f"{where}:4"] == 'missing or empty "text"'
    assert "JSON object" in errors[f"{where}:6"]
    alpha = docs["https://wire.example/a"]
    assert (alpha.doc_id, alpha.title, alpha.source, alpha.published, alpha.url, alpha.text) == (
        "a1", "Alpha", "Wire", "2024-01-02", "https://wire.example/a", "Alpha happened."
    )  # fmt: skip
    (beta,) = [d for d in docs.values() if d.title == "Beta"]
    assert (beta.source, beta.published, beta.doc_id) == ("Other", "2024-03-04", None)
    assert len(docs) == 2


def test_folders_are_read_recursively_skipping_hidden_files(tmp_path: Path) -> None:
    root = tmp_path / "reports"
    (root / "2024" / "march").mkdir(parents=True)
    (root / ".git").mkdir()
    (root / "top.txt").write_text("Top\nA top story.")
    (root / "2024" / "march" / "deep.md").write_text("Deep\nA deep story.")
    (root / ".hidden.txt").write_text("Hidden\nA hidden story.")
    (root / ".git" / "HEAD.txt").write_text("Git\nNot a story.")
    (root / "notes.pdfx").write_text("not a report")
    docs, errors = _read(root)
    assert sorted(Path(p).name for p in docs) == ["deep.md", "top.txt"]
    (reason,) = errors.values()
    assert reason.startswith("unsupported file type '.pdfx'") and ".txt" in reason


def test_legacy_encodings_are_decoded(tmp_path: Path) -> None:
    cp1252 = "Prices at the café – “quoted” €5 – rose again this week."
    korean = "캄보디아 당국은 10월 16일 3,400명 이상을 체포했다고 발표했다."
    (tmp_path / "cp1252.txt").write_bytes(f"Café prices\n{cp1252}".encode("cp1252"))
    (tmp_path / "korean.txt").write_bytes(f"캄보디아 단속\n{korean}".encode("euc-kr"))
    (tmp_path / "notepad.txt").write_bytes(f"Café prices\n{cp1252}".encode("utf-16"))  # with BOM
    docs, errors = _read(tmp_path)
    assert not errors
    by_name = {Path(loc).name: d for loc, d in docs.items()}
    assert by_name["cp1252.txt"].text == f"Café prices\n{cp1252}"
    assert by_name["korean.txt"].text == f"캄보디아 단속\n{korean}"
    assert by_name["korean.txt"].title == "캄보디아 단속"
    assert by_name["notepad.txt"].text == f"Café prices\n{cp1252}"


def test_bad_files_each_get_a_reason_while_the_rest_lands(tmp_path: Path) -> None:
    good = tmp_path / "good.txt"
    good.write_text("Good report\nThis one is fine.")
    bad = {
        "blank.txt": b"  \n\n \n",
        "zero.txt": b"",
        "binary.txt": bytes(range(256)) * 3,
        "broken.html": b"<<<>>> </div></p>&&& <",
        "big.txt": b"Big report\n" + b"word " * 400,
    }
    for name, data in bad.items():
        (tmp_path / name).write_bytes(data)
    missing = tmp_path / "missing.txt"
    docs, errors = _read(tmp_path, missing, max_bytes=1000)
    assert list(docs) == [str(good.resolve())]
    reasons = {Path(loc).name: r for loc, r in errors.items()}
    assert reasons["blank.txt"] == "empty file"
    assert reasons["zero.txt"] == "empty file"
    assert reasons["binary.txt"] == "binary file (not text)"
    assert reasons["broken.html"] == "no article text found in the HTML"
    assert "over the limit of 1,000" in reasons["big.txt"]
    assert "REPORTBOT_MAX_FILE_BYTES" in reasons["big.txt"]
    assert reasons["missing.txt"] == "no such file or folder"


def test_truncated_html_still_yields_its_text(tmp_path: Path) -> None:
    page = tmp_path / "cut.html"
    page.write_text(
        f"<html><head><title>Cut short</title></head><body><article><p>{ARTICLE}</p><p>The"
    )
    (doc,) = _read(page)[0].values()
    assert ARTICLE in doc.text
    assert doc.title == "Cut short"


@pytest.mark.parametrize("size", [999, 1001])
def test_size_limit_is_exact(tmp_path: Path, size: int) -> None:
    f = tmp_path / "r.txt"
    f.write_bytes(b"T\n" + b"x" * (size - 2))
    docs, errors = _read(f, max_bytes=1000)
    assert (len(docs), len(errors)) == ((1, 0) if size <= 1000 else (0, 1))

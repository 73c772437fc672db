"""HTML news pages: the article's main text and metadata (trafilatura), its canonical link."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

from index.readers.encodings import ReadError, clean_text, decode
from index.readers.text import iso_date
from index.types import SourceDoc

NO_ARTICLE_TEXT = "no article text found in the HTML"
# libxml2 stops building the tree past this depth: deeper text is silently lost.
MAX_HTML_DEPTH = 255
_TAG = re.compile(r"<(/?)([a-zA-Z][\w:-]*)(?:\s[^>]*?)?(/?)>")
# Elements that never nest (void), or that the parser closes by itself (p, li…).
_VOID_TAGS = frozenset(
    ["area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
     "source", "track", "wbr", "p", "li", "dt", "dd", "option", "tr", "td", "th"]
)  # fmt: skip


def parse_html(
    data: bytes, *, location: str, url: str | None = None, charset: str | None = None,
    max_bytes: int = 0,
) -> SourceDoc:  # fmt: skip
    """A saved HTML article from its bytes."""
    return html_doc(decode(data, charset), location=location, url=url)


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


def canonical_link(html: str, page_url: str) -> str | None:
    """The page's own idea of its address: <link rel=canonical>, else og:url (absolute)."""
    import lxml.html

    try:
        tree = lxml.html.document_fromstring(html)
    except Exception:  # lxml raises several types on junk; the fetched URL is then the answer
        return None
    found = [
        *tree.xpath(
            "//link[contains(concat(' ', normalize-space(@rel), ' '), ' canonical ')]/@href"
        ),
        *tree.xpath("//meta[@property='og:url' or @name='og:url']/@content"),
    ]
    for href in found:
        href = str(href).strip()
        if href:
            absolute = urljoin(page_url, href)
            if urlsplit(absolute).scheme in {"http", "https"} and urlsplit(absolute).netloc:
                return absolute
    return None

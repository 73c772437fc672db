"""HTTP fetching of news pages: timeouts, a size limit enforced while streaming, capped redirects.

``Fetcher.get`` returns the body of a 2xx (or a 304 to a conditional request) and raises a
FetchError whose message is what a user needs ("HTTP 404 Not Found", "timed out after 15 s").
``page_doc`` turns a fetched page (HTML article, PDF, DOCX, plain text) into a SourceDoc whose
location and citation link are the page's canonical URL.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, replace
from http import HTTPStatus
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx

from index.sources import ReadError, _text_doc, decode, html_doc
from index.types import SourceDoc

if TYPE_CHECKING:
    from index.settings import IndexSettings

USER_AGENT = "reportbot/0.1 (+news research bot)"
_REDIRECTS = {301, 302, 303, 307, 308}
HTML_TYPES = {"text/html", "application/xhtml+xml"}
PDF_TYPES = {"application/pdf", "application/x-pdf"}
DOCX_TYPES = {"application/vnd.openxmlformats-officedocument.wordprocessingml.document"}
# Fewer words than this is a menu, a cookie wall or a JavaScript shell, not a report.
MIN_ARTICLE_WORDS = 15
_ACCEPT = (
    "text/html,application/xhtml+xml,application/rss+xml,application/atom+xml,"
    "application/xml;q=0.9,*/*;q=0.8"
)


class FetchError(ReadError):
    """A URL that could not be fetched; the message says why."""


@dataclass
class Response:
    """A fetched response: the final URL (after redirects), status, headers and body."""

    url: str
    status: int
    headers: httpx.Headers
    content: bytes

    @property
    def content_type(self) -> str:
        """The media type, lower-case, without parameters ("text/html")."""
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()

    @property
    def not_modified(self) -> bool:
        return self.status == 304


class Fetcher:
    """One HTTP client (connection pooling) with reportbot's limits; close it when done."""

    def __init__(
        self,
        timeout: float = 15.0,
        max_bytes: int = 20_000_000,
        max_redirects: int = 5,
        user_agent: str = USER_AGENT,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        self.user_agent = user_agent
        self._transport = transport
        self._http: httpx.Client | None = None  # made on first use: most ingests fetch nothing

    @property
    def _client(self) -> httpx.Client:
        if self._http is None:
            self._http = httpx.Client(
                timeout=httpx.Timeout(self.timeout),
                follow_redirects=False,  # followed by hand: to cap them and to name a loop
                headers={"User-Agent": self.user_agent, "Accept": _ACCEPT},
                transport=self._transport,
            )
        return self._http

    @classmethod
    def from_settings(cls, settings: IndexSettings) -> Fetcher:
        return cls(
            timeout=settings.fetch_timeout,
            max_bytes=settings.max_fetch_bytes,
            max_redirects=settings.max_redirects,
            user_agent=settings.user_agent,
        )

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def get(self, url: str, etag: str | None = None, last_modified: str | None = None) -> Response:
        """GET ``url``; with ``etag``/``last_modified`` a conditional request (may answer 304)."""
        headers: dict[str, str] = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        deadline = time.monotonic() + 4 * self.timeout
        chain = [url]
        for _ in range(self.max_redirects + 1):
            response, location = self._get_once(chain[-1], headers, deadline)
            if response is not None:
                return response
            target = urljoin(chain[-1], location)
            if target in chain:
                raise FetchError(
                    "redirect loop: " + " → ".join([*chain[chain.index(target) :], target])
                )
            chain.append(target)
        raise FetchError(f"too many redirects (more than {self.max_redirects})")

    def _get_once(
        self, url: str, headers: dict[str, str], deadline: float
    ) -> tuple[Response | None, str]:
        """The response, or (None, Location) for a redirect."""
        try:
            with self._client.stream("GET", url, headers=headers) as r:
                location = r.headers.get("location")
                if r.status_code in _REDIRECTS and location:
                    return None, location
                if r.status_code == 304:
                    return Response(str(r.url), 304, r.headers, b""), ""
                if not 200 <= r.status_code < 300:
                    raise FetchError(f"HTTP {r.status_code} {_phrase(r)}".rstrip())
                return Response(str(r.url), r.status_code, r.headers, self._body(r, deadline)), ""
        except httpx.TimeoutException as exc:
            raise FetchError(f"timed out after {self.timeout:g} s") from exc
        except httpx.ConnectError as exc:
            raise FetchError(f"cannot connect ({exc})") from exc
        except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
            raise FetchError(f"invalid URL ({exc})") from exc
        except httpx.HTTPError as exc:
            raise FetchError(f"{type(exc).__name__}: {exc}") from exc

    def _body(self, r: httpx.Response, deadline: float) -> bytes:
        """The body, read in chunks: stops as soon as it passes the size or time limit."""
        declared = r.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise FetchError(
                f"response is {int(declared):,} bytes, over the limit of "
                f"{self.max_bytes:,} (REPORTBOT_MAX_FETCH_BYTES)"
            )
        body = bytearray()
        for chunk in r.iter_bytes():
            body += chunk
            if len(body) > self.max_bytes:
                raise FetchError(
                    f"response is over the limit of {self.max_bytes:,} bytes "
                    "(REPORTBOT_MAX_FETCH_BYTES)"
                )
            if time.monotonic() > deadline:
                raise FetchError(f"timed out after {4 * self.timeout:g} s (still downloading)")
        return bytes(body)


def _phrase(r: httpx.Response) -> str:
    if r.reason_phrase:
        return r.reason_phrase
    try:
        return HTTPStatus(r.status_code).phrase
    except ValueError:
        return ""


def clean_url(url: str) -> str:
    """The URL without its #fragment (it names a place in the page, not another page)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc.lower(), parts.path or "/", parts.query, ""))


def canonical_url(html: str, page_url: str) -> str:
    """The page's own idea of its address: <link rel=canonical>, else og:url, else ``page_url``."""
    import lxml.html

    try:
        tree = lxml.html.document_fromstring(html)
    except Exception:  # lxml raises several types on junk; the fetched URL is then the answer
        return clean_url(page_url)
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
                return clean_url(absolute)
    return clean_url(page_url)


def _decode(response: Response) -> str:
    """The body as text: the charset the server declares if it fits, else detection."""
    m = re.search(r"charset=[\"']?([\w.:-]+)", response.headers.get("content-type", ""), re.I)
    if m and response.content:
        try:
            return response.content.decode(m[1]).lstrip("\ufeff")
        except (LookupError, UnicodeDecodeError):
            pass  # a wrong or unknown declared charset: let the bytes speak
    return decode(response.content)


def page_doc(response: Response) -> SourceDoc:
    """A fetched page as a SourceDoc, by media type; location and url are the canonical URL."""
    kind = response.content_type
    suffix = Path(urlsplit(response.url).path).suffix.lower()
    if kind in HTML_TYPES or (not kind and response.content.lstrip()[:1] == b"<"):
        html = _decode(response)
        url = canonical_url(html, response.url)
        doc = html_doc(html, location=url, url=url)
        words = len(doc.text.split())
        if words < MIN_ARTICLE_WORDS:
            plural = "s" * (words != 1)
            raise ReadError(
                f"no article text found in the page (only {words} word{plural}: "
                "it may need JavaScript or a login)"
            )
        return doc
    url = clean_url(response.url)
    if kind in PDF_TYPES or (kind == "application/octet-stream" and suffix == ".pdf"):
        from index.documents import pdf_doc

        return pdf_doc(response.content, location=url, url=url)
    if kind in DOCX_TYPES or (kind == "application/octet-stream" and suffix == ".docx"):
        from index.documents import docx_doc

        return docx_doc(response.content, location=url, url=url)
    if kind in {"text/plain", "text/markdown"}:
        doc = _text_doc(Path("page.txt"), _decode(response))
        return replace(doc, location=url, url=doc.url or url)
    raise ReadError(
        f"unsupported content type {kind or '(none)'!r} "
        "(expected an HTML article, a feed, PDF or DOCX)"
    )

"""HTTP fetching of news pages: timeouts, a size limit enforced while streaming, capped redirects.

``Fetcher.get`` returns the body of a 2xx (or a 304 to a conditional request) and raises a
FetchError whose message is what a user needs ("HTTP 404 Not Found", "timed out after 15 s").
``page_doc`` turns a fetched page (HTML article, PDF, DOCX, plain text) into a SourceDoc whose
location and citation link are the page's canonical URL.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import time
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from http import HTTPStatus
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpcore
import httpx

from index import readers
from index.readers.encodings import ReadError, decode
from index.readers.html import NO_ARTICLE_TEXT, canonical_link, html_doc
from index.types import SourceDoc

if TYPE_CHECKING:
    from index.settings import IndexSettings

USER_AGENT = "reportbot/0.1 (+news research bot)"
_REDIRECTS = {301, 302, 303, 307, 308}
# Fewer words than this is a menu, a cookie wall or a JavaScript shell, not a report.
MIN_ARTICLE_WORDS = 15
_ACCEPT = (
    "text/html,application/xhtml+xml,application/rss+xml,application/atom+xml,"
    "application/xml;q=0.9,*/*;q=0.8"
)


class FetchError(ReadError):
    """A URL that could not be fetched; the message says why."""


# -- private addresses (SSRF) -----------------------------------------------------------------
# A URL a remote user submits (web UI, API) must not make the server fetch its own services:
# localhost admin ports, the LAN, a cloud metadata endpoint (169.254.169.254). The operator's
# own `reportbot ingest URL` and followed feeds are trusted and skip this check.
PRIVATE_URLS_HINT = (
    "reports submitted over the web UI or the API may only come from public addresses (the "
    "server's operator can allow private ones with REPORTBOT_ALLOW_PRIVATE_URLS=true)"
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NOT_PUBLIC = (
    ("is_unspecified", "an unspecified address"),
    ("is_loopback", "a loopback address"),
    ("is_link_local", "a link-local address (where cloud metadata services live)"),
    ("is_multicast", "a multicast address"),
    ("is_private", "a private address"),
    ("is_reserved", "a reserved address"),
)


class BlockedAddressError(FetchError):
    """A URL whose host is, or resolves to, an address that is not public."""


def resolve_host(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (the guard's one seam to DNS)."""
    return [str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]


def blocked_reason(address: str) -> str | None:
    """Why ``address`` is not public ("a loopback address"), or None when it is."""
    try:
        ip: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(
            address.split("%", 1)[0]  # an IPv6 zone: "fe80::1%eth0"
        )
    except ValueError:
        return "not an IP address"
    if isinstance(ip, ipaddress.IPv6Address):  # IPv4 inside IPv6: judge the IPv4 address
        if ip in _NAT64:
            ip = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        else:
            ip = ip.ipv4_mapped or ip.sixtofour or ip
    for attribute, reason in _NOT_PUBLIC:
        if getattr(ip, attribute):
            return reason
    return None if ip.is_global else "not a public address"


def check_public(url: str) -> None:
    """Refuse ``url`` (BlockedAddressError) unless every address of its host is public."""
    try:  # parsed as httpx parses it to connect: no two readings of one odd URL
        parts = httpx.URL(url)
        host = parts.raw_host.decode("ascii")
        if not host:
            raise FetchError(f"invalid URL (no host): {url[:200]}")
        addresses = resolve_host(host, parts.port or (443 if parts.scheme == "https" else 80))
    except (httpx.InvalidURL, ValueError) as exc:  # a bad port, a host IDNA cannot encode
        raise FetchError(f"invalid URL ({exc})") from exc
    except OSError as exc:
        raise FetchError(f"cannot resolve {host} ({exc.strerror or exc})") from exc
    for address in addresses:
        reason = blocked_reason(address)
        if reason:
            where = f"{address} is" if address == host else f"{host} resolves to {address},"
            raise BlockedAddressError(f"refused: {where} {reason}; {PRIVATE_URLS_HINT}")


class _VettedBackend(httpcore.NetworkBackend):
    """Connects only to addresses it has just checked: the name is resolved here, every
    address it resolves to must be public, and the socket connects to one of exactly those.
    A name whose DNS answer changes between a check and the connection (DNS rebinding) can
    then never reach a private address: no byte of the request is sent to it. TLS still
    verifies the certificate for (and sends SNI with) the host name, and the Host header is
    the URL's: httpcore takes both from the request, not from the address connected to."""

    def __init__(self) -> None:
        self._backend = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        try:
            addresses = resolve_host(host, port)
        except OSError as exc:
            raise httpcore.ConnectError(f"cannot resolve {host} ({exc})") from exc
        for address in addresses:
            reason = blocked_reason(address)
            if reason:
                where = f"{address} is" if address == host else f"{host} resolves to {address},"
                raise BlockedAddressError(
                    f"refused: {where} {reason} (when connecting); {PRIVATE_URLS_HINT}"
                )
        error: Exception = httpcore.ConnectError(f"no address for {host}")
        for address in addresses:
            try:
                return self._backend.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc  # the next address, as a resolver's list is meant
        raise error

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Any = None
    ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("refused: unix sockets are not fetched")

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


def vetted_transport() -> httpx.HTTPTransport:
    """An httpx transport whose every connection goes through ``_VettedBackend``."""
    transport = httpx.HTTPTransport()
    # httpx has no parameter for httpcore's network backend: the pool is replaced (httpx 0.28).
    transport._pool = httpcore.ConnectionPool(
        ssl_context=httpx.create_ssl_context(), network_backend=_VettedBackend()
    )
    return transport


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
        block_private: bool = False,
    ) -> None:
        """``block_private``: for URLs from remote users, refuse hosts that are not public."""
        self.block_private = block_private
        # Through a proxy the proxy resolves names: the peer seen here is the proxy.
        self._direct = not {"http", "https", "all"} & set(urllib.request.getproxies())
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
                # URLs from remote users: connect only to addresses checked at connect time.
                transport=self._transport
                or (vetted_transport() if self.block_private and self._direct else None),
            )
        return self._http

    @classmethod
    def from_settings(cls, settings: IndexSettings, untrusted: bool = False) -> Fetcher:
        """``untrusted``: the URLs come from remote users (the web UI, the API), so private
        addresses are refused unless REPORTBOT_ALLOW_PRIVATE_URLS is set."""
        return cls(
            timeout=settings.fetch_timeout,
            max_bytes=settings.max_fetch_bytes,
            max_redirects=settings.max_redirects,
            user_agent=settings.user_agent,
            block_private=untrusted and not settings.allow_private_urls,
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
            self._guard(chain)
            try:
                response, location = self._get_once(chain[-1], headers, deadline)
            except FetchError as exc:  # say where the redirects led: that page failed
                if len(chain) == 1:
                    raise
                raise type(exc)(f"{exc} (redirected to {chain[-1]})") from exc
            if response is not None:
                return response
            target = urljoin(chain[-1], location)
            if target in chain:
                raise FetchError(
                    "redirect loop: " + " → ".join([*chain[chain.index(target) :], target])
                )
            chain.append(target)
        raise FetchError(f"too many redirects (more than {self.max_redirects})")

    def _guard(self, chain: list[str]) -> None:
        """Every hop (the URL, then each redirect target) must be public, if so configured."""
        if not self.block_private:
            return
        try:
            check_public(chain[-1])
        except BlockedAddressError as exc:
            if len(chain) > 1:
                raise BlockedAddressError(f"redirected to {chain[-1]}: {exc}") from None
            raise

    def _check_peer(self, r: httpx.Response) -> None:
        """The address actually connected to must be public too: a host whose DNS answer
        changed since ``_guard`` looked (DNS rebinding) is refused before its body is read."""
        if not (self.block_private and self._direct):
            return
        stream = r.extensions.get("network_stream")
        peer = stream.get_extra_info("server_addr") if stream is not None else None
        address = str(peer[0]) if peer else ""
        reason = blocked_reason(address) if address else None
        if reason:
            raise BlockedAddressError(
                f"refused: {r.url.host} connected to {address}, {reason}; {PRIVATE_URLS_HINT}"
            )

    def _get_once(
        self, url: str, headers: dict[str, str], deadline: float
    ) -> tuple[Response | None, str]:
        """The response, or (None, Location) for a redirect."""
        try:
            with self._client.stream("GET", url, headers=headers) as r:
                self._check_peer(r)
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
    """The address that names a page: a report's location (its identity) and citation link.

    courlan's ``normalize_url`` lower-cases the scheme and host, drops the default port,
    normalises the path's escaping, sorts the query and removes the tracking parameters it
    knows (``utm_*``, ``fbclid``, ``gclid``, ``mc_*``, ``ref``, ``source``, …), so
    ``/a?utm_source=x`` and ``/a`` are one report. Then the #fragment goes (it names a place
    in the page, not another page) and an empty path is ``/``. A page's canonical link, when
    it has one, is cleaned the same way before it is used (``page_doc``).
    """
    from courlan import normalize_url  # imported on first use: keeps `import index` light

    parts = urlsplit(normalize_url(url))
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", parts.query, ""))


def _charset(response: Response) -> str | None:
    m = re.search(r"charset=[\"']?([\w.:-]+)", response.headers.get("content-type", ""), re.I)
    return m[1] if m else None


def page_doc(response: Response) -> SourceDoc:
    """A fetched page as a SourceDoc, by media type; location and url are the canonical URL."""
    if not response.content.strip():
        raise ReadError("empty page: the server answered with no content")
    kind = response.content_type
    fmt = readers.for_response(kind, urlsplit(response.url).path, response.content[:64])
    if fmt is None or fmt.parse is None:
        raise ReadError(
            f"unsupported content type {kind or '(none)'!r} "
            "(expected an HTML article, a feed, PDF or DOCX)"
        )
    charset = _charset(response)
    if fmt.name == "html":
        return _article(response, charset)
    url = clean_url(response.url)
    return fmt.parse(response.content, location=url, url=url, charset=charset)


def _article(response: Response, charset: str | None) -> SourceDoc:
    """A news page's article; a page with (almost) no text is refused with the likely cause."""
    html = decode(response.content, charset)
    link = canonical_link(html, response.url)
    url = clean_url(link or response.url)
    try:
        doc: SourceDoc | None = html_doc(html, location=url, url=url)
    except ReadError as exc:
        if str(exc) != NO_ARTICLE_TEXT:
            raise
        doc = None  # said below, with what a page without text usually means
    words = len(doc.text.split()) if doc else 0
    if doc is None or words < MIN_ARTICLE_WORDS:
        plural = "s" * (words != 1)
        raise ReadError(
            f"no article text found in the page (only {words} word{plural}: "
            "it may need JavaScript or a login)"
        )
    return doc

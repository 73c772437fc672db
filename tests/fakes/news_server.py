"""A local news site for tests: pages, feeds, redirects and failures on 127.0.0.1, port 0.

Routes are set (and changed between polls) while it runs; every request is logged with its
headers so a test can assert what was fetched, and how (conditional requests, User-Agent).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class _Quiet(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients that hang up early (timeouts, size limits) are the point of some tests


@dataclass
class Route:
    """What one path answers. ``etag``/``last_modified`` are honoured with a 304."""

    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None
    delay: float = 0.0  # seconds before answering (timeouts)
    stream_bytes: int = 0  # send this many bytes with no Content-Length (size limit)
    drip: float = 0.0  # seconds between the streamed chunks (a download too slow to finish)


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]


def article_html(
    title: str,
    paragraphs: list[str],
    *,
    canonical: str | None = None,
    og_url: str | None = None,
    site: str | None = "Coast Gazette",
    author: str | None = None,
    published: str | None = None,
) -> str:
    """A news page with the usual meta tags, navigation and footer around the story."""
    head = [f"<title>{title}</title>"]
    if canonical:
        head.append(f'<link rel="canonical" href="{canonical}">')
    if og_url:
        head.append(f'<meta property="og:url" content="{og_url}">')
    if site:
        head.append(f'<meta property="og:site_name" content="{site}">')
    head.append(f'<meta property="og:title" content="{title}">')
    if author:
        head.append(f'<meta name="author" content="{author}">')
    if published:
        head.append(f'<meta property="article:published_time" content="{published}">')
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        "<!DOCTYPE html><html><head>" + "".join(head) + "</head><body>"
        '<nav><a href="/">Home</a> <a href="/world">World</a></nav>'
        f"<article><h1>{title}</h1>{body}</article>"
        "<footer>Subscribe to our newsletter</footer></body></html>"
    )


class NewsServer:
    """A threaded HTTP server; use as a context manager. ``url(path)`` is the full URL."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.log: list[Request] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                server._handle(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._httpd = _Quiet(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._httpd.block_on_close = False  # a sleeping handler must not hold up the test
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base + path

    def __enter__(self) -> NewsServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    # -- routes -----------------------------------------------------------------------------
    def set(self, path: str, route: Route) -> None:
        with self._lock:
            self.routes[path] = route

    def page(self, path: str, html: str, **kw: Any) -> None:
        self.set(path, Route(html.encode("utf-8"), **kw))

    def redirect(self, path: str, to: str, status: int = 302) -> None:
        self.set(path, Route(status=status, headers={"Location": to}))

    def requests(self, path: str | None = None) -> list[Request]:
        with self._lock:
            return [r for r in self.log if path is None or r.path == path]

    def paths(self) -> list[str]:
        return [r.path for r in self.requests()]

    # -- serving ----------------------------------------------------------------------------
    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        with self._lock:
            self.log.append(Request("GET", h.path, dict(h.headers.items())))
            route = self.routes.get(h.path)
        if route is None:
            self._send(h, 404, b"not found", "text/plain", {})
            return
        if route.delay:
            time.sleep(route.delay)
        validators = {}
        if route.etag:
            validators["ETag"] = route.etag
        if route.last_modified:
            validators["Last-Modified"] = route.last_modified
        etag_ok = route.etag is not None and h.headers.get("If-None-Match") == route.etag
        date_ok = route.last_modified is not None and (
            h.headers.get("If-Modified-Since") == route.last_modified
        )
        if etag_ok or (date_ok and "If-None-Match" not in h.headers):
            self._send(h, 304, b"", None, validators)
            return
        if route.stream_bytes:
            self._stream(h, route)
            return
        self._send(h, route.status, route.body, route.content_type, {**validators, **route.headers})

    def _send(
        self,
        h: BaseHTTPRequestHandler,
        status: int,
        body: bytes,
        content_type: str | None,
        headers: dict[str, str],
    ) -> None:
        try:
            h.send_response(status)
            if content_type:
                h.send_header("Content-Type", content_type)
            for key, value in headers.items():
                h.send_header(key, value)
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            h.wfile.write(body)
        except OSError:  # the client gave up (a timeout test): nothing to do
            pass

    def _stream(self, h: BaseHTTPRequestHandler, route: Route) -> None:
        """A body with no declared length, sent in chunks until the client hangs up."""
        try:
            h.send_response(200)
            h.send_header("Content-Type", route.content_type)
            h.send_header("Connection", "close")
            h.end_headers()
            h.close_connection = True
            chunk = b"<p>" + b"x" * 16_000 + b"</p>"
            sent = 0
            while sent < route.stream_bytes:
                h.wfile.write(chunk)
                h.wfile.flush()
                sent += len(chunk)
                time.sleep(route.drip)
        except OSError:
            pass


def http_date(ts: float) -> str:
    return formatdate(ts, usegmt=True)


# Short, distinct stories (each about one chunk) for the pages and feeds of the tests.
STORIES: dict[str, list[str]] = {
    "bridge": [
        "The harbour council voted on Tuesday to approve the new bridge after months of debate "
        "over its cost and its design.",
        "Construction is expected to begin in the spring and to cost 40 million euros, officials "
        "said at a press conference.",
        "Opponents said the money would be better spent on schools and promised a court challenge.",
    ],
    "flood": [
        "Flood waters receded across the river valley on Monday, leaving hundreds of homes "
        "damaged and roads blocked by mud.",
        "Emergency crews evacuated 1,200 residents over the weekend as the river rose to its "
        "highest level in thirty years.",
        "The regional government promised compensation to farmers whose harvest was destroyed.",
    ],
    "election": [
        "Voters in the northern province elected a new governor on Sunday in a race decided by "
        "fewer than two thousand ballots.",
        "Turnout reached 61 percent, the highest since the province was created, the electoral "
        "commission reported.",
        "The losing candidate conceded late at night and called for unity in a brief speech.",
    ],
    "vaccine": [
        "Health officials began a vaccination campaign against measles in three districts after "
        "an outbreak sickened 85 children.",
        "Mobile clinics will visit schools and markets for six weeks, the health ministry said.",
        "Doctors urged parents to check their children's records and to book missing doses.",
    ],
    "port": [
        "Dock workers at the container port ended a nine-day strike on Friday after accepting a "
        "wage increase of seven percent.",
        "Hundreds of ships had queued offshore during the strike, delaying deliveries of fuel and "
        "grain across the region.",
        "The port authority said normal operations would resume within a week.",
    ],
}


def rss(title: str, items: list[dict[str, str]]) -> bytes:
    """An RSS 2.0 feed; each item's keys become elements (guid, link, title, pubDate…)."""
    from xml.sax.saxutils import escape

    body = "".join(
        "<item>" + "".join(f"<{k}>{escape(v)}</{k}>" for k, v in item.items()) + "</item>"
        for item in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
        f"<title>{escape(title)}</title><link>http://example.invalid/</link>{body}</channel></rss>"
    ).encode()

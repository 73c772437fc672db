"""Feeds: every entry's article ingested; following polls conditionally and takes only news."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from fakes.news_server import STORIES, NewsServer, Route, article_html, rss

import bot.frontends.cli
from index.ingest.follow import FeedFollower, FollowReport, parse_interval
from index.ingest.pipeline import Ingestor
from index.sources.feeds import fragment_text, is_feed, read_url
from index.sources.http import Fetcher, Response
from index.storage.store import Store
from index.types import SourceDoc

RSS = "application/rss+xml"
LONG_SUMMARY = (
    "<p>Dock workers at the container port ended a nine-day strike on Friday after accepting "
    "a wage increase of seven percent.</p><p>Hundreds of ships had queued offshore during the "
    "strike, delaying deliveries of fuel and grain across the region, and the port authority "
    "said normal operations would resume within a week.</p>"
)


@pytest.fixture
def news() -> Iterator[NewsServer]:
    with NewsServer() as server:
        yield server


@pytest.fixture
def store(make_store: Callable[..., Store]) -> Store:
    return make_store(fetch_timeout=1.0)


def _item(news: NewsServer, key: str, **extra: str) -> dict[str, str]:
    return {
        "guid": f"urn:story:{key}",
        "title": key.title(),
        "link": news.url(f"/a/{key}"),
        "pubDate": "Thu, 16 Oct 2025 10:00:00 GMT",
        "description": f"{key} teaser",
        **extra,
    }


def _follower(store: Store) -> FeedFollower:
    return FeedFollower(store, Ingestor(store), store.settings)


def test_a_feed_url_ingests_each_entry_with_fallbacks(news: NewsServer, store: Store) -> None:
    news.page("/a/bridge", article_html("Bridge", STORIES["bridge"], published="2025-10-01"))
    news.page("/a/flood", article_html("Flood", STORIES["flood"], site=None))  # undated page
    news.set(
        "/feed.xml",
        Route(
            rss(
                "River Times",
                [
                    _item(news, "bridge"),
                    _item(news, "flood", pubDate="Wed, 15 Oct 2025 22:30:00 -0300"),
                    _item(
                        news, "port", description=LONG_SUMMARY
                    ),  # page 404: the summary stands in
                    _item(news, "gone"),  # page 404 and a teaser: an error for this entry only
                ],
            ),
            content_type=RSS,
        ),
    )
    report = Ingestor(store).ingest([news.url("/feed.xml")], progress=False)
    assert len(report.added) == 3
    assert report.failed == [
        {
            "location": news.url("/a/gone"),
            "reason": "HTTP 404 Not Found; the feed gives too little text to use instead",
        }
    ]
    docs = {d.url: d for d in store.catalog.documents()}
    bridge, flood, port = (docs[news.url(f"/a/{k}")] for k in ("bridge", "flood", "port"))
    assert bridge.published == "2025-10-01"  # the page's own date wins
    assert flood.published == "2025-10-16"  # the entry's date (UTC) when the page has none
    assert flood.source == "River Times"  # the feed names the outlet the page did not
    assert (port.title, port.source, port.published) == ("Port", "River Times", "2025-10-16")
    assert port.text.startswith("Dock workers") and "\nHundreds of ships" in port.text


def test_follow_is_conditional_and_takes_only_new_or_changed_entries(
    news: NewsServer, store: Store
) -> None:
    feed = news.url("/feed.xml")
    for key in ("bridge", "flood", "vaccine"):
        news.page(f"/a/{key}", article_html(key.title(), STORIES[key]))
    news.set(
        "/feed.xml",
        Route(
            rss("Gazette", [_item(news, "bridge"), _item(news, "flood")]),
            content_type=RSS,
            etag='"v1"',
        ),
    )
    follower = _follower(store)
    follower.follow([feed])
    first = follower.poll_once()
    assert first.feeds == {feed: "2 new or changed entries"} and len(first.ingest.added) == 2

    seen = len(news.log)
    second = follower.poll_once()  # nothing changed: a 304, and no page fetched
    assert second.feeds == {feed: "not modified"}
    assert [(r.path, r.headers.get("If-None-Match")) for r in news.log[seen:]] == [
        ("/feed.xml", '"v1"')
    ]

    # The bridge story is corrected and a vaccine story appears; the flood entry is as it was.
    news.page(
        "/a/bridge", article_html("Bridge", [*STORIES["bridge"][:2], "The vote was annulled."])
    )
    news.set(
        "/feed.xml",
        Route(
            rss(
                "Gazette",
                [
                    _item(news, "vaccine"),
                    _item(news, "bridge", description="bridge teaser (updated)"),
                    _item(news, "flood"),
                ],
            ),
            content_type=RSS,
            etag='"v2"',
        ),
    )
    seen = len(news.log)
    third = follower.poll_once()
    assert news.paths()[seen:] == ["/feed.xml", "/a/vaccine", "/a/bridge"]
    assert (len(third.ingest.added), len(third.ingest.updated)) == (1, 1)
    texts = [d.text for d in store.catalog.documents()]
    assert len(texts) == 3 and any("annulled" in t for t in texts)
    follower.close()

    restarted = _follower(store)  # state survives a restart: still a conditional request
    assert restarted.followed() == [feed]
    assert restarted.poll_once().feeds == {feed: "not modified"}
    restarted.close()


def test_a_failed_entry_is_retried_until_it_lands(news: NewsServer, store: Store) -> None:
    modified = "Thu, 16 Oct 2025 10:00:00 GMT"
    news.page("/a/bridge", article_html("Bridge", STORIES["bridge"]))
    news.set("/a/flood", Route(b"down", status=503, content_type="text/plain"))
    news.set(
        "/feed.xml",
        Route(
            rss("Gazette", [_item(news, "bridge"), _item(news, "flood")]),
            content_type=RSS,
            last_modified=modified,
        ),
    )
    follower = _follower(store)
    first = follower.poll_once([news.url("/feed.xml")])
    assert first.feeds[news.url("/feed.xml")] == "2 new or changed entries, 1 failed"
    assert first.ingest.failed[0]["reason"].startswith("HTTP 503 Service Unavailable")

    news.page("/a/flood", article_html("Flood", STORIES["flood"]))
    seen = len(news.log)
    second = follower.poll_once([news.url("/feed.xml")])  # the feed again, then only the flood
    assert news.paths()[seen:] == ["/feed.xml", "/a/flood"]
    assert "If-Modified-Since" not in news.log[seen].headers
    assert len(second.ingest.added) == 1

    seen = len(news.log)
    third = follower.poll_once([news.url("/feed.xml")])
    assert third.feeds[news.url("/feed.xml")] == "not modified"
    assert news.log[seen].headers["If-Modified-Since"] == modified
    follower.close()


def test_bad_feeds_are_reported_per_feed(news: NewsServer, store: Store) -> None:
    news.page("/page", article_html("Bridge", STORIES["bridge"]))
    news.set("/bad.xml", Route(b"<rss><channel><title>x</title>", content_type=RSS))
    follower = _follower(store)
    urls = [news.url(p) for p in ("/page", "/nothing", "/bad.xml")]
    report = follower.poll_once(urls)
    assert report.feeds[urls[0]] == "error: not a feed (content type text/html)"
    assert report.feeds[urls[1]] == "error: HTTP 404 Not Found"
    assert report.feeds[urls[2]].startswith("error: malformed feed")
    assert not report.ingest.added
    follower.close()


def test_atom_served_as_generic_xml_is_sniffed(news: NewsServer) -> None:
    atom = (
        '<?xml version="1.0"?>\n<!-- generated -->\n<feed xmlns="http://www.w3.org/2005/Atom">'
        "<title>Wire</title><entry><id>tag:wire,2025:1</id><title>Port strike ends</title>"
        "<updated>2025-10-17T09:00:00Z</updated>"
        f'<content type="html">{LONG_SUMMARY.replace("<", "&lt;")}</content></entry></feed>'
    )
    news.set("/atom", Route(atom.encode(), content_type="text/xml"))
    with Fetcher(timeout=1) as fetcher:
        assert is_feed(fetcher.get(news.url("/atom")))
        (doc,) = read_url(news.url("/atom"), fetcher)  # no link: the content is the report
    assert isinstance(doc, SourceDoc)
    assert (doc.title, doc.source, doc.published) == ("Port strike ends", "Wire", "2025-10-17")
    assert doc.location == news.url("/atom") + "#tag:wire,2025:1"
    page = Response("http://x/", 200, httpx.Headers({"content-type": "text/html"}), b"<html>")
    assert not is_feed(page)


def test_fragment_text_keeps_paragraphs() -> None:
    assert fragment_text("<p>One &amp; two.</p><p>Three<br>four</p>") == "One & two.\nThree\nfour"
    assert fragment_text("plain text") == "plain text"


def test_run_forever_polls_until_stopped(news: NewsServer, store: Store) -> None:
    news.set("/feed.xml", Route(rss("Gazette", []), content_type=RSS, etag='"e"'))
    follower = _follower(store)
    follower.follow([news.url("/feed.xml")])
    stop = threading.Event()
    reports: list[FollowReport] = []

    def on_report(report: FollowReport) -> None:
        reports.append(report)
        if len(reports) == 2:
            stop.set()

    worker = threading.Thread(target=follower.run_forever, args=(0.01, stop, on_report))
    worker.start()
    worker.join(timeout=10)
    assert not worker.is_alive()
    assert [r.feeds for r in reports] == [
        {news.url("/feed.xml"): "0 new or changed entries"},
        {news.url("/feed.xml"): "not modified"},
    ]
    follower.close()


@pytest.mark.parametrize(("text", "seconds"), [("90", 90), ("30s", 30), ("15m", 900), ("2h", 7200)])
def test_parse_interval(text: str, seconds: float) -> None:
    assert parse_interval(text) == seconds


def test_parse_interval_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="not an interval"):
        parse_interval("soon")


def test_cli_follow_once(
    news: NewsServer,
    make_store: Callable[..., Store],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    news.page("/a/bridge", article_html("Bridge", STORIES["bridge"]))
    news.set("/feed.xml", Route(rss("Gazette", [_item(news, "bridge")]), content_type=RSS))
    # The real command, over a store that reuses the session's embedding model.
    monkeypatch.setattr(bot.frontends.cli, "open_store", lambda s: make_store(data_dir=s.data_dir))
    data = str(tmp_path / "cli-data")
    assert (
        bot.frontends.cli.main(
            ["--data-dir", data, "follow", news.url("/feed.xml"), "--once", "--json"]
        )
        == 0
    )
    out = json.loads(capsys.readouterr().out)
    assert out["feeds"] == {news.url("/feed.xml"): "1 new or changed entry"}
    assert len(out["ingest"]["added"]) == 1
    # The followed ones:
    assert bot.frontends.cli.main(["--data-dir", data, "follow", "--once"]) == 0
    # No validators from this server: the feed is fetched again, and nothing in it is new.
    assert f"{news.url('/feed.xml')}: 0 new or changed entries" in capsys.readouterr().out


def test_serve_keeps_configured_feeds_current_in_the_background(
    news: NewsServer, make_app: Callable[..., object]
) -> None:
    from bot.frontends.server import start_feed_follower

    news.page("/a/bridge", article_html("Bridge", STORIES["bridge"], published="2025-10-01"))
    news.set("/feed.xml", Route(rss("Gazette", [_item(news, "bridge")]), content_type=RSS))
    app = make_app(follow_feeds=[news.url("/feed.xml")], follow_every=0.2, fetch_timeout=2.0)
    stop = threading.Event()
    thread = start_feed_follower(app, stop)  # type: ignore[arg-type]
    assert thread is not None
    try:
        for _ in range(100):
            if any(d.url == news.url("/a/bridge") for d in app.store.catalog.documents()):  # type: ignore[attr-defined]
                break
            stop.wait(0.1)
        else:
            raise AssertionError("the background follower never ingested the feed's entry")
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive()


def test_serve_starts_no_follower_without_feeds(make_app: Callable[..., object]) -> None:
    from bot.frontends.server import start_feed_follower

    assert start_feed_follower(make_app(), threading.Event()) is None  # type: ignore[arg-type]

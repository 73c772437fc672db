"""URLs as reports: fetch, extract, cite the canonical URL, date, dedupe; bad URLs fail alone."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fakes.news_server import STORIES, NewsServer, Route, article_html, rss

from index.ingest.follow import FeedFollower
from index.ingest.pipeline import Ingestor
from index.readers.dates import (
    complete_dates,
    date_from_dateline,
    date_from_url,
    ingest_date_fallback,
)
from index.sources import iter_sources
from index.sources.http import Fetcher, FetchError
from index.storage.dedupe import DuplicateIndex, near_duplicates, shingles, signature
from index.storage.store import Store
from index.types import SourceDoc

FAST = {"fetch_timeout": 0.5, "max_fetch_bytes": 200_000, "max_redirects": 3}


@pytest.fixture
def news() -> Iterator[NewsServer]:
    with NewsServer() as server:
        yield server


@pytest.fixture
def ingest(make_store: Callable[..., Store]) -> Ingestor:
    return Ingestor(make_store(**FAST))


def _page(news: NewsServer, path: str, story: str, **kw: object) -> None:
    news.page(path, article_html(story.title(), STORIES[story], **kw))  # type: ignore[arg-type]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- fetching and extracting ---------------------------------------------------------------
def test_article_is_extracted_and_cited_by_its_canonical_url(
    news: NewsServer, ingest: Ingestor
) -> None:
    news.page(
        "/news/bridge?utm_source=feed",
        article_html(
            "Bridge approved",
            STORIES["bridge"],
            canonical="/news/bridge",
            author="Jane Roe",
            published="2025-10-16T08:00:00Z",
        ),
    )
    report = ingest.ingest([news.url("/news/bridge?utm_source=feed")], progress=False)
    assert not report.failed and len(report.added) == 1
    (doc,) = ingest.store.catalog.documents()
    canonical = news.url("/news/bridge")
    assert (doc.url, doc.location, doc.title, doc.source, doc.published) == (
        canonical,
        canonical,
        "Bridge approved",
        "Coast Gazette",
        "2025-10-16",
    )
    assert "40 million euros" in doc.text and "newsletter" not in doc.text  # footer dropped
    (request,) = news.requests()
    assert request.headers["User-Agent"] == "reportbot/0.1 (+news research bot)"


def test_author_and_og_url_when_there_is_no_canonical_link(news: NewsServer) -> None:
    news.page(
        "/amp/flood",
        article_html(
            "Flood", STORIES["flood"], og_url="https://coast.example/flood#top", author="Ann Lee"
        ),
    )
    (doc,) = iter_sources([news.url("/amp/flood")], 1_000_000)
    assert isinstance(doc, SourceDoc)
    assert (doc.url, doc.location, doc.author) == (
        "https://coast.example/flood",
        "https://coast.example/flood",
        "Ann Lee",
    )


def test_url_variants_and_redirects_update_one_report(news: NewsServer, ingest: Ingestor) -> None:
    html = article_html("Bridge", STORIES["bridge"], canonical="/news/bridge")
    news.page("/news/bridge", html)
    news.page("/news/bridge?ref=home", html)
    news.redirect("/b/123", "/news/bridge?ref=home", status=301)
    first = ingest.ingest([news.url("/news/bridge")], progress=False)
    again = ingest.ingest([news.url("/b/123")], progress=False)
    assert again.unchanged == first.added and not again.added
    # The article is corrected: fetched through any variant, the new text replaces the old.
    news.page(
        "/news/bridge?ref=home",
        article_html(
            "Bridge",
            [*STORIES["bridge"][:2], "The court challenge was dropped on Wednesday."],
            canonical="/news/bridge",
        ),
    )
    updated = ingest.ingest([news.url("/b/123")], progress=False)
    assert updated.updated == first.added
    (doc,) = ingest.store.catalog.documents()
    assert "court challenge was dropped" in doc.text and doc.location == news.url("/news/bridge")


def test_tracking_variants_of_a_page_without_a_canonical_link_are_one_report(
    news: NewsServer, ingest: Ingestor
) -> None:
    """No canonical link, no og:url: the address is the identity, without its tracking
    parameters (courlan) and its #fragment; a parameter that names the page still counts."""
    news.page("/a?utm_source=x&utm_medium=social", article_html("Flood", STORIES["flood"]))
    first = ingest.ingest([news.url("/a?utm_source=x&utm_medium=social")], progress=False)
    assert len(first.added) == 1 and not first.failed
    (doc,) = ingest.store.catalog.documents()
    assert doc.location == doc.url == news.url("/a")

    # The report is corrected; fetched through other variants it updates the same document.
    corrected = article_html("Flood", [*STORIES["flood"], "The levee held on Tuesday night."])
    for path in ("/a", "/a?fbclid=IwAR0"):
        news.page(path, corrected)
    updated = ingest.ingest([news.url("/a")], progress=False)
    assert (updated.added, updated.updated) == ([], first.added)
    again = ingest.ingest([news.url("/a?fbclid=IwAR0#comments")], progress=False)
    assert (again.added, again.unchanged) == ([], first.added)
    assert news.paths() == ["/a?utm_source=x&utm_medium=social", "/a", "/a?fbclid=IwAR0"]
    (doc,) = ingest.store.catalog.documents()
    assert "levee held" in doc.text and doc.location == news.url("/a")

    news.page("/story?id=1", article_html("Bridge", STORIES["bridge"]))
    news.page("/story?id=2", article_html("Port", STORIES["port"]))

    pages = ingest.ingest([news.url("/story?id=1"), news.url("/story?id=2")], progress=False)
    assert len(pages.added) == 2
    locations = {d.location for d in ingest.store.catalog.documents()}
    assert locations == {news.url("/a"), news.url("/story?id=1"), news.url("/story?id=2")}


def test_a_feed_that_retags_its_links_has_nothing_new(
    news: NewsServer, make_store: Callable[..., Store]
) -> None:
    """An entry without a guid is remembered by its link's address: the same link with
    another tracking tag at the next poll is the same, unchanged entry (no page fetched)."""
    store = make_store(**FAST)
    news.page("/a/flood", article_html("Flood", STORIES["flood"]))
    news.page("/a/flood?utm_source=rss&utm_campaign=mon", article_html("Flood", STORIES["flood"]))
    news.page("/a/flood?utm_source=rss&utm_campaign=tue", article_html("Flood", STORIES["flood"]))

    def feed(tag: str) -> Route:
        link = news.url(f"/a/flood?utm_source=rss&utm_campaign={tag}")
        item = {"title": "Flood", "link": link, "pubDate": "Thu, 16 Oct 2025 10:00:00 GMT"}
        return Route(rss("Gazette", [item]), content_type="application/rss+xml")

    follower = FeedFollower(store, Ingestor(store), store.settings)
    try:
        news.set("/feed.xml", feed("mon"))
        first = follower.poll_once([news.url("/feed.xml")])
        assert len(first.ingest.added) == 1
        news.set("/feed.xml", feed("tue"))
        seen = len(news.log)
        second = follower.poll_once([news.url("/feed.xml")])
        assert news.paths()[seen:] == ["/feed.xml"]  # the entry's page is not fetched again
        assert not second.ingest.added and not second.ingest.updated
        (doc,) = store.catalog.documents()
        assert doc.location == news.url("/a/flood")
    finally:
        follower.close()


def test_every_bad_url_is_its_own_clear_error_and_the_rest_lands(
    news: NewsServer, ingest: Ingestor
) -> None:
    _page(news, "/good", "port")
    news.set("/slow", Route(article_html("Slow", STORIES["flood"]).encode(), delay=3))
    news.set("/broken", Route(b"oops", status=500, content_type="text/plain"))
    news.redirect("/loop/a", "/loop/b")
    news.redirect("/loop/b", "/loop/a")
    for i in range(5):
        news.redirect(f"/chain/{i}", f"/chain/{i + 1}")
    news.set("/photo.png", Route(b"\x89PNG\r\n\x1a\n" + b"\0" * 64, content_type="image/png"))
    news.set("/big", Route(b"<p>" + b"x" * 300_000 + b"</p>"))
    news.set("/endless", Route(stream_bytes=5_000_000))
    news.set("/feed", Route(b"definitely { not xml", content_type="application/rss+xml"))
    news.page("/empty", "<html><body><nav>Home</nav></body></html>")
    dead = f"http://127.0.0.1:{_closed_port()}/x"
    u = news.url
    urls = [
        u("/good"),
        u("/missing"),
        u("/slow"),
        u("/broken"),
        u("/loop/a"),
        u("/chain/0"),
        u("/photo.png"),
        u("/big"),
        u("/endless"),
        u("/feed"),
        u("/empty"),
        dead,
    ]
    report = ingest.ingest(urls, progress=False)
    assert len(report.added) == 1
    failed = {f["location"]: f["reason"] for f in report.failed}
    assert f"{u('/missing')}: {failed[u('/missing')]}" == f"{u('/missing')}: HTTP 404 Not Found"
    assert failed[u("/slow")] == "timed out after 0.5 s"
    assert failed[u("/broken")] == "HTTP 500 Internal Server Error"
    assert (
        failed[u("/loop/a")] == f"redirect loop: {u('/loop/a')} → {u('/loop/b')} → {u('/loop/a')}"
    )
    assert failed[u("/chain/0")] == "too many redirects (more than 3)"
    assert failed[u("/photo.png")].startswith("unsupported content type 'image/png'")
    assert failed[u("/big")] == (
        "response is 300,007 bytes, over the limit of 200,000 (REPORTBOT_MAX_FETCH_BYTES)"
    )
    assert failed[u("/endless")] == (
        "response is over the limit of 200,000 bytes (REPORTBOT_MAX_FETCH_BYTES)"
    )
    assert failed[u("/feed")].startswith("malformed feed")
    assert failed[u("/empty")] == (
        "no article text found in the page (only 1 word: it may need JavaScript or a login)"
    )
    assert failed[dead].startswith("cannot connect")
    assert len(failed) == len(urls) - 1


def test_the_declared_charset_is_honoured(news: NewsServer) -> None:
    html = article_html("Café society", [*STORIES["bridge"], "Le café coûte 2 € à Zürich."])
    news.set("/latin", Route(html.encode("cp1252"), content_type="text/html; charset=windows-1252"))
    (doc,) = iter_sources([news.url("/latin")], 1_000_000)
    assert isinstance(doc, SourceDoc) and "Le café coûte 2 € à Zürich." in doc.text


def test_fetcher_conditional_request_and_invalid_url(news: NewsServer) -> None:
    news.set("/feed.xml", Route(b"<rss/>", content_type="application/rss+xml", etag='"v1"'))
    with Fetcher(timeout=1) as fetcher:
        assert fetcher.get(news.url("/feed.xml")).headers["etag"] == '"v1"'
        assert fetcher.get(news.url("/feed.xml"), etag='"v1"').not_modified
        with pytest.raises(FetchError, match="invalid URL"):
            fetcher.get("http://[::1")
    assert news.requests()[1].headers["If-None-Match"] == '"v1"'


# -- dates ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://news.example/2025/10/16/scam-arrests", "2025-10-16"),
        ("https://news.example/world/2024-02-29-leap-day.html", "2024-02-29"),
        ("https://news.example/archive/20230709/dam", "2023-07-09"),
        ("https://news.example/2025/10/scam-arrests", None),  # no day
        ("https://news.example/2025/13/40/x", None),
        ("https://news.example/item?id=20251016", None),  # query strings are not paths
        (None, None),
    ],
)
def test_date_from_url(url: str | None, expected: str | None) -> None:
    assert date_from_url(url) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("WASHINGTON, Oct. 16, 2025 (Reuters) — The Senate voted.", "2025-10-16"),
        ("PHNOM PENH, 16 October 2025 — Police said.", "2025-10-16"),
        ("Scam rings dismantled\nPublished September 3rd, 2024\nThe police said.", "2024-09-03"),
        ("2023-07-09 | The dam opened.", "2023-07-09"),
        (
            "The council said that a vote scheduled long ago for the twelfth of never, or rather "
            "for March 3, 2020, was postponed.",
            None,
        ),  # a date in the story is not a dateline
        ("The dam opened.", None),
        ("On March 3, 2020, the council met to discuss the bridge.", None),
    ],
)
def test_date_from_dateline(text: str, expected: str | None) -> None:
    assert date_from_dateline(text) == expected


def test_metadata_date_wins_and_undated_reports_get_the_ingest_date(
    tmp_path: Path, make_store: Callable[..., Store]
) -> None:
    dated = complete_dates(SourceDoc("LONDON, 1 May 2024 — Rain.", "x", published="2024-05-02"))
    assert (dated.published, dated.date_kind) == ("2024-05-02", "published")
    lined = complete_dates(SourceDoc("LONDON, 1 May 2024 — Rain.", "x"))
    assert (lined.published, lined.date_kind) == ("2024-05-01", "published")
    kept = ingest_date_fallback(SourceDoc("Rain.", "x"), previous="2024-01-31")
    assert (kept.published, kept.date_kind) == ("2024-01-31", "ingested")

    (tmp_path / "wire.txt").write_text("SEOUL, Oct. 2, 2025 (Yonhap) -- Exports rose 12 percent.\n")
    (tmp_path / "undated.txt").write_text("Exports fell in the port city, traders said.\n")
    ingestor = Ingestor(make_store())
    ingestor.ingest([str(tmp_path)], progress=False)
    dates = {Path(d.location).name: d.published for d in ingestor.store.catalog.documents()}
    today = datetime.now(UTC).date().isoformat()
    assert dates == {"wire.txt": "2025-10-02", "undated.txt": today}
    again = ingestor.ingest([str(tmp_path)], progress=False)  # the fallback date is stable
    assert len(again.unchanged) == 2


# -- syndicated copies ----------------------------------------------------------------------
WIRE = [
    "Cambodian authorities said on Thursday they had arrested more than 3,400 people from 20 "
    "countries during a three-month crackdown on online scam compounds near the Thai border.",
    "The joint operation, which began on July 27, raided 34 buildings in four provinces and "
    "seized thousands of mobile phones, computers and bank cards, the national police said.",
    "Officials said 2,825 foreigners, including 476 women, had already been deported, while "
    "others were awaiting trial on fraud and human trafficking charges.",
    "Many of those detained told investigators they had been lured by fake job offers and "
    "forced to defraud strangers online under threat of violence.",
]


def test_near_duplicates_of_one_wire_story(tmp_path: Path) -> None:
    wire = " ".join(WIRE)
    copy = "By Staff Writer. " + wire + " Copyright Daily Planet."
    rewrite = " ".join(reversed(WIRE[1:])) + " An unrelated closing line about the weather."
    assert near_duplicates(
        wire, {"copy": copy, "rewrite": rewrite, "other": " ".join(STORIES["port"])}
    ) == [("copy", pytest.approx(0.9, abs=0.1))]
    sig_a, sig_b = signature(wire), signature(copy)
    assert sig_a is not None and sig_b is not None
    exact = len(set(shingles(wire)) & set(shingles(copy))) / len(
        set(shingles(wire)) | set(shingles(copy))
    )
    assert abs(float((sig_a == sig_b).mean()) - exact) < 0.12  # the MinHash estimate is close
    assert signature("Too short to judge.") is None

    dups = DuplicateIndex(tmp_path / "dups.sqlite")
    assert dups.add("a", wire) is None
    assert dups.add("b", copy) == "a"
    assert dups.add("c", " ".join(STORIES["port"])) is None
    assert dups.add("b", copy) == "a"  # idempotent
    assert (dups.copies_of("a"), dups.copies_of("b"), dups.copies_of("c")) == (["b"], ["a"], [])
    assert dups.add("d", "Reuters. " + wire) == "a"
    dups.remove(["a"])  # the oldest remaining copy stands for the group
    assert (dups.canonical_of("d"), dups.groups()) == ("b", {"b": ["b", "d"]})
    dups.close()
    reopened = DuplicateIndex(tmp_path / "dups.sqlite")  # persisted
    assert reopened.copies_of("b") == ["d"]
    assert reopened.sync([("b", copy), ("e", wire)]) == 1  # d gone, e new
    assert reopened.groups() == {"b": ["b", "e"]}


def test_syndicated_copies_are_recognised_at_ingest(news: NewsServer, ingest: Ingestor) -> None:
    news.page("/wire/scams", article_html("Scam crackdown", WIRE, site="Wire Service"))
    news.page(
        "/planet/scams",
        article_html(
            "Cambodia deports 2,825 after scam raids",
            [*WIRE, "Daily Planet contributed reporting."],
            site="Daily Planet",
        ),
    )
    _page(news, "/other", "election")
    report = ingest.ingest([news.url("/wire/scams"), news.url("/other")], progress=False)
    later = ingest.ingest([news.url("/planet/scams")], progress=False)
    wire_id, other_id = report.added
    (copy_id,) = later.added
    assert report.duplicates == {} and later.duplicates == {copy_id: wire_id}
    assert ingest.store.duplicates.copies_of(wire_id) == [copy_id]
    assert ingest.store.duplicates.copies_of(other_id) == []
    # A second handle on the same file (what the answer layer opens) sees the same groups.
    assert DuplicateIndex.for_settings(ingest.store.settings).copies_of(copy_id) == [wire_id]

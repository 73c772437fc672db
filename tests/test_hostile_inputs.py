"""Hostile input: bad files beside good ones in one folder, bad URLs beside good ones.

One ingest call reads everything. Every good report lands and is searchable; every hostile
one either lands with its text decoded right or fails alone, with a reason that says what is
wrong; the same report under two names is stored (and cited) once; nothing raises.
"""

from __future__ import annotations

import errno
import gzip
import io
import json
import logging
import os
import random
import socket
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from fakes.files import make_docx, make_pdf, scanned_pdf
from fakes.news_server import STORIES, NewsServer, Route, article_html, rss
from PIL import Image

from bot.app.wiring import build_app
from bot.frontends.cli import main
from index.ingest.pipeline import Ingestor, IngestReport
from index.readers.office import NO_TEXT_LAYER
from index.search import HybridSearcher
from index.storage.store import Store

MAX_BYTES = 200_000
LIMITS = {
    "max_file_bytes": MAX_BYTES,
    "max_fetch_bytes": MAX_BYTES,
    "fetch_timeout": 0.5,
    "max_redirects": 3,
}
WIRE = " ".join(STORIES["flood"])


# -- building the folder ---------------------------------------------------------------------
def _pdf(lines: list[str], encrypt: str | None = None) -> bytes:
    return make_pdf([lines], encrypt=encrypt)


def _image(kind: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(out, kind)
    return out.getvalue()


def _zip(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries.items():
            z.writestr(name, data)
    return out.getvalue()


def _docx_bomb() -> bytes:
    """A real DOCX whose document.xml unzips to 21 MB of blanks (a few KB zipped)."""
    template = zipfile.ZipFile(io.BytesIO(make_docx(["Bomb"])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in template.infolist():
            data = template.read(info.filename)
            if info.filename != "word/document.xml":
                z.writestr(info.filename, data)
                continue
            head, tail = data.split(b"</w:body>")
            with z.open("word/document.xml", "w") as f:  # streamed: never 21 MB in memory
                f.write(head + b"<!--")
                for _ in range(21):
                    f.write(b" " * 1_000_000)
                f.write(b"--></w:body>" + tail)
    return out.getvalue()


@dataclass
class Corpus:
    """The folder, and what each file (or JSONL line: "name:n") must come to."""

    root: Path
    good: dict[str, str] = field(default_factory=dict)  # name → a word only it has
    lands: dict[str, list[str]] = field(default_factory=dict)  # name → text it must keep
    fails: dict[str, list[str]] = field(default_factory=dict)  # name → words of its reason

    def write(self, name: str, data: bytes | str) -> Path:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        return path

    def add_good(self, name: str, data: bytes | str, word: str) -> None:
        self.write(name, data)
        self.good[name] = word

    def add_lands(self, name: str, data: bytes | str, *text: str) -> None:
        self.write(name, data)
        self.lands[name] = list(text)

    def add_bad(self, name: str, data: bytes | str, *reason: str) -> None:
        self.write(name, data)
        self.fails[name] = list(reason)

    def name(self, location: str) -> str:
        """A location (path, path:line, path#id) relative to the folder."""
        prefix = str(self.root) + os.sep
        return location[len(prefix) :] if location.startswith(prefix) else location


def _good_files(c: Corpus) -> None:
    otter = "An otter was seen swimming in the harbour canal on Monday. Residents cheered."
    c.add_good("good.txt", f"Otter sighting\n{otter}", "otter")
    front = "---\ntitle: Pangolin rescued\nsource: Wildlife Wire\ndate: 2025-03-04\n---\n"
    c.add_good("good.md", front + "A pangolin was rescued from smugglers on Tuesday.", "pangolin")
    heron = [
        "A grey heron returned to the city pond on Sunday after an absence of ten years.",
        "Birdwatchers gathered at dawn to photograph the heron fishing near the reeds.",
    ]
    c.add_good("good.html", article_html("Heron returns", heron), "heron")
    badger = ["The badger dug a tunnel under the ring road.", "Engineers closed one lane."]
    c.add_good("good.pdf", _pdf(badger), "badger")
    beaver = ["Beaver dam", "A beaver dam flooded the meadow near the mill on Thursday."]
    c.add_good("good.docx", make_docx(beaver), "beaver")
    records = [
        {"id": "walrus-1", "title": "Walrus", "text": "A walrus rested on the pier."},
        {"id": "narwhal-2", "text": "A narwhal was filmed in the fjord."},
    ]
    c.write("good.jsonl", "".join(json.dumps(r) + "\n" for r in records))
    c.good["good.jsonl#walrus-1"] = "walrus"
    c.good["good.jsonl#narwhal-2"] = "narwhal"
    c.add_good("sub/deeper/nested.txt", "Wombat news\nA wombat wandered into a shop.", "wombat")
    c.add_good("Zeitung – Bericht ü 日本.txt", "Ocelot news\nAn ocelot crossed a road.", "ocelot")
    c.add_good("agency.txt", f"Valley floods\n{WIRE}", "flood")


def _bad_bytes(c: Corpus) -> None:
    c.add_bad("empty.txt", b"", "empty file")
    c.add_bad("blank.txt", " \n\n\t  \r\n", "empty file")
    c.add_bad("random.txt", random.Random(7).randbytes(4096), "binary file")
    c.add_bad("nul.txt", b"Some text\x00with a NUL byte inside.", "binary file")
    c.add_bad("image.txt", _image("PNG"), "binary file", "PNG image")
    c.add_bad("report.pdf.txt", _pdf(["A PDF with the wrong name."]), "PDF document", "extension")
    c.add_bad(
        "huge.txt",
        "Huge\n" + "word " * (MAX_BYTES // 5),
        "over the limit of 200,000",
        "REPORTBOT_MAX_FILE_BYTES",
    )
    c.add_bad(
        "unknown.xyz",
        "Some text in a file type nobody reads.",
        "unsupported file type",
        "'.xyz'",
        ".txt",
    )
    c.add_bad("README", "No extension at all.", "unsupported file type '(none)'")
    c.add_bad("odd\nname ü.txt", b"", "empty file")
    with open(os.fsencode(c.root) + b"/caf\xe9 latin-1 name.txt", "wb") as f:  # not UTF-8
        f.write(b"Latin name\nA jackdaw nested in a file with a Latin-1 name.")
    c.lands["caf\\xe9 latin-1 name.txt"] = ["A jackdaw nested"]
    c.add_bad("only-front-matter.md", "---\ntitle: Nothing\n---\n", "no text after the front")
    os.mkfifo(c.root / "pipe.txt")  # reading it would hang forever
    c.fails["pipe.txt"] = ["not a regular file"]


def _bad_documents(c: Corpus) -> None:
    c.add_lands(
        "malformed.html",
        "<html><body><p>The <b>lynx <i>escaped</b> from the zoo on "
        "Friday, keepers said. It was found later near the pier.</p><div><p>unclosed",
        "lynx escaped from the zoo",
    )
    c.add_bad(
        "scripts-only.html",
        "<html><head><script>var x = 1;</script><style>p {}</style>"
        "</head><body><script>alert(1)</script></body></html>",
        "no article text",
    )
    story = "<p>The falcon nested on the cathedral tower, rangers said on Monday morning.</p>"
    c.add_bad(
        "deep.html",
        "<html><body>" + "<div>" * 10_000 + story + "</div>" * 10_000,
        "nests its elements more than 255 levels deep",
        "save the article as text",
    )
    good_pdf = _pdf(["The heron story again, this time in a PDF that was cut short."])
    c.add_bad(
        "truncated.pdf",
        good_pdf[: len(good_pdf) // 2],
        "not a readable PDF",
        "damaged or cut short",
    )
    c.add_bad("garbage.pdf", b"%PDF-1.4\nthis is not really a pdf", "not a readable PDF")
    c.add_bad("photo.pdf", _image("JPEG"), "not a PDF", "JPEG image")
    c.add_bad("archive.pdf", _zip({"a.txt": b"hi"}), "not a PDF", "ZIP archive")
    c.add_bad("scan.pdf", scanned_pdf(), NO_TEXT_LAYER)
    c.add_bad("locked.pdf", _pdf(["Secret"], encrypt="pw"), "encrypted", "password")
    c.add_bad("not-a-zip.docx", b"PK\x03\x04 not a zip", "not a readable DOCX", "damaged")
    c.add_bad("plain-zip.docx", _zip({"notes.txt": b"hi"}), "no Word document inside")
    c.add_bad("bomb.docx", _docx_bomb(), "unzips to 21,", "zip bomb")
    c.add_bad(
        "old-word.docx",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600,
        "old Office document (.doc",
    )
    c.add_bad("blank.docx", make_docx(["", "   "]), "no text in the DOCX")
    parts = zipfile.ZipFile(io.BytesIO(make_docx(["Corrupt"])))
    corrupt = {n: parts.read(n) for n in parts.namelist()}
    corrupt["word/document.xml"] = b"<w:document><unclosed"
    c.add_bad("corrupt-xml.docx", _zip(corrupt), "not a readable DOCX", "damaged")


def _encodings(c: Corpus) -> None:
    cp1252 = "Besançon café – “délicieux” crème brûlée for 5 €"
    c.add_lands("cp1252.txt", f"Café news\nThe {cp1252}.".encode("cp1252"), cp1252)
    korean = "서울시는 화요일에 한강에 새로운 다리를 건설하는 계획을 승인했다."
    c.add_lands("euc-kr.txt", f"서울 소식\n{korean} 시민들은 환영했다.".encode("euc-kr"), korean)
    japanese = "東京都は火曜日に新しい橋の建設計画を承認した。"
    c.add_lands(
        "shift-jis.txt",
        f"東京のニュース\n{japanese}市民は歓迎している。".encode("shift_jis"),
        japanese,
    )
    kestrel = "A kestrel nested on the town hall roof this spring."
    c.add_lands("utf16le.txt", f"Kestrel report\n{kestrel}".encode("utf-16-le"), kestrel)
    plover = "A plover laid eggs on the gravel car park."
    c.add_lands("utf16be.txt", f"Plover report\n{plover}".encode("utf-16-be"), plover)
    c.add_lands(
        "mixed.txt",
        "Mixed news\nThe ibis returned, naïve and ünïque. ".encode()
        + "The café in Zürich – “open” again.".encode("cp1252"),
        "naïve and ünïque",
        "café in Zürich – “open”",
    )
    line = " ".join(f"w{i}" for i in range(5_000)) + " quokka"  # one 30 kB line, no full stop
    c.add_lands("long-line.txt", line, "w4999 quokka")
    c.add_lands(
        "broken-front-matter.md",
        "---\ntitle: Broken\nThe gecko climbed the wall.",
        "The gecko climbed the wall.",
    )


def _links_and_copies(c: Corpus, outside: Path) -> None:
    (c.root / "link-out.txt").symlink_to(outside)
    c.fails["link-out.txt"] = ["symbolic link to", "outside the folder", "not followed"]
    (c.root / "to-parent").symlink_to(c.root.parent, target_is_directory=True)
    c.fails["to-parent"] = ["outside the folder"]
    (c.root / "to-self").symlink_to(c.root, target_is_directory=True)  # a loop: not walked
    (c.root / "dangling.txt").symlink_to(c.root / "gone.txt")
    c.fails["dangling.txt"] = ["broken symbolic link", "gone.txt", "does not exist"]
    (c.root / "loop-a.txt").symlink_to(c.root / "loop-b.txt")
    (c.root / "loop-b.txt").symlink_to(c.root / "loop-a.txt")
    c.fails["loop-a.txt"] = c.fails["loop-b.txt"] = ["symbolic link loop"]
    c.write("renamed.txt", (c.root / "good.txt").read_bytes())  # the same report, renamed
    c.write("syndicated.txt", f"Valley floods\n{WIRE}\n© Coast Wire")
    c.write(".hidden.txt", "Hidden\nA hidden report is skipped.")
    noperm = c.write("no-permission.txt", "Stoat news\nA stoat stole the eggs.")
    noperm.chmod(0)  # (root reads it anyway: the corpus fixture then refuses it as others are)
    c.fails["no-permission.txt"] = ["permission denied", "check its permissions"]


def _hostile_jsonl(c: Corpus) -> None:
    lines: list[str | bytes] = [
        json.dumps({"id": "mole-1", "title": "Mole", "text": "The mole surfaced in the garden."}),
        "{broken",
        "[1, 2]",
        json.dumps({"title": "No text here"}),
        json.dumps({"text": 42}),
        json.dumps({"text": "The vole story has a null title.", "title": None}),
        json.dumps({"text": "x" * MAX_BYTES}),
        "",
        json.dumps({"text": "   "}),
        json.dumps({"id": {"a": 1}, "text": "An object for an id."}),
        json.dumps({"text": "The toad crossed on an unreadable date.", "date": "yesterday"}),
        '"just a string"',
        "null",
        "[" * 50_000 + "]" * 50_000,
        json.dumps({"text": "A crane story with a script link.", "url": "javascript:alert(1)"}),
        b'{"text": "The caf\xe9 jackal story, in cp1252."}',
        json.dumps({"text": "A numeric title for the ferret.", "title": 12345}),
    ]
    c.write("hostile.jsonl", b"\n".join(x if isinstance(x, bytes) else x.encode() for x in lines))
    c.good["hostile.jsonl#mole-1"] = "mole"
    for n, reason in {
        2: ["invalid JSON"],
        3: ["must be a JSON object", "a list"],
        4: ['missing or empty "text"'],
        5: ['"text" must be a string', "a number"],
        7: ["record is", "over the limit of 200,000"],
        9: ['missing or empty "text"'],
        10: ['"id" must be a string or a number', "an object"],
        12: ["must be a JSON object", "a string"],
        13: ["must be a JSON object", "null"],
        14: ["invalid JSON", "nested too deeply"],
    }.items():
        c.fails[f"hostile.jsonl:{n}"] = reason
    for n, text in {
        6: "null title",
        11: "unreadable date",
        15: "crane",
        16: "café jackal",
        17: "ferret",
    }.items():
        c.lands[f"hostile.jsonl:{n}"] = [text]


def _deny_as_the_kernel_would(monkeypatch: pytest.MonkeyPatch, denied: Path) -> None:
    """Reading ``denied`` fails with EACCES, as it does for anyone but root: so the
    permission-denied case runs under root too (CI runs as root)."""
    real = Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        if self.resolve() == denied:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)


@pytest.fixture
def corpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Corpus]:
    outside = tmp_path / "outside-secret.txt"
    outside.write_text("Secret\nThis file lives outside the reports folder.")
    c = Corpus((tmp_path / "reports").resolve())
    c.root.mkdir()
    for build in (_good_files, _bad_bytes, _bad_documents, _encodings, _hostile_jsonl):
        build(c)
    _links_and_copies(c, outside)
    if os.geteuid() == 0:
        _deny_as_the_kernel_would(monkeypatch, (c.root / "no-permission.txt").resolve())
    yield c
    (c.root / "no-permission.txt").chmod(0o644)  # so tmp_path can be cleaned up


# -- the folder ------------------------------------------------------------------------------
def _searchable(store: Store, word: str) -> set[str]:
    """Locations of the documents among the top hits for ``word``."""
    return {h.document.location for h in HybridSearcher(store).search(word, k=5)}


def _check_report(c: Corpus, store: Store, report: IngestReport) -> None:
    failed = {c.name(f["location"]): f["reason"] for f in report.failed}
    assert set(failed) == set(c.fails), (set(failed) ^ set(c.fails), failed)
    for name, words in c.fails.items():
        for word in words:
            assert word.lower() in failed[name].lower(), (name, failed[name])
    docs = {c.name(d.location): d for d in store.catalog.documents()}
    expected = {*c.good, *c.lands, "syndicated.txt"}
    assert set(docs) == expected, set(docs) ^ expected
    for name, texts in c.lands.items():
        for text in texts:
            assert text in docs[name].text, (name, docs[name].text[:200])
    for name, word in c.good.items():
        assert docs[name].location in _searchable(store, word), name


def test_a_folder_of_hostile_files_fails_each_alone_and_lands_every_good_one(
    corpus: Corpus,
    make_store: Callable[..., Store],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store = make_store(**LIMITS)
    report = Ingestor(store).ingest([str(corpus.root)], progress=False)
    assert len(corpus.fails) + len(corpus.lands) >= 30
    _check_report(corpus, store, report)
    assert len(report.added) == len(corpus.good) + len(corpus.lands) + 1  # + the near-copy
    assert report.updated == []

    docs = {corpus.name(d.location): d for d in store.catalog.documents()}
    # Decoded, not merely stored: the title of a legacy file is its real first line.
    assert (
        docs["euc-kr.txt"].title == "서울 소식" and docs["shift-jis.txt"].title == "東京のニュース"
    )
    assert docs["broken-front-matter.md"].title is None  # never the "---" fence
    assert docs["hostile.jsonl:6"].title is None and docs["hostile.jsonl:17"].title == "12345"
    assert docs["hostile.jsonl:15"].url is None  # a javascript: link is never a citation link
    assert docs["long-line.txt"].location in _searchable(store, "quokka")

    # The same report under two names: stored once, said so, and cited once.
    good = docs["good.txt"]
    assert report.same_text == {str(corpus.root / "renamed.txt"): good.doc_id}
    assert "1 the same text under another name" in report.summary()
    wire, copy = docs["agency.txt"], docs["syndicated.txt"]
    assert report.duplicates == {copy.doc_id: wire.doc_id}
    app = build_app(store.settings, store)  # type: ignore[arg-type]
    for question, ids in (
        ("Where was the otter seen swimming?", {good.doc_id}),
        ("How many residents were evacuated by emergency crews?", {wire.doc_id, copy.doc_id}),
    ):
        answer = app.service.answer(question)
        assert not answer.abstained, question
        assert len({c.doc_id for c in answer.citations} & ids) == 1, answer.citations

    # Catalog, Chroma and tantivy agree: no half-stored report.
    want = store.catalog.ready_chunk_ids()
    assert store.vectors.all_chunk_ids() == want == store.lexical.all_chunk_ids()

    # The CLI over the same folder again: each failure named on its own line with its
    # reason, then the summary (nothing is embedded twice: the reports are unchanged).
    store.close()
    out, err = _run_cli(corpus.root, store.settings.data_dir, capsys, monkeypatch)
    assert out.splitlines()[-1] == (
        f"0 added, 0 updated, {len(report.added) + 1} unchanged (1 the same text under another "
        f"name), {len(corpus.fails)} failed (0 chunks)"
    ), out
    failed = [line for line in err.splitlines() if line.startswith("  failed: ")]
    assert len(failed) == len(corpus.fails) == len(err.splitlines()) - 1, err
    for name, words in corpus.fails.items():
        shown = str(corpus.root / name).replace("\n", "\\n")  # one line per file, always
        (line,) = [x for x in failed if x.startswith(f"  failed: {shown}: ")]
        assert words[0].lower() in line.lower(), line
    assert err.splitlines()[-1] == (
        f"  same text as {corpus.root / 'good.txt'}, stored once: {corpus.root / 'renamed.txt'}"
    )


def _run_cli(
    folder: Path, data_dir: Path, capsys: pytest.CaptureFixture[str], env: pytest.MonkeyPatch
) -> tuple[str, str]:
    """`reportbot --data-dir DIR ingest FOLDER -q` in this process: (stdout, stderr)."""
    env.setenv("REPORTBOT_MAX_FILE_BYTES", str(MAX_BYTES))
    for name in ("pypdf", "trafilatura"):  # the CLI quiets them: undone after the test
        env.setattr(logging.getLogger(name), "level", logging.getLogger(name).level)
    capsys.readouterr()
    code = main(["--data-dir", str(data_dir), "ingest", str(folder), "-q"])
    out, err = capsys.readouterr()
    assert code == 3, err  # some files failed, the others landed
    return out, err


# -- URLs ------------------------------------------------------------------------------------
def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def news() -> Iterator[NewsServer]:
    with NewsServer() as server:
        yield server


def _serve_hostile_site(news: NewsServer) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Good URLs (path → a word of their text) and bad ones (path → words of the reason)."""
    news.page("/news/bridge", article_html("Bridge approved", STORIES["bridge"]))
    news.page("/news/election", article_html("Governor elected", STORIES["election"]))
    notes = "Port strike ends\n" + " ".join(STORIES["port"])
    news.set("/notes.txt", Route(notes.encode(), content_type="text/plain; charset=utf-8"))
    latin = article_html("Café society", [*STORIES["vaccine"], "Le café coûte 2 € à Zürich."])
    news.set("/latin", Route(latin.encode("cp1252"), content_type="text/html; charset=bogus-8"))
    good = {"/news/bridge": "bridge", "/news/election": "governor"}
    good |= {"/notes.txt": "strike", "/latin": "Zürich"}

    news.set("/slow", Route(article_html("Slow", STORIES["flood"]).encode(), delay=3))
    news.set("/error", Route(b"oops", status=500, content_type="text/plain"))
    news.redirect("/loop/a", "/loop/b")
    news.redirect("/loop/b", "/loop/a")
    for i in range(5):
        news.redirect(f"/chain/{i}", f"/chain/{i + 1}")
    news.redirect("/moved", "/gone")
    news.redirect("/to-file", "file:///etc/passwd")
    news.set("/huge", Route(b"<p>" + b"x" * (MAX_BYTES + 10) + b"</p>"))
    news.set("/endless", Route(stream_bytes=5_000_000))
    news.set("/drip", Route(stream_bytes=150_000, drip=0.25))  # each read in time, never done
    bomb = gzip.compress(b"<p>" + b" " * 5_000_000 + b"</p>")
    news.set("/gzip-bomb", Route(bomb, headers={"Content-Encoding": "gzip"}))
    news.set("/photo", Route(_image("PNG"), content_type="image/png"))
    news.set("/blank", Route(b""))
    news.page("/app", "<html><body><div id=app></div><script>render()</script></body></html>")
    news.page("/deep", "<html><body>" + "<div>" * 10_000 + "<p>Deep.</p>" + "</div>" * 10_000)
    entries = [
        {"guid": "1", "title": "Bridge", "link": news.url("/news/bridge")},
        {"guid": "2", "title": "Down", "link": news.url("/down"), "description": "Short."},
    ]
    news.set("/feed", Route(rss("Coast Wire", entries), content_type="application/rss+xml"))
    news.set("/down", Route(b"busy", status=503, content_type="text/plain"))
    news.set("/empty-feed", Route(rss("Quiet Wire", []), content_type="application/rss+xml"))
    bad = {
        "/slow": ["timed out after 0.5 s"],
        "/error": ["HTTP 500 Internal Server Error"],
        "/loop/a": ["redirect loop", "/loop/b"],
        "/chain/0": ["too many redirects (more than 3)"],
        "/moved": ["HTTP 404 Not Found", "redirected to", "/gone"],
        "/to-file": ["invalid URL", "redirected to file:///etc/passwd"],
        "/huge": ["over the limit of 200,000", "REPORTBOT_MAX_FETCH_BYTES"],
        "/endless": ["over the limit of 200,000"],
        "/drip": ["timed out"],
        "/gzip-bomb": ["over the limit of 200,000"],
        "/photo": ["unsupported content type 'image/png'"],
        "/blank": ["empty page", "no content"],
        "/app": ["no article text", "JavaScript"],
        "/deep": ["255 levels deep"],
        "/empty-feed": ["the feed has no entries"],
    }
    return good, bad


def test_bad_urls_each_fail_clearly_while_good_ones_land(
    news: NewsServer, make_store: Callable[..., Store]
) -> None:
    good, bad = _serve_hostile_site(news)
    dead = f"http://127.0.0.1:{_closed_port()}/x"
    urls = [news.url(p) for p in [*good, *bad]] + [dead, "http://", news.url("/feed")]
    store = make_store(**LIMITS)
    report = Ingestor(store).ingest(urls, progress=False)

    failed = {f["location"]: f["reason"] for f in report.failed}
    bad_urls = {news.url(p): words for p, words in bad.items()}
    bad_urls[dead] = ["cannot connect"]
    bad_urls["http://"] = ["invalid URL"]
    bad_urls[news.url("/down")] = ["HTTP 503", "too little text"]  # the feed's broken entry
    assert set(failed) == set(bad_urls), set(failed) ^ set(bad_urls)
    for url, words in bad_urls.items():
        for word in words:
            assert word in failed[url], (url, failed[url])
    docs = {d.location: d for d in store.catalog.documents()}
    assert set(docs) == {news.url(p) for p in good}
    for path, word in good.items():
        assert word in docs[news.url(path)].text
        assert news.url(path) in _searchable(store, word)
    assert len(report.unchanged) == 1  # the feed's bridge entry, already read as a page

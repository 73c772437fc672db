"""The gradio web UI: a real server driven by gradio_client, and the handlers on their own."""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from gradio_client import Client

from bot.app.wiring import App, build_app
from bot.config.settings import Settings
from bot.frontends.cli import _parser, cmd_serve
from bot.frontends.library import Library, LibraryError, sanitize_filename
from bot.frontends.server import ServerThread, prepare_app
from bot.frontends.web import WebUI, chat_markdown, mode_note, sources_html
from bot.types import Answer, Citation
from index.errors import ReportbotError
from index.search import Filters
from index.storage.store import Store
from index.types import Document

DEPORTED = "2,825 foreigners, including 476 women"


class RecordingChat:
    """A ChatService that delegates to another (or replays a script) and records every call."""

    def __init__(
        self,
        inner: object = None,
        script: list[str | Answer | Exception] | None = None,
        mode: str = "extractive",
    ) -> None:
        self.inner = inner
        self._mode = mode
        self.script = script or []
        self.calls: list[tuple[str, str | None]] = []
        self.resets: list[str] = []

    @property
    def mode(self) -> str:
        return self._mode

    def stream(
        self, question: str, conversation_id: str | None = None, filters: Filters | None = None
    ) -> Iterator[str | Answer]:
        self.calls.append((question, conversation_id))
        if self.inner is not None:
            yield from self.inner.stream(question, conversation_id, filters)  # type: ignore[attr-defined]
            return
        for item in self.script:
            if isinstance(item, Exception):
                raise item
            if isinstance(item, Answer):
                item.conversation_id = conversation_id or "c1"
            yield item

    def answer(
        self, question: str, conversation_id: str | None = None, filters: Filters | None = None
    ) -> Answer:
        return [
            a for a in self.stream(question, conversation_id, filters) if isinstance(a, Answer)
        ][-1]

    def reset(self, conversation_id: str) -> None:
        self.resets.append(conversation_id)

    def knows(self, conversation_id: str) -> bool:
        return conversation_id in self.resets

    def documents(self) -> list[Document]:
        return []


@pytest.fixture
def shell_app(make_store: Callable[..., Store]) -> App:
    """An App over an empty index, for handlers driven by a scripted ChatService."""
    store = make_store()
    return build_app(store.settings, store)  # type: ignore[arg-type]


def _text(message: dict) -> str:
    content = message["content"]
    return content if isinstance(content, str) else " ".join(p.get("text", "") for p in content)


def test_chat_through_gradio_client_answers_follows_up_and_shows_sources(
    sample_app: App, serve: Callable[[App], ServerThread]
) -> None:
    chat = RecordingChat(sample_app.service)
    srv = serve(dataclasses.replace(sample_app, service=chat))  # type: ignore[arg-type]
    client = Client(srv.url, verbose=False)
    try:
        box, history, sources = client.predict("How many were deported?", [], api_name="/ask")
        assert box == ""
        answer = _text(history[-1])
        assert DEPORTED in answer and "[1]" in answer
        assert "<mark>" in sources and DEPORTED in sources.split("<mark>", 1)[1].split("</mark>")[0]
        assert "The Asia Business Daily" in sources

        _, history, sources = client.predict(
            "And how many of them were women?", history, api_name="/ask"
        )
        assert len(history) == 4 and "476" in _text(history[-1])
        first_id = chat.calls[0][1]
        assert first_id is None and chat.calls[1][1] is not None  # the session's conversation
        assert len(chat.calls) == 2

        job = client.submit("How many were arrested?", [], api_name="/ask")  # a fresh chat
        _, history, _ = job.result(timeout=60)
        assert len(history) == 2 and "3,4" in _text(history[-1])
        assert chat.calls[2][1] is None  # an empty chat starts a new conversation
    finally:
        client.close()


def test_streamed_draft_is_replaced_by_the_verified_answer(shell_app: App) -> None:
    cite = Citation(
        1,
        "d1",
        "Title",
        None,
        "Outlet",
        "2025-10-16",
        "They deported 2,825.",
        0,
        20,
        passage="They deported 2,825.",
        passage_start=0,
    )
    final = Answer("They deported 2,825. [1]", False, [cite], "llm")
    chat = RecordingChat(script=["They deported ", "9,999 people. [1]", final])
    ui = WebUI(dataclasses.replace(shell_app, service=chat), Library(shell_app))  # type: ignore[arg-type]
    shown = []  # what the chat showed at each step (the handler updates one history list)
    for step in ui.respond("How many were deported?", [], None):
        shown.append(_text(step[1][-1]))
    _, history, sources, conversation = step
    assert any("9,999" in text for text in shown[:-1])  # the draft streamed
    assert "9,999" not in _text(history[-1]) and "2,825" in _text(history[-1])
    assert "<mark>They deported 2,825.</mark>" in sources and conversation == "c1"
    ui.clear(conversation)
    assert chat.resets == ["c1"]


@pytest.mark.parametrize(
    ("error", "shown", "hidden"),
    [
        (ReportbotError("The LLM server at http://x is unreachable."), "unreachable", None),
        (RuntimeError("secret internals"), "Something went wrong", "secret"),
    ],
)
def test_errors_are_shown_as_friendly_messages(
    shell_app: App, error: Exception, shown: str, hidden: str | None
) -> None:
    chat = RecordingChat(script=["partial", error])
    ui = WebUI(dataclasses.replace(shell_app, service=chat), Library(shell_app))  # type: ignore[arg-type]
    with pytest.warns(UserWarning):  # gr.Warning outside a request
        *_, (_, history, _, _) = ui.respond("How many?", [], None)
    text = _text(history[-1])
    assert shown in text and "Traceback" not in text
    assert hidden is None or hidden not in text


def test_sources_panel_escapes_and_marks_the_cited_span() -> None:
    passage = "Police said 10 people fled. <b>Later</b> police said 10 people fled again."
    start = passage.rindex("police said 10")
    cite = Citation(
        1,
        "d1",
        "<script>alert(1)</script>",
        "javascript:alert(1)",
        "A & B",
        "2025-10-16",
        passage[start : start + 26],
        100 + start,
        100 + start + 26,
        passage=passage,
        passage_start=100,
    )
    html = sources_html(Answer("Ten fled. [1]", False, [cite], "extractive"))
    assert "<script>" not in html and "&lt;script&gt;" in html and "&lt;b&gt;" in html
    assert "javascript:" not in html  # not a link
    assert "A &amp; B · 2025-10-16" in html
    cite.date_kind = "ingested"
    assert "A &amp; B · ingested 2025-10-16" in sources_html(Answer("x", False, [cite], "llm"))
    before, marked = html.split("<mark>")
    assert "Later" in before and marked.startswith("police said 10 people fled")  # the 2nd one
    cite.url = "https://example.com/a?b=1&c=2"
    assert 'href="https://example.com/a?b=1&amp;c=2"' in sources_html(
        Answer("x [1]", False, [cite], "extractive")
    )
    md = chat_markdown(Answer("Ten <img src=x> fled. [1]", False, [cite], "extractive"))
    assert "**[1]**" in md and "<img" not in md


def test_mode_note_names_the_mode(shell_app: App, make_settings: Callable) -> None:
    assert "extractive" in mode_note(shell_app)
    settings = make_settings(openai_model="m-1")
    app = dataclasses.replace(shell_app, service=RecordingChat(mode="llm"), settings=settings)  # type: ignore[arg-type]
    assert "LLM" in mode_note(app) and "m-1" in mode_note(app)


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("..\\..\\win.ini.md", "win.ini.md"),
        ("..", "upload"),
        (".hidden.txt", "hidden.txt"),
        ("a b/c d;rm -rf.html", "c d_rm -rf.html"),
        ("", "upload"),
        ("rapport été.txt", "rapport été.txt"),
    ],
)
def test_upload_names_are_sanitised(name: str, safe: str) -> None:
    assert sanitize_filename(name) == safe


def test_library_tab_uploads_lists_and_removes(
    sample_app: App, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path))  # the files below count as uploads
    ui = WebUI(sample_app, Library(sample_app))
    report = tmp_path / "harbour.md"
    report.write_text(
        "---\ntitle: Harbour reopens\nsource: Port Daily\ndate: 2025-10-20\n---\n"
        "The harbour reopened on Monday after 12 days of repairs.\n",
        encoding="utf-8",
    )
    status, rows, _, files, url = ui.add([str(report)], "")
    assert "1 added" in status and files is None and url == ""
    assert {r[0] for r in rows} >= {"Harbour reopens"} and len(rows) == 2
    saved = sample_app.settings.data_dir / "uploads" / "harbour.md"
    assert saved.exists()
    answer = sample_app.service.answer("How many days of repairs did the harbour need?")
    assert "12 days" in answer.answer and answer.citations[0].source == "Port Daily"

    bad = tmp_path / "notes.exe"
    bad.write_bytes(b"MZ")
    with pytest.warns(UserWarning):
        status, rows, *_ = ui.add([str(bad)], "")
    assert "unsupported file type '.exe'" in status and len(rows) == 2
    with pytest.warns(UserWarning):
        status, rows, *_ = ui.add(None, "/etc/passwd")  # never a file of the server's own
    assert "not a web address" in status and len(rows) == 2

    doc_id = next(str(r[4]) for r in rows if r[0] == "Harbour reopens")
    status, rows, _ = ui.remove(doc_id)
    assert "Removed" in status and len(rows) == 1 and not saved.exists()
    with pytest.warns(UserWarning):
        status, *_ = ui.remove("no-such-id")
    assert "no report with id" in status


def test_uploads_stay_in_the_uploads_folder_and_under_the_size_limit(
    make_app: Callable[..., App],
) -> None:
    library = Library(make_app(max_upload_bytes=100))
    path = library.save_upload("../../../escape.txt", io.BytesIO(b"short report"))
    assert path.parent == library.uploads and path.name == "escape.txt"
    with pytest.raises(LibraryError, match="over the upload limit") as exc:
        library.save_upload("big.txt", io.BytesIO(b"x" * 101))
    assert exc.value.status == 413
    assert not any(p.name.startswith(".upload-") for p in library.uploads.iterdir())


def test_a_first_start_adds_the_sample_report_and_a_later_one_does_not(
    make_settings: Callable[..., Settings],
) -> None:
    settings = make_settings()
    app = prepare_app(settings)
    docs = app.service.documents()
    assert [d.title for d in docs] == ["3,455 Arrested from 20 Countries Since Late July"]
    app.store.remove([docs[0].doc_id])  # the user removes it ...
    app.store.close()
    again = prepare_app(settings)  # ... and it stays removed after a restart
    assert again.service.documents() == []
    again.store.close()

    args = _parser().parse_args(["serve", "--host", "0.0.0.0", "--port", "8080"])
    assert (args.func, args.host, args.port) == (cmd_serve, "0.0.0.0", 8080)

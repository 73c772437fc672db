"""The gradio web UI: a chat with streamed, cited answers and a sources panel, and a library tab."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr

from bot.app.wiring import App
from bot.chat.service import QuestionTooLong, check_question
from bot.frontends.figures import FiguresUI, figures_tab, plot
from bot.frontends.library import Library, LibraryError, supported_types
from bot.render.html import sources_html
from bot.render.markdown import chat_markdown
from bot.render.markdown import escape as _md  # text shown literally in the chat's Markdown
from bot.render.text import plural
from bot.types import Answer
from index import IngestReport, ReportbotError

log = logging.getLogger("reportbot.web")

EXAMPLES = [
    "How many were deported?",
    "How many people were arrested, and from how many countries?",
    "What did the promotional videos say?",
]
SOMETHING_WRONG = "Something went wrong… The server log has the details; please try again."
NO_SOURCES = '<div class="rb-empty">Sources of the latest answer appear here.</div>'
PROGRESS = gr.Progress()  # gradio finds the progress bar by this default value

CSS = """
.rb-source { border: 1px solid var(--border-color-primary); border-radius: 8px;
  padding: 10px 12px; margin-bottom: 10px; background: var(--background-fill-primary); }
.rb-head { font-weight: 600; margin-bottom: 2px; }
.rb-n { display: inline-block; min-width: 2em; color: var(--color-accent); }
.rb-meta { color: var(--body-text-color-subdued); font-size: 0.9em; margin-bottom: 6px; }
.rb-passage { font-size: 0.92em; line-height: 1.45; margin: 0; white-space: pre-wrap; }
.rb-passage mark { background: #fde68a; color: #111; padding: 0 1px; border-radius: 2px; }
.rb-empty { color: var(--body-text-color-subdued); padding: 8px 2px; }
.rb-mode { color: var(--body-text-color-subdued); }
"""


def mode_note(app: App) -> str:
    if app.service.mode == "llm":
        return (
            f"Answering mode: **LLM** ({app.settings.openai_model}); every figure is checked "
            "against the cited passages."
        )
    return (
        "Answering mode: **extractive**: answers are sentences quoted from the reports, "
        "no language model."
    )


def _report_summary(report: IngestReport) -> str:
    parts = [f"{len(report.added)} added", f"{len(report.updated)} updated"]
    if report.unchanged:
        parts.append(f"{len(report.unchanged)} already in the library")
    text = "Done: " + ", ".join(parts) + f" ({report.chunks} passages indexed)."
    for f in report.failed:
        name = Path(f["location"]).name or f["location"]
        text += f"\n- could not add {_md(name)}: {_md(f['reason'])}"
    return text


def gradio_upload(path: str) -> Path:
    """``path`` if gradio itself received it as an upload (a file in its upload folder),
    else a LibraryError: a request naming a server file must never make the UI read it."""
    from gradio.utils import get_upload_folder

    folder = Path(get_upload_folder()).resolve()
    resolved = Path(path).resolve()
    if folder not in resolved.parents or not resolved.is_file():
        raise LibraryError(f"{Path(path).name!r} is not a file uploaded through this page")
    return resolved


def _text_only(history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The chat's messages without any file, image or component entry: the chat never shows
    one, so one in a request is forged (gradio would copy the file it names and serve it)."""
    kept = []
    for message in history:
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, list):
            parts = [p for p in content if isinstance(p, dict) and p.get("type") == "text"]
            if len(parts) != len(content):
                continue
        elif not isinstance(content, str):
            continue
        kept.append(message)
    return kept


class WebUI:
    """The event handlers, bound to one App and its Library."""

    def __init__(self, app: App, library: Library) -> None:
        self.app = app
        self.library = library

    def respond(
        self, question: str, history: list[dict[str, Any]] | None, conversation: str | None
    ) -> Iterator[tuple[str, list[dict[str, Any]], Any, str | None]]:
        """Stream the answer into the chat; finish with the verified text and its sources."""
        question = (question or "").strip()
        if not history:  # an empty chat starts a new conversation
            conversation = None
        history = _text_only(list(history or []))
        if not question:
            yield "", history, gr.skip(), conversation
            return
        try:
            check_question(question, self.app.settings.max_question_chars)
        except QuestionTooLong as exc:  # not echoed into the chat: said, and left in the box
            gr.Warning(str(exc))
            yield gr.skip(), history, gr.skip(), conversation
            return
        history += [{"role": "user", "content": question}, {"role": "assistant", "content": "…"}]
        yield "", history, gr.skip(), conversation
        try:
            streamed = ""
            for item in self.app.service.stream(question, conversation):
                if isinstance(item, Answer):
                    history[-1]["content"] = chat_markdown(item)
                    yield "", history, sources_html(item), item.conversation_id
                else:
                    streamed += item
                    history[-1]["content"] = _md(streamed)
                    yield "", history, gr.skip(), conversation
        except ReportbotError as exc:
            gr.Warning(str(exc))
            history[-1]["content"] = f"⚠️ {_md(str(exc))}"
            yield "", history, gr.skip(), conversation
        except Exception:
            log.exception("answering %r failed", question)
            gr.Warning(SOMETHING_WRONG)
            history[-1]["content"] = f"⚠️ {SOMETHING_WRONG}"
            yield "", history, gr.skip(), conversation

    def clear(self, conversation: str | None) -> tuple[list[Any], str, None]:
        if conversation:
            self.app.service.reset(conversation)
        return [], NO_SOURCES, None

    def library_view(self) -> tuple[list[list[object]], Any]:
        docs = self.library.documents()
        rows: list[list[object]] = [
            [
                d.title or Path(d.location).name,
                d.source or "",
                d.published or "",
                d.n_chunks,
                d.doc_id,
            ]
            for d in docs
        ]
        choices = [
            (f"{d.title or d.doc_id} ({d.source or 'unknown outlet'})", d.doc_id) for d in docs
        ]
        return rows, gr.update(choices=choices, value=None)

    def add(
        self, files: list[str] | None, url: str, progress: gr.Progress = PROGRESS
    ) -> tuple[str, list[list[object]], Any, None, str]:
        url = (url or "").strip()
        try:
            if not files and not url:
                raise LibraryError("Choose files to upload or paste a report's URL first.")
            progress(0.0, desc="Saving uploads")
            uploads: list[Path] = []
            try:
                for path in [gradio_upload(p) for p in files or []]:
                    with open(path, "rb") as f:
                        uploads.append(self.library.save_upload(Path(path).name, f))
            except BaseException:  # one refused: the ones saved before it are not kept
                self.library.discard(uploads)
                raise

            def step(i: int, n: int, name: str) -> None:
                progress((i, n), desc=f"Indexing {name}", unit="reports")

            report = self.library.ingest(uploads, [url] if url else [], on_item=step)
            status = _report_summary(report)
            if report.failed:
                gr.Warning(
                    f"{plural(len(report.failed), 'report')} could not be added; "
                    "see the library tab."
                )
            else:
                gr.Info(status)
        except ReportbotError as exc:
            gr.Warning(str(exc))
            status = f"⚠️ {_md(str(exc))}"
        except Exception:
            log.exception("adding reports failed")
            gr.Warning(SOMETHING_WRONG)
            status = f"⚠️ {SOMETHING_WRONG}"
        rows, choices = self.library_view()
        return status, rows, choices, None, ""

    def remove(self, doc_id: str | None) -> tuple[str, list[list[object]], Any]:
        try:
            if not doc_id:
                raise LibraryError("Choose a report to remove first.")
            doc = self.library.remove(doc_id)
            status = f"Removed “{_md(doc.title or doc.doc_id)}”."
            gr.Info(status)
        except ReportbotError as exc:
            gr.Warning(str(exc))
            status = f"⚠️ {_md(str(exc))}"
        except Exception:
            log.exception("removing %r failed", doc_id)
            gr.Warning(SOMETHING_WRONG)
            status = f"⚠️ {SOMETHING_WRONG}"
        rows, choices = self.library_view()
        return status, rows, choices


def build_ui(app: App, library: Library | None = None) -> gr.Blocks:
    """The Blocks app; mount it with the server (theme and CSS are passed there)."""
    ui = WebUI(app, library or Library(app))
    figures = FiguresUI(app)
    with gr.Blocks(title="reportbot", analytics_enabled=False) as demo:
        conversation = gr.State(None)  # one conversation per browser session
        gr.Markdown("## reportbot\nAnswers questions over news reports, quoting them exactly.")
        gr.Markdown(mode_note(app), elem_classes=["rb-mode"])
        with gr.Tab("Chat"), gr.Row(equal_height=False):
            with gr.Column(scale=3):
                chatbot = gr.Chatbot(
                    label="Conversation",
                    show_label=False,
                    height=400,
                    elem_id="rb-chat",
                    buttons=["copy"],
                    placeholder="Ask about the reports in the library.",
                    latex_delimiters=[],  # "$$" in a report is text, not math
                )
                question = gr.Textbox(
                    placeholder="Ask a question, e.g. How many were deported?",
                    show_label=False,
                    elem_id="rb-question",
                    lines=1,
                    max_lines=4,
                    submit_btn=True,
                )
                with gr.Row():
                    gr.Examples(EXAMPLES, inputs=question, label="Examples")
                    clear = gr.Button(
                        "New conversation", variant="secondary", size="sm", scale=0, min_width=160
                    )
            with gr.Column(scale=2):
                gr.Markdown("### Sources")
                sources = gr.HTML(NO_SOURCES, elem_id="rb-sources")
                answer_note = gr.Markdown(elem_id="rb-answer-figures")  # issue 16: figures
                answer_chart = plot("rb-answer-plot")  # over time, when they differ
        with gr.Tab("Library"):
            table = gr.Dataframe(
                headers=["Title", "Outlet", "Date", "Passages", "ID"],
                datatype=["str", "str", "str", "number", "str"],
                type="array",
                interactive=False,
                label="Reports",
            )
            with gr.Row():
                files = gr.File(
                    file_count="multiple",
                    file_types=supported_types(),
                    label=f"Upload reports ({', '.join(supported_types())})",
                    elem_id="rb-upload",
                )
                with gr.Column():
                    url = gr.Textbox(label="…or a report's URL", placeholder="https://…")
                    add = gr.Button("Add to library", variant="primary")
            status = gr.Markdown()
            with gr.Row():
                pick = gr.Dropdown(label="Remove a report", choices=[], scale=3)
                remove = gr.Button("Remove", variant="stop", scale=1)

        with gr.Tab("Figures"):
            figures_tab(figures)

        outputs = [question, chatbot, sources, conversation]
        question.submit(
            ui.respond,
            [question, chatbot, conversation],
            outputs,
            api_name="ask",
            concurrency_limit=8,
        ).then(figures.for_answer, [chatbot], [answer_chart, answer_note], api_visibility="private")
        for event in (clear.click, chatbot.clear):  # the button and the chat's own bin icon
            event(
                ui.clear, [conversation], [chatbot, sources, conversation], api_visibility="private"
            )
        private: dict[str, Any] = {"api_visibility": "private"}
        add.click(ui.add, [files, url], [status, table, pick, files, url], **private)
        remove.click(ui.remove, [pick], [status, table, pick], **private)
        demo.load(ui.library_view, None, [table, pick], **private)
    return demo

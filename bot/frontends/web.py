"""The gradio web UI: a chat with streamed, cited answers and a sources panel, and a library tab."""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr

from bot.app.wiring import App
from bot.frontends.library import Library, LibraryError, supported_types
from bot.grounding.citations import also_in, meta_parts, source_line
from bot.types import Answer, Citation
from index import IngestReport, ReportbotError

log = logging.getLogger("reportbot.web")

EXAMPLES = [
    "How many were deported?",
    "How many people were arrested, and from how many countries?",
    "What did the promotional videos say?",
]
SOMETHING_WRONG = "Something went wrong… The server log has the details; please try again."
NO_SOURCES = '<div class="rb-empty">Sources of the latest answer appear here.</div>'
_MARKER = re.compile(r"\\\[(\d+)\\\]")  # an [n] marker after _md escaped it
PROGRESS = gr.Progress()  # gradio finds the progress bar by this default value
_CONTEXT = 320  # characters of passage shown on each side of the quote

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


def esc(text: object) -> str:
    """HTML-escape, also the characters gradio's HTML templates would interpret."""
    return (
        html.escape(str(text)).replace("$", "&#36;").replace("{", "&#123;").replace("}", "&#125;")
    )


def _safe_url(url: str | None) -> str | None:
    return url if url and url.startswith(("http://", "https://")) else None


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


def _passage_html(c: Citation) -> str:
    """The passage around the quote, the quote itself marked (offsets, else a text search)."""
    passage, quote = c.passage or "", c.quote
    at = c.start - c.passage_start
    if not (at >= 0 and passage[at : at + len(quote)] == quote):
        at = passage.find(quote) if quote else -1
    if at < 0:
        return f"<mark>{esc(quote)}</mark>"
    lo, hi = max(0, at - _CONTEXT), min(len(passage), at + len(quote) + _CONTEXT)
    before, after = passage[lo:at], passage[at + len(quote) : hi]
    if lo > 0:  # start at a paragraph if one begins in the window, else at a word
        before = before.split("\n", 1)[1] if "\n" in before else "…" + before.split(" ", 1)[-1]
    if hi < len(passage):
        after = after.rsplit("\n", 1)[0] if "\n" in after else after.rsplit(" ", 1)[0] + "…"
    return f"{esc(before)}<mark>{esc(quote)}</mark>{esc(after)}"


def sources_html(answer: Answer) -> str:
    """One card per citation: [n], title (linked), outlet and date, the passage with the quote."""
    if not answer.citations:
        return '<div class="rb-empty">This answer cites no sources.</div>'
    cards = []
    for c in answer.citations:
        title = esc(c.title or c.doc_id)
        url = _safe_url(c.url)
        if url:
            title = f'<a href="{esc(url)}" target="_blank" rel="noopener noreferrer">{title}</a>'
        meta = " · ".join(esc(p) for p in meta_parts(c)) + esc(also_in(c))
        cards.append(
            f'<div class="rb-source" id="rb-source-{c.n}"><div class="rb-head">'
            f'<span class="rb-n">[{c.n}]</span>{title}</div>'
            + (f'<div class="rb-meta">{meta}</div>' if meta else "")
            + f'<p class="rb-passage">{_passage_html(c)}</p></div>'
        )
    return "\n".join(cards)


def _md(text: str) -> str:
    """Text shown literally in the chat's Markdown (no HTML, no links, no emphasis)."""
    return re.sub(r"([\\`*_{}\[\]()#+!|~])", r"\\\1", html.escape(text, quote=False))


def chat_markdown(answer: Answer) -> str:
    """The verified answer with its [n] markers, and a short source line per citation."""
    body = _MARKER.sub(r"**[\1]**", _md(answer.answer))
    lines = [f"_{_md(answer.notice)}_", ""] if answer.notice else []
    lines.append(body)
    if answer.citations:
        lines += [
            "",
            "<small>"
            + "<br>".join(f"[{c.n}] {_md(source_line(c))}" for c in answer.citations)
            + "</small>",
        ]
    return "\n".join(lines)


def _report_summary(report: IngestReport) -> str:
    parts = [f"{len(report.added)} added", f"{len(report.updated)} updated"]
    if report.unchanged:
        parts.append(f"{len(report.unchanged)} already in the library")
    text = "Done: " + ", ".join(parts) + f" ({report.chunks} passages indexed)."
    for f in report.failed:
        name = Path(f["location"]).name or f["location"]
        text += f"\n- could not add {_md(name)}: {_md(f['reason'])}"
    return text


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
        history = list(history or [])
        if not question:
            yield "", history, gr.skip(), conversation
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
            uploads = []
            for path in files or []:
                with open(path, "rb") as f:
                    uploads.append(self.library.save_upload(Path(path).name, f))

            def step(i: int, n: int, name: str) -> None:
                progress((i, n), desc=f"Indexing {name}", unit="reports")

            report = self.library.ingest(uploads, [url] if url else [], on_item=step)
            status = _report_summary(report)
            if report.failed:
                gr.Warning(
                    f"{len(report.failed)} report(s) could not be added; see the library tab."
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

        outputs = [question, chatbot, sources, conversation]
        question.submit(
            ui.respond,
            [question, chatbot, conversation],
            outputs,
            api_name="ask",
            concurrency_limit=8,
        )
        for event in (clear.click, chatbot.clear):  # the button and the chat's own bin icon
            event(
                ui.clear, [conversation], [chatbot, sources, conversation], api_visibility="private"
            )
        private: dict[str, Any] = {"api_visibility": "private"}
        add.click(ui.add, [files, url], [status, table, pick, files, url], **private)
        remove.click(ui.remove, [pick], [status, table, pick], **private)
        demo.load(ui.library_view, None, [table, pick], **private)
    return demo

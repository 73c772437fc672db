"""CommonMark: the answer for /v1 clients and for the gradio chat, shown literally.

Text from reports and from the model reaches a chat client's Markdown renderer. Escaped, it
shows as typed, so a report (or a model obeying one) cannot add an image that loads (and leaks
the conversation to) an outside address, a link, raw HTML, a heading or emphasis. The only
Markdown in the output is the layout written here: [n] markers, the sources list, http(s) links.
"""

from __future__ import annotations

import html
import re
from urllib.parse import quote

from bot.render.text import also_in, lead, meta_parts, one_line, source_line, title, web_url
from bot.types import Answer, Citation

# Backslash-escaped: CommonMark's inline and block syntax, GFM tables and strikethrough, and
# "$" (math in many chat clients). "&", "<" and ">" become entities: no HTML, no autolinks.
_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~$])")
# A line of only "-" or "=" would underline the line above into a heading (or be a rule).
# A line starting "- " stays a list item: the extractive answer lists disagreeing reports so.
_UNDERLINE = re.compile(r"^([ \t]*)([-=])(?=[-= \t]*$)", re.MULTILINE)
# An escaped [n] marker, shown as a plain [n] unless a ":" follows: "[1]: https://…" at the
# start of a line would be a link reference definition, turning every [1] into a link.
_MARKER = re.compile(r"\\\[(\d+)\\\](?!:)")
# Characters a link destination cannot hold as they are (CommonMark), percent-encoded.
_URL_UNSAFE = re.compile(r"[\s\x00-\x1f\x7f()<>\\]")


def escape(text: str) -> str:
    """``text`` shown literally in Markdown: no links, images, HTML, code, emphasis, headings."""
    return _UNDERLINE.sub(r"\1\\\2", _SPECIAL.sub(r"\\\1", html.escape(text, quote=False)))


def escape_line(text: str) -> str:
    """``escape(text)`` on one line: for a title or an outlet inside a list item."""
    return escape(one_line(text))


def link(text: str, url: str | None) -> str:
    """``[text](url)`` for an http(s) URL, else the text alone."""
    url = web_url(url)
    if url is None:
        return escape_line(text)
    safe = _URL_UNSAFE.sub(lambda m: quote(m.group(), safe=""), url)
    return f"[{escape_line(text)}]({safe})"


def footnote(c: Citation) -> str:
    """``n. “quote” — [Title](url), Outlet, date`` as one list item."""
    meta = escape_line(", ".join(meta_parts(c)))
    return (
        f"{c.n}. “{escape_line(c.quote)}” — {link(title(c), c.url)}"
        + (f", {meta}" if meta else "")
        + escape(also_in(c))
    )


def render_markdown(answer: Answer) -> str:
    """For /v1 clients: the answer with its [n] markers, then the numbered sources with links."""
    notice = f"_{escape_line(answer.notice)}_\n" if answer.notice else ""
    head, rest = lead(answer)
    bold = f"**{escape(head)}**" if head else ""
    lines = [notice, _MARKER.sub(r"[\1]", bold + escape(rest))]
    if answer.citations:
        lines.append("\n**Sources**\n")
        lines.extend(footnote(c) for c in answer.citations)
    return "\n".join(lines).strip()


def chat_markdown(answer: Answer) -> str:
    """For the gradio chat: the answer with bold [n] markers, a short source line per citation."""
    lines = [f"_{escape_line(answer.notice)}_", ""] if answer.notice else []
    head, rest = lead(answer)
    bold = f"**{escape(head)}**" if head else ""
    lines.append(_MARKER.sub(r"**[\1]**", bold + escape(rest)))
    if answer.citations:
        sources = "<br>".join(f"[{c.n}] {escape(source_line(c))}" for c in answer.citations)
        lines += ["", f"<small>{sources}</small>"]
    return "\n".join(lines)

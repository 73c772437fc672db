"""Telegram's HTML subset (parse_mode=HTML): answers with linked footnotes, the sources list.

Telegram accepts a handful of tags and only the entities &lt; &gt; &amp; &quot; (and numeric
ones), and refuses a whole message with an unknown tag: everything from a report or a model is
escaped, and the only tags are the <b>, <i> and <a href> written here.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from bot.render.text import (
    MAX_LINK_TEXT,
    chat_footnote,
    lead,
    one_line,
    short,
    web_url,
)
from bot.types import Answer, Citation
from index import Document

MAX_SOURCES_LISTED = 50


def escape(text: str) -> str:
    """Text shown literally in a Telegram HTML message."""
    return html.escape(text, quote=False)


def link(url: str | None, text: str) -> str:
    """``<a href=url>text</a>`` (the text shortened) for an http(s) URL, else the text alone."""
    url = web_url(url)
    if url is None:
        return escape(one_line(text))
    return f'<a href="{html.escape(url, quote=True)}">{escape(short(text, MAX_LINK_TEXT))}</a>'


def footnote(c: Citation) -> str:
    """[n] “quote” — <a href=url>Title</a>, Outlet, date (everything from the report escaped)."""
    return chat_footnote(c, escape, link)


def render_html(answer: Answer) -> str:
    """The answer with its [n] markers, then the numbered footnotes."""
    parts = [f"<i>{escape(answer.notice)}</i>"] if answer.notice else []
    head, rest = lead(answer)
    parts.append((f"<b>{escape(head)}</b>" if head else "") + escape(rest))
    if answer.citations:
        parts.append("<b>Sources</b>\n" + "\n".join(footnote(c) for c in answer.citations))
    return "\n\n".join(parts)


def sources_html(documents: Sequence[Document]) -> str:
    """The reports in the order given (the first 50): title (linked), outlet, date."""
    if not documents:
        return "I don't know any reports yet."
    n = len(documents)
    lines = [f"<b>I know {n} report{'s' if n != 1 else ''}</b>"]
    for i, d in enumerate(documents[:MAX_SOURCES_LISTED], start=1):
        meta = ", ".join(one_line(p) for p in (d.source, d.published) if p)
        lines.append(
            f"{i}. {link(d.url, d.title or d.doc_id)}" + (f" — {escape(meta)}" if meta else "")
        )
    if n > MAX_SOURCES_LISTED:
        lines.append(f"… and {n - MAX_SOURCES_LISTED} more.")
    return "\n".join(lines)


def help_html(username: str | None) -> str:
    """What /start and /help answer."""
    me = f"@{username}" if username else "me"
    return (
        "I answer questions about news reports, quoting the exact sentences I rely on "
        "(numbered footnotes with links).\n\n"
        "Ask me anything here; follow-up questions work. In a group, mention "
        f"{escape(me)} or reply to one of my messages.\n\n"
        "/sources: the reports I know\n/reset: forget our conversation\n/help: this message"
    )

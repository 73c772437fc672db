"""HTML for the web UI: the sources panel's cards, every report field escaped.

Gradio's HTML component treats ``${…}`` as a template and its Markdown renders ``$$…$$`` as
math, so "$", "{" and "}" become character references too.
"""

from __future__ import annotations

import html

from bot.render.text import also_in, meta_parts, title, web_url
from bot.types import Answer, Citation

CONTEXT = 320  # characters of passage shown on each side of the quote
NO_CITATIONS = '<div class="rb-empty">This answer cites no sources.</div>'
_GRADIO = str.maketrans({"$": "&#36;", "{": "&#123;", "}": "&#125;"})


def escape(text: object) -> str:
    """Text (or an attribute value) shown literally in HTML and in gradio's HTML templates."""
    return html.escape(str(text)).translate(_GRADIO)


def passage_html(c: Citation) -> str:
    """The passage around the quote, the quote itself marked (offsets, else a text search)."""
    passage, quote = c.passage or "", c.quote
    at = c.start - c.passage_start
    if not (at >= 0 and passage[at : at + len(quote)] == quote):
        at = passage.find(quote) if quote else -1
    if at < 0:
        return f"<mark>{escape(quote)}</mark>"
    lo, hi = max(0, at - CONTEXT), min(len(passage), at + len(quote) + CONTEXT)
    before, after = passage[lo:at], passage[at + len(quote) : hi]
    if lo > 0:  # start at a paragraph if one begins in the window, else at a word
        before = before.split("\n", 1)[1] if "\n" in before else "…" + before.split(" ", 1)[-1]
    if hi < len(passage):
        after = after.rsplit("\n", 1)[0] if "\n" in after else after.rsplit(" ", 1)[0] + "…"
    return f"{escape(before)}<mark>{escape(quote)}</mark>{escape(after)}"


def sources_html(answer: Answer) -> str:
    """One card per citation: [n], title (linked), outlet and date, the passage with the quote."""
    if not answer.citations:
        return NO_CITATIONS
    cards = []
    for c in answer.citations:
        head = escape(title(c))
        url = web_url(c.url)
        if url:
            head = f'<a href="{escape(url)}" target="_blank" rel="noopener noreferrer">{head}</a>'
        meta = " · ".join(escape(p) for p in meta_parts(c)) + escape(also_in(c))
        cards.append(
            f'<div class="rb-source" id="rb-source-{c.n}"><div class="rb-head">'
            f'<span class="rb-n">[{c.n}]</span>{head}</div>'
            + (f'<div class="rb-meta">{meta}</div>' if meta else "")
            + f'<p class="rb-passage">{passage_html(c)}</p></div>'
        )
    return "\n".join(cards)

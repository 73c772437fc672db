"""Slack mrkdwn: answers and footnotes with links, and reading a message as the user typed it.

Slack gives meaning to three characters, "&", "<" and ">" (links ``<url|text>``, mentions
``<@U…>``, ``<!channel>``): everything from a report or a model is escaped, so the only links
and mentions are the ones written here.
"""

from __future__ import annotations

import re

from bot.render.text import (
    MAX_LINK_TEXT,
    chat_footnote,
    one_line,
    short,
    web_url,
)
from bot.types import Citation

_LINK = re.compile(r"<([^<>|]+)(?:\|([^<>]*))?>")


def escape(text: str) -> str:
    """Text shown literally in mrkdwn (Slack's three control characters)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unescape(text: str) -> str:
    """A message's text as the user typed it: links shown by their text, escapes undone."""
    text = _LINK.sub(lambda m: m.group(2) or m.group(1), text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def link(url: str | None, text: str) -> str:
    """``<url|text>`` (the text shortened) for an http(s) URL, else the text alone."""
    url = web_url(url)
    if url is None:
        return escape(text)
    return f"<{escape(url).replace('|', '%7C')}|{escape(short(text, MAX_LINK_TEXT))}>"


def italic(text: str) -> str:
    """A line in italics (a notice above the answer)."""
    return f"_{escape(one_line(text))}_"


def footnote(c: Citation) -> str:
    """[n] “quote” — <url|Title>, Outlet, date."""
    return chat_footnote(c, escape, link)

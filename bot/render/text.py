"""Plain text: an answer with its sources, and the pieces every other output builds on."""

from __future__ import annotations

from collections.abc import Callable

from bot.types import Answer, Citation

MAX_QUOTE_CHARS = 1000  # a chat footnote repeats its quote; a whole-page "sentence" is cut short
MAX_LINK_TEXT = 200


def plural(n: int, noun: str, nouns: str | None = None) -> str:
    """A counted noun: "1 report", "2 reports"."""
    return f"{n} {noun if n == 1 else nouns or noun + 's'}"


def one_line(text: str) -> str:
    """``text`` with every run of whitespace (newlines too) as one space: for fields such as a
    title or an outlet name, which must not break the line (or the list item) they sit in."""
    return " ".join(text.split())


def short(text: str, limit: int) -> str:
    """``text`` on one line, cut at a word boundary to at most ``limit`` characters, with an
    ellipsis."""
    text = one_line(text)
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0] or text[: limit - 1]
    return cut + "…"


def web_url(url: str | None) -> str | None:
    """``url`` if it may become a link (http or https), else None: never ``javascript:``."""
    return url if url and url.startswith(("http://", "https://")) else None


def date_label(c: Citation) -> str | None:
    """The report's date, saying so when it is only the day reportbot ingested it."""
    if not c.published:
        return None
    return f"ingested {c.published}" if c.date_kind == "ingested" else c.published


# A quote in another language than the question is labelled with its language (issue 17).
LANGUAGE_NAMES = {"en": "English", "ko": "Korean", "ja": "Japanese", "zh": "Chinese"}


def language_label(c: Citation) -> str | None:
    """'in English' for an English quote answering a Korean question; None for a quote in the
    question's own language."""
    return f"in {LANGUAGE_NAMES.get(c.language, c.language)}" if c.language else None


def meta_parts(c: Citation) -> list[str]:
    """Outlet, date (marked when it is only the ingest date), page, the quote's language when
    it is not the question's: each present one."""
    page = f"p. {c.page}" if c.page else None
    return [one_line(p) for p in (c.source, date_label(c), page, language_label(c)) if p]


def also_in(c: Citation) -> str:
    """The suffix ' (also in Outlet A, Outlet B)' for a story others carry too; '' if none."""
    return f" (also in {one_line(', '.join(c.also_in))})" if c.also_in else ""


def title(c: Citation) -> str:
    """The report's title on one line, else its id."""
    return one_line(c.title or "") or c.doc_id


def source_line(c: Citation) -> str:
    """Title, outlet, date, page, link: what a reader needs to find the report."""
    line = ", ".join([p for p in (one_line(c.title or ""), *meta_parts(c)) if p]) or c.doc_id
    line += also_in(c)
    return f"{line} — {one_line(c.url)}" if c.url else line


def lead(answer: Answer) -> tuple[str, str]:
    """(the short direct answer the text opens with, the rest): each output shows the first
    in bold; ("", the whole text) when there is none (abstaining, reports that differ)."""
    s = answer.short_answer
    if s is not None and s.text and answer.answer.startswith(s.text):
        return s.text, answer.answer[len(s.text) :]
    return "", answer.answer


def render_text(answer: Answer) -> str:
    """Plain text: the answer, then each [n] with its quote and source (CLI)."""
    lines = [answer.answer]
    if answer.notice:
        lines.insert(0, f"({answer.notice})")
    if answer.citations:
        lines.append("")
        lines.extend(f"[{c.n}] “{c.quote}” — {source_line(c)}" for c in answer.citations)
    return "\n".join(lines)


def chat_footnote(
    c: Citation, escape: Callable[[str], str], link: Callable[[str | None, str], str]
) -> str:
    """[n] “quote” — linked title, outlet, date: the footnote of every chat output, in that
    output's own escaping and link syntax (everything from the report escaped)."""
    if web_url(c.url):
        meta = ", ".join(meta_parts(c)) + also_in(c)
        where = link(c.url, title(c)) + (f", {escape(meta)}" if meta else "")
    else:
        where = escape(source_line(c))
    return f"[{c.n}] “{escape(short(c.quote, MAX_QUOTE_CHARS))}” — {where}"

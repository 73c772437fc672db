"""Every renderer against hostile text: what a report or a model writes is shown, never obeyed.

Each output is checked the way its client reads it: Markdown rendered by a CommonMark parser
(markdown-it, with GFM tables and strikethrough), HTML and Telegram HTML parsed, Slack mrkdwn
scanned for its control syntax. Inert means: the only tags and links are the renderer's own,
and the text a reader sees is the text that came in.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import pytest
from markdown_it import MarkdownIt

from bot.render import html as web
from bot.render import markdown, slack, telegram, text
from bot.types import Answer, Citation, ShortAnswer

HOSTILE = [
    "*bold* _em_ **strong** __strong__",
    "# heading\n## another",
    "line one\nline two\n\nnew paragraph",
    "Title\n=====",
    "Title\n---",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))",
    "](javascript:alert(1))",
    "![leak](https://evil.example/pixel.png?q=conversation)",
    "<https://evil.example> <@U123> <!channel> <!here|here>",
    "[1]: https://evil.example",
    "$x$ and $$\\frac{1}{2}$$",
    "{{x}} ${x} {x}",
    "a & b &lt; &amp; &#60; &quot;",
    "`code` ```fence``` <b>bold</b> <a href='https://evil.example'>x</a>",
    "back\\slash \\* | a | b |\n|---|---|\n~~strike~~ +plus !bang",
    "*_#!\n*_#!",
]
LINK = "https://example.com/report?id=1&lang=en"


def seen(rendered: str) -> str:
    """The text a reader sees in rendered HTML, whitespace collapsed."""
    return " ".join(Page(rendered).text.split())


def one(s: str) -> str:
    return " ".join(s.split())


class Page(HTMLParser):
    """Tags (with attributes) and text of an HTML fragment."""

    def __init__(self, fragment: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text = ""
        self.feed(fragment)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text += data

    def names(self) -> set[str]:
        return {tag for tag, _ in self.tags}

    def links(self) -> list[str | None]:
        return [attrs.get("href") for tag, attrs in self.tags if tag == "a"]


def commonmark(source: str) -> Page:
    return Page(MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(source))


def citation(hostile: str, url: str | None = LINK, n: int = 1) -> Citation:
    passage = f"before {hostile} after"
    return Citation(n=n, doc_id="d1", title=hostile, url=url, source=hostile,
                    published="2025-10-16", quote=hostile, start=7, end=7 + len(hostile),
                    also_in=[hostile], passage=passage, passage_start=0)  # fmt: skip


# -- plain text ---------------------------------------------------------------------------


@pytest.mark.parametrize("hostile", HOSTILE)
def test_plain_text_keeps_single_line_fields_on_one_line(hostile: str) -> None:
    c = citation(hostile)
    line = text.source_line(c)
    assert "\n" not in line and line.startswith(one(hostile)) and line.endswith(f"— {LINK}")
    rendered = text.render_text(Answer(hostile, False, [c], "extractive"))
    assert rendered.startswith(hostile)  # plain text is shown as it is
    assert rendered.endswith(line) and rendered.count("\n") == 2 * hostile.count("\n") + 2


# -- CommonMark (/v1, the gradio chat) ---------------------------------------------------


@pytest.mark.parametrize("hostile", HOSTILE)
def test_markdown_escape_shows_the_text_and_nothing_else(hostile: str) -> None:
    page = commonmark(markdown.escape(hostile))
    assert page.names() <= {"p"}, page.tags
    assert one(page.text) == one(hostile)
    assert "$" not in markdown.escape(hostile).replace("\\$", "")  # no math delimiters


@pytest.mark.parametrize("hostile", HOSTILE)
def test_markdown_answer_for_v1_clients_is_inert(hostile: str) -> None:
    cites = [citation(hostile), citation(hostile, url="javascript:alert(1)", n=2)]
    answer = Answer(f"{hostile} [1]\n{hostile} [2]", False, cites, "llm", notice=hostile)
    page = commonmark(markdown.render_markdown(answer))
    assert page.names() <= {"p", "em", "strong", "ol", "li", "a"}, page.tags
    assert page.links() == [LINK]  # the first source's; "javascript:" is no link
    assert one(page.text).startswith(f"{one(hostile)} {one(hostile)} [1] {one(hostile)} [2]")
    items = commonmark(markdown.render_markdown(answer).split("**Sources**")[1])
    assert [t for t, _ in items.tags].count("li") == 2  # one list item per source, however
    footnote = f"“{one(hostile)}” — {one(hostile)}, {one(hostile)}, 2025-10-16"  # ...multi-line
    assert (
        one(items.text)
        == f"{footnote} (also in {one(hostile)}) {footnote} (also in {one(hostile)})"
    )


def test_markdown_links_only_http_urls_and_keeps_them_exact() -> None:
    url = "https://example.com/a (b)?x=<1>&y=2"
    page = commonmark(markdown.link("Title ](javascript:x)", url))
    assert page.names() == {"p", "a"}
    assert page.links() == ["https://example.com/a%20%28b%29?x=%3C1%3E&y=2"]
    assert page.text.strip() == "Title ](javascript:x)"
    assert commonmark(markdown.link("Title", "javascript:alert(1)")).links() == []


def test_a_marker_followed_by_a_colon_defines_no_link() -> None:
    c = citation("quote")
    rendered = markdown.render_markdown(
        Answer("[1]: https://evil.example\nSee [1]", False, [c], "llm")
    )
    assert commonmark(rendered).links() == [LINK]  # only the source's own link
    assert "See [1]" in rendered  # markers stay readable in clients that show the raw text


@pytest.mark.parametrize("hostile", HOSTILE)
def test_gradio_chat_markdown_is_inert(hostile: str) -> None:
    c = citation(hostile, url="javascript:alert(1)")
    answer = Answer(f"{hostile} [1]", False, [c], "extractive", notice=hostile)
    page = commonmark(markdown.chat_markdown(answer))
    assert page.names() <= {"p", "em", "strong", "small", "br"}, page.tags
    assert all(attrs == {} for _, attrs in page.tags)
    assert one(page.text).startswith(f"{one(hostile)} {one(hostile)} [1]")
    assert one(page.text).endswith("— javascript:alert(1)")  # shown, not linked


# -- HTML (the web UI's sources panel) ----------------------------------------------------


@pytest.mark.parametrize("hostile", HOSTILE)
def test_html_sources_are_inert_in_html_and_in_gradio_templates(hostile: str) -> None:
    cites = [citation(hostile), citation(hostile, url="javascript:alert(1)", n=2)]
    rendered = web.sources_html(Answer("x", False, cites, "extractive"))
    page = Page(rendered)
    assert page.names() <= {"div", "span", "a", "p", "mark"}, page.tags
    assert page.links() == [LINK]
    assert not [a for _, attrs in page.tags for a in attrs if a.startswith("on")]
    assert not set("${}") & set(rendered)  # gradio templates see no "${…}"
    assert page.text.count(f"before {hostile} after") == 2  # the passage, the quote marked
    assert one(page.text).count(f"{one(hostile)} · 2025-10-16 (also in {one(hostile)})") == 2
    assert web.escape(hostile) == html.escape(hostile).translate(
        {ord("$"): "&#36;", ord("{"): "&#123;", ord("}"): "&#125;"}
    )


# -- Telegram HTML ------------------------------------------------------------------------

TELEGRAM_ENTITY = re.compile(r"&(?!(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);)")


@pytest.mark.parametrize("hostile", HOSTILE)
def test_telegram_html_uses_only_its_tags_and_entities(hostile: str) -> None:
    cites = [citation(hostile), citation(hostile, url="javascript:alert(1)", n=2)]
    rendered = telegram.render_html(
        Answer(f"{hostile} [1] [2]", False, cites, "llm", notice=hostile)
    )
    page = Page(rendered)
    assert page.names() <= {"b", "i", "a"}, page.tags
    assert page.links() == [LINK]
    assert not TELEGRAM_ENTITY.search(rendered)  # Telegram refuses a message with another
    assert page.text.startswith(f"{hostile}\n\n{hostile} [1] [2]")
    assert f"[1] “{one(hostile)}” — {one(hostile)}, {one(hostile)}, 2025-10-16" in page.text
    assert (
        f"[2] “{one(hostile)}” — {one(hostile)}" in page.text and "javascript:alert(1)" in page.text
    )


# -- Slack mrkdwn -------------------------------------------------------------------------


@pytest.mark.parametrize("hostile", HOSTILE)
def test_slack_mrkdwn_has_no_links_or_mentions_but_its_own(hostile: str) -> None:
    escaped = slack.escape(hostile)
    assert "<" not in escaped and ">" not in escaped
    assert slack.unescape(escaped) == hostile
    linked = slack.footnote(citation(hostile))
    [(url, label)] = re.findall(r"<([^<>|]*)\|([^<>]*)>", linked)
    assert url == LINK.replace("&", "&amp;") and slack.unescape(label) == one(hostile)
    assert linked.count("<") == linked.count(">") == 1
    unlinked = slack.footnote(citation(hostile, url="javascript:alert(1)"))
    assert "<" not in unlinked and ">" not in unlinked
    assert slack.unescape(unlinked).endswith(
        f"— {text.source_line(citation(hostile, None))} — javascript:alert(1)"
    )


@pytest.mark.parametrize("hostile", HOSTILE)
def test_the_bold_short_answer_is_inert_too(hostile: str) -> None:
    head = one(hostile)
    short_answer = ShortAnswer(head, 1, 0, len(head))
    answer = Answer(
        f"{head} rest [1]", False, [citation(hostile)], "llm", short_answer=short_answer
    )
    for rendered in (markdown.render_markdown(answer), markdown.chat_markdown(answer)):
        page = commonmark(rendered)
        assert page.names() <= {"p", "strong", "ol", "li", "a", "small", "br"}, page.tags
        assert page.links() in ([LINK], [])
        assert one(page.text).startswith(f"{head} rest [1]")
    page = Page(telegram.render_html(answer))
    assert page.names() <= {"b", "a"} and page.text.startswith(f"{head} rest [1]")

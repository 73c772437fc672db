"""The short direct answer is shown first, in bold, in every chat output; escaped like the rest."""

from __future__ import annotations

from bot.frontends.slack import render_blocks
from bot.render.markdown import chat_markdown, render_markdown
from bot.render.telegram import render_html
from bot.render.text import lead, render_text
from bot.types import Answer, ShortAnswer

TEXT = "3,455 <individuals> [1]\nThe committee reported the arrest of 3,455 <individuals>. [1]"
SHORT = ShortAnswer("3,455 <individuals>", 1, 10, 29)


def _answer(short: ShortAnswer | None = SHORT) -> Answer:
    return Answer(TEXT, False, [], "extractive", short_answer=short)


def test_lead_splits_off_the_short_answer_only_when_the_text_opens_with_it() -> None:
    assert lead(_answer()) == ("3,455 <individuals>", TEXT[len(SHORT.text) :])
    assert lead(_answer(None)) == ("", TEXT)
    assert lead(_answer(ShortAnswer("476 women", 1, 0, 9))) == ("", TEXT)


def test_each_output_shows_the_short_answer_first_in_bold() -> None:
    assert render_markdown(_answer()).startswith("**3,455 &lt;individuals&gt;** [1]")
    assert chat_markdown(_answer()).startswith("**3,455 &lt;individuals&gt;** **[1]**")
    assert render_html(_answer()).startswith("<b>3,455 &lt;individuals&gt;</b> [1]")
    text, blocks = render_blocks(_answer())
    assert text.startswith("*3,455 &lt;individuals&gt;* [1]")
    assert blocks[0]["text"]["text"].startswith("*3,455")
    assert render_text(_answer()).startswith("3,455 <individuals> [1]")


def test_without_a_short_answer_nothing_is_bold() -> None:
    assert "**" not in render_markdown(_answer(None)).split("\n")[0]
    assert "<b>" not in render_html(_answer(None))

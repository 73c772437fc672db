"""Prompt templates: package files (bot/answering/prompts/) with named placeholders, validated
at load, filled here. They ship inside the wheel and load with importlib.resources."""

from __future__ import annotations

import re
import string
from collections.abc import Iterable
from dataclasses import dataclass
from importlib.resources import files
from importlib.resources.abc import Traversable

from bot.grounding.citations import MARKER
from index import Hit

PROMPTS_DIR: Traversable = files(__package__ or "bot.answering") / "prompts"
# The placeholders each prompt must have: exactly these, no more, no fewer.
ANSWER = ("answer", frozenset({"history", "sources", "question"}))
CONDENSE = ("condense", frozenset({"history", "question"}))

# A line `<!-- system -->` or `<!-- user -->` starts a message; a file without one is one
# user message. Invisible when the Markdown file is rendered.
_ROLE = re.compile(r"^<!--\s*(system|user|assistant)\s*-->[ \t]*\n?", re.MULTILINE)
# Source delimiters are <<<SOURCE n>>> ... <<<END SOURCE n>>>. In text from a report (or the
# conversation) every run of three or more angle brackets, fullwidth and small forms
# included, is spaced out ("<<<<" → "< < < <"), so no "<<<" or ">>>" survives: a report cannot
# close its own block, or open a new one, and pose as instructions.
_DELIMITER_RUN = re.compile(r"[<\uff1c\ufe64]{3,}|[>\uff1e\ufe65]{3,}")


class PromptError(ValueError):
    """A prompt file is missing or does not have exactly the expected placeholders."""


@dataclass(frozen=True)
class Prompt:
    """A validated template: a list of (role, text) sections with named placeholders."""

    name: str
    path: Traversable
    sections: tuple[tuple[str, str], ...]
    placeholders: frozenset[str]

    def messages(self, **values: str) -> list[dict[str, str]]:
        """The chat messages, each section filled in (values are inserted, never re-parsed)."""
        self._check(values)
        return [
            {"role": role, "content": text.format(**values).strip()} for role, text in self.sections
        ]

    def render(self, **values: str) -> str:
        """The filled-in prompt as one text, role markers included (what snapshots pin)."""
        return "\n\n".join(f"<!-- {m['role']} -->\n{m['content']}" for m in self.messages(**values))

    def _check(self, values: dict[str, str]) -> None:
        if set(values) != self.placeholders:
            missing = sorted(self.placeholders - set(values))
            extra = sorted(set(values) - self.placeholders)
            raise PromptError(f"prompt {self.name!r}: missing values {missing}, unknown {extra}")


def _placeholders(text: str, path: Traversable) -> set[str]:
    names: set[str] = set()
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError as exc:  # a lone "{" or "}"
        raise PromptError(f"{path}: {exc} (write literal braces as {{{{ and }}}})") from exc
    for _, field, spec, conversion in parsed:
        if field is None:
            continue
        if not field.isidentifier() or spec or conversion:
            raise PromptError(
                f"{path}: placeholder {{{field}{'!' + conversion if conversion else ''}"
                f"{':' + spec if spec else ''}}} must be a plain name like {{question}}"
            )
        names.add(field)
    return names


def _sections(text: str, path: Traversable) -> tuple[tuple[str, str], ...]:
    marks = list(_ROLE.finditer(text))
    if not marks:
        return (("user", text),)
    if text[: marks[0].start()].strip():
        raise PromptError(f"{path}: text before the first <!-- role --> line")
    out = []
    for m, nxt in zip(marks, [*marks[1:], None], strict=True):
        body = text[m.end() : nxt.start() if nxt else len(text)]
        if not body.strip():
            raise PromptError(f"{path}: empty <!-- {m.group(1)} --> section")
        out.append((m.group(1), body))
    return tuple(out)


def load_prompt(name: str, expected: Iterable[str], directory: Traversable = PROMPTS_DIR) -> Prompt:
    """Read prompts/NAME.md and check it has exactly the ``expected`` placeholders."""
    path = directory / f"{name}.md"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PromptError(f"cannot read prompt {name!r} at {path}: {exc.strerror}") from exc
    sections = _sections(text, path)
    found = set().union(*(_placeholders(body, path) for _, body in sections))
    want = frozenset(expected)
    if found != want:
        problems = []
        if want - found:
            problems.append(f"missing {', '.join(sorted('{' + n + '}' for n in want - found))}")
        if found - want:
            problems.append(f"unexpected {', '.join(sorted('{' + n + '}' for n in found - want))}")
        raise PromptError(
            f"{path}: {'; '.join(problems)} "
            f"(expected exactly {', '.join(sorted('{' + n + '}' for n in want))})"
        )
    return Prompt(name, path, sections, want)


def _neutral(text: str) -> str:
    return _DELIMITER_RUN.sub(lambda m: " ".join(m.group()), text)


def format_question(question: str) -> str:
    """The user's question as the prompt shows it (it cannot fake a source block either)."""
    return _neutral(question.strip())


def _meta(value: str | None, default: str) -> str:
    """A metadata field on one line (a title cannot add lines of its own)."""
    return _neutral(" ".join((value or "").split())) or default


def format_sources(hits: list[Hit]) -> str:
    """Sources [1]..[k], one per retrieved chunk: title, outlet, date, then the delimited text."""
    blocks = []
    for n, hit in enumerate(hits, start=1):
        doc = hit.document
        blocks.append(
            f"[{n}] Title: {_meta(doc.title, 'untitled')}\n"
            f"Outlet: {_meta(doc.source, 'unknown')}\n"
            f"Date: {_meta(doc.published, 'unknown')}\n"
            f"<<<SOURCE {n}>>>\n{_neutral(hit.chunk.text.strip())}\n<<<END SOURCE {n}>>>"
        )
    return "\n\n".join(blocks) if blocks else "(no sources were found)"


def format_history(history: list[tuple[str, str]], max_answer_chars: int = 600) -> str:
    """Earlier turns as "User:"/"Assistant:" lines; old [n] markers dropped (they meant other
    sources)."""
    if not history:
        return "(none)"
    lines = []
    for question, answer in history:
        answer = MARKER.sub("", answer).strip()
        if len(answer) > max_answer_chars:
            answer = answer[:max_answer_chars].rstrip() + " …"
        lines.append(f"User: {_neutral(question.strip())}\nAssistant: {_neutral(answer)}")
    return "\n".join(lines)

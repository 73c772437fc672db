"""Citations: numbering exact quotes and verifying answers against them (bot/render shows them)."""

from __future__ import annotations

import re

from bot.grounding.figures import find_figures, supported
from bot.types import Citation, Verification
from index import Hit, page_of, split_sentences

MARKER = re.compile(r"\s?\[(\d+)\]")


class CitationBuilder:
    """Numbers quotes in order of first use; the same quote keeps its number."""

    def __init__(self) -> None:
        self.citations: list[Citation] = []
        self._index: dict[tuple[str, int, int], int] = {}

    def cite(self, hit: Hit, start: int, end: int) -> int:
        """[n] for the document span start:end (offsets in the stored document text)."""
        doc = hit.document
        key = (doc.doc_id, start, end)
        if key not in self._index:
            n = len(self.citations) + 1
            self._index[key] = n
            self.citations.append(
                Citation(
                    n=n, doc_id=doc.doc_id, title=doc.title, url=doc.url, source=doc.source,
                    published=doc.published, quote=doc.text[start:end], start=start, end=end,
                    date_kind=doc.date_kind, page=page_of(doc.pages, start),
                    passage=hit.chunk.text, passage_start=hit.chunk.start,
                )
            )  # fmt: skip
        return self._index[key]


_LEADING_MARKERS = re.compile(r"^(?:\s*\[\d+\])+")


def answer_sentences(text: str) -> list[str]:
    """The sentences of an answer, each keeping the [n] markers that follow it ("\n" kept)."""
    out: list[str] = []
    for line in text.split("\n"):
        for s, e in split_sentences(line):
            piece = line[s:e]
            lead = _LEADING_MARKERS.match(piece)
            if lead and out and out[-1] != "\n":
                out[-1] += " " + lead.group().strip()
                piece = piece[lead.end() :].strip()
            if piece:
                out.append(piece)
        out.append("\n")
    while out and out[-1] == "\n":
        out.pop()
    return out


def _join(sentences: list[str]) -> str:
    text = " ".join(sentences)
    return re.sub(r" ?\n ?", "\n", text).strip()


def verify(text: str, citations: list[Citation]) -> tuple[str, Verification]:
    """Drop [n] that point nowhere; drop sentences whose figures their citations don't state.

    A figure counts as supported when the same value appears in a cited quote, the passage it
    was taken from, or the cited report's title, date or outlet ("9News"). Returns the checked
    text and what was found.
    """
    by_n = {c.n: c for c in citations}
    report = Verification()
    kept: list[str] = []
    for sentence in answer_sentences(text):
        if sentence == "\n":
            kept.append(sentence)
            continue
        cited: list[int] = []
        for m in MARKER.finditer(sentence):
            n = int(m.group(1))
            if n in by_n:
                cited.append(n)
            elif n not in report.removed_citations:
                report.removed_citations.append(n)
        sentence = MARKER.sub(lambda m: m.group() if int(m.group(1)) in by_n else "", sentence)
        passages = [
            t
            for n in cited
            for t in (
                by_n[n].quote,
                by_n[n].passage,
                by_n[n].title,
                by_n[n].published,
                by_n[n].source,
            )
            if t
        ]
        figures = find_figures(MARKER.sub("", sentence))
        bad = [f.text for f in figures if not supported(f, passages)]
        report.figures_checked += len(figures)
        report.figures_supported += len(figures) - len(bad)
        if bad:
            report.unsupported.append({"sentence": sentence, "figures": bad, "citations": cited})
            continue
        kept.append(sentence)
    return _join(kept), report


def used_citations(text: str, citations: list[Citation]) -> list[Citation]:
    """The citations the text refers to, renumbered 1..k in order of first use."""
    order: list[int] = []
    for m in MARKER.finditer(text):
        n = int(m.group(1))
        if n not in order and any(c.n == n for c in citations):
            order.append(n)
    return [c for n in order for c in citations if c.n == n]


def renumber(text: str, citations: list[Citation]) -> tuple[str, list[Citation]]:
    """Keep only used citations and number them 1..k in order of first use."""
    used = used_citations(text, citations)
    mapping = {c.n: i for i, c in enumerate(used, start=1)}
    text = MARKER.sub(lambda m: f" [{mapping[int(m.group(1))]}]" if int(m.group(1)) in mapping
                      else "", text)  # fmt: skip
    renumbered = []
    for c in used:
        c.n = mapping[c.n]
        renumbered.append(c)
    return text.strip(), renumbered

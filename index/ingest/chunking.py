"""Sentence splitting with character offsets, and sentence-aligned chunks."""

from __future__ import annotations

import hashlib
import re

from index.types import Chunk

# Words after which a period does not end a sentence.
_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "mt", "gen", "col", "lt", "sgt", "capt",
    "gov", "sen", "rep", "rev", "pres", "vs", "etc", "inc", "ltd", "co", "corp", "no", "fig",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    "u.s", "u.k", "u.n", "e.g", "i.e", "a.m", "p.m", "approx", "est", "dept", "univ",
}  # fmt: skip
# Sentence ends: Latin punctuation before a space; CJK full stops ("。", "．", "！", "？")
# with or without a space; a Korean sentence's "." glued to the next one ("했다.이어").
_CLOSERS = "\"'”’)\\]」』）〕】"
_HANGUL = "\uac00-\ud7a3"
_BOUNDARY = re.compile(
    rf"[.!?…]+[{_CLOSERS}]*(?=\s+)"
    rf"|[。．！？｡]+[{_CLOSERS}]*(?![0-9０-９])"
    rf"|(?<=[{_HANGUL}])[.!?]+(?=[{_HANGUL}0-9])"  # not '다."라고': a quote goes on
    r"|\n\s*\n|\n"
)
_WORD_BEFORE = re.compile(r"([A-Za-z][A-Za-z.]*)\.$")
# A "sentence" longer than this (a transcript or a table run together, a page with no
# punctuation) is cut at the last clause or word break before it, so quotes stay readable
# and every chunk stays embeddable.
MAX_SENTENCE_CHARS = 600
_BREAKS = (re.compile(r"[,;:–—]\s"), re.compile(r"\s"))


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Return (start, end) offsets of the sentences of ``text``, whitespace trimmed."""
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _BOUNDARY.finditer(text):
        end = m.end()
        if m.group().startswith((".",)) and not m.group().startswith("\n"):
            before = _WORD_BEFORE.search(text[max(0, m.start() - 20) : m.start() + 1])
            if before:
                word = before.group(1).lower()
                # "U.S." / "Mr." / a single initial ("J.") do not end a sentence.
                if word in _ABBREVIATIONS or len(word) == 1:
                    continue
            nxt = text[end : end + 3].lstrip()
            if nxt[:1].islower():
                continue
        _add_span(text, start, end, spans)
        start = end
    _add_span(text, start, len(text), spans)
    return spans


def _add_span(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    segment = text[start:end]
    stripped = segment.strip()
    if not stripped:
        return
    lead = len(segment) - len(segment.lstrip())
    s = start + lead
    e = s + len(stripped)
    while e - s > MAX_SENTENCE_CHARS:
        cut = _cut_point(text, s, s + MAX_SENTENCE_CHARS)
        _add_span(text, s, cut, spans)
        s = cut + len(text[cut:e]) - len(text[cut:e].lstrip())
    spans.append((s, e))


def _cut_point(text: str, start: int, limit: int) -> int:
    """Where to cut an overlong sentence: after the last clause break, else word break, in
    the second half of the window; else at the limit."""
    half = start + (limit - start) // 2
    for rx in _BREAKS:
        last = None
        for m in rx.finditer(text, half, limit):
            last = m
        if last is not None:
            return last.start() + 1
    return limit


def chunk_document(
    doc_id: str, text: str, max_chars: int = 1000, overlap_sentences: int = 1
) -> list[Chunk]:
    """Group whole sentences into chunks of about ``max_chars``, overlapping by sentences.

    Sentences are never cut (beyond ``MAX_SENTENCE_CHARS``), so every quote can be found whole
    in one chunk; a sentence longer than ``max_chars`` becomes a chunk of its own.
    """
    sentences = split_sentences(text)
    chunks: list[Chunk] = []
    i = 0
    while i < len(sentences):
        j = i
        while j + 1 < len(sentences) and sentences[j + 1][1] - sentences[i][0] <= max_chars:
            j += 1
        start, end = sentences[i][0], sentences[j][1]
        chunk_id = (
            f"{doc_id}:{len(chunks)}:"
            + hashlib.sha1(text[start:end].encode("utf-8")).hexdigest()[:8]
        )
        chunks.append(Chunk(chunk_id, doc_id, start, end, text[start:end]))
        if j + 1 >= len(sentences):
            break
        i = max(i + 1, j + 1 - overlap_sentences)
    return chunks

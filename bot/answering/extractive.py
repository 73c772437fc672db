"""The default answerer: a typed reader that quotes the best-supported sentences.

No model writes anything. The question's answer type ("how many" → a count, "which body" →
an organisation, "when" → a date) is read from its words; every retrieved sentence is scored
by the question terms it covers, its neighbours' coverage, whether it names something of the
asked type that the question does not already name, and its retrieval rank. The answer opens
with a short direct answer (a span of the best sentence: "3,455 individuals", "from July 27 to
October 14", "the Cambodia Online Scam Response Committee"), then quotes the supporting
sentences, each cited with its exact offsets.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterator, Set
from dataclasses import dataclass, field

from bot.answering.base import NOT_FOUND, AnswerRequest
from bot.answering.question import Question, stems, words
from bot.answering.spans import LABELS_FOR, TypedSpan, entity_spans, join_list, typed_spans
from bot.grounding.citations import CitationBuilder, renumber, verify
from bot.grounding.figures import find_figures
from bot.types import Answer, ShortAnswer
from index import STOPWORDS, Hit, split_sentences

# "The authorities did not disclose ..." answers a question by saying the figure is unknown.
_NOT_DISCLOSED = re.compile(
    r"(?i)\b(did not|didn't|do not|does not|would not|declined to|refused to) "
    r"(disclose|reveal|say|specify|give|provide|release|confirm)|\bnot (been )?(disclosed|"
    r"revealed|released|made public|known|available|specified|confirmed)\b|\bundisclosed\b|"
    r"\bunknown\b|\bunclear\b"
)
_INSTRUCTION = re.compile(
    r"(?i)\b(ignore|disregard|forget)\s+(all\s+|any\s+)?(the\s+)?(previous|prior|above|earlier|"
    r"your)\s+(instructions|prompts?|rules)\b"
)
_CAPITALISED = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-z]+(?:\s+[A-Z][a-z]+)*")
# Share of the question's term weight a sentence must cover to answer it (calibrated on the
# RealTimeQA dev questions with even ids; see docs/benchmarks.md).
STRICT_THRESHOLD = 0.5  # figures and dates: the figure must sit among the asked-about terms
SUPPORT_THRESHOLD = 0.2
TYPE_BONUS = 1.0  # the sentence names something of the asked type the question doesn't
NEIGHBOUR_WEIGHT = 0.4
NEIGHBOUR_SUPPORT = 0.5  # a sentence is on topic when its neighbours are ("the joint operation")
RANK_PRIOR = 0.3
SECOND_RATIO = 0.5  # quote further sentences scoring within this share of the best
ENTITY_SHARE = 0.67  # of the entities the question names, the share its passage must name (floor)
LEAD = 0.1  # a report's opening sentences: news puts the main fact first
LEAD_CHARS = 300
TITLE_SPAN = 1.4  # a span of the asked type that its report's title names too
HEAD_MATCH = 1.25  # a count of the very thing asked about ("how many countries")
TYPED_POOL = 24  # sentences read for typed spans per question: the best before the type bonus
NER_POOL = 12  # … of which this many are read by the entity model (the rest by regex)


@dataclass
class Candidate:
    """A sentence of a retrieved chunk, located in its document, with its score."""

    hit: Hit
    hit_rank: int
    start: int  # offsets in the document text
    end: int
    text: str
    coverage: float = 0.0
    score: float = 0.0
    fits_type: bool = False
    passage_stems: set[str] = field(default_factory=set)
    neighbour: float = 0.0  # the best coverage of the sentences around it
    around: set[str] = field(default_factory=set)  # stems of the sentences around it
    stems: set[str] = field(default_factory=set)
    answers: list[tuple[float, TypedSpan]] = field(default_factory=list)  # typed, new spans
    title_stems: set[str] = field(default_factory=set)  # its report title's, less the question's


def candidates(hits: list[Hit]) -> list[Candidate]:
    """Every sentence of the retrieved chunks, once (chunks overlap), in rank order."""
    seen: set[tuple[str, int]] = set()
    out: list[Candidate] = []
    for rank, hit in enumerate(hits):
        base = hit.chunk.start
        passage = stems(hit.chunk.text)
        for s, e in split_sentences(hit.chunk.text):
            key = (hit.document.doc_id, base + s)
            if key in seen:
                continue
            seen.add(key)
            if _INSTRUCTION.search(hit.chunk.text[s:e]):
                continue  # an instruction planted for a model is not an answer to quote
            out.append(
                Candidate(hit, rank, base + s, base + e, hit.chunk.text[s:e], passage_stems=passage)
            )
    return out


def _names_something_new(question: Question, text: str) -> bool:
    """A name the question does not already contain: what an answer usually adds."""
    return any(not (stems(m.group()) <= question.terms.keys()) for m in _CAPITALISED.finditer(text))


def _is_headline(text: str) -> bool:
    return not text.rstrip().endswith((".", "!", "?", '"', "”", "’", "'")) and len(words(text)) < 15


def _neighbour_coverage(cands: list[Candidate]) -> list[float]:
    """For each sentence, the best coverage of the sentences just before and after it."""
    by_doc: dict[str, list[int]] = {}
    for i, c in enumerate(cands):
        by_doc.setdefault(c.hit.document.doc_id, []).append(i)
    out = [0.0] * len(cands)
    for idx in by_doc.values():
        idx.sort(key=lambda i: cands[i].start)
        for a, b in itertools.pairwise(idx):
            if cands[b].start - cands[a].end <= 2:  # adjacent in the report
                out[a] = max(out[a], cands[b].coverage)
                out[b] = max(out[b], cands[a].coverage)
                cands[a].around |= cands[b].stems
                cands[b].around |= cands[a].stems
    return out


def _is_new(question: Question, text: str, span: TypedSpan) -> bool:
    """Does the span say something the question doesn't already (a name, figure or date)?"""
    piece = text[span.start : span.end]
    if span.label in ("COUNT", "MONEY", "PERCENT"):
        asked = {f.value for f in find_figures(question.ask)}
        return not ({f.value for f in find_figures(piece)} <= asked)
    if span.label == "DATE":
        return piece.lower() not in question.ask.lower()
    own = stems(piece)
    return bool(own) and len(own - question.terms.keys()) * 2 >= len(own)


_TITLE_SITE = re.compile(r"\s+[|–—-]\s+[^|–—-]*$")  # " | CNN Business": the site, not the story
_RANGE = re.compile(r"\b(to|and|through|until)\b|[-–]")
_DURATION = re.compile(r"(?i)[\s-](second|minute|hour|day|week|month|year|decade|centur)")
_PART_OF = re.compile(r"(?i)\b(including|among them|of whom|of which|among)\s+$")


def _span_weight(question: Question, text: str, span: TypedSpan, weight: float) -> float:
    """Exact figures over approximate ones; a figure that counts a part ("including 476
    women") below the whole; for "start and end", a date range over a single date."""
    piece = text[span.start : span.end]
    if span.label in ("COUNT", "MONEY", "PERCENT"):
        if (
            not piece[:1].isdigit()
            and piece[:1] not in "$€£¥₩₹"
            and re.match(
                r"(?i)(more|less|fewer|at|up|about|around|nearly|almost|over|some|roughly|"
                r"approximately|an|as|just|under)\b",
                piece,
            )
        ):
            weight *= 0.85
        if _PART_OF.search(text[max(0, span.start - 14) : span.start]):
            weight *= 0.6
        unit = _DURATION.search(piece)
        if unit and not (question.head and question.head.lower().startswith(unit.group(1))):
            weight *= 0.4  # "a three-month crackdown" measures time, not what was counted
    if question.wants_range and span.label == "DATE":
        weight *= 1.5 if _RANGE.search(piece) else 0.3
    if question.head and span.label == "COUNT" and stem_of(question.head) in stems(piece):
        weight *= HEAD_MATCH  # "20 different countries" for "how many countries"
    return weight


_NAME = r"(?:[“\"‘][^”\"’]{1,60}[”\"’]|[A-Z][\w'’&.-]*(?:\s+(?:of\s+|de\s+|&\s+)?[A-Z][\w'’&.-]*)*)"
_NAMED_AFTER = re.compile(
    r"(?:\s*,)?\s+(?:(?:is|was|are|were|called|named|dubbed|known as|titled|of)\s+)?(?:the\s+)?"
    + _NAME
)
_NAMED_BEFORE = re.compile(_NAME + r"\s+$")
_ARTICLE_BEFORE = re.compile(r"(?i)\b(?:the|a|an|its|their|this|new)\s+$")
APPOSITIVE = 1.0  # weight of a name next to the noun asked for ("the virus RSV")


def appositive_spans(question: Question, text: str) -> list[TypedSpan]:
    """Names standing next to the noun a "what/which + noun" question asks for: "the slogan is
    “Safer with Susan”", "a virus called RSV", "the DART mission" (offsets in the sentence).
    A name the question already gives is no answer."""
    if not question.head or question.atype != "general":
        return []
    head = stem_of(question.head)
    out: list[TypedSpan] = []
    for m in re.finditer(r"[^\W_]+", text):
        if stem_of(m.group()) != head:
            continue
        after = _NAMED_AFTER.match(text, m.end())
        if after:
            name = re.search(_NAME + r"$", after.group())
            if name:
                out.append(TypedSpan(m.end() + name.start(), after.end(), "APPOS"))
        before = _NAMED_BEFORE.search(text[: m.start()])
        if before and before.start() > 0:  # a capital opening the sentence is no name
            out.append(TypedSpan(before.start(), m.start() - 1, "APPOS"))
    return [sp for sp in out if _is_new(question, text, sp)]


def typed_answers(question: Question, c: Candidate, names: list[TypedSpan] | None) -> None:
    """The candidate's spans of the asked type that the question does not name, weighted."""
    labels = LABELS_FOR.get(question.atype, {})
    c.answers = []
    for span in typed_spans(c.text, names):
        weight = labels.get(span.label, 0.0)
        if weight and _is_new(question, c.text, span):
            weight = _span_weight(question, c.text, span, weight)
            own = stems(c.text[span.start : span.end])
            if own and own <= c.title_stems:
                weight *= TITLE_SPAN  # the report's title names it too: what the report is about
            c.answers.append((weight, span))
    c.fits_type = bool(c.answers)


def score(
    question: Question,
    cands: list[Candidate],
    prefer_docs: Set[str] = frozenset(),
    ner: bool = True,
) -> None:
    """Score each candidate in place: IDF-weighted term coverage, its neighbours' coverage,
    a bonus for naming something of the asked type, a retrieval-rank prior."""
    n = len(cands) or 1
    for c in cands:
        c.stems = stems(c.text)
        c.around = set()
    df = {t: sum(t in c.stems for c in cands) for t in question.terms}
    # Terms no candidate contains can't tell candidates apart; a missing entity is caught
    # by supports() instead.
    weights = {
        t: w * math.log(1 + n / (1 + df[t])) * (1.5 if t in question.entities else 1.0)
        for t, w in question.terms.items()
        if df[t]
    }
    total = sum(weights.values()) or 1.0
    for c in cands:
        c.coverage = sum(w for t, w in weights.items() if t in c.stems) / total
    neighbours = _neighbour_coverage(cands)
    titles: dict[str, set[str]] = {}
    for c, nb in zip(cands, neighbours, strict=True):
        c.neighbour = nb
        doc = c.hit.document
        if doc.doc_id not in titles:
            titles[doc.doc_id] = stems(_TITLE_SITE.sub("", doc.title or "")) - question.terms.keys()
        c.title_stems = titles[doc.doc_id]
        c.score = (
            (LEAD if c.start < LEAD_CHARS else 0.0)
            + c.coverage
            + NEIGHBOUR_WEIGHT * nb
            + RANK_PRIOR / (1 + c.hit_rank)
            + (0.1 if c.hit.document.doc_id in prefer_docs else 0.0)
            - (0.15 if _is_headline(c.text) else 0.0)
        )
        c.fits_type = question.atype == "general"
        c.answers = []
    if question.atype == "general":
        for c in sorted(cands, key=lambda c: -c.score)[:TYPED_POOL]:
            c.answers = [(APPOSITIVE, sp) for sp in appositive_spans(question, c.text)]
            if c.answers:
                c.score += TYPE_BONUS * APPOSITIVE
        return
    pool = sorted(cands, key=lambda c: -c.score)[:TYPED_POOL]
    # Figures and dates are read by regular expressions; the entity model runs only when the
    # question asks for a name, and only on the best sentences by coverage (it costs ~5 ms a
    # sentence on a busy core).
    wants_names = ner and question.atype not in ("count", "money", "percent", "date")
    names = entity_spans(c.text for c in pool[:NER_POOL]) if wants_names else {}
    for c in pool:
        typed_answers(question, c, names.get(c.text))
    if question.wants_range and any(
        _RANGE.search(c.text[sp.start : sp.end]) for c in pool for _, sp in c.answers
    ):  # a range answers "when did it start and end?"; a single date does not
        for c in pool:
            c.answers = [(w, sp) for w, sp in c.answers if _RANGE.search(c.text[sp.start : sp.end])]
            c.fits_type = bool(c.answers)
    for c in pool:
        if c.answers:
            c.score += TYPE_BONUS * max(w for w, _ in c.answers)


def supports(question: Question, c: Candidate) -> bool:
    """Does the sentence answer the question: enough of its terms (its neighbours' count for
    half: "the joint operation" after "the crackdown"), a span of the asked type, something
    of what the question says happened when it names an entity, and every entity it names
    somewhere in the sentence's passage or report title?

    Figures and dates need more of the question's terms: a number is only an answer when it
    counts what was asked about.
    """
    strict = question.qtype in ("quantity", "date")
    covered = c.coverage + NEIGHBOUR_SUPPORT * c.neighbour
    if covered < (STRICT_THRESHOLD if strict else SUPPORT_THRESHOLD) or not c.fits_type:
        return False
    if question.context_terms and not question.context_terms & (c.stems | c.around):
        return False  # a follow-up stays on the conversation's subject (here or next to it)
    predicate = {t for t, w in question.terms.items() if w >= 1.0} - question.entities
    if strict and question.entities and predicate and not predicate & (c.stems | c.around):
        # A figure next to the name asked about, in a passage saying nothing of what the
        # question says happened ("two Korean women" for "how many Korean nationals were
        # arrested?"), counts something else.
        return False
    if not question.entities:
        return True
    where = c.stems | stems(c.hit.document.title or "") | c.passage_stems
    prefixes = {w[:5] for w in where if len(w) >= 5}
    found = sum(e in where or (len(e) >= 5 and e[:5] in prefixes) for e in question.entities)
    return found >= math.floor(ENTITY_SHARE * len(question.entities))


def _about_asked(question: Question, c: Candidate) -> float:
    """How much of the question a non-disclosure clause is about (0 when it is not one)."""
    m = _NOT_DISCLOSED.search(c.text)
    if not m:
        return 0.0
    clause = stems(c.text[m.start() :])
    weight = {t: w * (1.5 if t in question.entities else 1.0) for t, w in question.terms.items()}
    total = sum(weight.values()) or 1.0
    return sum(w for t, w in weight.items() if t in clause) / total


def not_disclosed(
    question: Question, cands: list[Candidate], strict: bool = False
) -> Candidate | None:
    """A sentence saying the asked-for fact was not disclosed, if it is about the thing asked.

    strict: the undisclosed thing names every entity of the question (or its head noun), so
    it outranks a sentence that merely shares words ("How many Cambodians were arrested?" /
    "… did not disclose … the number of Cambodian nationals apprehended").
    """
    best: Candidate | None = None
    best_share = 0.0
    for c in cands:
        share = _about_asked(question, c)
        if share < 0.5 or share <= best_share:
            continue
        if strict:
            m = _NOT_DISCLOSED.search(c.text)
            assert m is not None
            clause = stems(c.text[m.start() :])
            named = set(question.entities)
            if not named and question.head and _head_is_subject(question):
                named = {stem_of(question.head)}
            if not named or not named <= clause:
                continue
        best, best_share = c, share
    return best


def _head_is_subject(question: Question) -> bool:
    """Is the head a noun the question names before its verb ("how many people were …")?"""
    if not question.head:
        return False
    low = question.ask.lower()
    at = low.find(question.head)
    verb = re.search(r"\b(were|was|are|is|did|do|does|have|has|had|will)\b", low)
    return at >= 0 and (verb is None or at < verb.start())


def stem_of(word: str) -> str:
    found = stems(word)
    return next(iter(found)) if found else word.lower()


def select(question: Question, cands: list[Candidate], max_sentences: int) -> list[Candidate]:
    """The supporting sentences to quote: the best, then close seconds from elsewhere."""
    ranked = sorted((c for c in cands if supports(question, c)), key=lambda c: -c.score)
    chosen: list[Candidate] = []
    asked = {t for t, w in question.terms.items() if w >= 1.0}
    for c in ranked:
        if len(chosen) >= max_sentences:
            break
        if chosen and c.score < SECOND_RATIO * chosen[0].score:
            break
        if any(c.text == o.text for o in chosen) or (chosen and _is_headline(c.text)):
            continue
        if chosen and asked and not asked & c.stems:
            continue  # a second quote must speak of what this question asks, not the last one
        chosen.append(c)
    if (
        chosen
        and question.atype == "general"
        and not _names_something_new(question, chosen[0].text)
    ):
        # The best sentence only restates the question ("Here's what we know about X."):
        # the sentence after it usually carries the answer.
        following = _next_sentence(chosen[0], cands)
        if following is not None and all(following.text != o.text for o in chosen):
            chosen.insert(1, following)
    return chosen[:max_sentences]


def _tidy(text: str, start: int, end: int) -> tuple[int, int]:
    """Trim a span: no leading article, no unbalanced bracket or quote, no end punctuation."""
    piece = text[start:end]
    if "(" in piece and ")" not in piece:
        end = start + piece.index("(")
    elif ")" in piece and "(" not in piece:
        end = start + piece.index(")")
    while end > start and text[end - 1] in " ,;:.'’\"”(":
        if text[end - 1] in '”"’' and text[start] in '“"‘' and end - start > 2:
            break  # a quoted title keeps its quotes
        if text[end - 1] == "." and re.search(r"\b[A-Z][a-z]?\.$|\b(?:Jr|Sr|Inc|Co|Ltd|St)\.$",
                                               text[start:end]):  # fmt: skip
            break
        end -= 1
    m = re.match(r"(?i)(?:the|a|an)\s+", text[start:end])
    if m and end - start > m.end():
        start += m.end()
    while start < end and text[start] in " ,;:(":
        start += 1
    return start, end


_LIST_AFTER = re.compile(
    r"(?i)\b(?:including|such as|namely)\s+([^.;:()]+?)(?=[.;:()]|,? (?:and are|which|who|while|"
    r"but)\b|$)"
)


def short_span(question: Question, c: Candidate, ner: bool = True) -> tuple[int, int] | None:
    """The direct answer inside the best sentence (offsets in the sentence), if one stands out.

    Of the spans of the asked type the question does not name, the one whose noun is the
    question's head ("476 women" for "how many … women"), else the one nearest the question's
    words in the sentence; a list it heads is taken whole ("Sweden and Finland"). A question
    of no particular type gets the list the sentence gives ("including computers, …") or a
    new name, else none (the quote answers it).
    """
    text = c.text
    answers = c.answers
    if question.atype == "general" and not answers:
        m = _LIST_AFTER.search(text)
        if m and len(m.group(1).split()) <= 14 and not stems(m.group(1)) <= question.terms.keys():
            return _tidy(text, m.start(1), m.end(1))
        # A name only when a name is asked for ("What was the name of the mission?"), or a
        # quoted title: a nearby name is too often not the answer to "what did X do?".
        asks_name = bool(re.search(r"(?i)\bname[sd]?\b|\bcalled\b|\btitle[sd]?\b", question.ask))
        names = entity_spans([text])[text] if ner else typed_spans(text, None)
        answers = [(1.0, sp) for sp in names
                   if (sp.label == "TITLE" or (asks_name and sp.label not in (
                       "COUNT", "DATE", "MONEY", "PERCENT", "NORP")))
                   and _is_new(question, text, sp)]  # fmt: skip
    if not answers:
        return None
    anchors = [m.start() for m in re.finditer(r"[^\W_]+", text)
               if stem_of(m.group()) in question.terms]  # fmt: skip
    head = stem_of(question.head) if question.head else None

    def rank(item: tuple[float, TypedSpan]) -> float:
        weight, span = item
        piece = stems(text[span.start : span.end])
        dist = min((abs(a - span.start) for a in anchors), default=200)
        return weight + (1.0 if head and head in piece else 0.0) - min(dist, 200) / 200

    _, best = max(answers, key=rank)
    if best.label not in ("COUNT", "MONEY", "PERCENT", "DATE"):
        plural = bool(question.head and question.head.endswith("s")) or bool(
            re.search(r"(?i)\b(which|what) (two|three|four|both)\b", question.ask)
        )
        if plural:
            best = join_list(text, [s for _, s in answers], best)
    start, end = best.start, best.end
    if best.label == "NORP":  # "two Korean women": the people, not the adjective
        before = re.search(r"(?i)\b(?:\d[\d,]*|[a-z]+-?[a-z]*)\s+$", text[:start])
        after = re.match(r"\s+[a-z]+\b", text[end:])
        if after:
            end += after.end()
            if before and find_figures(before.group()):
                start = before.start()
    start, end = _tidy(text, start, end)
    return (start, end) if end > start else None


def _next_sentence(c: Candidate, cands: list[Candidate]) -> Candidate | None:
    same_doc = [o for o in cands if o.hit.document.doc_id == c.hit.document.doc_id]
    after = [o for o in same_doc if o.start >= c.end]
    return min(after, key=lambda o: o.start, default=None)


def _claim_values(text: str) -> set[str | float]:
    """What a sentence asserts that could be wrong: its names (capitalised words not opening
    the sentence) and the values of its figures."""
    names: set[str | float] = {m.group().lower() for m in _CAPITALISED.finditer(text)}
    return names | {f.value for f in find_figures(text)}


def same_claim_other_values(a: str, b: str, shared: float = 0.6) -> bool:
    """Do two sentences make the same claim with different names or figures?

    Most of their content words are shared, and each names or counts something the other
    doesn't: two reports disagreeing on a fact, not two sentences saying different things.
    """
    wa = {w.lower() for w in words(a)} - STOPWORDS
    wb = {w.lower() for w in words(b)} - STOPWORDS
    if not wa or not wb or len(wa & wb) / min(len(wa), len(wb)) < shared:
        return False
    va, vb = _claim_values(a), _claim_values(b)

    def only_in(values: set[str | float], other: set[str | float], text: str) -> bool:
        # A name the other sentence has too (in any case, "Spirit" opening it) is no difference.
        low = text.lower()
        return any(not (isinstance(v, str) and v in low) for v in values - other)

    return only_in(va, vb, b) and only_in(vb, va, a)


class ExtractiveAnswerer:
    """Answers with a short direct answer and the best-supported sentences, quoted and cited."""

    mode = "extractive"

    def __init__(self, max_sentences: int = 3, ner: bool = True) -> None:
        self.max_sentences = max_sentences
        self.ner = ner  # names from spaCy's entity recogniser (when installed), else regex

    def answer(self, request: AnswerRequest) -> Answer:
        question = Question.parse(request.question, request.context)
        cands = candidates(request.hits)
        score(question, cands, request.prefer_docs, self.ner)
        chosen = select(question, cands, self.max_sentences)
        builder = CitationBuilder()
        undisclosed = not_disclosed(question, cands, strict=True)
        if undisclosed is not None and (
            not chosen or _about_asked(question, undisclosed) >= chosen[0].coverage
        ):
            return self._abstain(question, cands, builder, undisclosed)
        if not chosen:
            return self._abstain(question, cands, builder)
        conflict = self._conflicting(question, cands, chosen)
        short: ShortAnswer | None = None
        if conflict:
            lines = [
                "The reports give different figures:"
                if question.qtype == "quantity"
                else "The reports differ:"
            ]
            for c in conflict:
                n = builder.cite(c.hit, c.start, c.end)
                who = ", ".join(p for p in (c.hit.document.source, c.hit.document.published) if p)
                lines.append(f"- {who or c.hit.document.title or 'a report'}: {c.text} [{n}]")
            text = "\n".join(lines)
        else:
            best = chosen[0]
            text = " ".join(f"{c.text} [{builder.cite(c.hit, c.start, c.end)}]" for c in chosen)
            span = short_span(question, best, self.ner)
            if span is not None:
                s, e = span
                short = ShortAnswer(best.text[s:e], 1, best.start + s, best.start + e)
                if short.text.strip() != best.text.strip():
                    text = f"{short.text} [1]\n{text}"
        text, verification = verify(text, builder.citations)
        text, citations = renumber(text, builder.citations)
        if short is not None:
            best = chosen[0]
            number = next(
                (
                    c.n
                    for c in citations
                    if (c.doc_id, c.start, c.end)
                    == (best.hit.document.doc_id, best.start, best.end)
                ),
                None,
            )
            short = (
                None if number is None else ShortAnswer(short.text, number, short.start, short.end)
            )
        return Answer(text, False, citations, "extractive", verification, short_answer=short)

    def stream(self, request: AnswerRequest) -> Iterator[str | Answer]:
        answer = self.answer(request)
        yield answer.answer
        yield answer

    def _abstain(
        self,
        question: Question,
        cands: list[Candidate],
        builder: CitationBuilder,
        undisclosed: Candidate | None = None,
    ) -> Answer:
        """Say plainly that the reports don't answer; quote a non-disclosure about the thing
        asked, show the closest passages."""
        text = NOT_FOUND
        if undisclosed is None:
            undisclosed = not_disclosed(question, cands)
        if undisclosed is not None:
            n = builder.cite(undisclosed.hit, undisclosed.start, undisclosed.end)
            text += f" The reports say it was not disclosed: {undisclosed.text} [{n}]"
        closest = sorted(cands, key=lambda c: -c.score)[:2]
        refs = [builder.cite(c.hit, c.start, c.end) for c in closest if c is not undisclosed]
        if refs:
            text += " Closest passages: " + " ".join(f"[{n}]" for n in refs) + "."
        text, citations = renumber(text, builder.citations)
        return Answer(text, True, citations, "extractive")

    @staticmethod
    def _conflicting(
        question: Question, cands: list[Candidate], chosen: list[Candidate]
    ) -> list[Candidate]:
        """The best sentence of each report when the reports disagree, newest report first.

        Figure questions: the reports' best sentences share no figure. Any question: two
        reports make the same claim (most words shared) with different names or figures in
        it ("... at Raymond James Stadium in Tampa" / "... in Glendale"). Empty when the
        reports agree or only one report answers.
        """
        best_per_doc: dict[str, Candidate] = {}
        floor = 0.75 * chosen[0].score
        for c in sorted(cands, key=lambda c: -c.score):
            if c.score >= floor and supports(question, c):
                best_per_doc.setdefault(c.hit.document.doc_id, c)
        if len(best_per_doc) < 2:
            return []
        # The same claim (most content words shared) with other names or figures: for a
        # figure question, figures no report shares.
        top, *others = best_per_doc.values()
        differing = [top, *(c for c in others if same_claim_other_values(top.text, c.text, 0.5))]
        if len(differing) < 2:
            return []
        if question.qtype == "quantity":
            values = [frozenset(f.value for f in find_figures(c.text)) for c in differing]
            if frozenset.intersection(*values):  # a figure every report states: they agree
                return []
        return sorted(differing, key=lambda c: c.hit.document.published or "", reverse=True)[:4]

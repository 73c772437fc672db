"""Figures in a sentence with what they count: value, qualifier, counted noun, predicate, date.

Rules over words, no parser: a figure (from `bot.grounding.figures.find_figures`, with
thousands separators in other styles re-read here: "1.234", "1 234") is followed by the noun
phrase it counts ("2,825 foreigners"); what happened to them is the verb after that phrase
("… have already been deported"), skipping an "including 476 women" aside and prepositional
phrases, else the verb or nominalisation before the figure ("arrested more than 3,400",
"the arrest of 3,455"), else the subject of "the number of deportations rose to 4,100". A
figure inside an "including …" aside counts a subset and shares its host's verb.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

from bot.grounding.figures import find_figures
from bot.timeline.dates import Anchor, anchors, find_dates

QUALIFIERS = [
    "more than", "over", "about", "around", "nearly", "almost", "at least", "up to", "some",
    "roughly", "approximately", "fewer than", "less than", "under", "close to", "an estimated",
    "as many as", "just over", "well over", "just under", "upwards of", "in excess of",
    "at most", "no fewer than", "no less than", "estimated", "approx.", "about half",
]  # fmt: skip
_QUALIFIER = re.compile(
    r"(?i)\b(" + "|".join(re.escape(q) for q in sorted(QUALIFIERS, key=len, reverse=True))
    + r")\s+$"
)  # fmt: skip
_TOKEN = re.compile(r"[A-Za-z][A-Za-z'’]*(?:-[A-Za-z]+)*|[,;:()\u2013\u2014]|[^\sA-Za-z\d]")
_PREPS = frozenset(
    [
        "of",
        "from",
        "in",
        "on",
        "at",
        "to",
        "for",
        "with",
        "by",
        "into",
        "across",
        "since",
        "during",
        "after",
        "before",
        "over",
        "under",
        "between",
        "among",
        "per",
        "as",
        "than",
        "like",
        "within",
        "without",
        "against",
        "through",
        "throughout",
        "until",
        "via",
        "near",
        "onto",
        "toward",
        "towards",
        "amid",
    ]
)
_CONJ = frozenset(
    [
        "and",
        "or",
        "but",
        "while",
        "whereas",
        "who",
        "which",
        "that",
        "whom",
        "whose",
        "where",
        "when",
        "if",
    ]
)
_AUX = frozenset(
    [
        "have",
        "has",
        "had",
        "were",
        "was",
        "is",
        "are",
        "be",
        "been",
        "being",
        "will",
        "would",
        "could",
        "may",
        "might",
        "must",
        "shall",
        "should",
        "can",
        "do",
        "does",
        "did",
    ]
)
_DET = frozenset(
    ["the", "a", "an", "this", "these", "those", "their", "its", "his", "her", "our", "your", "my"]
)
_PRON = frozenset(["they", "them", "it", "we", "he", "she", "you", "i", "one"])
_ADV = frozenset(
    [
        "already",
        "also",
        "now",
        "still",
        "reportedly",
        "so",
        "far",
        "yet",
        "just",
        "only",
        "officially",
        "recently",
        "since",
        "then",
        "all",
        "reportedly",
        "allegedly",
        "subsequently",
        "currently",
        "previously",
        "ultimately",
        "successfully",
        "eventually",
        "formally",
        "later",
        "finally",
        "not",
        "down",
        "up",
        "out",
        "off",
        "away",
        "back",
    ]
)
_STOP = _PREPS | _CONJ | _AUX | _DET | _PRON | _ADV
_IRREGULAR = frozenset(
    [
        "brought",
        "held",
        "sent",
        "kept",
        "caught",
        "taken",
        "found",
        "put",
        "left",
        "given",
        "driven",
        "shot",
        "hit",
        "seen",
        "won",
        "lost",
        "sold",
        "bought",
        "built",
        "made",
        "paid",
        "run",
        "begun",
        "thrown",
        "known",
        "shown",
        "stolen",
        "fled",
        "led",
        "fed",
        "freed",
        "sentenced",
        "charged",
        "jailed",
    ]
)
_NOT_VERBS = frozenset(
    [
        "hundred",
        "need",
        "seed",
        "speed",
        "feed",
        "red",
        "shed",
        "bed",
        "indeed",
        "united",
        "related",
        "based",
        "aged",
        "ed",
        "wed",
        "bred",
        "steed",
        "creed",
    ]
)
_PRESENT_VERBS = frozenset(
    [
        "remain",
        "remains",
        "face",
        "faces",
        "await",
        "awaits",
        "stay",
        "stays",
        "die",
        "dies",
        "flee",
        "flees",
        "include",
        "includes",
        "work",
        "works",
        "live",
        "lives",
    ]
)
# Nominalisations that name what was done: "the arrest of 3,455", "deportations rose to …".
NOMINAL = {
    "arrest": "arrest", "arrests": "arrest", "deportation": "deport", "deportations": "deport",
    "detention": "detain", "detentions": "detain", "expulsion": "expel", "expulsions": "expel",
    "rescue": "rescu", "rescues": "rescu", "conviction": "convict", "convictions": "convict",
    "prosecution": "prosecut", "prosecutions": "prosecut", "extradition": "extradit",
    "extraditions": "extradit", "repatriation": "repatri", "repatriations": "repatri",
    "death": "die", "deaths": "die", "evacuation": "evacu", "evacuations": "evacu",
    "eviction": "evict", "evictions": "evict", "release": "releas", "releases": "releas",
    "raid": "raid", "raids": "raid", "seizure": "seiz", "seizures": "seiz",
}  # fmt: skip
_CONTAINERS = frozenset(["number", "total", "tally", "count", "figure", "toll", "sum"])
_CHANGE = frozenset(
    [
        "rose",
        "risen",
        "rise",
        "rises",
        "rising",
        "climbed",
        "climbs",
        "reached",
        "reaches",
        "reaching",
        "hit",
        "hits",
        "stood",
        "stands",
        "totalled",
        "totaled",
        "totals",
        "jumped",
        "grew",
        "grown",
        "increased",
        "increases",
        "fell",
        "fallen",
        "dropped",
        "declined",
        "surged",
        "passed",
        "topped",
        "exceeded",
        "exceeds",
        "now",
        "to",
        "at",
        "is",
        "was",
        "are",
        "were",
        "has",
        "have",
        "had",
        "stand",
        "stood",
        "bringing",
        "brought",
        "reach",
    ]
)
_SUBSET = re.compile(
    r"(?i)(?:\bincluding|\bamong\s+(?:them|whom|those)|\bof\s+whom|\bof\s+them|\bof\s+those)"
    r"\s+(?:(?:" + "|".join(re.escape(q) for q in QUALIFIERS) + r")\s+)?$"
)
_MODIFIERS = frozenset(
    [
        "different",
        "other",
        "more",
        "additional",
        "new",
        "total",
        "further",
        "some",
        "several",
        "many",
        "alleged",
        "suspected",
        "individual",
        "separate",
        "estimated",
    ]
)
_PEOPLE = frozenset(["people", "person", "persons", "individual", "individuals", "", "others"])
_FOREIGN = re.compile(
    r"^(?:foreigners?|foreign (?:nationals?|citizens?|people|individuals?|suspects?|workers?)|"
    r"non-nationals?|non-cambodians?|expatriates?)$"
)
_TIME_UNITS = frozenset(
    [
        "second",
        "seconds",
        "minute",
        "minutes",
        "hour",
        "hours",
        "day",
        "days",
        "week",
        "weeks",
        "month",
        "months",
        "year",
        "years",
        "decade",
        "decades",
        "century",
        "centuries",
        "percent",
    ]
)


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    from nltk.stem.snowball import EnglishStemmer

    return EnglishStemmer()


@lru_cache(maxsize=50_000)
def stem(word: str) -> str:
    """The Snowball stem ("deported", "deportations" → "deport"), nominalisations mapped."""
    low = word.lower()
    return NOMINAL.get(low) or str(_stemmer().stem(low))


@dataclass
class Mention:
    """One figure in a sentence, read for a timeline (offsets relative to the sentence)."""

    text: str  # the figure as written ("2,825", "Seventy-five", "3,000 to 3,500")
    value: float
    start: int
    end: int
    high: float | None = None  # the upper end of a range
    qualifier: str | None = None  # "more than", "about", "over" … (kept as written, lowercased)
    noun: str = ""  # what is counted, normalised ("foreigners", "women", "" for people)
    noun_text: str = ""  # as written
    predicate: str = ""  # stem of what happened to them ("deport"); "" when none was found
    predicate_text: str = ""  # as written ("deported", "brought to trial")
    relation: str = ""  # "from" for "3,455 arrested from 20 countries": the 20 counts countries
    subset: bool = False  # inside an "including …" aside
    unit: str = ""  # "%", "$" …
    as_of: date | None = None
    since: date | None = None
    host: int | None = field(default=None, repr=False)  # index of the mention it qualifies
    earlier: bool = False  # "up from 2,825": a figure the report gives for an earlier day

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.predicate, self.noun, self.relation, self.unit)


@dataclass
class _Tok:
    kind: str  # "fig", "date", "word", "punct"
    text: str
    start: int
    end: int
    fig: int = -1  # index into the figure list

    @property
    def low(self) -> str:
        return self.text.lower()


def _is_verb(tok: _Tok, following: _Tok | None) -> bool:
    """A past participle / verb ending a noun phrase ("remained", "Deported", "brought")."""
    if tok.kind != "word":
        return False
    w = tok.low
    if w in _NOT_VERBS or w in _STOP:
        return False
    verbish = w in _IRREGULAR or w in _PRESENT_VERBS or (len(w) > 3 and w.endswith("ed"))
    if not verbish:
        return False
    # "detained foreigners": a participle before a noun is a modifier, not the verb.
    return not (
        following is not None
        and following.kind == "word"
        and following.low not in _STOP
        and not _is_verb_simple(following.low)
        and w not in _PRESENT_VERBS
        and not following.text[:1].isupper()
    )


def _is_verb_simple(w: str) -> bool:
    return w in _IRREGULAR or w in _PRESENT_VERBS or (len(w) > 3 and w.endswith("ed"))


def _merge_separators(text: str, figs: list[Any]) -> list[tuple[str, float, int, int]]:
    """(text, value, start, end) per figure, with "1 234" joined and "1.234" read as 1234."""
    out: list[tuple[str, float, int, int]] = []
    for f in figs:
        ftext, value, start, end = f.text, float(f.value), f.start, f.end
        if (
            out
            and re.fullmatch(r"\d{3}", ftext)
            and re.fullmatch(r"\d{1,3}(?:[ \u00a0\u202f]\d{3})*", out[-1][0])
            and re.fullmatch(r"[ \u00a0\u202f]", text[out[-1][3] : start])
        ):
            prev = out.pop()
            merged = text[prev[2] : end]
            out.append((merged, prev[1] * 1000 + value, prev[2], end))
            continue
        if re.fullmatch(r"\d{1,3}(?:\.\d{3})+", ftext) and not re.match(
            r"\s*(?:%|percent|per cent|million|billion|bn|mn|m\b|k\b)", text[end:], re.I
        ):
            value = float(ftext.replace(".", ""))
        out.append((ftext, value, start, end))
    return out


def _tokens(text: str, figs: list[tuple[str, float, int, int]], dates: list[Any]) -> list[_Tok]:
    spans: list[tuple[int, int, str, int]] = [(d.start, d.end, "date", -1) for d in dates]
    spans += [(s, e, "fig", i) for i, (_, _, s, e) in enumerate(figs)]
    spans.sort()
    toks: list[_Tok] = []
    pos = 0
    for s, e, kind, i in spans:
        if s < pos:
            continue
        toks.extend(_words(text, pos, s))
        toks.append(_Tok(kind, text[s:e], s, e, i))
        pos = e
    toks.extend(_words(text, pos, len(text)))
    return toks


def _words(text: str, lo: int, hi: int) -> list[_Tok]:
    return [
        _Tok("word" if m.group()[0].isalpha() else "punct", m.group(), lo + m.start(), lo + m.end())
        for m in _TOKEN.finditer(text[lo:hi])
    ]


def _normal_noun(words: list[str]) -> str:
    kept = [w.lower() for w in words if w.lower() not in _MODIFIERS]
    phrase = " ".join(kept)
    if _FOREIGN.match(phrase):
        return "foreigners"
    if phrase in _PEOPLE:
        return ""
    return phrase


def _noun_phrase(toks: list[_Tok], i: int) -> tuple[list[_Tok], int]:
    """The words after token i that name what the figure counts; the index after them."""
    j = i + 1
    words: list[_Tok] = []
    if j < len(toks) and toks[j].kind == "word" and toks[j].low == "of":  # "75 of the accused"
        j += 1
        while j < len(toks) and toks[j].kind == "word" and toks[j].low in _DET:
            j += 1
    while j < len(toks) and len(words) < 4:
        t = toks[j]
        nxt = toks[j + 1] if j + 1 < len(toks) else None
        if t.kind != "word" or t.low in _STOP or _is_verb(t, nxt):
            break
        words.append(t)
        j += 1
    return words, j


def _skip_aside(toks: list[_Tok], j: int) -> int:
    """After ", including 476 women," or "(…)" or "from 20 countries": where the clause resumes."""
    while j < len(toks):
        t = toks[j]
        if t.text == "(":
            depth = 0
            while j < len(toks):
                depth += toks[j].text == "("
                depth -= toks[j].text == ")"
                j += 1
                if depth == 0:
                    break
            continue
        if t.text == "," and j + 1 < len(toks) and toks[j + 1].low in {
            "including", "among", "mostly", "mainly", "most", "many", "some", "all", "both",
            "each",
        }:  # fmt: skip
            k = j + 1
            while k < len(toks) and toks[k].text not in {",", ";", ":", ")"}:
                k += 1
            if k < len(toks) and toks[k].text == ",":
                j = k + 1
                continue
            return len(toks)
        if t.kind == "word" and t.low in _PREPS and t.low not in {"to", "by", "than", "as"}:
            k = j + 1
            n = 0
            while k < len(toks) and n < 5:
                u = toks[k]
                if u.kind in ("fig", "date") or (
                    u.kind == "word"
                    and (u.low in _DET or u.low not in _STOP)
                    and not _is_verb(u, toks[k + 1] if k + 1 < len(toks) else None)
                ):
                    k += 1
                    n += 1
                    continue
                break
            if n:
                j = k
                continue
        return j
    return j


def _verb_after(toks: list[_Tok], j: int) -> tuple[str, int] | None:
    """The verb (as written, with "to trial"-like complements) starting the predicate at j."""
    j = _skip_aside(toks, j)
    n = 0
    while j < len(toks) and n < 6:
        t = toks[j]
        if t.kind != "word":
            return None
        if t.low in _AUX or t.low in _ADV:
            j += 1
            n += 1
            continue
        nxt = toks[j + 1] if j + 1 < len(toks) else None
        if t.low in _LINKING and nxt is not None and _is_verb(nxt, None):
            return nxt.text + _complement(toks, j + 2), j + 1  # "remain displaced"
        if _is_verb(t, None) or t.low in _PRESENT_VERBS:
            return t.text + _complement(toks, j + 1), j
        if t.low in {"in", "under"} and j + 1 < len(toks) and toks[j + 1].kind == "word":
            obj = toks[j + 1].low
            if obj in {"custody", "detention", "prison", "jail", "hospital"}:
                return f"{t.low} {obj}", j
        return None
    return None


_EARLIER = re.compile(r"(?i)\b(?:up|down|rising|falling)\s+from\s+$|\bcompared\s+(?:with|to)\s+$")
_LINKING = frozenset(["remain", "remains", "remained", "stay", "stays", "stayed", "left"])
# Verbs that count the same thing: a "people killed" series takes "died", "deaths" and "the
# death toll"; "displaced" takes "forced from their homes".
_CLASSES = {"die": "kill", "dead": "kill", "death": "kill", "fatal": "kill", "homeless": "displac"}
_DISPLACED = re.compile(r"(?i)^(?:forced|driven)\s+(?:from|out\s+of)\s+(?:their\s+)?homes?\b")


def predicate_class(text: str) -> str:
    """What a predicate counts, as a stem shared by its synonyms ("died" → "kill")."""
    if not text:
        return ""
    if _DISPLACED.match(text):
        return "displac"
    first = stem(text.split()[0])
    return _CLASSES.get(first, first)


def _complement(toks: list[_Tok], j: int) -> str:
    """ "to trial", "in detention", "from their homes": a lowercase object after the verb."""
    if j + 1 < len(toks) and toks[j].low == "from":
        words = [t.low for t in toks[j + 1 : j + 3]]
        if words[:1] == ["homes"] or words == ["their", "homes"]:
            return " from " + " ".join(words[: words.index("homes") + 1])
    if j + 1 < len(toks) and toks[j].low in {"to", "in", "into", "on"}:
        obj = toks[j + 1]
        if (
            obj.kind == "word"
            and obj.text.islower()
            and obj.low not in _STOP
            and obj.low in {"trial", "court", "detention", "custody", "prison", "jail", "bail",
                            "hospital", "death", "safety", "shelters"}
        ):  # fmt: skip
            return f" {toks[j].low} {obj.text}"
    return ""


_BOUNDARY_WORDS = frozenset(["while", "whereas", "but", "and", "that"])


def _verb_before(toks: list[_Tok], i: int) -> str | None:
    """A verb or "the <nominal> of" just before the figure, within its clause."""
    j = i - 1
    n = 0
    while j >= 0 and n < 8:
        t = toks[j]
        if t.kind == "punct" or (t.kind == "word" and t.low in _BOUNDARY_WORDS and n > 0):
            return None
        if t.kind == "word":
            if t.low in NOMINAL and j + 1 < i and toks[j + 1].low == "of":
                return t.text
            if t.low not in _STOP and t.low not in _CHANGE and _is_verb_simple(t.low):
                return t.text
            if t.low in _CONTAINERS:
                return None
        j -= 1
        n += 1
    return None


def _subject_before(toks: list[_Tok], i: int) -> tuple[list[_Tok], str] | None:
    """ "the number of foreigners deported rose to 4,100" → ([foreigners], "deported");
    "the death toll from floods in Lumeria rose to 58" → ([], "death toll")."""
    j = i - 1
    while (
        j >= 0
        and toks[j].kind == "word"
        and (
            toks[j].low in _CHANGE
            or toks[j].low in _ADV
            or toks[j].low in {"to", "at", "of", "from"}
        )
    ):
        j -= 1
    if j == i - 1:
        return None  # no "rose to": a verb before the figure acts on it ("killed seven")
    end = j
    while j >= 0 and toks[j].kind == "word" and toks[j].low not in _STOP | _CONTAINERS:
        j -= 1
    words = toks[max(j + 1, end - 2) : end + 1]  # the head of the subject: three words at most
    noun: list[_Tok] = []
    pred = ""
    for w in words:
        if w.low in NOMINAL:
            pred = w.text
            noun = []  # "flood deaths": what precedes the nominal only qualifies it
        elif _is_verb_simple(w.low):
            pred = pred or w.text
        elif not pred or not w.text[:1].isupper():
            noun.append(w)
    if pred:
        return noun, pred
    # Across prepositional phrases to the head of the clause: "the death toll from …".
    k, n = j, 0
    while k >= 0 and n < 12 and toks[k].kind == "word":
        if toks[k].low == "toll":
            return [], "death toll"
        if toks[k].low in NOMINAL and toks[k].low not in {"raid", "raids"}:
            return [], toks[k].text
        k -= 1
        n += 1
    return None


def _year_like(text: str, figure_text: str, end: int) -> bool:
    """ "during a 2019 shooting", "in 2022": a year, unless a plural follows ("2000 people")."""
    if not re.fullmatch(r"(?:19|20)\d{2}", figure_text):
        return False
    after = re.match(r"\s*([A-Za-z]+)", text[end:])
    return not after or after.group(1).lower() in _STOP or not after.group(1).endswith("s")


_NOT_A_COUNT_AFTER = re.compile(
    r"(?i)(?:st|nd|rd|th)\b|:\d|\s*(?:a\.m\.|p\.m\.|am\b|pm\b|GMT\b|UTC\b)|-\s*(?!plus\b)[A-Za-z]"
)


def _not_a_count(text: str, start: int, end: int) -> bool:
    """Ordinals ("10th"), clock times ("2:20 p.m.", "04:02"), compound adjectives
    ("three-month", "20-year-old"): figures that count nothing."""
    return (
        bool(_NOT_A_COUNT_AFTER.match(text, end))
        or bool(re.search(r"\d:$", text[:start]))
        or bool(re.search(r"\d(?:st|nd|rd|th)$", text[start:end], re.I))
    )


def read_mentions(sentence: str, ref: date | None) -> list[Mention]:
    """Every counted figure in ``sentence`` (a report sentence), with its reading.

    ``ref`` is the report's date, for dates without a year. Dates, years, durations
    ("three-month crackdown", "10 years") and figures inside dates are not counts.
    """
    dates = find_dates(sentence, ref)
    raw = [
        f
        for f in find_figures(sentence)
        if not any(d.start <= f.start < d.end or f.start <= d.start < f.end for d in dates)
    ]
    figs = _merge_separators(sentence, raw)
    toks = _tokens(sentence, figs, dates)
    found: list[Mention] = []
    fig_at = {t.fig: k for k, t in enumerate(toks) if t.kind == "fig"}
    skip: set[int] = set()
    for fi, (ftext, value, start, end) in enumerate(figs):
        if fi in skip or fi not in fig_at or _year_like(sentence, ftext, end):
            continue
        if _not_a_count(sentence, start, end):
            continue
        i = i0 = fig_at[fi]
        m = Mention(ftext, value, start, end)
        if sentence[max(0, start - 1) : start] == "$":
            m.unit, m.start = "$", start - 1
        if re.match(r"\s*(?:%|percent\b|per cent\b)", sentence[end:]) or ftext.endswith("%"):
            m.unit = "%"
        q = _QUALIFIER.search(sentence[max(0, m.start - 20) : m.start])
        if q:
            m.qualifier = q.group(1).lower()
        # A range "3,000 to 3,500" / "3,000-3,500" / "between 3,000 and 3,500"; but "rose
        # from 2,825 to 4,100" is a change: the point is the new value.
        if i + 2 < len(toks) and toks[i + 2].kind == "fig" and toks[i + 1].low in {
            "to", "-", "–", "—", "and",
        }:  # fmt: skip
            before = sentence[max(0, start - 30) : start].lower()
            other = figs[toks[i + 2].fig]
            if toks[i + 1].low == "and" and not before.rstrip().endswith("between"):
                pass
            elif re.search(r"\bfrom\s+$", before):
                m = Mention(other[0], other[1], other[2], other[3], qualifier=f"up from {ftext}")
                if re.search(r"(?:fell|dropped|declined|down|decreased)\w*\s+from\s+$", before):
                    m.qualifier = f"down from {ftext}"
                skip.add(toks[i + 2].fig)
                i = i + 2
            else:
                m.high, m.end = other[1], other[3]
                m.text = sentence[start : other[3]]
                skip.add(toks[i + 2].fig)
                i = i + 2
        words, after = _noun_phrase(toks, i)
        if words and words[0].low in _TIME_UNITS and m.unit != "%":
            continue  # durations and ages are not what a timeline counts
        m.noun_text = " ".join(w.text for w in words)
        m.noun = _normal_noun([w.text for w in words])
        host = _host_of(toks, i, found, sentence, m.start)
        if host is not None:
            m.subset = True
            m.host = host
        if not words and found and _EARLIER.search(sentence[max(0, m.start - 30) : m.start]):
            # "…deported 4,100, up from 2,825 at the end of September": an earlier point of
            # the same series, dated by what follows it.
            lead = next((f for f in reversed(found) if not f.subset), found[-1])
            m.noun, m.noun_text, m.relation, m.unit = (
                lead.noun,
                lead.noun_text,
                lead.relation,
                lead.unit,
            )
            m.predicate_text, m.predicate, m.earlier = lead.predicate_text, lead.predicate, True
            found.append(m)
            continue
        verb = _verb_after(toks, after)
        if verb is None and not words:
            subject = _subject_before(toks, i0)
            if subject is not None:
                noun_words, pred = subject
                m.noun_text = " ".join(w.text for w in noun_words)
                m.noun = _normal_noun([w.text for w in noun_words])
                m.predicate_text = pred
        if verb is not None:
            m.predicate_text = verb[0]
        elif not m.predicate_text:
            prior = _verb_before(toks, i0)
            if prior is not None:
                m.predicate_text = prior
                # "killed in two shootings": the figure is not what was killed.
                before = toks[i0 - 1].low if i0 > 0 and toks[i0 - 1].kind == "word" else ""
                if before in _PREPS and before not in {
                    "of",
                    "to",
                    "at",
                    "than",
                    "by",
                    "over",
                    "under",
                }:
                    m.relation = before
        # "from 20 countries" after a counted figure: a relation of that figure's predicate.
        prep = toks[i - 1].low if i > 0 and toks[i - 1].kind == "word" else ""
        if prep in {"from", "across"} and found and not m.subset:
            prev = found[-1]
            if prev.end <= m.start and not re.search(r"[,;:]", sentence[prev.end : m.start]):
                m.relation = prep
                m.predicate_text = prev.predicate_text or m.predicate_text
        if m.subset and m.host is not None and not m.predicate_text:
            m.predicate_text = found[m.host].predicate_text
        m.predicate = predicate_class(m.predicate_text)
        found.append(m)
    # A subset shares its host's verb when the aside sits before it ("…, have been deported").
    for m in found:
        if m.subset and m.host is not None and found[m.host].predicate_text:
            lead = found[m.host]
            if not m.predicate_text or lead.predicate_text != m.predicate_text:
                m.predicate_text, m.predicate = lead.predicate_text, lead.predicate
    _date(found, sentence, anchors(sentence, dates, ref))
    return [m for m in found if not (m.earlier and m.as_of is None)]  # an earlier day unknown


def _host_of(
    toks: list[_Tok], i: int, found: list[Mention], sentence: str, start: int
) -> int | None:
    """The mention an "including 476 women" aside belongs to, if the figure is in one."""
    if not found or not _SUBSET.search(sentence[max(0, start - 40) : start]):
        return None
    return len(found) - 1


def _date(found: list[Mention], sentence: str, found_anchors: list[Anchor]) -> None:
    """Each mention takes the anchor in its clause, else the sentence's only anchor."""
    clauses = [0, *(m.end() for m in re.finditer(r";|,\s+(?:while|whereas|but)\b", sentence))]

    def clause(pos: int) -> int:
        return max(k for k, c in enumerate(clauses) if c <= pos)

    for m in [m for m in found if m.earlier]:
        after = [a for a in found_anchors if a.as_of and 0 <= a.start - m.end <= 40]
        if after:
            m.as_of = after[0].as_of
            found_anchors = [a for a in found_anchors if a is not after[0]]
    for m in found:
        if m.earlier or not found_anchors:
            continue
        same = [a for a in found_anchors if clause(a.start) == clause(m.start)]
        pool = same or (found_anchors if len(found_anchors) == 1 else [])
        if not pool:
            pool = [min(found_anchors, key=lambda a: abs(a.start - m.start))]
        as_of = [a for a in pool if a.as_of]
        since = [a for a in pool if a.since]
        if as_of:
            m.as_of = min(as_of, key=lambda a: abs(a.start - m.start)).as_of
        if since:
            m.since = min(since, key=lambda a: abs(a.start - m.start)).since

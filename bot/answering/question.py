"""What a question asks for: its type and its weighted content terms (stemmed)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

from index import STOPWORDS, split_sentences

QType = Literal["quantity", "date", "person", "place", "general"]
_WORD = re.compile(r"[^\W_]+(?:['’][a-z]+)?", re.UNICODE)
_QUESTION_WORDS = frozenset(
    [
        "how",
        "many",
        "much",
        "what",
        "which",
        "who",
        "whom",
        "whose",
        "when",
        "where",
        "why",
        "many",
        "number",
        "amount",
        "percentage",
        "percent",
        "year",
        "date",
        "day",
        "month",
        "time",
        "did",
        "does",
        "do",
        "is",
        "are",
        "was",
        "were",
        "has",
        "have",
        "had",
        "tell",
        "me",
        "please",
        "about",
        "approximately",
        "roughly",
        "around",
        "nearly",
        "kind",
        "according",
        "report",
        "reports",
        "reported",
        "news",
        "story",
        "article",
        "say",
        "said",
    ]
)
_TYPES: list[tuple[QType, re.Pattern[str]]] = [
    ("quantity", re.compile(r"(?i)\bhow (many|much|long|far|old|big|large|high)\b|\bwhat (number|"
                            r"percentage|share|proportion|amount|sum|price|total)\b|\bhow much\b")),
    ("date", re.compile(r"(?i)^\s*when\b|\bwhat (year|date|day|month|time)\b|\bwhich (year|day|"
                        r"date|month)\b|\bsince when\b")),
    ("person", re.compile(r"(?i)^\s*(who|whom|whose)\b|\bwhich (person|man|woman|company|group|"
                          r"organi[sz]ation|official|leader|team|politician|president|member|"
                          r"actor|actress|retailer|airline|brand|show|film|movie|book|"
                          r"platform|app|network|party|agency|firm|bank)\b")),
    ("place", re.compile(r"(?i)^\s*where\b|\b(which|what) (city|town|province|region|place|"
                         r"state|country|nation|island|ocean|sea|river|continent|county)\b|"
                         r"\bin what (city|country|place)\b")),
]  # fmt: skip

# The answer type: what kind of span answers the question (a finer cut than QType).
AType = Literal[
    "count", "money", "percent", "date", "person", "org", "place", "nationality", "work",
    "event", "who", "general",
]  # fmt: skip
_TYPE_NOUNS: dict[str, AType] = {}
for _atype, _nouns in (
    ("person", "person man woman official leader politician president actor actress singer "
     "star player member head minister candidate judge senator governor rapper artist author "
     "ceo executive king queen prince princess monarch athlete coach journalist celebrity "
     "billionaire musician comedian director founder lawmaker mayor chancellor premier "
     "footballer golfer lioness boxer skater swimmer tennis pope spokesperson"),
    ("org", "company companies firm group organization organisation team agency body "
     "committee bank retailer airline airlines brand network party club university school "
     "court union outlet newspaper chain restaurant carrier automaker carmaker manufacturer "
     "startup giant platform app service website site league government corporation "
     "business broadcaster channel studio label publisher streamer charity institution"),
    ("place", "city cities town country countries state states nation nations island "
     "province region place ocean sea river continent county capital village area "
     "neighborhood neighbourhood park airport territory district location destination"),
    ("nationality", "nationality nationalities"),
    ("work", "show shows film films movie movies book books song songs album series game "
     "play musical novel documentary podcast slogan drama sitcom painting"),
    ("event", "event tournament award awards festival competition championship race"),
):  # fmt: skip
    for _noun in _nouns.split():
        _TYPE_NOUNS[_noun] = _atype  # type: ignore[assignment]
_MONEY_CUES = re.compile(
    r"(?i)\b(money|cost|costs|price|prices|paid|pay|pays|spend|spent|worth|fine|fined|budget|"
    r"salary|revenue|sales|raise|raised|stolen|stole|steal|dollars?|fund|funding|valued|"
    r"jackpot|charge|charged|sell|sold|bid|deal|aid|assistance|loan|debt|profit|earn|earned)\b"
)
_TYPE_SEARCH_END = frozenset(
    ["of", "is", "was", "were", "are", "did", "does", "do", "has", "have", "had", "will"]
)
_WH = re.compile(r"(?i)\b(which|what|whose)\b")
_RANGE_CUES = re.compile(
    r"(?i)\b(start|started|begin|began|begun)\b.*\b(end|ended|finish|finished|stop|stopped)\b"
    r"|\bfrom when\b|\bbetween which dates\b|\bwhat period\b"
)


def answer_type(ask: str) -> tuple[AType, str | None]:
    """The asked-for answer type and the head noun the answer counts or names, if any.

    "How many people were arrested?" → ("count", "people"); "Which body reported …?" →
    ("org", "body"); "When did …?" → ("date", None); "What … condiment?" → ("general", …).
    """
    low = ask.lower()
    toks = _WORD.findall(low)
    m = re.search(r"\bhow (many|much)\b\s*((?:[^\W_]+\s*){0,4})", low)
    if m:
        after = [w for w in _WORD.findall(m.group(2)) if w not in STOPWORDS]
        aux = {"were", "was", "are", "is", "did", "do", "does", "have", "has", "had", "will"}
        head_words: list[str] = []
        for w in _WORD.findall(m.group(2)):
            if w in aux or w in STOPWORDS or w in _PHRASE_END or w in _PREPOSITIONS:
                break  # "how many lives across the US": the lives
            head_words.append(w)
        if not head_words:  # "how many of them were women?": the last word it names
            rest = [w for w in toks if w not in STOPWORDS and w not in _QUESTION_WORDS]
            head_words = rest[-1:]
        head = head_words[-1] if head_words else None
        if re.search(r"\bpercent|\bpercentage\b|\bshare\b|\bproportion\b", low):
            return "percent", head
        if m.group(1) == "much" and (not after or _MONEY_CUES.search(low) or head == "money"):
            return "money", head
        return "count", head
    if re.search(r"\b(what|which) (percentage|percent|share|proportion)\b", low):
        return "percent", None
    if re.search(r"\b(what|which) (price|sum|cost)\b|\bamount of (money|cash)\b|\btotal "
                 r"(cost|price|value)\b", low):  # fmt: skip
        return "money", None
    if re.search(r"\bhow (old|long|far|big|large|high|tall|deep|fast|often)\b|\bwhat (number|"
                 r"age|amount|total)\b", low):  # fmt: skip
        if re.search(r"\bhow (long|soon)\b", low) and re.search(r"\buntil|\bsoon\b", low):
            return "date", None
        if "how often" in low:
            return "general", None
        return "count", None
    if re.match(r"\s*when\b", low) or re.search(
        r"\b(what|which) (year|date|day|month|time|week|season|decade)\b|\bsince when\b|"
        r"\bhow soon\b|\bon what (day|date)\b",
        low,
    ):
        return "date", None
    if re.match(r"\s*where\b", low) or re.search(r"\bwhere (did|do|does|is|was|were|are|will)\b",
                                                   low):  # fmt: skip
        return "place", None
    for wh in _WH.finditer(low):
        following = _WORD.findall(low[wh.end() :])[:5]
        for w in following:
            if w in _TYPE_SEARCH_END:
                break
            base = re.sub(r"['’]s$", "", w)  # "which state's governor": the state
            atype = _TYPE_NOUNS.get(base)
            if atype is not None:
                return atype, base
    if re.match(r"\s*(who|whom|whose)\b", low) or re.search(r"\b(who|whom)\b", low):
        return "who", None
    return "general", _general_head(low)


# Words that end the noun phrase after "which"/"what": auxiliaries, prepositions, time words.
_PHRASE_END = frozenset(
    ["is", "was", "were", "are", "be", "been", "did", "does", "do", "has", "have", "had", "will",
     "would", "could", "can", "may", "might", "should", "shall", "of", "in", "on", "at", "to",
     "for", "from", "by", "with", "this", "that", "these", "those", "last", "next", "recently",
     "one", "ones"]
)  # fmt: skip
_PREPOSITIONS = frozenset(
    ["across", "during", "since", "after", "before", "per", "under", "around", "within",
     "between", "among", "against", "throughout", "inside", "outside", "near"]
)  # fmt: skip
_KIND_OF = frozenset(["type", "types", "kind", "kinds", "sort", "sorts", "form", "category"])


def _general_head(low: str) -> str | None:
    """The noun a "what/which + noun" question asks for: the last word of the phrase after the
    wh-word ("which new treat did …" → "treat", "which type of infrastructure" →
    "infrastructure", "which controversial subject this week" → "subject")."""
    for m2 in re.finditer(r"\b(which|what)\b", low):
        phrase: list[str] = []
        rest = _WORD.findall(low[m2.end() :])
        i = 0
        if (
            len(rest) > 2
            and rest[0] in ("is", "was", "are", "were")
            and rest[1] in ("the", "a", "an")
        ):
            i = 2  # "what is the political slogan of …": the slogan
        while i < len(rest) and len(phrase) < 4:
            w = rest[i]
            if w == "of" and phrase and phrase[-1] in _KIND_OF and i + 1 < len(rest):
                phrase = []  # "which type of infrastructure": the infrastructure
                i += 1
                continue
            if w in _KIND_OF:
                phrase.append(w)
                i += 1
                continue
            if w in _PHRASE_END or w in _QUESTION_WORDS or w in STOPWORDS:
                break
            phrase.append(w)
            i += 1
        if phrase and phrase[-1] not in _KIND_OF:
            return phrase[-1]
    return None


def _qtype_of(atype: AType) -> QType:
    return {
        "count": "quantity",
        "money": "quantity",
        "percent": "quantity",
        "date": "date",
        "person": "person",
        "org": "person",
        "who": "person",
        "place": "place",
        "nationality": "place",
    }.get(atype, "general")  # type: ignore[return-value]


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    from nltk.stem.snowball import EnglishStemmer

    return EnglishStemmer()


@lru_cache(maxsize=100_000)
def stem(word: str) -> str:
    return str(_stemmer().stem(word.lower()))


def words(text: str) -> list[str]:
    return _WORD.findall(text)


def stems(text: str) -> set[str]:
    return {stem(w) for w in words(text) if w.lower() not in STOPWORDS}


@dataclass
class Question:
    """A question's type, its content terms and the terms naming entities (capitalised)."""

    text: str
    qtype: QType
    terms: dict[str, float] = field(default_factory=dict)  # stem → weight
    entities: set[str] = field(default_factory=set)
    atype: AType = "general"
    head: str | None = None  # the noun the answer counts or names ("people", "body")
    wants_range: bool = False  # "When did it start and end?"
    ask: str = ""  # the asking sentence
    context_terms: set[str] = field(default_factory=set)  # a follow-up's earlier subject

    @classmethod
    def parse(
        cls,
        text: str,
        context: str = "",
        context_weight: float = 0.5,
        preamble_weight: float | None = None,
    ) -> Question:
        """Terms of the asking sentence weigh 1; a quiz-style lead-in ("X happened this week.
        What ...?") and the conversation's context weigh less. Entities come from the ask."""
        spans = split_sentences(text) or [(0, len(text))]
        asks = [(s, e) for s, e in spans if text[s:e].rstrip().endswith("?")] or spans[-1:]
        ask_start, ask_end = asks[-1]
        ask = text[ask_start:ask_end]
        qtype: QType = next((t for t, rx in _TYPES if rx.search(ask)), "general")
        terms: dict[str, float] = {}
        entities: set[str] = set()
        for i, w in enumerate(words(ask)):
            low = w.lower()
            if low in STOPWORDS or low in _QUESTION_WORDS:
                continue
            s = stem(low)
            terms[s] = 1.0
            if i > 0 and w[:1].isupper():
                entities.add(s)
        lead = text[:ask_start] + " " + text[ask_end:]
        if preamble_weight is None:
            preamble_weight = PREAMBLE_WEIGHT
        for extra, weight in ((lead, preamble_weight), (context, context_weight)):
            for w in words(extra):
                low = w.lower()
                if low not in STOPWORDS and low not in _QUESTION_WORDS:
                    terms.setdefault(stem(low), weight)
        atype, head = answer_type(ask)
        wants_range = bool(_RANGE_CUES.search(ask)) and atype == "date"
        if qtype == "general" or atype != "general":
            qtype = _qtype_of(atype) if atype != "general" else qtype
        context_terms = {stem(w.lower()) for w in words(context)} - set(STOPWORDS)
        return cls(text, qtype, terms, entities, atype, head, wants_range, ask, context_terms)


PREAMBLE_WEIGHT = 0.4  # a quiz-style lead-in's terms, against the asking sentence's 1

# Words that lean on an earlier turn: pronouns and determiners pointing back.
_ANAPHORA = re.compile(
    r"(?i)\b(they|them|theirs|he|him|she|hers|those|these|itself|"
    r"themselves|himself|herself|the same|the latter|the former|else|afterwards?|"
    r"that (?:one|case|day|time|year|event|attack|incident|report|figure|number|person|man|"
    r"woman|company|group|country|city|place)|this (?:one|case|incident|attack|figure|number)|"
    r"then)\b"
)
_LEAD_ON = re.compile(r"(?i)^\s*(and|but|also|so|plus|what about|how about|what of|and what|"
                      r"then|or)\b")  # fmt: skip
_IT = re.compile(r"(?i)\bit\b")
_POSSESSIVE = re.compile(r"(?i)\b(its|their|his|her)\b")
_WH_NOUN = re.compile(r"(?i)\b(which|what|whose|who)\b")
_EXPLETIVE_IT = re.compile(
    r"(?i)\b(is|was|will|would|has|does|did) it (true|possible|likely|known|clear|legal|safe|"
    r"over|raining|snowing)\b|\bit (is|was) (true|possible|likely|known|clear|reported|said)\b|"
    r"\bhow long (does|did|will) it take\b|\bwhat time is it\b"
)
_THAT_BACK = re.compile(
    r"(?i)\b(did|does|was|is|will|about|after|before|of|by) that\s*(?:\?|$|"
    r"\b(?:happen|happened|mean|start|end|take|cost)\b)|\bthat\s*\?"
)
_THERE_BACK = re.compile(r"(?i)\b(?!(?:is|are|was|were|be|been)\b)\w+\s+there\b(?!\s+(?:is|are|"
                         r"was|were|be)\b)")  # fmt: skip


def stands_alone(question: str) -> bool:
    """Can the question be understood without the conversation before it?

    It can't when it opens by leaning on the last turn ("And how many deaths?", "What about
    Thailand?"), points back with a pronoun ("How many of them were women?", "When did he
    resign?", "What happened there?"), or has no subject of its own ("How many?", "Why?",
    "Which year?"). Its length does not matter: "Is there a curfew in Bangkok?" stands alone.
    """
    text = question.strip()
    if _LEAD_ON.search(text) or _ANAPHORA.search(text):
        return False
    if _IT.search(text) and not _EXPLETIVE_IT.search(text):
        return False
    possessive = _POSSESSIVE.search(text)
    if possessive and not _WH_NOUN.search(text[: possessive.start()]):
        return False  # "its shares" points back; "which country … its leader" is bound
    if _THAT_BACK.search(text):
        return False
    if _THERE_BACK.search(text) and not re.search(r"(?i)\b(is|are|was|were) there\b", text):
        return False
    content = [w for w in words(text) if w.lower() not in STOPWORDS
               and w.lower() not in _QUESTION_WORDS]  # fmt: skip
    named = any(w[:1].isupper() or any(ch.isdigit() for ch in w) for w in content[1:] or [])
    # "How many deaths?", "Who won?": one word and no name — the subject is elided.
    return (
        len(content) > 1
        or named
        or bool(content and content[0][:1].isupper() and not text.startswith(content[0]))
    )


def subject_of(question: str) -> str:
    """What a question is about, without what it asks for: its words minus the question words
    and the head noun of the answer ("How many dengue cases were recorded in Hanoi?" →
    "dengue recorded Hanoi"). A follow-up is resolved against this."""
    spans = split_sentences(question) or [(0, len(question))]
    heads = {answer_type(question[s:e])[1] for s, e in spans}
    kept = [w for w in words(question) if w.lower() not in STOPWORDS
            and w.lower() not in _QUESTION_WORDS and w.lower() not in heads]  # fmt: skip
    return " ".join(dict.fromkeys(kept))

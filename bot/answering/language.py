"""Questions and reports in different languages: detection, Korean question typing and spans,
and a cross-language reader (issue 17).

The extractive reader matches a question's words with a sentence's words, so a Korean question
can never quote an English sentence. With a multilingual embedding (``REPORTBOT_EMBEDDING=
multilingual``), :class:`LanguageAwareAnswerer` wraps it: when the retrieved reports are in
another language than the question, every retrieved sentence is scored by

- its similarity to the question in the multilingual space, measured against the other
  sentences *of its own language* (the model rates any same-language sentence higher; without
  this a same-topic report in the question's language beats the report that answers);
- figures and dates it shares with the question ("7월 27일" = "July 27");
- the news concepts it shares with the question (``concepts.py``: "숨진" = "died"); in another
  language it must name the question's event and measure (deaths, not videos; the base rate,
  not the growth forecast);
- for a sentence in the question's language, its words: it may only answer when it contains
  (nearly) every content word of the question (Hangul as character bigrams, so particles
  don't matter) — the guard against a same-topic report that says something else;
- the asked type: "몇 명" needs a count, "언제" a date, "어느 위원회" an organisation.

It abstains when nothing clears the bar, quotes the sentence with its exact offsets, and the
short direct answer is a span of that quote, in the quote's language. Citations of a quote in
another language than the question carry ``language`` (ISO 639-1) so front ends label them.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any, Protocol

import numpy as np

from bot.answering.base import NOT_FOUND, Answerer, AnswerRequest
from bot.answering.concepts import LANGUAGES, concepts_in, spoken_of
from bot.answering.question import AType, Question, answer_type, stems
from bot.answering.spans import LABELS_FOR, TypedSpan, entity_spans, typed_spans
from bot.grounding.citations import CitationBuilder, renumber, verify
from bot.grounding.figures import MONTH_NAMES, find_figures
from bot.types import Answer, ShortAnswer
from index import Hit, split_sentences

_HANGUL = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")
_KANA = re.compile(r"[\u3040-\u30ff]")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")
_CJK_RUN = re.compile(r"[\uac00-\ud7a3\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]+")


def language_of(text: str) -> str | None:
    """ "ko", "ja", "zh" or "en" (any Latin script) by the letters of ``text``; None for none."""
    hangul, kana = len(_HANGUL.findall(text)), len(_KANA.findall(text))
    han, latin = len(_HAN.findall(text)), len(_LATIN.findall(text))
    letters = hangul + kana + han + latin
    if not letters:
        return None
    if hangul >= 0.3 * letters:
        return "ko"
    if kana >= 0.1 * letters:
        return "ja"
    if han >= 0.3 * letters:
        return "zh"
    return "en" if latin else None


# -- Korean questions: what they ask for ------------------------------------------------------

# Counters after 몇 ("몇 명", "몇 개국") and the English noun they count.
_KO_COUNTERS: dict[str, str | None] = {
    "개국": "countries", "명": "people", "건": "cases", "곳": "places", "개": "items",
    "발": "rounds", "회": "times", "번": "times", "차례": "times", "가지": "kinds",
    "대": "vehicles", "척": "ships", "마리": "animals", "가구": "households", "편": None,
    "배": "times",
}  # fmt: skip
_KO_COUNTER_RX = "|".join(sorted(_KO_COUNTERS, key=len, reverse=True))
# Korean nouns naming who is counted ("여성은 몇 명") and the English noun for them.
_KO_PEOPLE = {
    "여성": "women", "남성": "men", "외국인": "foreigners", "어린이": "children",
    "아동": "children", "학생": "students", "관광객": "tourists", "관람객": "visitors",
    "피해자": "victims", "용의자": "suspects", "피의자": "suspects", "사망자": "dead",
    "부상자": "injured", "주민": "residents", "근로자": "workers", "노동자": "workers",
}  # fmt: skip
# What a count of people (명, "how many people") may be followed by in an English sentence.
_PERSON_NOUNS = re.compile(
    r"(?i)^\W*(?:[a-z-]+\s+){0,2}(people|persons?|individuals|foreigners|women|men|children|"
    r"citizens|nationals|victims|suspects|members|visitors|tourists|students|workers|"
    r"residents|officers|staff|employees|passengers|patients|soldiers|troops|migrants|"
    r"refugees|ringleaders|accomplices|koreans|americans|chinese|[a-z]+ians|[a-z]+ese)\b"
)
_KO_ORG_NOUNS = (
    "위원회|기관|부처|정부|회사|기업|업체|단체|언론사|언론|매체|신문|방송사|은행|정당|팀|"
    "조직|협회|재단|법원|경찰|당국"
)
# Institutions a Korean question asks for, and English words naming one in a report.
_KO_ORG_HEADS = {
    "위원회": "committee|commission|council|board", "은행": "bank", "법원": "court",
    "언론사": "times|news|post|herald|daily|media|press|agency|broadcast|tv",
    "정당": "party", "부처": "ministry|department", "경찰": "police", "대학": "university",
}  # fmt: skip
_KO_PLACE_NOUNS = "나라|국가|도시|지역|장소|곳|섬|지방|해변|공항"
_KO_TYPES: list[tuple[AType, re.Pattern[str]]] = [
    ("percent", re.compile(r"몇\s*(%|퍼센트|프로)|비율|비중|몇\s*포인트")),
    ("date", re.compile(r"언제|며칠|몇\s*월|몇\s*일|몇\s*년도|날짜|연도|무슨\s*요일")),
    ("count", re.compile(rf"몇\s*(?:{_KO_COUNTER_RX})|얼마나\s*많|몇\s*(?:만|천|백)?\s*명|몇")),
    ("money", re.compile(r"얼마|가격|금액|비용|액수")),
    ("org", re.compile(rf"(?:{_KO_ORG_NOUNS})\S*\s*(?:은|는|이|가)?\s*(?:어디|어느|무엇)|"
                       rf"(?:어느|어떤|무슨)\s*(?:{_KO_ORG_NOUNS})")),
    ("place", re.compile(rf"어디|(?:어느|어떤|무슨)\s*(?:{_KO_PLACE_NOUNS})")),
    ("who", re.compile(r"누구|누가|누군")),
]  # fmt: skip
# Question words and endings that carry no topic, removed before matching words.
_KO_QUESTION_WORDS = re.compile(
    r"몇|얼마나?|언제|어디|어느|어떤|무슨|무엇|누구|누가|며칠|어떻게|왜|인가요|였나요|"
    r"이었나요|했나요|됐나요|되었나요|나요|까요|습니까|입니까|인지|인가|가요|죠"
)
_KO_STOP_BIGRAMS = frozenset(
    ["습니", "니까", "나요", "인가", "가요", "었나", "였나", "했나", "됐나"]
)


def korean_answer_type(ask: str) -> tuple[AType, str | None]:
    """The answer type of a Korean question and the English noun a count counts, if any:
    "외국인 몇 명이 추방됐나요?" → ("count", "people"); "언제" → ("date", None)."""
    for atype, rx in _KO_TYPES:
        m = rx.search(ask)
        if m:
            head = None
            if atype == "count":
                counter = re.search(rf"몇\s*(?:만|천|백)?\s*({_KO_COUNTER_RX})", ask)
                head = _KO_COUNTERS[counter.group(1)] if counter else None
                if head == "people":  # "여성은 몇 명": women, not any people
                    before = ask[: counter.start()] if counter else ask
                    named = [(before.rfind(k), v) for k, v in _KO_PEOPLE.items() if k in before]
                    head = max(named)[1] if named else head
            if atype == "org":
                head = next((v for k, v in _KO_ORG_HEADS.items() if k in ask), None)
            return atype, head
    return "general", None


def answer_type_of(ask: str) -> tuple[AType, str | None]:
    """The answer type of a question in any supported language."""
    if language_of(ask) == "ko":
        return korean_answer_type(ask)
    atype, head = answer_type(ask)
    if re.search(r"(?i)\bby how much\b", ask):
        return "general", None  # a change: a percentage or an amount, the quote tells
    if atype == "general" and re.search(r"(?i)\b(what|which) (level|rate)\b|\bat what\b.*\brate\b",
                                        ask):  # fmt: skip
        return "percent", None  # "At what level did the bank hold its rate?"
    if atype == "general" and _MONEY_NOUN.search(ask):
        return "money", None  # "What operating profit did it report?"
    return atype, head


_MONEY_NOUN = re.compile(
    r"(?i)\b(?:what|which|how much)\b(?:\s+[\w'-]+){0,3}?\s+(?:profits?|revenues?|sales|income|"
    r"dividends?|losses|loss|budget|fine|salary|wages?|payment|fees?|fares?|bonus|price|cost)\b"
)


# -- Korean spans: figures, dates, names (regex; no Korean model ships its weights small) ----

_KO_SPANS: list[tuple[str, re.Pattern[str]]] = [
    ("PERCENT", re.compile(r"\d[\d,]*(?:\.\d+)?\s*(?:%|퍼센트)(?:\s*포인트)?")),
    ("MONEY", re.compile(r"\d[\d,]*(?:\.\d+)?\s*(?:조|억|만|천)?\s*(?:원|달러|유로|엔)")),
    ("DATE", re.compile(r"(?:\d{4}년\s*)?\d{1,2}월\s*\d{1,2}일|\d{4}년\s*\d{1,2}월|\d{4}년")),
    ("COUNT", re.compile(rf"\d[\d,]*(?:\.\d+)?\s*(?:만|천|억)?\s*(?:{_KO_COUNTER_RX})"
                         r"|\d[\d,]*(?:\.\d+)?\s*(?:만|천|억)\b")),
    ("PERSON", re.compile(r"[가-힣]{3}(?=\s+(?:[가-힣0-9]+\s+){0,2}[가-힣0-9]*(?:장관|차관|총재|"
                          r"대표|의원|대통령|총리|회장|부회장|사장|부사장|전무|상무|이사|본부장|부장|국장|원장|총장|"
                          r"의장|대사|감독|판사|검사|기자|시장|청장|지사|위원장|대변인|교수))")),
    ("ORG", re.compile(r"[가-힣]*(?:위원회|외교부|[가-힣]부|[가-힣]청|은행|공사|공단|협회|재단|"
                       r"센터|대학교|그룹|일보|신문|방송|통신|본부)"
                       r"(?=[은는이가을를의에와과도로(]|\s|$)")),
    ("GPE", re.compile(r"[가-힣]+(?:해수욕장|공항|광장|공원|[가-힣]시|[가-힣]도|[가-힣]군|섬)"
                       r"(?=[은는이가을를의에와과도로]|\s|$|에서)")),
    # "경남 거제", "부산 사하구": a province or metropolitan city, then the place in it.
    ("GPE", re.compile(r"(?:(?<=경남 )|(?<=경북 )|(?<=전남 )|(?<=전북 )|(?<=충남 )|(?<=충북 )|"
                       r"(?<=강원 )|(?<=경기 )|(?<=제주 )|(?<=서울 )|(?<=부산 )|(?<=대구 )|"
                       r"(?<=인천 )|(?<=광주 )|(?<=대전 )|(?<=울산 ))[가-힣]{2,4}?"
                       r"(?=[은는이가을를의에와과도]|\s|$|에서)")),
]  # fmt: skip


def korean_spans(text: str) -> list[TypedSpan]:
    """Typed spans of a Korean sentence (offsets in it); a figure is counted once."""
    out: list[TypedSpan] = []
    taken: list[tuple[int, int]] = []
    for label, rx in _KO_SPANS:
        for m in rx.finditer(text):
            s, e = m.start(), m.end()
            if e > s and not any(s < te and ts < e for ts, te in taken):
                out.append(TypedSpan(s, e, label))
                taken.append((s, e))
    return out


def spans_of(text: str) -> list[TypedSpan]:
    """Typed spans of a sentence in its own language (regex names for English)."""
    return korean_spans(text) if language_of(text) == "ko" else typed_spans(text)


# -- language-free anchors: figures and dates a question shares with a sentence -------------

_MONTHS = {m: i for i, m in enumerate(MONTH_NAMES, start=1)}
_EN_DATE = re.compile(r"(?i)\b(" + "|".join(_MONTHS) + r")\s+(\d{1,2})\b|\b(\d{1,2})\s+("
                      + "|".join(_MONTHS) + r")\b")  # fmt: skip
_KO_DATE = re.compile(r"(\d{1,2})월\s*(\d{1,2})일")
_KO_BIG = re.compile(r"(\d[\d,]*(?:\.\d+)?)\s*(만|천|억)")


def anchors(text: str) -> set[str]:
    """Dates as "m/d" and figure values ("3455", "1030000" for "103만") in ``text``."""
    out: set[str] = set()
    for m in _EN_DATE.finditer(text):
        month, day = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
        out.add(f"{_MONTHS[month.lower()]}/{int(day)}")
    for m in _KO_DATE.finditer(text):
        out.add(f"{int(m.group(1))}/{int(m.group(2))}")
    rest = _KO_DATE.sub(" ", _EN_DATE.sub(" ", text))  # a date's day is not a figure
    scale = {"만": 10_000, "천": 1_000, "억": 100_000_000}
    for m in _KO_BIG.finditer(rest):
        out.add(f"{float(m.group(1).replace(',', '')) * scale[m.group(2)]:g}")
    rest = _KO_BIG.sub(" ", rest)
    out.update(f"{f.value:g}" for f in find_figures(rest) if f.kind not in ("date", "year"))
    return out


# -- words in the question's own language ------------------------------------------------


def content_units(text: str) -> list[set[str]]:
    """The question's content words, each as the set of units that match it: English stems,
    or a Korean word's character bigrams (its particles and question endings dropped)."""
    units: list[set[str]] = []
    if language_of(text) == "ko":
        for word in _CJK_RUN.findall(_KO_QUESTION_WORDS.sub(" ", text)):
            grams = {word[i : i + 2] for i in range(len(word) - 1)} - _KO_STOP_BIGRAMS
            if len(word) >= 2 and grams:
                units.append(grams)
        return units
    asked = Question.parse(text).terms  # without question words ("how many")
    return [{t} for t, w in asked.items() if w >= 1.0]


def unit_coverage(units: list[set[str]], text: str) -> float:
    """Share of the content words found in ``text`` (a Korean word counts when half of its
    bigrams, at least one, are there: "추방됐나요" matches "추방됐다")."""
    if not units:
        return 0.0
    if language_of(text) == "ko":
        have = {g for run in _CJK_RUN.findall(text) for g in (run[i : i + 2]
                for i in range(len(run) - 1))}  # fmt: skip
    else:
        have = stems(text)
    found = sum(1 for u in units if len(u & have) * 2 >= max(1, len(u)) and u & have)
    return found / len(units)


# -- the cross-language reader ------------------------------------------------------------


class Embedder(Protocol):
    def queries(self, texts: list[str]) -> np.ndarray: ...

    def passages(self, texts: list[str]) -> np.ndarray: ...


# Questions about nothing in particular: how close a sentence is to them measures how close it
# is to every question (hubness, as in CSLS), which is subtracted from its similarity.
PROBES = [
    "What happened?", "How many were there?", "When did it happen?", "Who was involved?",
    "Where did it take place?", "What did they say?", "Which organisation was it?",
    "무슨 일이 있었나요?", "몇 명이었나요?", "언제 일어났나요?", "누가 관련됐나요?",
    "어디에서 일어났나요?", "그들은 뭐라고 말했나요?", "어느 기관이었나요?",
]  # fmt: skip
HUBNESS = 0.5
SHORT_MARGIN = 0.025  # a short answer only when its clause is clearly the closest
SAME_LANGUAGE_COVERAGE = 0.75  # a sentence in the question's language must hold its words
INNER_COVERAGE = 0.6  # the English reader's answer stands when its quote holds this share
MIN_SIMILARITY = 0.77  # below this, nothing in another language is about the question
MIN_STANDOUT = 1.0  # … and the best must stand out among its language's sentences (z-score)
ANCHOR_WEIGHT = 0.75  # per shared date or figure
HEADLINE_PENALTY = 0.75
TYPE_BONUS = 0.3  # it names something of the asked type (not only "it was not disclosed")
HEAD_BONUS = 1.0  # a count of what the question counts ("20 countries" for "몇 개국")
CONCEPT_WEIGHT = 1.0  # per concept of the question (bot/answering/concepts.py) it speaks of
CONCEPT_SIMILARITY = 0.01  # … and each such concept lowers its similarity floor this much
_NOT_DISCLOSED = re.compile(
    r"(?i)\b(did not|didn't|declined to|refused to) (disclose|reveal|say|specify|release)|"
    r"\bnot (been )?(disclosed|revealed|released|made public)\b|\bundisclosed\b|"
    r"공개하지\s*않|밝히지\s*않|확인되지\s*않|알려지지\s*않"
)
_PART_OF = re.compile(r"(?i)(including|among them|of whom|가운데|중)\s*$")
_PART_OF_EN = re.compile(r"(?i)(including|among them|of whom)\s*$")
# Bylines, copyright lines, photo credits: never an answer.
_BOILERPLATE = re.compile(
    r"(?i)^\s*(?:©|\(c\)|copyright\b|photo by\b|\[?사진\b)|all rights reserved|무단\s*전재"
)


def head_matches(head: str | None, text: str, span: TypedSpan) -> bool | None:
    """Does the noun after a count span name what the question counts? None: no head."""
    if not head:
        return None
    tail = text[span.start : span.end + 30]  # an English count span may hold its noun
    figures = find_figures(tail)
    after = tail[figures[0].end :] if figures and figures[0].start < 3 else text[span.end :][:30]
    piece = text[span.start : span.end]
    if span.label not in ("COUNT", "MONEY", "PERCENT"):  # "어느 위원회": a committee's name
        return bool(re.search(rf"(?i)\b(?:{head})", piece + after[:12]))
    if language_of(text) == "ko":  # the counter is inside the span ("64명", "20개국")
        if head == "people" or _PERSON_NOUNS.match(head):
            named = [k for k, v in _KO_PEOPLE.items() if v == head.lower()]
            # "How many suspects": a count of people in a sentence that names suspects.
            return piece.endswith("명") and (not named or any(k in text for k in named))
        counters = [k for k, v in _KO_COUNTERS.items() if v == head]
        return any(piece.endswith(k) for k in counters) if counters else None
    if head == "people":
        return bool(_PERSON_NOUNS.match(after))
    return bool(re.match(rf"(?i)^\W*(?:[a-z-]+\s+){{0,2}}{re.escape(head.rstrip('s'))}", after))


class Sentence:
    """A retrieved sentence with its document offsets, language and scores."""

    def __init__(self, hit: Hit, rank: int, start: int, end: int, text: str) -> None:
        self.hit, self.rank, self.start, self.end, self.text = hit, rank, start, end, text
        self.language = language_of(text)
        self.similarity = -1.0  # to the question, less its closeness to any question
        self.raw = -1.0  # to the question
        self.score = 0.0
        self.spans: list[TypedSpan] = []


def sentences_of(hits: list[Hit]) -> list[Sentence]:
    """Every sentence of the retrieved chunks, once (chunks overlap), in rank order."""
    seen: set[tuple[str, int]] = set()
    out: list[Sentence] = []
    for rank, hit in enumerate(hits):
        for s, e in split_sentences(hit.chunk.text):
            key = (hit.document.doc_id, hit.chunk.start + s)
            if key not in seen:
                seen.add(key)
                out.append(Sentence(hit, rank, hit.chunk.start + s, hit.chunk.start + e,
                                    hit.chunk.text[s:e]))  # fmt: skip
    return out


_CLAUSE_BREAK = re.compile(
    r",\s+|;\s+|\s+(?=(?:while|whereas|but|that|including)\s)|(?<=고|며|서),?\s+"
)


def clauses(text: str, least: int = 25) -> list[str]:
    """The clauses of a long sentence (none for a short one), short pieces joined to the next."""
    if len(text) < 2 * least:
        return []
    out: list[str] = []
    start = 0
    for m in _CLAUSE_BREAK.finditer(text):
        if m.start() - start >= least and len(text) - m.end() >= least:
            out.append(text[start : m.start()])
            start = m.end()
    if out:
        out.append(text[start:])
    return out


def _is_headline(text: str) -> bool:
    return not text.rstrip().endswith((".", "!", "?", '"', "”", "’", "'", "。", "다"))


class CrossLanguageReader:
    """Reads retrieved sentences of any language for a question of any language."""

    def __init__(self, embedder: Embedder, cache_size: int = 20_000, ner: bool = False) -> None:
        self.embedder = embedder
        self.ner = ner  # English names from spaCy's recogniser for name questions, else regex
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self._probe_vectors: np.ndarray | None = None
        self._lock = threading.Lock()
        self._last_query: tuple[str, np.ndarray] = ("", np.zeros(0, dtype=np.float32))

    def _query(self, question: str) -> np.ndarray:
        if self._last_query[0] != question:
            self._last_query = (question, self.embedder.queries([question])[0])
        return self._last_query[1]

    def _probes(self) -> np.ndarray:
        if self._probe_vectors is None:
            self._probe_vectors = self.embedder.queries(PROBES)
        return self._probe_vectors

    def _passages(self, texts: list[str]) -> np.ndarray:
        """Unit vectors of ``texts``, remembered (a server's threads share them)."""
        with self._lock:
            have = {t: self._cache[t] for t in texts if t in self._cache}
        todo = list(dict.fromkeys(t for t in texts if t not in have))
        if todo:
            fresh = dict(zip(todo, self.embedder.passages(todo), strict=True))
            have.update(fresh)
            with self._lock:
                self._cache.update(fresh)
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        return np.stack([have[t] for t in texts])

    def rank(self, question: str, hits: list[Hit]) -> tuple[list[Sentence], AType, str | None]:
        """The sentences that may answer, best first; the asked type and head."""
        qlang = language_of(question)
        atype, head = answer_type_of(question)
        sents = [s for s in sentences_of(hits) if s.language and not _BOILERPLATE.search(s.text)]
        if not sents:
            return [], atype, head
        q = self._query(question)
        pieces = [(i, p) for i, s in enumerate(sents) for p in [s.text, *clauses(s.text)]]
        sims = self._passages([p for _, p in pieces]) @ q
        hub = self._passages([p for _, p in pieces]) @ self._probes().T
        for (i, _), sim, h in zip(pieces, sims, hub.mean(axis=1), strict=True):
            # A long sentence states several facts: its best clause speaks for it. A sentence
            # close to any question at all (a byline, a sentence of many facts) counts less.
            sents[i].similarity = max(sents[i].similarity, float(sim) - HUBNESS * float(h))
            sents[i].raw = max(sents[i].raw, float(sim))
        units = content_units(question)
        q_anchors = anchors(question)
        # What the question asks about, when the concept table has words for its language.
        q_concepts = concepts_in(question) if qlang in LANGUAGES else frozenset()
        labels = LABELS_FOR.get(atype, {})
        if qlang == "ko" and atype == "place":  # "추산한 곳은 어디": 어디 asks for a body too
            labels = {**labels, **{k: v for k, v in LABELS_FOR["org"].items() if k not in labels}}
        names: dict[str, list[TypedSpan]] = {}
        if self.ner and labels and atype not in ("count", "money", "percent", "date"):
            names = entity_spans(s.text for s in sents if s.language == "en")
        everything = np.array([s.similarity for s in sents])
        kept: list[Sentence] = []
        for lang in {s.language for s in sents}:
            group = [s for s in sents if s.language == lang]
            pool = np.array([s.similarity for s in group]) if len(group) >= 4 else everything
            mean, spread = float(pool.mean()), float(pool.std()) or 1.0
            for s in group:
                standout = (s.similarity - mean) / spread
                shared = len(q_anchors & anchors(s.text))
                found = typed_spans(s.text, names[s.text]) if s.text in names else spans_of(s.text)
                s.spans = [sp for sp in found if labels.get(sp.label)]
                fits = [sp for sp in s.spans if head_matches(head, s.text, sp)]
                # A count must count what was asked about; a name need not say "committee".
                s.spans = fits or [sp for sp in s.spans if sp.label not in ("COUNT",)
                                   or head_matches(head, s.text, sp) is None]  # fmt: skip
                undisclosed = bool(_NOT_DISCLOSED.search(s.text))
                if atype != "general" and not s.spans and not undisclosed:
                    continue  # "몇 명" needs a count, "언제" a date (or "not disclosed")
                if lang == qlang:
                    # Its own words must answer: an on-topic report in the question's
                    # language that says something else must not win.
                    if unit_coverage(units, s.text) < SAME_LANGUAGE_COVERAGE:
                        continue
                    spoken = q_concepts & concepts_in(s.text)
                else:
                    # Another language: it must name what happened (a question about deaths
                    # is not answered by a sentence about videos that is close in the space)
                    # and what a figure measures (net profit is not operating profit), and be
                    # close to the question, or name what it is about. (The concept table
                    # has no words for other languages: there it rules nothing out.)
                    named = spoken_of(q_concepts, s.text, lang)
                    if named is None:
                        continue
                    spoken = named
                    if (s.raw + CONCEPT_SIMILARITY * len(spoken) < MIN_SIMILARITY
                            or standout + shared + (1.0 if fits and head != "people" else 0.0)
                            < MIN_STANDOUT):  # fmt: skip
                        continue
                s.score = (standout + ANCHOR_WEIGHT * shared + CONCEPT_WEIGHT * len(spoken)
                           + (HEAD_BONUS if fits and head != "people" else 0.0)
                           + (TYPE_BONUS if s.spans and atype != "general" else 0.0)
                           - (HEADLINE_PENALTY if _is_headline(s.text) else 0.0))  # fmt: skip
                kept.append(s)
        kept.sort(key=lambda s: -s.score)
        return kept, atype, head

    def short_span(self, question: str, best: Sentence, head: str | None) -> TypedSpan | None:
        """The span of the asked type in the quote that the question is most about: each
        candidate span is scored by the similarity of the clause around it to the question;
        None when no span stands out (the quote then answers on its own)."""
        spans = best.spans
        if not spans:
            return None
        if len(spans) == 1:
            return spans[0]
        text = best.text
        windows = [text[max(0, sp.start - 15) : _window_end(text, sp, best.spans)] for sp in spans]
        q = self._query(question)
        sims = self._passages(windows) @ q
        scored = []
        for sp, sim in zip(spans, sims, strict=True):
            value = float(sim)
            if _PART_OF.search(text[max(0, sp.start - 14) : sp.start]):
                value -= 0.015  # "including 476 women": a part, not the whole
            if head and head != "people" and head_matches(head, text, sp):
                value += 0.05
            scored.append((value, sp))
        scored.sort(key=lambda x: -x[0])
        if scored[0][0] - scored[1][0] < SHORT_MARGIN:
            return None  # no span stands out: the quote is the answer
        return scored[0][1]


def _window_end(text: str, span: TypedSpan, spans: list[TypedSpan]) -> int:
    """Where the clause of a span ends: at the next span of its kind that is not a part of it
    ("Seventy-five individuals, including five women …, have been brought to trial, | while
    2,825 foreigners …"), else 120 characters on."""
    for other in sorted(spans, key=lambda o: o.start):
        if (
            other.start >= span.end
            and other.label == span.label
            and not _PART_OF_EN.search(text[max(0, other.start - 14) : other.start])
        ):
            return min(other.start, span.end + 120)
    return span.end + 120


def _people_of(text: str, span: TypedSpan) -> tuple[int, int]:
    """A nationality names people: "two Korean women", not "Korean"."""
    start, end = span.start, span.end
    if span.label == "NORP":
        after = re.match(r"\s+[a-z]+\b", text[end:])
        if after:
            end += after.end()
            before = re.search(r"(?i)\b(?:\d[\d,]*|[a-z]+-?[a-z]*)\s+$", text[:start])
            if before and find_figures(before.group()):
                start = before.start()
    return start, end


def _tidy(text: str, start: int, end: int) -> tuple[int, int]:
    while end > start and text[end - 1] in " ,;:.)(":
        end -= 1
    while start < end and text[start] in " ,;:(":
        start += 1
    return start, end


class LanguageAwareAnswerer:
    """Wraps an answerer: questions whose reports are in another language are read across
    languages; all others go to the wrapped answerer unchanged. Labels foreign quotes."""

    def __init__(self, inner: Answerer, embedder: Embedder | None) -> None:
        self.inner = inner
        self.mode = inner.mode
        ner = bool(getattr(inner, "ner", False))
        self.reader = CrossLanguageReader(embedder, ner=ner) if embedder is not None else None

    def __getattr__(self, name: str) -> Any:  # condense and the like: the wrapped answerer's
        return getattr(self.inner, name)

    def _crosses(self, request: AnswerRequest) -> bool:
        if self.reader is None or self.inner.mode != "extractive" or not request.hits:
            return False
        qlang = language_of(request.question)
        langs = {language_of(h.document.text[:2000]) for h in request.hits} - {None}
        return qlang is not None and bool(langs - {qlang})

    def answer(self, request: AnswerRequest) -> Answer:
        if not self._crosses(request):
            return label(self.inner.answer(request), request.question)
        if language_of(request.question) == "en":
            # English keeps its reader on English reports; other languages are read only when
            # it finds no answer there.
            same = [h for h in request.hits if language_of(h.document.text[:2000]) == "en"]
            if same:
                first = self.inner.answer(_with_hits(request, same))
                units = content_units(request.question)
                quote = first.citations[0].quote if first.citations else ""
                if first.abstained and "not disclosed" in first.answer:
                    return label(first, request.question)  # the report says it is unknown
                if not first.abstained and unit_coverage(units, quote) >= INNER_COVERAGE:
                    return label(first, request.question)
        return label(self.read_across(request), request.question)

    def stream(self, request: AnswerRequest) -> Iterator[str | Answer]:
        if not self._crosses(request):
            for item in self.inner.stream(request):
                yield label(item, request.question) if isinstance(item, Answer) else item
            return
        answer = self.answer(request)
        yield answer.answer
        yield answer

    def read_across(self, request: AnswerRequest) -> Answer:
        assert self.reader is not None
        ranked, _, head = self.reader.rank(request.question, request.hits)
        builder = CitationBuilder()
        if not ranked:
            return _abstain(builder, request.hits)
        best = ranked[0]
        if _NOT_DISCLOSED.search(best.text):
            n = builder.cite(best.hit, best.start, best.end)
            text, citations = renumber(
                f"{NOT_FOUND} The reports say it was not disclosed: {best.text} [{n}]",
                builder.citations,
            )
            return Answer(text, True, citations, "extractive")
        n = builder.cite(best.hit, best.start, best.end)
        text = f"{best.text} [{n}]"
        short: ShortAnswer | None = None
        span = self.reader.short_span(request.question, best, head)
        if span is not None:
            s, e = _tidy(best.text, *_people_of(best.text, span))
            if e > s and best.text[s:e].strip() != best.text.strip():
                short = ShortAnswer(best.text[s:e], n, best.start + s, best.start + e)
                text = f"{short.text} [{n}]\n{text}"
        text, verification = verify(text, builder.citations)
        text, citations = renumber(text, builder.citations)
        if short is not None and not any(c.n == short.citation for c in citations):
            short = None
        return Answer(text, False, citations, "extractive", verification, short_answer=short)


def _with_hits(request: AnswerRequest, hits: list[Hit]) -> AnswerRequest:
    return AnswerRequest(request.question, hits, request.context, request.prefer_docs,
                         request.history)  # fmt: skip


def _abstain(builder: CitationBuilder, hits: list[Hit]) -> Answer:
    refs = []
    for hit in hits[:2]:
        spans = split_sentences(hit.chunk.text)
        if spans:
            s, e = spans[0]
            refs.append(builder.cite(hit, hit.chunk.start + s, hit.chunk.start + e))
    text = NOT_FOUND + (" Closest passages: " + " ".join(f"[{n}]" for n in refs) + "."
                        if refs else "")  # fmt: skip
    text, citations = renumber(text, builder.citations)
    return Answer(text, True, citations, "extractive")


def label(answer: Answer, question: str) -> Answer:
    """Mark each quote in another language than the question with its language."""
    qlang = language_of(question)
    if qlang is None:
        return answer
    for c in answer.citations:
        lang = language_of(c.quote)
        c.language = lang if lang and lang != qlang else None
    return answer


def with_languages(answerer: Answerer, embed_model: object) -> Answerer:
    """``answerer`` reading across languages when the embedding model is multilingual (it has
    ``queries``/``passages``), else only labelling foreign quotes."""
    multilingual = getattr(embed_model, "multilingual", False)
    embedder: Any = embed_model if multilingual else None
    return LanguageAwareAnswerer(answerer, embedder)


__all__ = [
    "CrossLanguageReader",
    "LanguageAwareAnswerer",
    "anchors",
    "answer_type_of",
    "content_units",
    "korean_answer_type",
    "korean_spans",
    "language_of",
    "unit_coverage",
    "with_languages",
]

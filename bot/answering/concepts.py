"""A small bilingual (English/Korean) lexicon of news concepts, for reading across languages.

A multilingual embedding places "How many Koreans died?" close to any sentence about Koreans
with a count in it ("videos featuring two Korean women"), and "how many were injured" close to
"6,500 safety staff were deployed": it does not tell one event from another well enough. This
table names what a news question is about (an event: died, injured, arrested, deported; or a
measure: interest rate, growth, price) in both languages, so the cross-language reader can ask
whether a sentence speaks of what the question asks.

Each concept has English word forms (a regex over lower-case text, word-bounded) and Korean
stems (substrings: Korean attaches particles and endings, "숨진", "숨졌다" both hold "숨"+"지/졌").
A form may be ambiguous across senses ("held" a rate / "held" a festival): a concept lists the
forms of every sense in the other language too, so an ambiguous word never rules a sentence out.

Events are what happened, measures what a figure measures: a sentence in another language must
name one of the question's events and one of its measures to answer it (a question about deaths
is not answered by a sentence about videos, nor net profit by operating profit). Topics only
weigh: a sentence naming the question's topics ranks above one that names others.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

Kind = Literal["event", "measure", "topic"]


@dataclass(frozen=True)
class Concept:
    name: str
    kind: Kind  # "event" (what happened), "measure" (what a figure measures), "topic"
    english: re.Pattern[str]
    korean: tuple[str, ...]


def _c(name: str, kind: Kind, english: str, korean: str) -> Concept:
    return Concept(name, kind, re.compile(rf"\b(?:{english})\b"), tuple(korean.split()))


# fmt: off
CONCEPTS: tuple[Concept, ...] = (
    # -- casualties and disasters ---------------------------------------------------------
    _c("death", "event", r"die[ds]?|dying|dead|deaths?|deadly|killed|killing|fatal\w*|"
       r"lives|bodies|perish\w*|death toll|passed away",
       "숨지 숨진 숨졌 숨져 사망 목숨 사상자 희생 시신 참사"),
    _c("injury", "event", r"injur\w*|wound\w*|hurt|casualt\w*|hospitali[sz]\w*",
       "부상 다친 다쳤 다쳐 중상 경상 사상자 병원 이송"),
    _c("missing", "event", r"missing|unaccounted|disappear\w*", "실종 행방불명 연락두절"),
    _c("rescue", "event", r"rescu\w*", "구조 구출 구해"),
    _c("evacuation", "event", r"evacuat\w*|displac\w*|shelters?|fled|flee\w*",
       "대피 이재민 피난"),
    _c("damage", "event", r"damag\w*|destroy\w*|destruction|flooded|collaps\w*",
       "피해 파손 붕괴 침수 손실 손해"),
    _c("storm", "topic", r"typhoons?|storms?|hurricanes?|cyclones?|heavy rain\w*|downpours?|"
       r"floods?|flooding|rainfall", "태풍 폭우 호우 강풍 홍수 장마 폭풍"),
    _c("earthquake", "topic", r"earthquakes?|quakes?|tremors?|aftershocks?", "지진 여진"),
    _c("fire", "topic", r"fires?|wildfires?|blazes?|flames?", "화재 산불 불길 전소"),
    _c("landfall", "event", r"landfall|ashore|hit land|struck land", "상륙"),
    _c("cancellation", "event", r"cancel\w*|called off|scrapped|grounded",
       "취소 결항 운휴 무산 중단"),
    _c("start", "topic", r"start\w*|began|begun|begin\w*|launch\w*|from|since|kick\w* off",
       "시작 개시 착수 출범 부터"),
    _c("accident", "event", r"accidents?|crash\w*|collisions?|collid\w*|derail\w*|explosions?|"
       r"explod\w*|blasts?", "사고 추락 충돌 탈선 폭발"),
    # -- crime and justice ----------------------------------------------------------------
    _c("arrest", "event", r"arrest\w*|detain\w*|detention|apprehend\w*|custody|captured|"
       r"rounded up|crackdown", "체포 검거 구금 붙잡 억류 연행 구속 단속 적발"),
    _c("charge", "event", r"charg(?:e|ed|es|ing)|indict\w*|prosecut\w*|booked|suspects?|accused",
       "기소 입건 피의자 용의자 혐의 송치 고발"),
    _c("trial", "event", r"trials?|courts?|judges?|legal proceedings|hearings?|lawsuits?|sued",
       "재판 법원 법정 공판 소송 판사 법적 심리"),
    _c("sentence", "event", r"sentenc\w*|convict\w*|guilty|jail\w*|prison\w*|imprison\w*|"
       r"acquit\w*", "선고 징역 유죄 무죄 실형 수감 복역"),
    _c("release", "event", r"freed|set free|parole\w*|released (?:from|on bail)|release of",
       "석방 풀려 방면 출소 가석방"),
    _c("deportation", "event", r"deport\w*|expel\w*|expulsion|extradit\w*",
       "추방 강제퇴거 강제출국 송환"),
    _c("repatriation", "event", r"repatriat\w*|flown back|flew back|brought back|brought home|"
       r"returned home|sent back|sent home", "송환 귀국 돌아왔 돌아와 데려왔"),
    _c("seizure", "event", r"seiz\w*|confiscat\w*|impound\w*", "압수 압류 몰수"),
    _c("investigation", "event", r"raid\w*|investigat\w*|probe[ds]?|probing|inquir(?:y|ies)",
       "압수수색 수사 조사 급습"),
    _c("kidnapping", "event", r"kidnap\w*|abduct\w*|hostages?|confine\w*|confinement|captive",
       "납치 감금 인질 억류"),
    _c("murder", "event", r"murder\w*|homicid\w*", "살인 살해"),
    _c("fraud", "topic", r"scams?|scamm\w*|fraud\w*|swindl\w*|phishing",
       "사기 스캠 보이스피싱 피싱 편취"),
    _c("trafficking", "topic", r"traffick\w*|smuggl\w*", "인신매매 밀수 밀매"),
    _c("crime", "topic", r"crimes?|criminal\w*|offen[cs]es?|illegal", "범죄 범행 불법"),
    _c("police", "topic", r"police|policem[ae]n|officers?", "경찰 수사관"),
    _c("evidence", "topic", r"evidence|exhibits?", "증거"),
    # -- government and politics ----------------------------------------------------------
    _c("announcement", "topic", r"announc\w*|declar\w*|said|stated|report\w*|told|"
       r"unveil\w*|disclos\w*|revealed", "발표 밝혔 밝혀 전했 보고 보도 공개 말했 공표"),
    _c("advisory", "event", r"advisor(?:y|ies)|warnings?|alerts?|warn(?:ed|s|ing)?",
       "주의보 경보 경고 주의"),
    _c("election", "event", r"elect(?:ed|ion|ions|s|oral)?|vot(?:e|ed|es|ing|ers?)|ballots?|"
       r"polls?|turnout|won|wins?|winning|defeat\w*|seats?",
       "선거 투표 당선 득표 표결 찬성 반대 의석 개표"),
    _c("resignation", "event", r"resign\w*|step(?:ped|s)? down|quit|ousted|dismiss\w*|sacked",
       "사퇴 사임 물러 해임 경질 사직"),
    _c("appointment", "event", r"appoint\w*|nominat\w*", "임명 지명 선임 내정 취임"),
    _c("agreement", "event", r"agree(?:d|s|ment|ments)?|deals?|sign(?:ed|s|ing)?|treat(?:y|ies)|"
       r"accords?|pacts?", "합의 협정 서명 체결 조약 계약"),
    _c("ban", "event", r"bann(?:ed|ing)|bans?|prohibit\w*|restrict\w*|suspend\w*|suspension",
       "금지 제한 중단 정지 규제"),
    _c("approval", "event", r"approv\w*|passed|adopt(?:ed|s)?|endors\w*|ratif\w*",
       "승인 통과 가결 의결 채택 허가"),
    _c("protest", "event", r"protest\w*|rall(?:y|ies|ied)|demonstrat(?:ion|ions|ors?|ed)|"
       r"strikes?|striking|walkouts?", "시위 집회 파업 농성 항의"),
    _c("sanction", "event", r"sanction\w*|penalt(?:y|ies)|fined|fines?", "제재 벌금 과징금 처벌"),
    _c("ministry", "topic", r"ministr(?:y|ies)|minister\w*|departments?|government",
       "부처 외교부 장관 정부"),
    _c("committee", "topic", r"committees?|commissions?|councils?|boards?|panels?",
       "위원회 위원 협의회 이사회 금통위"),
    _c("media", "topic", r"media|outlets?|newspapers?|broadcasters?|news agenc\w*|press",
       "언론 매체 신문 방송사 통신사 보도 일보"),
    # -- economy --------------------------------------------------------------------------
    _c("interest_rate", "measure", r"(?:base|policy|key|benchmark|interest|lending|deposit|"
       r"mortgage|repo)\s+rates?|rate (?:cut|hike|decision)s?", "금리 이자율"),
    _c("hold", "topic", r"hold\w*|held|kept|keep\w*|maintain\w*|freez\w*|froze\w*|unchanged|"
       r"steady", "동결 유지 열렸 열린 개최 그대로"),
    _c("cut", "topic", r"cut|cuts|cutting|lower(?:ed|s|ing)?|reduc\w*|slash\w*|decreas\w*|"
       r"declin\w*|fell|fall(?:s|ing|en)?|dropp?(?:ed|s|ing)?|shr[iu]nk\w*|plung\w*",
       "인하 감소 하락 줄었 줄어 축소 떨어 감축 내렸 낮췄"),
    _c("rise", "topic", r"rais(?:e|ed|es|ing)|hik(?:e|ed|es|ing)|increas\w*|ris(?:e|es|en|ing)|"
       r"rose|grew|grow(?:s|n|ing|th)?|jump\w*|soar\w*|climb\w*|surg(?:e|ed|es|ing)",
       "인상 증가 상승 늘었 늘어 올랐 오른 올려 확대 급등 높였 성장"),
    _c("growth", "measure", r"growth|gdp|econom(?:y|ic|ies)", "성장 경제 국내총생산"),
    _c("inflation", "measure", r"inflation|consumer prices?|cpi|price index", "물가 인플레이션"),
    _c("forecast", "topic", r"forecast\w*|outlook|projection\w*|projected|expect\w*|"
       r"estimat\w*|predict\w*|guidance", "전망 예상 예측 추정 관측"),
    _c("unemployment", "measure", r"unemploy\w*|jobless\w*|jobs?|employment|hiring",
       "실업 고용 일자리 취업"),
    _c("trade", "topic", r"exports?|imports?|trade|tariffs?|shipments?",
       "수출 수입 무역 관세 교역"),
    _c("revenue", "measure", r"revenues?|sales|turnover", "매출 판매"),
    _c("profit", "topic", r"profits?|earnings|income|margins?|results", "이익 흑자 수익 실적"),
    _c("operating_profit", "measure", r"operating (?:profits?|income|loss(?:es)?)",
       "영업이익 영업손실 영업익"),
    _c("net_profit", "measure", r"net (?:profits?|income|loss(?:es)?)|bottom line",
       "순이익 순손실 당기순"),
    _c("dividend", "measure", r"dividends?|payouts?", "배당"),
    _c("exchange_rate", "measure", r"exchange rates?", "환율"),
    _c("year_on_year", "topic", r"(?:from|than|on) a year (?:earlier|ago|before)|"
       r"year[- ]on[- ]year|from the same (?:period|quarter|month) (?:a|last) year|"
       r"annual(?:ly)? basis",
       "지난해 같은 기간 전년 동기 1년 전 전년 대비"),
    _c("cause", "topic", r"credit\w*|attribut\w*|due to|because|thanks to|driven by|blam\w*|"
       r"caus(?:e|ed|es)|behind|reasons?", "덕분 때문 이끌 원인 견인 힘입 탓 이유"),
    _c("loss", "topic", r"loss|losses|deficits?", "손실 적자 손해"),
    _c("price", "event", r"pric(?:e|ed|es|ing)|costs?|fees?|fares?|tickets?|paid|pay|pays|worth|"
       r"spen[dt]\w*|charg(?:e|ed|es)", "가격 요금 비용 입장료 티켓 금액 지불 판매가 가격은"),
    _c("investment", "topic", r"invest\w*|funding|capital", "투자 자금 펀드 출자"),
    _c("budget", "topic", r"budgets?|spending|subsid\w*|grants?|relief", "예산 지원금 보조금 재정"),
    _c("tax", "topic", r"tax\w*|levy|levies|duties", "세금 세율 과세 관세 세제"),
    _c("stock", "topic", r"stocks?|kospi|kosdaq|nasdaq|stock index|stock market|"
       r"shares? (?:rose|fell)", "주가 주식 증시 코스피 코스닥"),
    _c("currency", "topic", r"won|dollars?|currenc(?:y|ies)|exchange rates?|yen|euros?",
       "원화 달러 환율 엔화 유로"),
    _c("debt", "topic", r"debts?|loans?|borrow\w*|lending|credit", "부채 대출 채무 신용"),
    _c("housing", "topic", r"hous(?:e|es|ing)|homes?|apartments?|real estate|"
       r"propert(?:y|ies)|rents?", "주택 아파트 부동산 집값 월세 임대"),
    # -- people and events ----------------------------------------------------------------
    _c("attendance", "event", r"attend\w*|visit\w*|spectators?|crowds?|turned out|flock\w*|"
       r"audiences?", "관람객 방문객 관객 인파 찾았 찾은 방문 참석 참가 몰려 몰렸"),
    _c("festival", "topic", r"festivals?|fireworks?|concerts?|celebrat\w*|ceremon(?:y|ies)|"
       r"parades?", "축제 불꽃 공연 행사 기념식 콘서트"),
    _c("deployment", "event", r"deploy\w*|dispatch\w*|mobili[sz]\w*", "배치 투입 파견 동원"),
    _c("staff", "topic", r"staff\w*|personnel|workers?|employees?|volunteers?|guards?|crews?|"
       r"firefighters?|drivers?|pilots?",
       "요원 인력 직원 근로자 자원봉사자 소방 대원 인원 기관사 운전기사 조종사"),
    _c("travel", "topic", r"travel\w*|tourists?|touris\w*|trips?|flights?|airlines?|airports?|"
       r"charter\w*|flown|plane", "여행 관광 항공 공항 전세기 비행 여객기"),
    _c("video", "topic", r"videos?|footage|films?|clips?|youtube", "영상 동영상 비디오 유튜브"),
    _c("school", "topic", r"schools?|students?|universit(?:y|ies)|teachers?|exams?",
       "학교 학생 대학 교사 시험 수능"),
    _c("hospital", "topic", r"hospitals?|doctors?|patients?|medical|clinics?",
       "병원 의사 환자 의료 진료"),
    _c("infection", "event", r"infect\w*|outbreaks?|virus\w*|covid\w*|flu|epidemic\w*|"
       r"pandemic\w*|vaccin\w*", "감염 확진 발병 바이러스 코로나 독감 백신"),
    _c("military", "topic", r"militar\w*|troops?|soldiers?|army|navy|missiles?|weapons?|"
       r"nuclear|drills?", "군대 병력 군인 미사일 무기 핵무기 핵실험 군사 국방"),
    _c("attack", "event", r"attack\w*|air ?strikes?|bomb\w*|shelling|invad\w*|invasion",
       "공격 공습 폭격 포격 침공 도발"),
)
# fmt: on


@lru_cache(maxsize=20_000)
def concepts_in(text: str) -> frozenset[str]:
    """The names of the concepts ``text`` speaks of (either language)."""
    low = text.lower()
    return frozenset(
        c.name for c in CONCEPTS if c.english.search(low) or any(k in text for k in c.korean)
    )


EVENTS = frozenset(c.name for c in CONCEPTS if c.kind == "event")
MEASURES = frozenset(c.name for c in CONCEPTS if c.kind == "measure")
LANGUAGES = frozenset({"en", "ko"})  # the languages the table has words for


def spoken_of(asked: frozenset[str], text: str, language: str | None) -> frozenset[str] | None:
    """The asked concepts ``text`` (in ``language``) speaks of, or None when it cannot answer:
    it names none of the events asked about, or none of the measures. In a language outside
    ``LANGUAGES`` the table knows no word, so it rules nothing out (and credits nothing)."""
    if language not in LANGUAGES:
        return frozenset()
    spoken = asked & concepts_in(text)
    for kind in (EVENTS, MEASURES):
        if asked & kind and not spoken & kind:
            return None
    return spoken


__all__ = ["CONCEPTS", "EVENTS", "LANGUAGES", "MEASURES", "Concept", "concepts_in", "spoken_of"]

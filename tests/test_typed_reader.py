"""The typed reader's parts: the answer type read from a question, the typed spans of a
sentence, and the short answer chosen among them."""

from __future__ import annotations

import pytest

from bot.answering.extractive import appositive_spans, candidates, score, short_span
from bot.answering.question import Question, answer_type
from bot.answering.spans import entity_spans, join_list, load_ner, typed_spans
from index.types import Chunk, Document, Hit

TYPES = [
    ("How many people were arrested?", "count", "people"),
    ("Approximately how many customers were without power?", "count", "customers"),
    ("How many of them were women?", "count", "women"),
    ("How much money has the US committed to Ukraine?", "money", "money"),
    ("How much did the bidder pay?", "money", "pay"),
    ("What was the total amount of money stolen by the scam rings?", "money", None),
    ("What percentage of voters backed the measure?", "percent", None),
    ("How old is he?", "count", None),
    ("When did the crackdown start and end?", "date", None),
    ("On what day do they expect this to occur?", "date", None),
    ("Who won France's presidential election?", "who", None),
    ("Which high-level US official traveled to Ukraine this week?", "person", "official"),
    ("Which body reported the arrest figures?", "org", "body"),
    ("Which two airlines announced plans to merge this week?", "org", "airlines"),
    ("What popular ice cream company is undergoing a makeover?", "org", "company"),
    ("In which city did the attack occur?", "place", "city"),
    ("Where is the uncrewed spacecraft headed?", "place", None),
    ("Which state's governor commuted the sentences?", "place", "state"),
    ("Which wildly popular show was green lit for a new season?", "work", "show"),
    ("Supermarkets in France are struggling to stock which condiment?", "general", "condiment"),
    # The head of a "what/which + noun" question is the phrase's last word, past adjectives
    # and "type of"; "had" ends the phrase like the other auxiliaries.
    ("Which new treat did the chain add to its menu?", "general", "treat"),
    ("Lava could soon reach which type of infrastructure?", "general", "infrastructure"),
    ("The court ruled on which controversial subject this week?", "general", "subject"),
    ("Which kind of animal was it?", "general", "animal"),
    ("What is the political slogan of the new candidate?", "general", "slogan"),
    ("Among the firms, which one cost him the most money?", "general", None),
    ("What had state officials used to build it?", "general", None),
    ("Vaccines saved approximately how many lives across the country?", "count", "lives"),
]


@pytest.mark.parametrize(("question", "atype", "head"), TYPES, ids=[t[0] for t in TYPES])
def test_answer_type(question: str, atype: str, head: str | None) -> None:
    assert answer_type(question) == (atype, head)


def test_a_start_and_end_question_wants_a_range() -> None:
    assert Question.parse("When did the crackdown start and end?").wants_range
    assert not Question.parse("When did the crackdown start?").wants_range


def _spans(text: str, label: str) -> list[str]:
    return [text[s.start : s.end] for s in typed_spans(text) if s.label == label]


def test_figures_keep_their_noun_and_qualifier() -> None:
    text = "Police arrested more than 3,400 individuals, including 476 women, over three months."
    assert _spans(text, "COUNT") == [
        "more than 3,400 individuals",
        "476 women",
        "over three months",
    ]
    assert _spans("It cost $402 million to build.", "MONEY") == ["$402 million"]
    assert _spans("Support fell to 45 percent.", "PERCENT") == ["45 percent"]


def test_two_dates_joined_by_to_are_one_range() -> None:
    text = "From July 27 to October 14, police arrested 3,455 people."
    assert _spans(text, "DATE") == ["From July 27 to October 14"]
    assert _spans("It was announced on October 16.", "DATE") == ["October 16"]


def test_a_list_of_names_is_joined() -> None:
    text = "NATO invited Sweden and Finland to join."
    spans = entity_spans([text])[text]
    first = next(s for s in spans if text[s.start : s.end] == "Sweden")
    joined = join_list(text, spans, first)
    assert text[joined.start : joined.end] == "Sweden and Finland"


def test_the_entity_model_is_loaded_once_with_only_what_ner_needs() -> None:
    nlp = load_ner()
    assert nlp is not None and load_ner() is nlp
    assert "ner" in nlp.pipe_names and "parser" not in nlp.pipe_names
    text = "The Cambodia Online Scam Response Committee reported the arrests in Phnom Penh."
    labels = {text[s.start : s.end]: s.label for s in entity_spans([text])[text]}
    assert labels.get("Phnom Penh") == "GPE"
    assert any(label == "ORG" and "Committee" in name for name, label in labels.items())


def _hit(text: str, title: str, doc_id: str = "d1", rank_score: float = 1.0) -> Hit:
    doc = Document(doc_id, text, "memory", title, "Example", None, "2026-01-01", "h", "now")
    return Hit(Chunk(f"{doc_id}:0", doc_id, 0, len(text), text), doc, rank_score)


@pytest.mark.parametrize(
    ("question", "sentence", "expected"),
    [
        ("Which virus is spreading in schools?", "Doctors say a virus called RSV is back.", "RSV"),
        ("What is the political slogan of the candidate?",
         "Her political slogan is “Safer with Susan”, aides said.", "“Safer with Susan”"),
        ("Which mission was a success?", "On Monday the DART mission hit it.", "DART"),
        ("Which virus is spreading in schools?", "The virus is spreading fast.", None),
    ],
)  # fmt: skip
def test_a_name_next_to_the_noun_asked_for_is_the_answer(
    question: str, sentence: str, expected: str | None
) -> None:
    spans = appositive_spans(Question.parse(question), sentence)
    assert [sentence[s.start : s.end] for s in spans][:1] == ([expected] if expected else [])


def test_the_sentence_naming_the_asked_noun_outranks_one_sharing_more_words() -> None:
    q = Question.parse("What is the political slogan of Susan Hall, the candidate for mayor?")
    text = (
        "Susan Hall was chosen as the candidate for mayor by party members on Tuesday. "
        "Her political slogan is “Safer with Susan”, she told reporters."
    )
    cands = candidates([_hit(text, "Election news")])
    score(q, cands, ner=False)
    best = max(cands, key=lambda c: c.score)
    assert best.text.startswith("Her political slogan")
    span = short_span(q, best, ner=False)
    assert span is not None and best.text[span[0] : span[1]] == "“Safer with Susan”"


def test_a_name_the_report_title_also_names_is_the_preferred_short_answer() -> None:
    q = Question.parse("Which platform could users not access this week?")
    text = "Users could not access the platform, said Downdetector, while Twitter was silent."
    cands = candidates([_hit(text, "Twitter down: users struggle to log in | Example News")])
    score(q, cands, ner=False)
    span = short_span(q, cands[0], ner=False)
    assert span is not None and cands[0].text[span[0] : span[1]] == "Twitter"


def test_a_report_opening_sentence_wins_a_tie() -> None:
    q = Question.parse("Which new product did the carmaker show?")
    lead = "The carmaker showed a new product, a humanoid robot, on Friday."
    body = "Later the carmaker showed a new product, a cheaper sedan, analysts said." + " x" * 200
    text = lead + " " + "Filler sentence about nothing at all. " * 10 + body
    cands = candidates([_hit(text, "News")])
    score(q, cands, ner=False)
    by_text = {c.text[:20]: c.score for c in cands}
    assert by_text[lead[:20]] > by_text[body[:20]]

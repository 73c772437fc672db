"""Follow-ups: a question that cannot stand alone leans on the previous turn; one that can
starts fresh. Decided by the question's words (pronouns, "and …", an elided subject), never
by its length."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.answering.question import stands_alone, subject_of
from bot.chat.service import is_follow_up

# (previous question, next question, is the next one a follow-up?)
PAIRS: list[tuple[str, str, bool]] = [
    ("How many dengue cases were recorded?", "And how many deaths?", True),
    ("How many dengue cases were recorded?", "How many deaths?", True),
    ("How many dengue cases were recorded?", "Is there a curfew in Bangkok?", False),
    ("How many foreigners were deported?", "And how many of them were women?", True),
    ("How many foreigners were deported?", "How many of them were women?", True),
    ("Who led the raid?", "When did he resign?", True),
    ("Who led the raid?", "What did she say about it?", True),
    ("Where did the flood hit?", "What happened there?", True),
    ("Where did the flood hit?", "How many people live there?", True),
    ("When did the strike start?", "Why?", True),
    ("When did the strike start?", "How many?", True),
    ("When did the strike start?", "Which year?", True),
    ("Which company bought Twitter?", "What about Tesla?", True),
    ("Which company bought Twitter?", "How about its shares?", True),
    ("Which company bought Twitter?", "How much did it pay?", True),
    ("Which company bought Twitter?", "Who runs it?", True),
    ("Which team won the final?", "Who else played?", True),
    ("Which team won the final?", "Who scored for them?", True),
    ("Which team won the final?", "Who won?", True),
    ("What did the minister announce?", "Why did that happen?", True),
    ("What did the minister announce?", "Did those rules pass?", True),
    ("What did the minister announce?", "But when?", True),
    ("How many people were arrested in Cambodia?", "Also, how many were deported?", True),
    ("How many people were arrested in Cambodia?", "How many Cambodians were arrested?", False),
    ("How many people were arrested in Cambodia?", "What is the capital of France?", False),
    ("How many dengue cases were recorded?", "Is it true that the mayor resigned?", False),
    ("Who won the election?", "How many people voted in the Philippines election?", False),
    ("Who won the election?", "Which country elected its first leftist leader this week?", False),
    ("Who won the election?", "When did the Cambodian authorities announce the arrests?", False),
    ("Is there a curfew in Bangkok?", "How many dengue cases were recorded in Hanoi?", False),
    ("Is there a curfew in Bangkok?", "What time does the Bangkok curfew start?", False),
    ("Is there a curfew in Bangkok?", "Who ordered the curfew in Bangkok?", False),
    ("What is the weather in Paris?", "Are there flights to Berlin today?", False),
    ("How much was Instagram fined?", "How much was TikTok fined this week?", False),
    ("How much was Instagram fined?", "Which regulator fined Instagram?", False),
]


@pytest.mark.parametrize(("previous", "question", "follow_up"), PAIRS, ids=[p[1] for p in PAIRS])
def test_follow_up_is_decided_by_whether_the_question_stands_alone(
    previous: str, question: str, follow_up: bool
) -> None:
    assert is_follow_up(question) is follow_up
    assert stands_alone(question) is not follow_up
    assert stands_alone(previous)  # every previous question here stands alone


def test_there_are_at_least_thirty_pairs() -> None:
    assert len(PAIRS) >= 30


def test_subject_of_drops_what_was_asked_for() -> None:
    assert subject_of("How many dengue cases were recorded in Hanoi?") == "dengue recorded Hanoi"
    assert "foreigners" not in subject_of("How many foreigners were deported?")
    assert "deported" in subject_of("How many foreigners were deported?")


DENGUE = (
    "---\ntitle: Dengue outbreak in Hanoi\nsource: Hanoi Times\ndate: 2025-09-01\n---\n"
    "Health officials in Hanoi recorded 12,480 dengue cases in August, the highest monthly "
    "tally in five years.\n"
    "The outbreak has caused 7 deaths since January, the city's health department said.\n"
    "Hospitals have opened extra wards for dengue patients.\n"
)
CURFEW = (
    "---\ntitle: Bangkok imposes curfew\nsource: Bangkok Post\ndate: 2025-09-02\n---\n"
    "A night curfew was imposed in Bangkok on Tuesday after days of unrest, police said.\n"
    "The curfew runs from 10 pm to 5 am until further notice.\n"
)


@pytest.fixture
def chat_app(make_app, tmp_path: Path):  # type: ignore[no-untyped-def]
    (tmp_path / "dengue.md").write_text(DENGUE, encoding="utf-8")
    (tmp_path / "curfew.md").write_text(CURFEW, encoding="utf-8")
    return make_app([tmp_path / "dengue.md", tmp_path / "curfew.md"])


def test_and_how_many_deaths_answers_the_deaths_not_the_cases(chat_app) -> None:  # type: ignore[no-untyped-def]
    first = chat_app.service.answer("How many dengue cases were recorded?")
    assert "12,480" in first.answer and first.short_answer is not None
    follow = chat_app.service.answer("And how many deaths?", first.conversation_id)
    assert not follow.abstained
    assert follow.short_answer is not None and follow.short_answer.text == "7 deaths"
    assert "12,480" not in follow.answer


def test_a_topic_switch_starts_fresh(chat_app) -> None:  # type: ignore[no-untyped-def]
    first = chat_app.service.answer("How many dengue cases were recorded?")
    switch = chat_app.service.answer("Is there a curfew in Bangkok?", first.conversation_id)
    assert not switch.abstained
    assert all(c.source == "Bangkok Post" for c in switch.citations), switch.citations
    assert "dengue" not in switch.answer.lower()


def test_a_follow_up_is_answered_on_the_conversation_s_subject(sample_app) -> None:  # type: ignore[no-untyped-def]
    first = sample_app.service.answer("How many foreigners were deported?")
    follow = sample_app.service.answer("And how many of them were women?", first.conversation_id)
    # Not "two" (the two Korean women of the promotional videos): the deportations.
    assert follow.short_answer is not None and follow.short_answer.text == "476 women"
    assert "Korean" not in follow.answer

"""The extractive answerer over the sample report and small reports written here."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app.wiring import App
from bot.render.text import render_text

DEPORTED = "2,825 foreigners, including 476 women"


def _quote_is_exact(app: App, answer) -> None:  # type: ignore[no-untyped-def]
    for c in answer.citations:
        doc = app.store.catalog.get(c.doc_id)
        assert doc is not None
        assert doc.text[c.start : c.end] == c.quote


def test_deportation_question_quotes_the_2825_sentence(sample_app: App) -> None:
    answer = sample_app.service.answer("How many were deported?")
    assert not answer.abstained
    assert answer.mode == "extractive"
    assert DEPORTED in answer.answer
    assert "[1]" in answer.answer
    first = answer.citations[0]
    assert DEPORTED in first.quote and first.n == 1
    assert first.source == "The Asia Business Daily"
    assert first.title == "3,455 Arrested from 20 Countries Since Late July"
    # The sample carries no date: the ingest day stands in, and says so.
    assert first.date_kind == "ingested" and first.published
    assert f"ingested {first.published}" in render_text(answer)
    assert answer.verification.ok and answer.verification.figures_checked >= 3
    _quote_is_exact(sample_app, answer)


def test_unanswerable_breakdown_abstains_and_quotes_non_disclosure(sample_app: App) -> None:
    answer = sample_app.service.answer("How many Korean nationals were arrested?")
    assert answer.abstained
    assert "could not find" in answer.answer
    assert any("did not disclose" in c.quote for c in answer.citations)
    _quote_is_exact(sample_app, answer)


def test_off_topic_question_abstains(sample_app: App) -> None:
    answer = sample_app.service.answer("What is the capital of France?")
    assert answer.abstained


def test_answerable_questions_are_not_refused(sample_app: App) -> None:
    cases = {
        "When did the authorities announce the arrests?": "October 16",
        "How many people were brought to trial?": "Seventy-five",
        "How many major cases have legal proceedings begun for?": "10 major cases",
        "How many individuals were arrested from July 27 to October 14?": "3,455",
    }
    for question, expected in cases.items():
        answer = sample_app.service.answer(question)
        assert not answer.abstained, question
        assert expected in answer.answer, (question, answer.answer)


def test_follow_up_carries_the_conversation(sample_app: App) -> None:
    first = sample_app.service.answer("How many foreigners were deported?")
    follow = sample_app.service.answer("And how many of them were women?", first.conversation_id)
    assert "476" in follow.answer
    assert not follow.abstained
    assert any("476 women" in c.quote for c in follow.citations)


def test_conflicting_figures_are_shown_with_outlet_and_date(make_app, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    july = tmp_path / "july.md"
    july.write_text(
        "---\ntitle: Scam crackdown nets hundreds\nsource: Phnom Penh Post\ndate: 2025-07-30\n---\n"
        "Police said 1,200 people have been arrested in the scam crackdown so far.\n"
        "The operation began in mid-July across several provinces.\n",
        encoding="utf-8",
    )
    october = tmp_path / "october.md"
    october.write_text(
        "---\ntitle: Crackdown arrests pass three thousand\nsource: Khmer Times\n"
        "date: 2025-10-16\n---\n"
        "Officials said 3,455 people have been arrested in the scam crackdown so far.\n"
        "Investigations into the organisers continue.\n",
        encoding="utf-8",
    )
    app = make_app([july, october])
    answer = app.service.answer("How many people have been arrested in the scam crackdown?")
    assert not answer.abstained
    assert "different figures" in answer.answer
    text = answer.answer
    assert "Khmer Times, 2025-10-16" in text and "Phnom Penh Post, 2025-07-30" in text
    assert text.index("3,455") < text.index("1,200")  # newest first
    assert {c.source for c in answer.citations} == {"Khmer Times", "Phnom Penh Post"}


def test_reports_naming_different_people_for_the_same_fact_are_shown_as_differing(  # type: ignore[no-untyped-def]
    make_app, tmp_path: Path
) -> None:
    a = tmp_path / "a.md"
    a.write_text(
        "---\ntitle: Compound raid\nsource: Khmer Times\ndate: 2025-08-02\n---\n"
        "The raid on the Sihanoukville compound was led by General Chhay Kim Khoeun.\n"
        "More than 600 workers were found inside.\n",
        encoding="utf-8",
    )
    b = tmp_path / "b.md"
    b.write_text(
        "---\ntitle: Police raid scam compound\nsource: Phnom Penh Post\ndate: 2025-08-03\n---\n"
        "The raid on the Sihanoukville compound was led by General Sar Thet.\n"
        "Officers seized computers and phones.\n",
        encoding="utf-8",
    )
    c = tmp_path / "c.md"
    c.write_text(
        "---\ntitle: Deportations continue\nsource: VOD\ndate: 2025-08-04\n---\n"
        "Immigration officials said the deportation flights to China would continue.\n",
        encoding="utf-8",
    )
    app = make_app([a, b, c])
    answer = app.service.answer("Who led the raid on the Sihanoukville compound?")
    text = answer.answer
    assert text.startswith("The reports differ:"), text
    assert "Phnom Penh Post, 2025-08-03" in text and "Khmer Times, 2025-08-02" in text
    assert text.index("Sar Thet") < text.index("Chhay Kim Khoeun")  # newest first
    assert "VOD" not in text  # a report that says something else is not a disagreement
    # Reports that agree on the claim are quoted plainly.
    agreeing = app.service.answer("How many workers were found inside the compound?")
    assert "differ" not in agreeing.answer and "600" in agreeing.answer


def test_same_claim_other_values() -> None:
    from bot.answering.extractive import same_claim_other_values

    s = "The 2022 Nobel Prize in Literature was awarded to Annie Ernaux on Thursday."
    assert same_claim_other_values(s, s.replace("Annie Ernaux", "Jon Fosse"))
    assert same_claim_other_values(s, s.replace("2022", "2023"))
    assert not same_claim_other_values(s, s)
    assert not same_claim_other_values(s, s.replace(" on Thursday", ", the academy said"))
    assert not same_claim_other_values(s, "Jon Fosse is a Norwegian playwright and novelist.")


def test_syndicated_copies_are_cited_once_with_also_in(make_app, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    wire = (
        "Cambodian police deported 1,140 foreign nationals on Tuesday after raids on scam "
        "compounds in Sihanoukville, the interior ministry said. The deportees were flown out "
        "from Phnom Penh on chartered flights. Officials said more raids were planned in the "
        "coming weeks as the crackdown on online fraud widened across the country.\n"
    )
    a = tmp_path / "a.md"
    a.write_text("---\ntitle: Cambodia deports 1,140\nsource: Wire A\n---\n" + wire, "utf-8")
    b = tmp_path / "b.md"
    b.write_text(
        "---\ntitle: 1,140 deported\nsource: Daily B\n---\n" + wire + "Daily B contributed.\n",
        "utf-8",
    )
    app = make_app([a, b])
    answer = app.service.answer("How many foreign nationals were deported on Tuesday?")
    assert "1,140" in answer.answer and "different figures" not in answer.answer
    assert len({c.doc_id for c in answer.citations}) == 1
    cited = answer.citations[0]
    assert cited.also_in == [{"Wire A": "Daily B", "Daily B": "Wire A"}[cited.source or ""]]
    assert "also in" in render_text(answer)


def test_disagreeing_outlets_with_digits_in_their_names_keep_their_lines(  # type: ignore[no-untyped-def]
    make_app, tmp_path: Path
) -> None:
    for outlet, team in (("9News", "Tampa Bay"), ("WION 24", "Kansas City")):
        (tmp_path / f"{team}.md").write_text(
            f"---\ntitle: Final\nsource: {outlet}\n---\n"
            f"The championship final in Glendale was won by the {team} team on Sunday.\n",
            encoding="utf-8",
        )
    app = make_app(sorted(tmp_path.glob("*.md")))
    answer = app.service.answer("Which team won the championship final in Glendale?")
    assert answer.answer.startswith("The reports differ:"), answer.answer
    assert "- 9News" in answer.answer and "- WION 24" in answer.answer
    assert not answer.verification.unsupported


def _short_is_exact(app: App, answer) -> None:  # type: ignore[no-untyped-def]
    """The short answer is a span of its cited report, copied exactly, inside the quote."""
    short = answer.short_answer
    assert short is not None
    cited = next(c for c in answer.citations if c.n == short.citation)
    doc = app.store.catalog.get(cited.doc_id)
    assert doc is not None and doc.text[short.start : short.end] == short.text
    assert cited.start <= short.start < short.end <= cited.end
    assert answer.answer.startswith(short.text)


# The first-minute questions of issue 13, over the sample report: (question, short answer,
# text its first quote must hold, text the answer must not contain).
FIRST_MINUTE = [
    ("How many people were arrested?", "3,455 individuals", "3,455", "not disclosed"),
    ("How many were arrested?", "3,455 individuals", "3,455", "not disclosed"),
    ("When did the crackdown start and end?", "from July 27 to October 14",
     "from July 27 to October 14", "could not find"),
    ("Which body reported the arrest figures?", "Cambodia Online Scam Response Committee",
     "Cambodia Online Scam Response Committee (CCOS) reported", "could not find"),
    ("How many were deported?", "2,825 foreigners", DEPORTED, "could not find"),
    ("How many individuals have been brought to trial?", "Seventy-five individuals",
     "Seventy-five", "could not find"),
    ("How many countries were the arrested people from?", "20 different countries", "3,455", ""),
    ("What evidence did the authorities seize?",
     "computers, mobile phones, passports, and other electronic devices", "seized", ""),
    ("Who featured in the promotional videos uploaded by the Ministry of Interior?",
     "two Korean women", "two Korean women", ""),
]  # fmt: skip


@pytest.mark.parametrize(("question", "short", "quoted", "absent"), FIRST_MINUTE)
def test_first_minute_questions_get_a_short_direct_answer(  # type: ignore[no-untyped-def]
    sample_app: App, question: str, short: str, quoted: str, absent: str
) -> None:
    answer = sample_app.service.answer(question)
    assert not answer.abstained, answer.answer
    assert answer.short_answer is not None and answer.short_answer.text == short, answer.answer
    assert quoted in answer.citations[0].quote  # the best quote carries the short answer
    if absent:
        assert absent not in answer.answer
    _short_is_exact(sample_app, answer)
    _quote_is_exact(sample_app, answer)
    assert answer.as_json()["short_answer"] == {
        "text": short,
        "citation": answer.short_answer.citation,
        "start": answer.short_answer.start,
        "end": answer.short_answer.end,
    }


def test_a_breakdown_the_report_says_was_not_disclosed_is_not_answered(sample_app: App) -> None:
    answer = sample_app.service.answer("How many Cambodians were arrested?")
    assert answer.abstained and answer.short_answer is None
    assert "3,400" not in answer.answer and "3,455" not in answer.answer
    assert "not disclosed" in answer.answer
    assert any("number of Cambodian nationals" in c.quote for c in answer.citations)


def test_a_question_no_sentence_answers_by_type_abstains(sample_app: App) -> None:
    answer = sample_app.service.answer(
        "What was the total amount of money stolen by the scam rings?"
    )
    assert answer.abstained and answer.short_answer is None
    assert "not disclosed" not in answer.answer  # no sentence says so about the money
    assert "Scam Rings Dismantled" not in answer.answer


def test_abstaining_on_nationals_quotes_the_non_disclosure_only_when_on_topic(
    sample_app: App,
) -> None:
    korean = sample_app.service.answer("How many Korean nationals were arrested?")
    assert korean.abstained and "two" not in korean.answer.split("[")[0]
    france = sample_app.service.answer("What is the capital of France?")
    assert france.abstained and "not disclosed" not in france.answer


def test_one_story_told_twice_is_not_a_disagreement() -> None:
    from bot.answering.extractive import same_claim_other_values

    a = "What’s happening: Spirit and Frontier Airlines on Monday announced a $6.6 billion merger."
    b = (
        "Spirit and Frontier Airlines on Monday announced a $6.6 billion merger, a combination "
        "of low-cost carriers that would create the fifth-largest US airline."
    )
    assert not same_claim_other_values(a, b)
    assert same_claim_other_values(a, a.replace("Frontier", "JetBlue"))

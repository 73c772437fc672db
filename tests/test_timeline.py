"""Figure timelines (issue 16): reading figures, series, dates, copies; CLI, API, chat, web.

The index holds tests/fixtures/timeline/reports.jsonl: invented reports on one invented story
(the Marovia crackdown) with syndicated copies, worded figures, ranges, thousands separators
in three styles, distractor figures and a report without a date.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path

import httpx
import pytest

from bot.app.wiring import App
from bot.frontends.cli import main
from bot.frontends.figures import FiguresUI
from bot.frontends.server import ServerThread
from bot.grounding.citations import verify
from bot.timeline.build import TimelineBuilder, is_change_question
from bot.timeline.mentions import read_mentions
from bot.timeline.render import compact, table

FIXTURES = Path(__file__).parent / "fixtures" / "timeline"
CLAIM = "foreigners deported from Marovia"
POINT_KEYS = {"date", "date_kind", "since", "value", "high", "text", "qualifier", "counted",
              "figure_start", "figure_end", "citation"}  # fmt: skip
CITATION_KEYS = {"doc_id", "title", "url", "source", "published", "date_kind", "quote", "start",
                 "end", "page", "also_in"}  # fmt: skip


@pytest.fixture
def story(make_app: Callable[..., App]) -> App:
    return make_app([FIXTURES / "reports.jsonl"])


def _one(sentence: str, ref: date = date(2025, 10, 16)) -> list[tuple[object, ...]]:
    return [
        (m.value, m.high, m.qualifier, m.noun, m.predicate, m.subset)
        for m in read_mentions(sentence, ref)
    ]


def test_figures_are_read_with_what_they_count_and_their_qualifiers() -> None:
    sample = (
        "Seventy-five individuals, including five women identified as ringleaders or "
        "accomplices, have been brought to trial, while 2,825 foreigners, including 476 women, "
        "have already been deported."
    )
    assert _one(sample) == [
        (75, None, None, "", "brought", False),
        (5, None, None, "women", "brought", True),
        (2825, None, None, "foreigners", "deport", False),
        (476, None, None, "women", "deport", True),
    ]
    # Separators in three styles, "more than" kept, a range, and the distractor.
    assert _one("By November 20, 4.100 foreign nationals had been deported, while 310 suspects "
                "remained in detention.") == [
        (4100, None, None, "foreigners", "deport", False),
        (310, None, None, "suspects", "remain", False),
    ]  # fmt: skip
    assert _one("More than 2 500 foreigners have been deported.") == [
        (2500, None, "more than", "foreigners", "deport", False)
    ]
    assert _one("Between 3,000 and 3,500 people have been arrested in total.") == [
        (3000, 3500, None, "", "arrest", False)
    ]
    assert _one("The raids led to the arrest of 1,120 people from 14 countries.")[0][4] == "arrest"
    # The subject of "rose to", a nominalisation and a headline; a duration is not a count.
    assert _one("The number of deportations rose to 4 100.")[0][:5] == (4100, None, None, "",
                                                                       "deport")  # fmt: skip
    assert _one("Over 2,800 Foreigners Deported")[0][2:5] == ("over", "foreigners", "deport")
    assert _one("The operation ran for a three-month period and 10 years.") == []


def test_dates_stated_in_the_sentence_are_read_relative_to_the_report() -> None:
    ref = date(2025, 10, 16)  # a Thursday
    rng = read_mentions("From July 27 to October 14, police arrested 3,455 people.", ref)[0]
    assert (rng.since, rng.as_of) == (date(2025, 7, 27), date(2025, 10, 14))
    since = read_mentions("Cambodia has deported 4,100 foreigners since July 20.", ref)[0]
    assert (since.since, since.as_of) == (date(2025, 7, 20), None)
    monday = read_mentions("On Monday officials said 310 foreigners were deported.", ref)[0]
    assert monday.as_of == date(2025, 10, 13)
    last_year = read_mentions("As of December 30, 80 people had been deported.", ref)[0]
    assert last_year.as_of == date(2024, 12, 30)  # no year: the last December 30 before it
    trial = read_mentions("A trial for 12 suspects accused of fraud is set for December 3, 2025.",
                          ref)[0]  # fmt: skip
    assert trial.as_of is None  # a day after the report is not an "as of"


def test_a_claim_gets_series_dated_cited_and_copies_merged(story: App) -> None:
    timeline = TimelineBuilder(story.searcher).build(CLAIM)
    assert timeline.message is None and timeline.reports == 8  # not Velmont's deportations
    labels = [s.label for s in timeline.series]
    assert labels == ["foreigners deported", "women deported"]  # not "suspects remained …"
    deported = timeline.series[0]
    got = [(p.date.isoformat() if p.date else None, p.date_kind, p.mention.value,
            p.mention.qualifier, p.doc_id) for p in deported.points]  # fmt: skip
    assert got[:6] == [
        ("2025-08-05", "published", 310, None, "mh-0805"),
        ("2025-08-30", "stated", 1284, None, "cd-0902"),
        ("2025-09-15", "published", 1900, "nearly", "mt-0915"),
        ("2025-09-30", "stated", 2825, None, "rdw-1120"),  # "up from 2,825 at the end of Sept."
        ("2025-10-09", "stated", 2500, "more than", "mh-1010"),
        ("2025-11-19", "stated", 4100, None, "rdw-1120"),
    ]
    assert got[6][1:] == ("ingested", 4350, "some", "kt-undated")  # no date: the ingest day
    wire = deported.points[1].citation
    assert wire.also_in == ["Harbour Post", "Northern Tribune"]  # three copies, one point
    for p in deported.points:  # cited like an answer: the exact sentence, at its offsets
        doc = story.store.document(p.doc_id)
        assert doc is not None and doc.text[p.citation.start : p.citation.end] == p.citation.quote
        assert p.mention.text in p.citation.quote


def test_bad_claims_get_a_message_not_an_empty_result(story: App) -> None:
    builder = TimelineBuilder(story.searcher)
    empty = builder.build("   ")
    assert not empty.series and "Type a claim" in (empty.message or "")
    noise = builder.build("how has it changed?")
    assert not noise.series and "names nothing to count" in (noise.message or "")
    none = builder.build("volcanic eruptions in Marovia")
    assert not none.series and "give no figure" in (none.message or "")
    nowhere = builder.build("foreigners deported from Atlantis")
    assert not nowhere.series and "No report matches" in (nowhere.message or "")


def test_cli_prints_a_table_per_series_and_the_json_contract(
    story: App, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--data-dir", str(story.settings.data_dir), "timeline"]
    assert main([*args, CLAIM]) == 0
    text = capsys.readouterr().out
    assert "## foreigners deported (7 points)" in text and "## women deported" in text
    assert "Coastline Daily (also in Harbour Post, Northern Tribune)" in text
    assert "ingest day  Kestrel Times" in text and "## suspects" not in text
    assert main([*args, CLAIM, "--json", "--since", "2025-09-01"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["filters"] == {"since": "2025-09-01", "until": None, "source": None}
    series = out["series"][0]
    assert series["label"] == "foreigners deported" and series["counted"] == "foreigners"
    point = series["points"][0]
    assert point.keys() == POINT_KEYS and point["citation"].keys() == CITATION_KEYS
    assert point["value"] == 1284 and point["date"] == "2025-08-30"  # from Sept 1 reports on
    doc = story.store.document(point["citation"]["doc_id"])
    assert doc is not None
    assert doc.text[point["figure_start"] : point["figure_end"]] == point["text"] == "1.284"
    assert main([*args, ""]) == 2
    assert "give a claim" in capsys.readouterr().err
    assert main([*args, "volcanic eruptions in Marovia"]) == 1
    assert "give no figure" in capsys.readouterr().out


def test_api_timeline_is_the_same_json_behind_the_token(
    make_app: Callable[..., App], serve: Callable[[App], ServerThread],
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    app = make_app([FIXTURES / "reports.jsonl"], api_token="s3cret")
    with httpx.Client(base_url=serve(app).url, timeout=60) as api:
        assert api.get("/api/timeline", params={"q": CLAIM}).status_code == 401
        auth = {"Authorization": "Bearer s3cret"}
        resp = api.get("/api/timeline", params={"q": CLAIM}, headers=auth)
        assert resp.status_code == 200
        empty = api.get("/api/timeline", params={"q": " "}, headers=auth)
        assert empty.status_code == 422 and "give a claim" in empty.json()["error"]["message"]
        bad = api.get("/api/timeline", params={"q": CLAIM, "since": "soon"}, headers=auth)
        assert bad.status_code == 422 and "YYYY-MM-DD" in bad.json()["error"]["message"]
    assert main(["--data-dir", str(app.settings.data_dir), "timeline", CLAIM, "--json"]) == 0
    assert resp.json() == json.loads(capsys.readouterr().out)


def test_a_change_question_gets_a_compact_cited_dated_list(story: App) -> None:
    assert is_change_question("How has the number of deportations changed?")
    assert is_change_question("Is the 4,100 figure newer than 2,825?")
    assert not is_change_question("How many were deported?")
    answer = story.service.answer("How has the number of foreigners deported from Marovia changed?")
    line = answer.answer.splitlines()[-1]
    assert line.startswith("How the figure changed (foreigners deported): 310 (5 Aug, Marovia "
                           "Herald) [")  # fmt: skip
    assert "→ 4,100 (19 Nov, Regional Desk Wire) [" in line
    assert "Kestrel Times" not in line  # dated only by its ingest day: in the table, not here
    for n in range(1, len(answer.citations) + 1):
        assert f"[{n}]" in answer.answer
    _, report = verify(answer.answer, answer.citations)
    assert not report.unsupported, report.unsupported  # every figure stated in its quote
    plain = story.service.answer("How many foreigners were deported from Marovia?")
    assert "How the figure changed" not in plain.answer


def test_compact_list_and_table_render_points(story: App) -> None:
    timeline = TimelineBuilder(story.searcher).build("arrests in Marovia")
    assert compact(timeline.series[0]).startswith(
        "1,120 (3 Aug, Marovia Herald) → about 2,000 (2 Sep, Coastline Daily) → two thousand "
        "(15 Sep, Marovia Today) → 3,000 and 3,500 (10 Oct, Marovia Herald)"
    )
    assert "as stated" in table(timeline) and "(since 2025-07-20)" in table(timeline)


def test_web_figures_tab_and_answer_chart(story: App) -> None:
    ui = FiguresUI(story)
    plot, words, points = ui.chart("")
    assert plot["visible"] is False and "Type a claim" in words
    plot, words, points = ui.chart(CLAIM)
    frame = plot["value"]
    assert plot["visible"] is True and len(frame) == 9  # 6 + 3; the ingest-dated one not
    assert set(frame["series"]) == {"foreigners deported", "women deported"}
    assert "Hover a point" in words and "“So far 310 foreigners" in points
    assert (
        frame.iloc[0]["outlet"] == "Marovia Herald" and "310 foreigners" in frame.iloc[0]["quote"]
    )
    history = [{"role": "user", "content": "How many deported from Marovia?"},
               {"role": "assistant", "content": "2,825 … [1]"}]  # fmt: skip
    assert ui.for_answer(history)[0]["visible"] is False  # one figure asked: no chart
    history[1]["content"] = "The reports give different figures:\n- Marovia Herald: … [1]"
    assert ui.for_answer(history)[0]["visible"] is True  # the reports differ: chart them
    history[1]["content"] = "2,825 … [1]"
    history[0]["content"] = "How has the number of foreigners deported from Marovia changed?"
    plot, words = ui.for_answer(history)
    assert plot["visible"] is True and "foreigners deported" in words

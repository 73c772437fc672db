"""find_figures: what counts as a figure in a news sentence, its value and its kind."""

from __future__ import annotations

import pytest

from bot.grounding.figures import find_dates, find_figures, has_date, has_quantity, supported

# (text, [(figure text, value, kind), ...])
CASES: list[tuple[str, list[tuple[str, float, str]]]] = [
    # words that look like numbers but count nothing
    ("No one was hurt in the blast.", []),
    ("One of the officials declined to comment.", []),
    ("He is the one who called the police.", []),
    ("They blamed one another for the delay.", []),
    ("Anyone can apply, and everyone should.", []),
    ("Someone left the door open.", []),
    ("It was one-sided.", []),
    # numbers that are part of a name
    ("COVID-19 cases rose again.", []),
    ("The G7 leaders met in Hiroshima.", []),
    ("The Air Force ordered more F-35 jets.", []),
    ("Carriers are rolling out 5G networks.", []),
    ("He played an MP3 file.", []),
    ("Section 230 protects platforms.", [("230", 230, "label")]),
    ("Flight 370 vanished in 2014.", [("370", 370, "label"), ("2014", 2014, "year")]),
    ("Voters backed Proposition 22.", [("22", 22, "label")]),
    # years and decades
    ("In the 1990s the town grew.", [("1990s", 1990, "year")]),
    ("Music from the 80s is back.", [("80s", 80, "year")]),
    ("The law passed in 2022.", [("2022", 2022, "year")]),
    # dates
    ("It was announced on October 16.", [("16", 16, "date")]),
    ("From July 27 to October 14, police raided sites.", [("27", 27, "date"), ("14", 14, "date")]),
    ("The vote is on 3 March.", [("3", 3, "date")]),
    # plain counts
    ("Police arrested 3,455 individuals.", [("3,455", 3455, "number")]),
    (
        "2,825 foreigners, including 476 women, were deported.",
        [("2,825", 2825, "number"), ("476", 476, "number")],
    ),
    ("They arrested more than 3,400 people.", [("3,400", 3400, "number")]),
    ("At least 12 people died.", [("12", 12, "number")]),
    ("Nearly 1.5 people per household.", [("1.5", 1.5, "number")]),
    ("A total of 10 major cases went to court.", [("10", 10, "number")]),
    # spelled-out numbers that count
    ("Seventy-five individuals were brought to trial.", [("Seventy-five", 75, "number")]),
    ("One person died and two were injured.", [("One", 1, "number"), ("two", 2, "number")]),
    ("Twenty one ships docked.", [("Twenty one", 21, "number")]),
    ("ninety-nine balloons", [("ninety-nine", 99, "number")]),
    ("She served a nine-year sentence.", [("nine", 9, "number")]),
    ("A three-month crackdown.", [("three", 3, "number")]),
    ("Two hundred homes were flooded.", [("Two hundred", 200, "number")]),
    ("Three million people voted.", [("Three million", 3e6, "number")]),
    ("They bought a dozen eggs.", [("a dozen", 12, "number")]),
    ("Only one survived.", [("one", 1, "number")]),
    ("A 3-year-old boy was found.", [("3", 3, "number")]),
    # scales
    ("The city has 3.2 million residents.", [("3.2 million", 3.2e6, "number")]),
    ("About 40 thousand fans came.", [("40 thousand", 4e4, "number")]),
    ("Sales reached 7bn units.", [("7bn", 7e9, "number")]),
    ("Turnout was 5,000.", [("5,000", 5000, "number")]),
    # money
    ("The firm paid $402 million.", [("$402 million", 402e6, "money")]),
    ("A £5m fine was imposed.", [("£5m", 5e6, "money")]),
    ("It cost €1.2 billion.", [("€1.2 billion", 1.2e9, "money")]),
    ("They stole 1.5 billion yuan.", [("1.5 billion yuan", 1.5e9, "money")]),
    ("Tickets are $25 each.", [("$25", 25, "money")]),
    ("He owed 300 dollars.", [("300 dollars", 300, "money")]),
    ("US$3 million was raised.", [("US$3 million", 3e6, "money")]),
    # percentages
    ("Inflation hit 9.1%.", [("9.1%", 9.1, "percent")]),
    ("Support fell to 45 percent.", [("45 percent", 45, "percent")]),
    ("Turnout was 60 per cent.", [("60 per cent", 60, "percent")]),
    ("Prices rose five percent.", [("five percent", 5, "percent")]),
    # ranges
    ("Between 10 and 15 people were hurt.", [("10", 10, "number"), ("15", 15, "number")]),
    ("10-15 people were hurt.", [("10", 10, "number"), ("15", 15, "number")]),
    ("From 200 to 300 homes.", [("200", 200, "number"), ("300", 300, "number")]),
    # nothing at all
    ("The minister resigned.", []),
    ("Version numbers like v2.0 are names.", []),
]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[c[0][:40] for c in CASES])
def test_find_figures(text: str, expected: list[tuple[str, float, str]]) -> None:
    found = [(f.text, f.value, f.kind) for f in find_figures(text)]
    assert found == [(t, float(v), k) for t, v, k in expected]
    for f in find_figures(text):
        assert text[f.start : f.end].strip() == f.text


def test_there_are_at_least_fifty_cases() -> None:
    assert len(CASES) >= 50


@pytest.mark.parametrize(
    ("text", "quantity"),
    [
        ("Police arrested 3,455 people.", True),
        ("It was announced on October 16.", False),
        ("The law passed in 2022.", False),
        ("No one was hurt.", False),
        ("COVID-19 spread.", False),
        ("Section 230 protects platforms.", False),
        ("Prices rose 5%.", True),
        ("It cost $5.", True),
    ],
)
def test_has_quantity(text: str, quantity: bool) -> None:
    assert has_quantity(text) is quantity


@pytest.mark.parametrize(
    ("text", "dates"),
    [
        ("From July 27 to October 14.", ["July 27", "October 14"]),
        ("It happened in May 2022.", ["May 2022"]),
        ("Police may arrest more people.", []),
        ("Protesters march on.", []),
        ("On October 16, 2025, it ended.", ["October 16, 2025"]),
        ("In the 1990s.", ["the 1990s"]),
        ("Last Tuesday.", ["Tuesday"]),
    ],
)
def test_find_dates(text: str, dates: list[str]) -> None:
    assert [text[s:e] for s, e in find_dates(text)] == dates
    assert has_date(text) is bool(dates)


def test_supported_matches_values_across_notations() -> None:
    assert supported(find_figures("3.4 million")[0], ["some 3,400,000 people"])
    assert not supported(find_figures("3,455")[0], ["3,400 people"])
    # "No one was hurt" no longer counts as the figure 1 that a quote must state.
    assert find_figures("No one was hurt.") == []

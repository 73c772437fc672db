"""The figure charts in a real headless Chromium: the Figures tab and the chart beside an answer.

Set REPORTBOT_TIMELINE_SCREENSHOT to a path to keep the screenshot (docs/timeline.png is made
that way).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from test_browser import _ask, _wait
from test_browser import browser as browser  # the fixture, shared

from bot.app.wiring import App
from bot.frontends.server import ServerThread, create_server_app

FIXTURES = Path(__file__).parent / "fixtures" / "timeline"
MARKS = "#%s g.role-mark.mark-symbol path"  # a chart's points (Vega-Lite's SVG)
pytestmark = pytest.mark.browser


@pytest.fixture
def story_url(make_app: Callable[..., App]) -> Iterator[str]:
    """The web UI over the invented Marovia reports (asked for before ``browser``)."""
    app = make_app([FIXTURES / "reports.jsonl"])
    with ServerThread(create_server_app(app)) as server:
        yield server.url


def _tab(driver: WebDriver, name: str) -> None:
    xpath = f"//button[@role='tab' and normalize-space()='{name}']"
    _wait(driver, f"the {name} tab", lambda d: d.find_elements(By.XPATH, xpath))
    driver.find_element(By.XPATH, xpath).click()


def _marks(driver: WebDriver, plot: str, n: int) -> list[WebElement]:
    """The chart's points once there are ``n`` of them (the chart may still be drawing)."""
    found = driver.find_elements(By.CSS_SELECTOR, MARKS % plot)
    return found if len(found) == n else []


def _chart(driver: WebDriver, claim: str) -> None:
    box = _wait(driver, "the claim box",
                lambda d: d.find_elements(By.CSS_SELECTOR, "#rb-claim textarea"))[0]  # fmt: skip
    box.clear()
    box.send_keys(claim)
    driver.find_element(By.ID, "rb-chart").click()


def test_the_figures_tab_charts_a_claim_with_quotes_on_hover(
    story_url: str,
    browser: WebDriver,
    tmp_path: Path,
) -> None:
    browser.get(story_url + "/")
    _tab(browser, "Figures")
    _chart(browser, "")
    _wait(browser, "the empty-claim message",
          lambda d: "Type a claim" in d.find_element(By.ID, "rb-figures-note").text)  # fmt: skip
    assert not browser.find_elements(By.CSS_SELECTOR, "#rb-figures-plot svg.marks")

    _chart(browser, "foreigners deported from Marovia")
    points = _wait(  # 6 + 3 dated points; the one dated by its ingest day is only listed
        browser,
        "the chart's 9 points",
        lambda d: _marks(d, "rb-figures-plot", 9),
    )
    note = browser.find_element(By.ID, "rb-figures-note").text
    assert "foreigners deported (7); women deported (3)" in note and "not charted" in note
    table = browser.find_element(By.ID, "rb-figures-points").text
    assert "Coastline Daily (also in Harbour Post, Northern Tribune)" in table
    assert "“So far 310 foreigners, including 42 women, have been deported" in table
    series = browser.find_elements(By.CSS_SELECTOR, "#rb-figures-points td:first-child")
    assert {e.text for e in series} == {"foreigners deported", "women deported"}  # no distractor

    shot = Path(os.environ.get("REPORTBOT_TIMELINE_SCREENSHOT") or tmp_path / "timeline.png")
    browser.execute_script(
        "arguments[0].scrollIntoView()", browser.find_element(By.ID, "rb-figures-note")
    )
    ActionChains(browser).move_to_element(points[0]).perform()
    tip = _wait(
        browser,
        "a point's tooltip with its quote",
        lambda d: [e for e in d.find_elements(By.ID, "vg-tooltip-element") if "quote" in e.text],
    )[0]
    assert "Marovia Herald" in tip.text and "310 foreigners" in tip.text
    browser.save_screenshot(str(tmp_path / "timeline.png"))
    if shot != tmp_path / "timeline.png":
        shutil.copyfile(tmp_path / "timeline.png", shot)
    assert (tmp_path / "timeline.png").stat().st_size > 10_000


def test_a_change_question_shows_the_chart_beside_the_sources(
    story_url: str,
    browser: WebDriver,
) -> None:
    browser.get(story_url + "/")
    _wait(browser, "the question box",
          lambda d: d.find_elements(By.CSS_SELECTOR, "#rb-question textarea"))  # fmt: skip
    assert not browser.find_elements(By.CSS_SELECTOR, "#rb-answer-plot svg.marks")
    _ask(browser, "How has the number of foreigners deported from Marovia changed?")
    _wait(
        browser,
        "the answer's chart beside the sources",
        lambda d: _marks(d, "rb-answer-plot", 9),
    )
    bot = browser.find_elements(By.CSS_SELECTOR, "#rb-chat [data-testid='bot']")[-1].text
    assert "How the figure changed (foreigners deported): 310 (5 Aug, Marovia Herald)" in bot
    assert "foreigners deported" in browser.find_element(By.ID, "rb-answer-figures").text

"""The web UI in a real headless Chromium (selenium): ask, see the answer and its marked quote.

Needs Debian's `chromium` and `chromium-driver` (`make test` installs them as root, CI always):
without them these tests are skipped, or fail under REPORTBOT_REQUIRE_BROWSER=1 (browser_gate).
Set REPORTBOT_SCREENSHOT to a path to keep the screenshot (docs/screenshot.png is made that way).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_gate import chromedriver, chromium
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from bot.app.wiring import App
from bot.frontends.server import ServerThread, create_server_app

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1400,900",
    "--lang=en-US",
]
DEPORTED = "2,825 foreigners, including 476 women"
pytestmark = pytest.mark.browser


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[WebDriver]:
    options = webdriver.ChromeOptions()  # browser_gate made sure both files are there
    options.binary_location = str(chromium())
    for flag in [*FLAGS, f"--user-data-dir={tmp_path / 'chromium'}"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(chromedriver())), options=options)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def web_url(sample_app: App) -> Iterator[str]:
    """The web UI and API over the sample report (asked for before ``browser``, so the
    browser closes first)."""
    with ServerThread(create_server_app(sample_app)) as server:
        yield server.url


def _wait(driver: WebDriver, what: str, condition: Any, timeout: float = 60) -> Any:
    try:
        return WebDriverWait(driver, timeout, poll_frequency=0.2).until(condition)
    except Exception as exc:
        raise AssertionError(f"timed out waiting for {what}") from exc


def _ask(driver: WebDriver, question: str) -> None:
    box = driver.find_element(By.CSS_SELECTOR, "#rb-question textarea")
    box.send_keys(question)
    box.send_keys(Keys.ENTER)


def test_asking_in_the_browser_shows_the_answer_and_the_marked_quote(
    web_url: str, browser: WebDriver, tmp_path: Path
) -> None:
    browser.get(web_url + "/")
    _wait(
        browser,
        "the question box",
        lambda d: d.find_elements(By.CSS_SELECTOR, "#rb-question textarea"),
    )
    assert "Answering mode: extractive" in browser.find_element(By.TAG_NAME, "body").text
    _ask(browser, "How many were deported?")

    def marked(d: WebDriver) -> str | None:
        marks = d.find_elements(By.CSS_SELECTOR, "#rb-sources mark")
        return marks[0].text if marks and DEPORTED in marks[0].text else None

    quote = _wait(browser, "the sources panel to mark the 2,825 quote", marked)
    assert quote.startswith("Seventy-five individuals")
    sources = browser.find_element(By.ID, "rb-sources").text
    assert "[1]" in sources and "3,455 Arrested from 20 Countries" in sources
    assert "The Asia Business Daily" in sources
    bot = browser.find_elements(By.CSS_SELECTOR, "#rb-chat [data-testid='bot']")
    assert DEPORTED in bot[-1].text and "[1]" in bot[-1].text

    shot = Path(os.environ.get("REPORTBOT_SCREENSHOT") or tmp_path / "chat.png")
    browser.save_screenshot(str(tmp_path / "chat.png"))
    if shot != tmp_path / "chat.png":
        shutil.copyfile(tmp_path / "chat.png", shot)
    assert (tmp_path / "chat.png").stat().st_size > 10_000

    _ask(browser, "And how many of them were women?")
    _wait(
        browser,
        "the follow-up answer",
        lambda d: (
            len(d.find_elements(By.CSS_SELECTOR, "#rb-chat [data-testid='bot']")) == 2
            and "476" in d.find_elements(By.CSS_SELECTOR, "#rb-chat [data-testid='bot']")[-1].text
        ),
    )

    browser.find_element(By.XPATH, "//button[@role='tab' and normalize-space()='Library']").click()
    _wait(
        browser,
        "the library table",
        lambda d: "3,455 Arrested" in d.find_element(By.TAG_NAME, "body").text,
    )


def test_the_api_docs_render_offline_in_the_browser(web_url: str, browser: WebDriver) -> None:
    """Swagger UI comes from the installed package, not a CDN (this machine has none)."""
    browser.get(web_url + "/api/docs")
    _wait(
        browser,
        "Swagger UI to list /api/ask",
        lambda d: "/api/ask" in d.find_element(By.TAG_NAME, "body").text,
    )
    body = browser.find_element(By.TAG_NAME, "body").text
    assert "reportbot" in body and "/v1/chat/completions" in body

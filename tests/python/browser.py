"""A real browser for the tests where a browser is the judge.

Headless Chromium (Debian's `chromium` and `chromium-driver`, installed by
`cargo xtask test`) driven through Selenium's WebDriver. Pages are checked as
a person would see them: scripts run, CORS is enforced by the browser, and a
screenshot can be kept for inspection.

Use the `browser` fixture (one browser for the test session):

    def test_page(browser, server_url):
        browser.get(f"{server_url}/docs")
        wait_for(browser, "css selector", ".opblock")
        save_screenshot(browser, "docs")

Screenshots go to `target/screenshots/<name>.png` (or `$PREBAKE_SCREENSHOTS`).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement

ROOT = Path(__file__).resolve().parents[2]


def _find(*names: str) -> str | None:
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    return None


def screenshot_dir() -> Path:
    folder = Path(os.environ.get("PREBAKE_SCREENSHOTS", ROOT / "target" / "screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def new_browser(width: int = 1280, height: int = 900, offline: bool = True) -> WebDriver:
    """A fresh headless Chromium; the caller quits it.

    `offline`: every host name but `127.0.0.1` and `localhost` fails to
    resolve, so a page that works proves it needs nothing from the network
    (a CDN, a font service).
    """
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium = _find("chromium", "chromium-browser", "google-chrome")
    driver = _find("chromedriver")
    if chromium is None or driver is None:
        pytest.skip("chromium/chromedriver not installed (cargo xtask test installs them)")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in (
        "--headless=new",
        "--no-sandbox",  # CI runs as root
        "--disable-dev-shm-usage",
        "--disable-gpu",
        f"--window-size={width},{height}",
        "--no-first-run",
        "--disable-extensions",
    ):
        options.add_argument(arg)
    if offline:
        options.add_argument("--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost")
    # The browser console (CORS refusals are reported there).
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(executable_path=driver), options=options)


@pytest.fixture(scope="session")
def browser() -> Iterator[WebDriver]:
    b = new_browser()
    try:
        yield b
    finally:
        b.quit()


def wait_for(browser: WebDriver, by: str, selector: str, timeout: float = 15.0) -> WebElement:
    """The first element matching `selector`, once it is present."""
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(browser, timeout).until(ec.presence_of_element_located((by, selector)))


def save_screenshot(browser: WebDriver, name: str) -> Path:
    """Saves the current page as a PNG and returns its path."""
    path = screenshot_dir() / f"{name}.png"
    assert browser.save_screenshot(str(path)), f"no screenshot written to {path}"
    assert path.stat().st_size > 1000, f"{path} is suspiciously small"
    return path


def console_messages(browser: WebDriver) -> list[str]:
    """Messages the page wrote to the browser console since the last call."""
    # Chromium's driver has `get_log`; the generic WebDriver type does not.
    entries: list[dict[str, str]] = getattr(browser, "get_log")("browser")
    return [entry["message"] for entry in entries]

"""The OpenAPI document and the docs pages of a built app, over HTTP.

Builds `examples/todo` (or takes it from `cargo xtask test`'s binary
folder), runs it, fetches `/openapi.json` and validates it with
openapi-spec-validator; the bytes must be those `cargo xtask openapi`
prints. `/docs` and `/redoc` must be HTML pages that name the document, and work
in a real browser with no network: headless Chromium opens Swagger UI,
runs "Try it out" against the server, and renders ReDoc (screenshots in
`target/screenshots/`).
"""

from __future__ import annotations

import json
import os
import subprocess
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest
from browser import browser, save_screenshot, wait_for  # noqa: F401 (the fixture)
from openapi_spec_validator import validate
from prebake.testing import Server
from selenium.webdriver.remote.webdriver import WebDriver

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "examples" / "todo" / "app.py"


@pytest.fixture(scope="module")
def port(e2e_server: Callable[..., Server]) -> int:
    return e2e_server("todo", "examples/todo/app.py").port


def get(port: int, path: str) -> tuple[int, str, bytes]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as resp:
        return resp.status, resp.headers["content-type"], resp.read()


def test_document_is_valid_and_the_one_the_cli_prints(port: int) -> None:
    status, content_type, body = get(port, "/openapi.json")
    assert (status, content_type) == (200, "application/json")
    doc = json.loads(body)
    validate(doc)
    assert doc["openapi"] == "3.1.0"
    assert doc["info"]["title"] == "Todo API"
    assert "/todos/{todo_id}" in doc["paths"]
    cli = subprocess.run(
        [os.environ.get("PREBAKE_XTASK") or "cargo", *([] if os.environ.get("PREBAKE_XTASK") else ["xtask"]),
         "openapi", str(APP)],
        cwd=ROOT,
        capture_output=True,
        check=True,
    )
    assert cli.stdout == body


@pytest.mark.parametrize(("path", "needle"), [("/docs", b"SwaggerUIBundle"), ("/redoc", b"<redoc")])
def test_docs_pages(port: int, path: str, needle: bytes) -> None:
    status, content_type, body = get(port, path)
    assert (status, content_type) == (200, "text/html; charset=utf-8")
    assert needle in body
    assert b"/openapi.json" in body


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/docs/swagger-ui-bundle.js", "text/javascript; charset=utf-8"),
        ("/docs/swagger-ui.css", "text/css; charset=utf-8"),
        ("/redoc/redoc.standalone.js", "text/javascript; charset=utf-8"),
    ],
)
def test_viewer_files_are_embedded(port: int, path: str, content_type: str) -> None:
    status, got, body = get(port, path)
    assert (status, got) == (200, content_type)
    assert len(body) > 100_000


def test_swagger_ui_try_it_out_in_a_browser(port: int, browser: WebDriver) -> None:  # noqa: F811
    from selenium.webdriver.common.by import By

    browser.get(f"http://127.0.0.1:{port}/docs")
    # The POST /todos operation, expanded.
    summary = wait_for(browser, By.XPATH, "//div[contains(@class,'opblock-post')][.//*[@data-path='/todos']]")
    summary.find_element(By.CSS_SELECTOR, ".opblock-summary-control").click()
    wait_for(browser, By.CSS_SELECTOR, ".opblock-post .try-out__btn").click()
    body = wait_for(browser, By.CSS_SELECTOR, ".opblock-post textarea.body-param__text")
    body.clear()
    body.send_keys('{"title": "written in the browser", "priority": 2}')
    browser.find_element(By.CSS_SELECTOR, ".opblock-post .execute").click()
    status = wait_for(browser, By.CSS_SELECTOR, ".opblock-post .live-responses-table tbody .response-col_status")
    answer = wait_for(browser, By.CSS_SELECTOR, ".opblock-post .live-responses-table .microlight")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", status)
    save_screenshot(browser, "swagger-ui-try-it-out")
    assert status.text.strip().startswith("201"), status.text
    assert "written in the browser" in answer.text
    # The request really reached the server.
    _, _, listed = get(port, "/todos")
    assert any(t["title"] == "written in the browser" for t in json.loads(listed))


def test_redoc_renders_in_a_browser(port: int, browser: WebDriver) -> None:  # noqa: F811
    from selenium.webdriver.common.by import By

    browser.get(f"http://127.0.0.1:{port}/redoc")
    wait_for(browser, By.XPATH, "//h1[contains(., 'Todo API')]")
    wait_for(browser, By.XPATH, "//*[contains(text(), 'Store a new todo')]")
    save_screenshot(browser, "redoc")

"""CORS judged by a real browser: headless Chromium loads a page from one
local origin and `fetch()`es the `tests/apps/cors` API on another port.

The app allows `http://127.0.0.1:<any port>` (by `allow_origin_regex`),
with credentials, the `X-Custom` request header and the exposed response
header `X-Total`. The same page loaded from `http://localhost:<port>` is a
different origin the app does not allow, so the browser must block it.
"""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from browser import browser, console_messages  # noqa: F401 (the fixture)
from servers import serve

PAGE = "<!doctype html><title>cors</title><p>page origin</p>"


@pytest.fixture(scope="module")
def api() -> Iterator[int]:
    with serve("cors") as port:
        yield port


@pytest.fixture(scope="module")
def page_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """A tiny static server for the page: the other origin."""
    folder: Path = tmp_path_factory.mktemp("page")
    (folder / "index.html").write_text(PAGE)

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    handler = partial(Quiet, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


FETCH = """
const [url, init, done] = [arguments[0], arguments[1], arguments[arguments.length - 1]];
fetch(url, init)
  .then(async (r) => done({
    ok: true,
    status: r.status,
    body: await r.text(),
    total: r.headers.get("x-total"),
    hidden: r.headers.get("x-hidden"),
  }))
  .catch((e) => done({ok: false, error: String(e)}));
"""


def fetch(browser: Any, url: str, init: dict[str, Any] | None = None) -> dict[str, Any]:  # noqa: F811
    browser.set_script_timeout(20)
    result: dict[str, Any] = browser.execute_async_script(FETCH, url, init or {})
    return result


def open_page(browser: Any, origin: str) -> None:  # noqa: F811
    browser.get(f"{origin}/index.html")
    console_messages(browser)  # start from a clean console


def test_allowed_origin_reads_the_response(browser: Any, api: int, page_port: int) -> None:  # noqa: F811
    open_page(browser, f"http://127.0.0.1:{page_port}")
    r = fetch(browser, f"http://127.0.0.1:{api}/total")
    assert r["ok"], r
    assert r["status"] == 200
    assert r["body"] == "3"
    # Exposed by `expose_headers`; any other custom header stays hidden.
    assert r["total"] == "3"
    assert r["hidden"] is None


def test_disallowed_origin_is_blocked_by_the_browser(browser: Any, api: int, page_port: int) -> None:  # noqa: F811
    open_page(browser, f"http://localhost:{page_port}")
    r = fetch(browser, f"http://127.0.0.1:{api}/total")
    assert not r["ok"], r
    assert "Failed to fetch" in r["error"]
    messages = " ".join(console_messages(browser))
    assert "CORS policy" in messages, messages


def test_credentials_are_sent_and_accepted(browser: Any, api: int, page_port: int) -> None:  # noqa: F811
    open_page(browser, f"http://127.0.0.1:{page_port}")
    # Cookies are per host, not per port: the API's host gets this one.
    browser.execute_script("document.cookie = 'session=abc; path=/'")
    with_cookie = fetch(browser, f"http://127.0.0.1:{api}/items", {"credentials": "include"})
    assert with_cookie["ok"], with_cookie
    assert '"cookie":"abc"' in with_cookie["body"]
    without = fetch(browser, f"http://127.0.0.1:{api}/items", {"credentials": "omit"})
    assert without["ok"], without
    assert '"cookie":null' in without["body"]
    browser.execute_script("document.cookie = 'session=; max-age=0; path=/'")


def test_preflight_with_a_custom_header(browser: Any, api: int, page_port: int) -> None:  # noqa: F811
    open_page(browser, f"http://127.0.0.1:{page_port}")
    allowed = fetch(
        browser,
        f"http://127.0.0.1:{api}/items?n=7",
        {"method": "PUT", "headers": {"X-Custom": "1"}},
    )
    assert allowed["ok"], allowed
    assert allowed["status"] == 200
    assert allowed["body"] == '{"n":7}'
    refused = fetch(
        browser,
        f"http://127.0.0.1:{api}/items",
        {"method": "PUT", "headers": {"X-Forbidden": "1"}},
    )
    assert not refused["ok"], refused
    # DELETE is not among allow_methods.
    method = fetch(browser, f"http://127.0.0.1:{api}/items", {"method": "DELETE"})
    assert not method["ok"], method
    messages = " ".join(console_messages(browser))
    assert "preflight" in messages.lower(), messages

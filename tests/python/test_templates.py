"""Template routes as a person sees them: the pages of the pages test app
(`tests/apps/pages`) and the fortunes bench app (`bench/apps/fortunes`)
rendered by headless Chromium.

- The fortunes page is screenshotted twice: as the compiled server sends it,
  and as a reference page written here with Python's own `html.escape` (the
  TechEmpower page by its specification). The DOM and the pixels must be the
  same: askama's numeric references (`&#60;`) and `html.escape`'s named ones
  (`&lt;`) are one page to a browser. Both shots come from the same browser
  on the same machine, so the comparison holds on any machine.
- XSS payloads in every position of a page (text, double- and
  single-quoted attributes, `<textarea>`, a comment, `<noscript>`, next to a
  `<script>`): no alert opens, no element is injected, and the browser reads
  back exactly the payload as text and as attribute values. (An unquoted
  attribute value is not safe with any HTML escaping, Jinja2's included: a
  space ends it. `prebake check` warns about one, PB140.)
"""

from __future__ import annotations

import html
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from servers import app_binary, free_port

from browser import browser, save_screenshot, screenshot_dir, wait_for  # noqa: F401 (the fixture)

ROOT = Path(__file__).resolve().parents[2]
APPS = {"pages": ROOT / "tests" / "apps" / "pages" / "app.py", "fortunes": ROOT / "bench" / "apps" / "fortunes" / "app.py"}

FORTUNES = [
    (1, "fortune: No such file or directory"),
    (2, "A computer scientist is someone who fixes things that aren't broken."),
    (3, "After enough decimal places, nobody gives a damn."),
    (4, "A bad random number generator: 1, 1, 1, 1, 1, 4.33e+67, 1, 1, 1"),
    (5, "A computer program does what you tell it to do, not what you want it to do."),
    (6, "Emacs is a nice operating system, but I prefer UNIX. \u2014 Tom Christaensen"),
    (7, "Any program that runs right is obsolete."),
    (8, "A list is only as strong as its weakest link. \u2014 Donald Knuth"),
    (9, "Feature: A bug with seniority."),
    (10, "Computers make very fast, very accurate mistakes."),
    (11, '<script>alert("This should not be displayed in a browser alert box.");</script>'),
    (12, "\u30d5\u30ec\u30fc\u30e0\u30ef\u30fc\u30af\u306e\u30d9\u30f3\u30c1\u30de\u30fc\u30af"),
    (0, "Additional fortune added at request time."),
]

PAYLOADS = [
    "<script>alert(1)</script>",
    '"><script>alert(2)</script>',
    "' onmouseover='alert(3)' x='",
    '" autofocus onfocus="alert(4)',
    "</textarea><script>alert(5)</script>",
    "--><script>alert(6)</script><!--",
    "</noscript><img src=x onerror=alert(7)>",
    "<svg/onload=alert(8)>",
    "x onfocus=alert(9) autofocus",
    "&lt;b&gt; &amp; &#60;",
    "日本語 é \u00a0",
]


def binary(name: str) -> Path:
    """The built app `name` (its source in `APPS`)."""
    return app_binary(name, APPS[name])


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    yield from serve("pages")


@pytest.fixture(scope="module")
def fortunes_url() -> Iterator[str]:
    yield from serve("fortunes")


def serve(name: str) -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen(
        [str(binary(name)), "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited with {proc.returncode}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def reference_fortunes() -> str:
    rows = sorted(FORTUNES, key=lambda r: r[1])
    body = "".join(f"<tr><td>{i}</td><td>{html.escape(m)}</td></tr>" for i, m in rows)
    return (
        "<!DOCTYPE html><html><head><title>Fortunes</title></head><body><table>"
        f"<tr><th>id</th><th>message</th></tr>{body}</table></body></html>"
    )


def no_alert(browser: Any) -> bool:
    from selenium.common.exceptions import NoAlertPresentException

    try:
        browser.switch_to.alert.dismiss()
    except NoAlertPresentException:
        return True
    return False


def table(browser: Any) -> list[list[str]]:
    return [
        [td.text for td in tr.find_elements("css selector", "td")]
        for tr in browser.find_elements("css selector", "tr")[1:]
    ]


def test_fortunes_looks_like_the_reference_page(browser: Any, fortunes_url: str) -> None:
    browser.get(f"{fortunes_url}/fortunes")
    wait_for(browser, "css selector", "table")
    assert no_alert(browser)
    served = table(browser)
    assert served == [[str(i), m] for i, m in sorted(FORTUNES, key=lambda r: r[1])]
    shot = save_screenshot(browser, "fortunes")

    reference = screenshot_dir() / "fortunes-reference.html"
    reference.write_text(reference_fortunes(), encoding="utf-8")
    browser.get(reference.as_uri())
    wait_for(browser, "css selector", "table")
    assert table(browser) == served
    ref_shot = save_screenshot(browser, "fortunes-reference")
    assert shot.read_bytes() == ref_shot.read_bytes(), f"{shot} and {ref_shot} differ"


@pytest.mark.parametrize("payload", PAYLOADS)
def test_xss_payloads_stay_text(browser: Any, server_url: str, payload: str) -> None:
    from urllib.parse import quote

    browser.get(f"{server_url}/xss?text={quote(payload)}")
    wait_for(browser, "css selector", "#after-script")
    assert no_alert(browser), f"{payload!r} opened an alert"
    find = browser.find_element
    # Text positions: the browser reads back the payload itself.
    assert find("css selector", "#text").get_attribute("textContent") == payload
    assert find("css selector", "#area").get_attribute("value") == payload
    assert find("css selector", "#after-script").get_attribute("textContent") == payload
    assert browser.title == payload.replace("\u00a0", " ").strip() or browser.title == payload
    # Attribute positions: the quoted ones hold exactly the payload.
    assert find("css selector", "#dq").get_attribute("title") == payload
    assert find("css selector", "#sq").get_attribute("title") == payload
    assert find("css selector", "#unquoted").get_attribute("data-x") == payload
    # Nothing was injected: the page's own elements only.
    assert len(browser.find_elements("css selector", "script")) == 1
    assert browser.find_elements("css selector", "img, svg, iframe, object") == []
    unquoted = find("css selector", "#unquoted")
    handlers = browser.execute_script(
        "return Array.from(arguments[0].attributes).map(a => a.name).filter(n => n.startsWith('on'))",
        unquoted,
    )
    assert handlers == [], f"{payload!r} added event handlers {handlers}"
    assert unquoted.get_attribute("autofocus") is None


def test_escaping_is_markupsafes_set_of_characters(server_url: str) -> None:
    """askama escapes the five characters markupsafe (Jinja2's autoescape)
    escapes, as numeric references; unescaped, the page holds the payload."""
    import urllib.request
    from urllib.parse import quote

    every = "".join(chr(c) for c in range(32, 127)) + "é日"
    with urllib.request.urlopen(f"{server_url}/xss?text={quote(every)}") as r:
        page = r.read().decode()
    line = next(l for l in page.splitlines() if l.startswith('<p id="text">'))
    inner = line.removeprefix('<p id="text">').removesuffix("</p>")
    expected = (
        every.replace("&", "&#38;")
        .replace("<", "&#60;")
        .replace(">", "&#62;")
        .replace('"', "&#34;")
        .replace("'", "&#39;")
    )
    assert inner == expected
    assert html.unescape(inner) == every

"""The OpenAPI document and the docs pages of a built app, over HTTP.

Builds `examples/todo` (or takes it from `cargo xtask test`'s binary
folder), runs it, fetches `/openapi.json` and validates it with
openapi-spec-validator; the bytes must be those `cargo xtask openapi`
prints. `/docs` and `/redoc` must be HTML pages that name the document.
(The pages in a real browser are not tested yet.)
"""

from __future__ import annotations

import json
import os
import subprocess
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest
from openapi_spec_validator import validate
from prebake.testing import Server

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

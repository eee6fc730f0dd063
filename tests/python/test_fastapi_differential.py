"""One app, two servers: `tests/apps/depends` under prebake and under FastAPI.

The app's source is written once against `prebake`; for FastAPI, a shim
package named `prebake` that re-exports FastAPI's names
(`tests/fastapi_shim/`) comes first on the path and uvicorn serves
it. Both answer the same requests in the same order; status codes, success
bodies, the headers the app sets and the order in which dependencies, their
teardown and background tasks ran must agree. Error bodies differ by
design (prebake answers with the Litestar shape, FastAPI with
`{"detail": ...}`): for those only the status and the `detail` are compared.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from prebake.testing import Server
from servers import fastapi_peer

ROOT = Path(__file__).resolve().parents[2]
APP_DIR = ROOT / "tests" / "apps" / "depends"

fastapi = pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")


@pytest.fixture(scope="module")
def servers(e2e_server: Callable[..., Server]) -> Iterator[dict[str, int]]:
    """The prebake binary through `prebake.testing`, FastAPI on uvicorn."""
    prebake = e2e_server("depends", "tests/apps/depends/app.py")
    with fastapi_peer(APP_DIR) as port:
        yield {"prebake": prebake.port, "fastapi": port}


def call(port: int, method: str, path: str, headers: dict[str, str] | None = None,
         body: Any = None) -> tuple[int, dict[str, list[str]], Any]:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method)
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    if data is not None:
        req.add_header("content-type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            status, raw, hdrs = resp.status, resp.read(), resp.headers
    except urllib.error.HTTPError as e:
        status, raw, hdrs = e.code, e.read(), e.headers
    headers_out: dict[str, list[str]] = {}
    for k, v in hdrs.items():
        headers_out.setdefault(k.lower(), []).append(v)
    try:
        parsed = json.loads(raw) if raw else None
    except ValueError:
        parsed = raw.decode(errors="replace")
    return status, headers_out, parsed


# (method, path, headers, body, headers whose values must agree)
CASES: list[tuple[str, str, dict[str, str], Any, tuple[str, ...]]] = [
    ("GET", "/events", {}, None, ()),
    ("GET", "/greeting", {}, None, ()),
    ("GET", "/me", {}, None, ()),
    ("GET", "/me", {"x-token": "user-bob"}, None, ()),
    ("GET", "/me", {"x-token": "admin"}, None, ()),
    ("GET", "/cached", {}, None, ()),
    ("GET", "/cached", {}, None, ()),
    ("GET", "/page", {}, None, ()),
    ("GET", "/page?limit=5&offset=2", {}, None, ()),
    ("GET", "/db", {}, None, ()),
    ("GET", "/events", {}, None, ()),
    ("GET", "/db/fail", {}, None, ()),
    ("GET", "/events", {}, None, ()),
    ("GET", "/db/teapot", {}, None, ()),
    ("GET", "/events", {}, None, ()),
    ("GET", "/db/denied", {}, None, ()),
    ("GET", "/events", {}, None, ()),
    ("GET", "/db/denied", {"x-token": "user-al"}, None, ()),
    ("GET", "/events", {}, None, ()),
    ("GET", "/dep/boom", {}, None, ()),
    ("GET", "/db/async", {}, None, ()),
    ("GET", "/events", {}, None, ()),
    ("GET", "/counter", {}, None, ()),
    ("GET", "/counter", {}, None, ()),
    ("POST", "/items", {"x-token": "user-ann"}, {"name": "pen", "owner": "x"},
     ("x-created-by", "set-cookie")),
    ("GET", "/events", {}, None, ()),
    ("GET", "/accepted", {}, None, ()),
    ("GET", "/teapot/kettle", {}, None, ()),
    ("GET", "/token", {"x-key": "secret", "authorization": "Bearer abc"}, None, ()),
    ("GET", "/token", {"x-key": "secret"}, None, ("www-authenticate",)),
    ("GET", "/token", {"authorization": "Bearer abc"}, None, ()),
    ("GET", "/token", {"x-key": "secret", "authorization": "Basic abc"}, None, ("www-authenticate",)),
    ("GET", "/api/items", {}, None, ()),
    ("GET", "/api/items/3", {"x-token": "user-al"}, None, ()),
    ("GET", "/api/items/3", {}, None, ()),
    ("GET", "/api/admin/stats", {"x-role": "admin"}, None, ()),
    ("GET", "/api/admin/stats", {}, None, ()),
    ("GET", "/header-dep", {"x-tag": "blue"}, None, ()),
    # The app's handlers: 404 (the router's own too) and validation (422).
    ("GET", "/missing", {}, None, ()),
    ("GET", "/no/such/route", {}, None, ()),
    ("GET", "/page?limit=0", {}, None, ()),
    ("GET", "/api/items/x", {"x-token": "user-al"}, None, ()),
    ("POST", "/items", {"x-token": "user-ann"}, {"name": 3}, ()),
]

# Errors the app's own handlers answer: their whole bodies must agree.
HANDLED = {"/missing", "/no/such/route", "/page?limit=0", "/api/items/x", "/teapot/kettle"}


def test_same_answers_as_fastapi(servers: dict[str, int]) -> None:
    differences = []
    for method, path, headers, body, compared in CASES:
        if path == "/events":
            # Teardown and background tasks run after the response is sent.
            time.sleep(0.05)
        got = call(servers["prebake"], method, path, headers, body)
        want = call(servers["fastapi"], method, path, headers, body)
        where = f"{method} {path} {headers}"
        if got[0] != want[0]:
            differences.append(f"{where}: status {got[0]} (prebake) vs {want[0]} (FastAPI)")
            continue
        if got[0] < 400 or (path in HANDLED and method == "GET"):
            if got[2] != want[2]:
                differences.append(f"{where}: body {got[2]!r} vs {want[2]!r}")
        else:
            mine = got[2].get("detail") if isinstance(got[2], dict) else got[2]
            theirs = want[2].get("detail") if isinstance(want[2], dict) else want[2]
            if got[0] != 500 and mine != theirs:
                differences.append(f"{where}: detail {mine!r} vs {theirs!r}")
        for h in compared:
            if got[1].get(h) != want[1].get(h):
                differences.append(f"{where}: header {h} {got[1].get(h)} vs {want[1].get(h)}")
    assert not differences, "\n".join(differences)

"""Query, header and cookie parameter models (`Annotated[Model, Query()]`)
over real sockets: `tests/apps/params` under prebake and, for the
differential, under FastAPI through `tests/fastapi_shim`, with the pydantic
twins of its models (`tests/apps/params/pydantic_twin/models.py`, first on
FastAPI's path: FastAPI reads parameter models only from pydantic models).

Success answers must agree byte for byte. Validation errors differ by
design (FastAPI 422 with pydantic's `detail`, prebake 400 in the shape of
docs/semantics.md): for those the status pair and the key of the first
error are compared, a header's key with `_` read as `-` (prebake names the
header as sent, FastAPI the field; docs/decisions.md). The OpenAPI
parameters of each route must agree too (name, location, required, schema
without pydantic's titles).

Then, against prebake alone: cookies on several `Cookie` lines (Starlette
reads the first line only), and the error bodies.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from servers import ROOT, free_port, serve, wait_ready

pytest.importorskip("fastapi")

APP_DIR = ROOT / "tests" / "apps" / "params"
TWIN = APP_DIR / "pydantic_twin"
SHIM = ROOT / "tests" / "fastapi_shim"


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, str]]:
    port = free_port()
    with serve("params") as prebake_port:
        proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "app:app", "--port", str(port),
             "--log-level", "warning"],
            cwd=TWIN,
            env=dict(os.environ, PYTHONPATH=os.pathsep.join([str(TWIN), str(SHIM), str(APP_DIR)])),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_ready(port, proc)
            yield {
                "prebake": f"http://127.0.0.1:{prebake_port}",
                "fastapi": f"http://127.0.0.1:{port}",
            }
        finally:
            proc.terminate()
            proc.wait(timeout=10)


H = "testserver"  # the Host both servers are sent, so that echoes agree

# (path, query, headers): headers are the only ones sent (besides Host, set
# here, and Content-Length for a body).
CASES: list[tuple[str, Any, list[tuple[str, str]]]] = [
    ("/items", None, []),
    ("/items", [("limit", "10"), ("offset", "5"), ("order_by", "updated_at"),
                ("tags", "tag1"), ("tags", "tag2")], []),
    ("/items", [("limit", "150")], []),
    ("/items", [("limit", "0")], []),
    ("/items", [("offset", "-1")], []),
    ("/items", [("order_by", "invalid")], []),
    ("/items", [("limit", "abc")], []),
    ("/items", [("limit", "3.0")], []),
    ("/items", [("limit", "10"), ("tool", "plumbus")], []),
    ("/items", [("tags", "")], []),
    ("/items", [("limit", "5"), ("limit", "7")], []),
    ("/paging", [("pageSize", "5"), ("page", "2"), ("ids", "1"), ("ids", "2")], []),
    ("/paging", [("pageSize", "0")], []),
    ("/paging", [("ids", "1"), ("ids", "x")], []),
    ("/paging", [("page_size", "5"), ("other", "x")], []),
    ("/search", [("q", "hello")], []),
    ("/search", [("q", "hello"), ("kind", "book"), ("exact", "true"), ("score", "1.5")], []),
    ("/search", [("q", "hello"), ("exact", "1"), ("score", "2")], []),
    ("/search", [], []),
    ("/search", [("q", "")], []),
    ("/search", [("q", "x"), ("kind", "film")], []),
    ("/search", [("q", "x"), ("exact", "maybe")], []),
    ("/search", [("q", "x"), ("score", "much")], []),
    ("/range", [("lo", "1"), ("hi", "5")], []),
    ("/range", [("lo", "1")], []),
    ("/range", [("hi", "2")], []),
    ("/range", [("lo", "x")], []),
    ("/headers", None, [("save-data", "true"), ("if-modified-since", "yesterday"),
                        ("traceparent", "123"), ("x-tag", "one"), ("x-tag", "two")]),
    ("/headers", None, [("save-data", "true")]),
    ("/headers", None, [("Save-Data", "1"), ("X-Tag", "a, b"), ("x-tag", "c")]),
    ("/headers", None, []),
    ("/headers", None, [("save-data", "maybe")]),
    ("/headers", None, [("save_data", "true")]),
    ("/headers", None, [("save-data", "false"), ("tool", "plumbus")]),
    ("/headers/strict", None, [("save-data", "true")]),
    ("/headers/strict", None, []),
    ("/headers/strict", None, [("save-data", "true"), ("tool", "plumbus")]),
    ("/headers/strict", None, [("user-agent", "test")]),
    ("/headers/strict", None, [("x-tag", "a"), ("X-TAG", "b")]),
    ("/headers/raw", None, [("x_token", "abc"), ("user_agent", "ua")]),
    ("/headers/raw", None, [("x_token", "abc"), ("user-agent", "ua")]),
    ("/headers/raw", None, [("x-token", "abc")]),
    ("/cookies", None, [("cookie", "session_id=123; fatebook_tracker=456; googall_tracker=789")]),
    ("/cookies", None, [("cookie", "session_id=123")]),
    ("/cookies", None, [("cookie", "session_id=1; session_id=2")]),
    ("/cookies", None, []),
    ("/cookies", None, [("cookie", "fatebook_tracker=1")]),
    ("/cookies", None, [("cookie", "session_id=123; extra=track-me-here-too")]),
    ("/mixed", [("verbose", "true"), ("page", "4"), ("pageSize", "20")],
     [("X-Token", "t0k"), ("x-request-id", "r-1"), ("accept-language", "fr"),
      ("cookie", "theme=dark; lang=de; visits=3")]),
    ("/mixed", None, [("x-token", "t")]),
    ("/mixed", None, []),
    ("/mixed", [("pageSize", "99")], [("x-token", "t")]),
    ("/mixed", None, [("x-token", "t"), ("cookie", "theme=blue")]),
    ("/mixed", None, [("x-token", "t"), ("cookie", "visits=many")]),
]


def get(base: str, path: str, query: Any, headers: list[tuple[str, str]]) -> httpx.Response:
    with httpx.Client(timeout=30) as client:
        client.headers.clear()
        return client.get(base + path, params=query, headers=[("host", H), *headers])


def error_key(status: int, body: Any, path: str) -> Any:
    """The key of the first validation error, in either framework's shape
    (`["query", "ids", 1]` is `ids[1]`); a header's `_` read as `-`."""
    if status == 422:
        loc = body["detail"][0]["loc"][1:]
        key = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")
    elif status == 400 and "extra" in body:
        key = body["extra"][0]["key"]
    else:
        return None
    return key.replace("_", "-") if path.startswith("/headers") else key


def test_same_answers_as_fastapi(servers: dict[str, str]) -> None:
    differences = []
    for path, query, headers in CASES:
        got = get(servers["prebake"], path, query, headers)
        want = get(servers["fastapi"], path, query, headers)
        where = f"GET {path} {query} {headers}"
        if (got.status_code, want.status_code) == (400, 422):
            if error_key(400, got.json(), path) != error_key(422, want.json(), path):
                differences.append(f"{where}: error key {got.json()} vs {want.json()}")
            continue
        if got.status_code != want.status_code:
            differences.append(
                f"{where}: status {got.status_code} {got.text[:200]} vs {want.status_code} {want.text[:200]}"
            )
            continue
        if got.json() != want.json():
            differences.append(f"{where}: body {got.text[:200]!r} vs {want.text[:200]!r}")
    assert not differences, "\n".join(differences)


def test_a_query_model_beside_a_json_body(servers: dict[str, str]) -> None:
    for base in servers.values():
        r = httpx.post(base + "/notes?page=3&pageSize=2", json={"a": "b"})
        assert (r.status_code, r.json()) == (200, {"body": {"a": "b"}, "page": 3})
    r = httpx.post(servers["prebake"] + "/notes?page=x", json={"a": "b"})
    assert r.status_code == 400
    assert r.json()["extra"] == [{"message": "Expected `int`, got `str`", "key": "page", "source": "query"}]


def strip_titles(v: Any) -> Any:
    """A schema without pydantic's `title`s, without the `type` it adds
    beside an `enum`, and with the enum's values sorted (prebake writes
    schemas as msgspec does, which sorts a `Literal`'s values)."""
    if isinstance(v, dict):
        return {
            k: sorted(x) if k == "enum" else strip_titles(x) for k, x in v.items()
            if k != "title" and not (k == "type" and "enum" in v)
        }
    if isinstance(v, list):
        return [strip_titles(x) for x in v]
    return v


def test_openapi_parameters_as_fastapi_lists_them(servers: dict[str, str]) -> None:
    got = httpx.get(servers["prebake"] + "/openapi.json").json()["paths"]
    want = httpx.get(servers["fastapi"] + "/openapi.json").json()["paths"]
    for path in ["/items", "/paging", "/search", "/headers", "/headers/strict", "/headers/raw",
                 "/cookies", "/notes", "/mixed", "/documented/{item_id}", "/hidden-model"]:
        method = "post" if path == "/notes" else "get"
        # Both group the parameters by location (path, query, header,
        # cookie), each group in declaration order; a hidden one is left out.
        ours = got[path][method]["parameters"]
        theirs = want[path][method]["parameters"]
        assert [(p["name"], p["in"], p["required"]) for p in ours] == [
            (p["name"], p["in"], p["required"]) for p in theirs
        ], path
        for o, t in zip(ours, theirs):
            assert o.get("description") == t.get("description"), (path, o, t)
            assert o.get("deprecated") == t.get("deprecated"), (path, o, t)
            if "$ref" in str(t["schema"]):
                continue  # component names differ (pydantic's are its own)
            assert strip_titles(o["schema"]) == strip_titles(t["schema"]), (path, o, t)


# Against prebake alone.


@pytest.fixture(scope="module")
def prebake(servers: dict[str, str]) -> str:
    return servers["prebake"]


def test_models_and_plain_parameters_together(prebake: str) -> None:
    r = httpx.get(
        prebake + "/mixed?verbose=true&page=4&pageSize=20",
        headers=[("X-Token", "t0k"), ("x-request-id", "r-1"), ("accept-language", "fr"),
                 ("cookie", "theme=dark; lang=de"), ("cookie", "visits=3")],
    )
    assert r.status_code == 200, r.text
    assert r.json() == {
        "token": "t0k", "request_id": "r-1", "theme": "dark", "lang": "de", "visits": 3,
        "page": 4, "page_size": 20, "verbose": True, "accept_language": "fr",
    }
    r = httpx.get(prebake + "/mixed", headers={"x-token": "t"})
    assert r.status_code == 200, r.text
    assert r.json() == {
        "token": "t", "request_id": None, "theme": "light", "lang": "en", "visits": 0,
        "page": 1, "page_size": 10, "verbose": False, "accept_language": None,
    }


def errors(r: httpx.Response) -> list[dict[str, str]]:
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["status_code"] == 400 and body["detail"] == "Validation failed for GET " + (
        r.request.url.raw_path.decode()
    )
    extra: list[dict[str, str]] = body["extra"]
    return extra


def test_error_bodies(prebake: str) -> None:
    assert errors(httpx.get(prebake + "/mixed")) == [
        {"message": "Missing required header parameter `x-token`", "key": "x-token", "source": "header"}
    ]
    assert errors(httpx.get(prebake + "/mixed?pageSize=99", headers={"x-token": "t"})) == [
        {"message": "Expected `int` <= 50", "key": "pageSize", "source": "query"}
    ]
    assert errors(httpx.get(prebake + "/items?tool=plumbus")) == [
        {"message": "Object contains unknown field `tool`", "key": "tool", "source": "query"}
    ]
    assert errors(httpx.get(prebake + "/items?tags=a&limit=x")) == [
        {"message": "Expected `int`, got `str`", "key": "limit", "source": "query"}
    ]
    assert errors(httpx.get(prebake + "/paging?ids=1&ids=x")) == [
        {"message": "Expected `int`, got `str`", "key": "ids[1]", "source": "query"}
    ]
    assert errors(httpx.get(prebake + "/search")) == [
        {"message": "Missing required query parameter `q`", "key": "q", "source": "query"}
    ]
    assert errors(httpx.get(prebake + "/range?hi=1")) == [
        {"message": "Missing required query parameter `lo`", "key": "lo", "source": "query"}
    ]
    assert errors(httpx.get(prebake + "/headers", headers={"save-data": "maybe"})) == [
        {"message": "Expected `bool`, got `str`", "key": "save-data", "source": "header"}
    ]
    assert errors(httpx.get(prebake + "/cookies", headers={"cookie": "session_id=1; extra=2"})) == [
        {"message": "Object contains unknown field `extra`", "key": "extra", "source": "cookie"}
    ]
    assert errors(httpx.get(prebake + "/cookies")) == [
        {"message": "Missing required cookie parameter `session_id`", "key": "session_id",
         "source": "cookie"}
    ]


def test_cookies_on_several_lines_and_header_case(prebake: str) -> None:
    r = httpx.get(prebake + "/cookies", headers=[("cookie", "fatebook_tracker=1"),
                                                 ("cookie", "session_id=s; googall_tracker=\"2\"")])
    assert r.json() == {"session_id": "s", "fatebook_tracker": "1", "googall_tracker": "2"}
    r = httpx.get(prebake + "/headers", headers=[("SAVE-DATA", "1"), ("X-Tag", "1"), ("x-TAG", "2")])
    assert r.status_code == 200, r.text
    assert r.json()["save_data"] is True and r.json()["x_tag"] == ["1", "2"]


def test_documented_parameters_answer_as_fastapi(servers: dict[str, str]) -> None:
    """Keywords that only document a parameter (a hidden one included) do
    not change what it reads."""
    url = "/documented/3?q=s&internal=yes"
    headers = {"x-trace": "t-1", "cookie": "session=abc"}
    got = httpx.get(servers["prebake"] + url, headers=headers)
    want = httpx.get(servers["fastapi"] + url, headers=headers)
    assert got.status_code == want.status_code == 200
    assert got.json() == want.json() == {
        "item_id": 3, "q": "s", "trace": "t-1", "session": "abc", "internal": "yes",
    }


def test_a_hidden_parameter_model_still_reads_its_fields(servers: dict[str, str]) -> None:
    url = "/hidden-model?page=2&pageSize=5&z=1"
    got = httpx.get(servers["prebake"] + url)
    want = httpx.get(servers["fastapi"] + url)
    assert got.status_code == want.status_code == 200
    assert got.json() == want.json()

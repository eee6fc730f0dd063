"""FastAPI's tutorial apps, ported to prebake, answer as FastAPI does.

`tests/apps/ported/app.py` is FastAPI tutorial code with the imports renamed
and the pydantic models made dataclasses. It runs under prebake and,
through the `prebake` stand-in of `tests/fastapi_shim` (FastAPI's names), on
uvicorn; the requests are those of FastAPI's own tests for these tutorials.
Successful answers must agree in status, body and the headers that matter.
Validation failures differ by design (docs/decisions.md): prebake answers
400 in its error shape where FastAPI answers 422, so there only the statuses
are compared, 400 standing for 422.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from prebake.testing import Server
from servers import fastapi_peer

ROOT = Path(__file__).resolve().parents[2]
APP_DIR = ROOT / "tests" / "apps" / "ported"

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")


@pytest.fixture(scope="module")
def servers(e2e_server: Callable[..., Server]) -> Iterator[dict[str, int]]:
    prebake = e2e_server("ported", "tests/apps/ported/app.py")
    with fastapi_peer(APP_DIR) as port:
        yield {"prebake": prebake.port, "fastapi": port}


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Follows FastAPI's trailing-slash redirect as its TestClient does, and
    records that it happened."""

    redirected = False

    def redirect_request(self, *args: Any, **kwargs: Any) -> Any:
        type(self).redirected = True
        return super().redirect_request(*args, **kwargs)


def call(port: int, method: str, path: str, headers: dict[str, str],
         body: Any) -> tuple[int, dict[str, str], Any]:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method)
    for k, v in headers.items():
        req.add_header(k, v)
    if data is not None:
        req.add_header("content-type", "application/json")
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(req, timeout=10) as resp:
            status, raw, hdrs = resp.status, resp.read(), resp.headers
    except urllib.error.HTTPError as e:
        status, raw, hdrs = e.code, e.read(), e.headers
    return status, {k.lower(): v for k, v in hdrs.items()}, json.loads(raw) if raw else None


FOO = {"name": "Foo", "description": "A very nice Item", "price": 35.4, "tax": 3.2}
DAVE = {"username": "Dave", "full_name": None}

# (method, path, headers, body): the requests of FastAPI's tests for the tutorials.
CASES: list[tuple[str, str, dict[str, str], Any]] = [
    ("GET", "/items/5", {}, None),
    ("GET", "/items/5?q=foo", {}, None),
    ("GET", "/items/0", {}, None),
    ("GET", "/items/1001", {}, None),
    ("GET", "/items/abc", {}, None),
    ("GET", "/measures/42?q=foo&size=2.5", {}, None),
    ("GET", "/measures/-1?q=foo&size=2.5", {}, None),
    ("GET", "/measures/42?q=foo&size=10.5", {}, None),
    ("GET", "/measures/42?size=1", {}, None),
    ("GET", "/search", {}, None),
    ("GET", "/search/?q=fixedquery", {}, None),
    ("GET", "/search?q=nonregexquery", {}, None),
    ("GET", "/search?q=fa", {}, None),
    ("GET", "/fixed", {}, None),
    ("GET", "/fixed/?q=query", {}, None),
    ("GET", "/fixed/?q=qu", {}, None),
    ("GET", "/tags/", {}, None),
    ("GET", "/tags?q=foo&q=bar", {}, None),
    ("GET", "/agent", {"User-Agent": "FastAPI test"}, None),
    ("GET", "/ads", {}, None),
    ("GET", "/ads/", {"Cookie": "ads_id=ads_track"}, None),
    ("POST", "/items/", {}, {"name": "Foo", "description": "A", "price": 50.5, "tax": None}),
    ("POST", "/items", {}, {"name": "Foo", "description": None, "price": 50.5, "tax": 1.5}),
    ("POST", "/items/", {}, {"name": "Foo", "price": -1.0}),
    ("POST", "/items/", {}, {"name": "Foo"}),
    ("GET", "/teapot", {}, None),
    ("GET", "/models/pen", {}, None),
    ("POST", "/cookie-and-object/", {}, None),
    ("PUT", "/get-or-create-task/foo", {}, None),
    ("PUT", "/get-or-create-task/bar", {}, None),
    ("GET", "/nowhere", {}, None),
    # Without `full_name`, msgspec leaves the dataclass field at its class
    # default and out of the answer, where FastAPI writes null
    # (docs/decisions.md); test_the_response_model_reads_dicts covers it.
    ("POST", "/user", {}, {"username": "foo", "password": "secret", "email": "f@example.com",
                           "full_name": "Grave Dohl"}),
    ("GET", "/stored/baz", {}, None),
    ("GET", "/fighters/foo", {}, None),
    ("POST", "/fighters/bar", {}, None),
    ("GET", "/items/bar/name", {}, None),
    ("GET", "/items/baz/public", {}, None),
    ("GET", "/no-none/baz", {}, None),
    # body_multiple_params tutorials 001-005 (FastAPI's test requests).
    ("PUT", "/bmp1/items/5", {}, FOO),
    ("PUT", "/bmp1/items/5?q=bar", {}, None),
    ("PUT", "/bmp1/items/5", {}, None),
    ("PUT", "/bmp1/items/foo", {}, FOO),
    ("PUT", "/bmp1/items/1001", {}, FOO),
    ("PUT", "/bmp2/items/5", {}, {"item": FOO, "user": DAVE}),
    ("PUT", "/bmp2/items/5", {}, {"item": FOO}),
    ("PUT", "/bmp2/items/5", {}, {"user": DAVE}),
    ("PUT", "/bmp2/items/5", {}, {}),
    ("PUT", "/bmp2/items/5", {}, None),
    ("PUT", "/bmp2/items/5", {}, {"item": {"name": "Foo"}, "user": DAVE}),
    ("PUT", "/bmp2/items/5", {}, [FOO, DAVE]),
    ("PUT", "/bmp3/items/5", {}, {"item": FOO, "user": DAVE, "importance": 2}),
    ("PUT", "/bmp3/items/5", {}, {"item": FOO, "user": DAVE}),
    ("PUT", "/bmp3/items/5", {}, {"item": FOO, "user": DAVE, "importance": "high"}),
    ("PUT", "/bmp4/items/5?q=bar", {}, {"item": FOO, "user": DAVE, "importance": 5}),
    ("PUT", "/bmp4/items/5", {}, {"item": FOO, "user": DAVE, "importance": 5}),
    ("PUT", "/bmp4/items/5", {}, {"item": FOO, "user": DAVE, "importance": 0}),
    ("PUT", "/bmp5/items/5", {}, {"item": FOO}),
    ("PUT", "/bmp5/items/5", {}, FOO),
    ("PUT", "/bmp5/items/5", {}, None),
    ("PUT", "/bmp-dep/items/5", {}, {"item": FOO, "user": DAVE}),
    ("PUT", "/bmp-dep/items/5", {}, {"item": FOO}),
    ("POST", "/bmp-alias", {}, {"the-item": FOO}),
    ("POST", "/bmp-alias", {}, {"the-item": FOO, "count": 3, "tags": ["a", "b"]}),
    ("POST", "/bmp-alias", {}, {"item": FOO}),
    # encoder/tutorial001.
    ("PUT", "/enc/items/foo", {}, {"title": "Foo", "timestamp": "2023-01-01T10:30:00",
                                   "description": "A"}),
    ("PUT", "/enc/items/bar", {}, {"title": "Bar", "timestamp": "2023-01-01T10:30:00+02:00"}),
    ("PUT", "/enc/items/bar", {}, {"title": "Bar", "timestamp": "2023-01-01T10:30:00.5Z"}),
]


def test_same_answers_as_fastapi(servers: dict[str, int]) -> None:
    differences = []
    for method, path, headers, body in CASES:
        got = call(servers["prebake"], method, path, headers, body)
        want = call(servers["fastapi"], method, path, headers, body)
        if want[0] == 307:
            # FastAPI's trailing-slash redirect, which its TestClient follows
            # for every method (urllib only for GET).
            location = want[1]["location"].split(str(servers["fastapi"]), 1)[1]
            want = call(servers["fastapi"], method, location, headers, body)
        if want[0] == 422 and got[0] == 400:
            # The validation shape differs by design; the failure must not.
            assert got[2]["status_code"] == 400 and got[2]["extra"], got
            continue
        if got[0] != want[0]:
            differences.append(f"{method} {path}: status {got[0]} != {want[0]} ({got[2]})")
        elif got[0] < 400 and got[2] != want[2]:
            differences.append(f"{method} {path}: body {got[2]!r} != {want[2]!r}")
        elif got[0] >= 400 and got[2].get("detail") != want[2].get("detail"):
            differences.append(f"{method} {path}: detail {got[2]} != {want[2]}")
        elif got[1].get("set-cookie") != want[1].get("set-cookie"):
            differences.append(f"{method} {path}: set-cookie {got[1].get('set-cookie')!r} != "
                               f"{want[1].get('set-cookie')!r}")
    assert not differences, "\n".join(differences)


def test_the_path_without_its_slash_is_served_without_a_redirect(servers: dict[str, int]) -> None:
    _NoRedirect.redirected = False
    status, _, body = call(servers["prebake"], "GET", "/fixed", {}, None)
    assert (status, body, _NoRedirect.redirected) == (200, {"q": "fixedquery"}, False)
    call(servers["fastapi"], "GET", "/fixed", {}, None)
    assert _NoRedirect.redirected, "FastAPI redirects /fixed to /fixed/"


def test_a_value_that_does_not_fit_the_response_model_is_a_500(servers: dict[str, int]) -> None:
    """FastAPI raises `ResponseValidationError` (a 500); prebake answers its
    500 and logs msgspec's reason."""
    status, _, body = call(servers["prebake"], "GET", "/stored-broken", {}, None)
    assert status == 500 and body == {"status_code": 500, "detail": "Internal Server Error"}
    req = urllib.request.Request(f"http://127.0.0.1:{servers['fastapi']}/stored-broken")
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req, timeout=10)
    e.value.close()
    assert e.value.code == 500


def test_the_response_model_reads_another_class_by_its_attributes(servers: dict[str, int]) -> None:
    """response_model/tutorial003 as written: the handler returns its `UserIn`
    and the `UserOut` response model leaves the password out."""
    user = {"username": "foo", "password": "secret", "email": "foo@example.com"}
    status, _, body = call(servers["prebake"], "POST", "/user-object/", {}, user)
    assert (status, body) == (200, {"username": "foo", "email": "foo@example.com",
                                    "full_name": None})


def test_the_response_model_reads_dicts(servers: dict[str, int]) -> None:
    """response_model/tutorial004's stored dicts: the keys the model lacks are
    dropped, an int price becomes a float; a dataclass field the dict leaves
    out stays at its class default and out of the answer, as msgspec encodes
    a converted dataclass (FastAPI writes the default; docs/decisions.md)."""
    status, _, body = call(servers["prebake"], "GET", "/stored", {}, None)
    assert status == 200
    assert body == [
        {"name": "Foo", "price": 50.2},
        {"name": "Bar", "description": "The bartenders", "price": 62.0, "tax": 20.2},
        {"name": "Baz", "description": None, "price": 50.2, "tax": 10.5, "tags": []},
    ]


def test_response_model_exclude_unset_as_fastapis_tutorial(servers: dict[str, int]) -> None:
    """response_model/tutorial004: FastAPI's own test expects the fields the
    stored dict sets, no more. (Its dataclass twin cannot tell which fields
    were set, so only prebake is asked.)"""
    answers = {
        item: call(servers["prebake"], "GET", f"/unset/{item}", {}, None)[2]
        for item in ("foo", "bar", "baz")
    }
    assert answers == {
        "foo": {"name": "Foo", "price": 50.2},
        "bar": {"name": "Bar", "description": "The bartenders", "price": 62.0, "tax": 20.2},
        "baz": {"name": "Baz", "description": None, "price": 50.2, "tax": 10.5, "tags": []},
    }
    assert call(servers["prebake"], "GET", "/no-none/foo", {}, None)[2] == {
        "name": "Foo", "price": 50.2,
    }
@pytest.mark.parametrize(
    ("path", "body", "extra"),
    [
        # A missing parameter is keyed by its name, as FastAPI's loc
        # `["body", "user"]`.
        ("/bmp2/items/5", {"item": FOO}, ("Object missing required field `user`", "user")),
        ("/bmp2/items/5", None, ("Object missing required field `item`", "item")),
        # An error inside one is keyed by its path from the object.
        ("/bmp2/items/5", {"item": {**FOO, "price": "x"}, "user": DAVE},
         ("Expected `float`, got `str`", "item.price")),
        ("/bmp4/items/5", {"item": FOO, "user": DAVE, "importance": 0},
         ("Expected `int` >= 1", "importance")),
        # Not an object at all: the body itself.
        ("/bmp5/items/5", [FOO], ("Expected `object`, got `array`", "body")),
        # The alias is the key, in the message too.
        ("/bmp-alias", {"item": FOO}, ("Object missing required field `the-item`", "the-item")),
    ],
)
def test_embedded_body_errors(servers: dict[str, int], path: str, body: Any,
                              extra: tuple[str, str]) -> None:
    method = "POST" if path == "/bmp-alias" else "PUT"
    status, _, got = call(servers["prebake"], method, path, {}, body)
    assert status == 400
    assert got["extra"] == [{"message": extra[0], "key": extra[1], "source": "body"}]


def test_embedded_body_schemas_are_fastapis(servers: dict[str, int]) -> None:
    """The `Body_<unique id>` components and the request bodies naming them."""
    docs = {}
    for name, port in servers.items():
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/openapi.json", timeout=10) as r:
            docs[name] = json.loads(r.read())
    ours, theirs = docs["prebake"], docs["fastapi"]
    # The JSON bodies' (FastAPI names form bodies so too; prebake writes a
    # form's schema in place).
    json_bodies = {
        op["requestBody"]["content"]["application/json"]["schema"].get("$ref", "")
        for item in theirs["paths"].values() for op in item.values()
        if "application/json" in op.get("requestBody", {}).get("content", {})
    }
    bodies = sorted(r.rsplit("/", 1)[1] for r in json_bodies if "/Body_" in r)
    assert set(bodies) <= set(ours["components"]["schemas"])
    assert len(bodies) == 6
    for name in bodies:
        assert ours["components"]["schemas"][name] == theirs["components"]["schemas"][name], name
    for path in ("/bmp2/items/{item_id}", "/bmp5/items/{item_id}"):
        assert ours["paths"][path]["put"]["requestBody"] == \
            theirs["paths"][path]["put"]["requestBody"]


def raw_call(port: int, path: str) -> tuple[int, dict[str, str], bytes]:
    """A GET that follows no redirect, with the body as bytes."""

    class Stay(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    opener = urllib.request.build_opener(Stay)
    try:
        with opener.open(f"http://127.0.0.1:{port}{path}", timeout=10) as resp:
            status, raw, hdrs = resp.status, resp.read(), resp.headers
    except urllib.error.HTTPError as e:
        status, raw, hdrs = e.code, e.read(), e.headers
    return status, {k.lower(): v for k, v in hdrs.items()}, raw


@pytest.mark.parametrize(
    "path",
    ["/cr1/items/", "/cr1b/items/", "/cr1u/items/", "/cr2/items/", "/cr4/items/", "/cr5/",
     "/typer", "/fastapi", "/pydantic", "/stream", "/file"],
)
def test_response_class_as_fastapi(servers: dict[str, int], path: str) -> None:
    """custom_response tutorials: `response_class=` makes the response from
    the returned value (status, media type, `location`, body bytes)."""
    got = raw_call(servers["prebake"], path)
    want = raw_call(servers["fastapi"], path)
    assert got[0] == want[0]
    assert got[2] == want[2]
    for header in ("content-type", "location"):
        assert got[1].get(header) == want[1].get(header), header


def test_response_class_in_openapi(servers: dict[str, int]) -> None:
    """The class's media type (none for redirects, files and streams) and a
    redirect's 307, as FastAPI documents them."""
    docs = {}
    for name, port in servers.items():
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/openapi.json", timeout=10) as r:
            docs[name] = json.loads(r.read())
    for path in ("/cr2/items/", "/cr5/", "/fastapi", "/pydantic", "/stream", "/file",
                 "/cr1b/items/"):
        ours = docs["prebake"]["paths"][path]["get"]["responses"]
        theirs = docs["fastapi"]["paths"][path]["get"]["responses"]
        # prebake documents its own error answers too (500).
        assert list(ours)[0] == list(theirs)[0], path
        for code, resp in theirs.items():
            assert ours[code].get("content") == resp.get("content"), (path, code)


def form_call(port: int, path: str, form: dict[str, str] | None,
              headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], Any]:
    data = None if form is None else urllib.parse.urlencode(form).encode()
    method = "GET" if form is None else "POST"
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method)
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    if data is not None:
        req.add_header("content-type", "application/x-www-form-urlencoded")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            status, raw, hdrs = resp.status, resp.read(), resp.headers
    except urllib.error.HTTPError as e:
        status, raw, hdrs = e.code, e.read(), e.headers
    return status, {k.lower(): v for k, v in hdrs.items()}, json.loads(raw) if raw else None


FORM_CASES: list[tuple[str, dict[str, str] | None, dict[str, str]]] = [
    # security/tutorial003's tests.
    ("/token", {"username": "johndoe", "password": "secret"}, {}),
    ("/token", {"username": "johndoe", "password": "incorrect"}, {}),
    ("/token", {"username": "foo", "password": "secret"}, {}),
    ("/token", {"username": "johndoe"}, {}),
    ("/token", {"password": "secret"}, {}),
    ("/token", {}, {}),
    ("/users/me", None, {"Authorization": "Bearer johndoe"}),
    ("/users/me", None, {"Authorization": "Bearer nonexistent"}),
    ("/users/me", None, {"Authorization": "Notexistent testtoken"}),
    ("/users/me", None, {"Authorization": "Bearer alice"}),
    ("/users/me", None, {}),
    # Every field, the scopes split, grant_type's pattern.
    ("/form-echo", {"username": "a", "password": "b", "scope": "me items:read  x",
                    "grant_type": "password", "client_id": "c", "client_secret": "d"}, {}),
    ("/form-echo", {"username": "a", "password": "b"}, {}),
    ("/form-echo", {"username": "a", "password": "b", "grant_type": "refresh"}, {}),
    ("/form-strict", {"username": "a", "password": "b", "grant_type": "password"}, {}),
    ("/form-strict", {"username": "a", "password": "b"}, {}),
    ("/form-strict", {"username": "a", "password": "b", "grant_type": "pass"}, {}),
]


@pytest.mark.parametrize(("path", "form", "headers"), FORM_CASES)
def test_password_form_as_fastapi(servers: dict[str, int], path: str,
                                  form: dict[str, str] | None, headers: dict[str, str]) -> None:
    got = form_call(servers["prebake"], path, form, headers)
    want = form_call(servers["fastapi"], path, form, headers)
    if want[0] == 422:
        assert got[0] == 400 and got[2]["extra"][0]["source"] == "body", got
        return
    assert (got[0], got[2] if got[0] < 400 else got[2]["detail"]) == \
        (want[0], want[2] if want[0] < 400 else want[2]["detail"])
    assert got[1].get("www-authenticate") == want[1].get("www-authenticate")


def test_password_form_missing_field_names_it(servers: dict[str, int]) -> None:
    status, _, body = form_call(servers["prebake"], "/token", {"username": "johndoe"})
    assert status == 400
    assert body["extra"] == [{"message": "Missing required form field `password`",
                              "key": "password", "source": "body"}]


def test_password_form_in_openapi(servers: dict[str, int]) -> None:
    """The login form's fields, as FastAPI documents them (urlencoded)."""
    docs = {}
    for name, port in servers.items():
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/openapi.json", timeout=10) as r:
            docs[name] = json.loads(r.read())
    ours = docs["prebake"]["paths"]["/token"]["post"]["requestBody"]
    theirs = docs["fastapi"]["paths"]["/token"]["post"]["requestBody"]
    assert list(ours["content"]) == list(theirs["content"]) == ["application/x-www-form-urlencoded"]
    schema = ours["content"]["application/x-www-form-urlencoded"]["schema"]
    ref = theirs["content"]["application/x-www-form-urlencoded"]["schema"]["$ref"]
    want = docs["fastapi"]["components"]["schemas"][ref.rsplit("/", 1)[1]]
    got = docs["prebake"]["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    # FastAPI marks the secrets `format: password` (pydantic's
    # json_schema_extra), which prebake's form fields do not carry.
    for prop in want["properties"].values():
        prop.pop("format", None)
    assert got == want

"""The `prebake` package under plain CPython, and the examples run as plain code.

The compiled binary calls the same handlers and builds the same `Request`,
`Response` and `HTTPException` objects, so what holds here is what the
runtime can rely on.
"""

from __future__ import annotations

import asyncio
import inspect
import pickle
import typing
import warnings
from datetime import datetime
from types import ModuleType
from typing import Annotated, Any

import msgspec
import pytest

import prebake
from prebake import (
    App,
    Body,
    Cookie,
    Header,
    HTTPException,
    JSONResponse,
    Path,
    Query,
    Request,
    Response,
    RouteInfo,
)

# --- App and the route decorators -------------------------------------------


def test_decorators_return_the_function_unchanged_and_record_routes() -> None:
    app = App(title="t", version="2.0", description="d", max_body_size=10)

    def handler(user_id: int) -> dict[str, int]:
        return {"id": user_id}

    assert app.get("/user/{user_id}", summary="one user", tags=["users"])(handler) is handler
    assert app.post("/users", status_code=201)(handler) is handler
    assert app.route("/any", methods=["PUT", "PATCH"])(handler) is handler
    assert not hasattr(handler, "__prebake__") and handler(3) == {"id": 3}

    assert (app.title, app.version, app.description, app.max_body_size) == ("t", "2.0", "d", 10)
    first, second, third = app.routes
    assert first == RouteInfo(
        methods=("GET",),
        path="/user/{user_id}",
        handler=handler,
        status_code=None,
        name="handler",
        summary="one user",
        tags=("users",),
    )
    assert first.path_params == ("user_id",)
    assert (second.methods, second.status_code) == (("POST",), 201)
    assert third.methods == ("PUT", "PATCH")
    with pytest.raises(AttributeError):
        first.path = "/other"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("decorator", "method"),
    [
        ("get", "GET"),
        ("post", "POST"),
        ("put", "PUT"),
        ("patch", "PATCH"),
        ("delete", "DELETE"),
        ("head", "HEAD"),
        ("options", "OPTIONS"),
    ],
)
def test_each_method_decorator(decorator: str, method: str) -> None:
    app = App()

    async def handler() -> None:
        return None

    assert getattr(app, decorator)("/x", name="custom")(handler) is handler
    (route,) = app.routes
    assert (route.methods, route.name) == ((method,), "custom")


def test_app_defaults() -> None:
    app = App()
    assert (app.title, app.version, app.description) == ("prebake app", "0.1.0", None)
    assert app.max_body_size == 1_048_576 and app.routes == []


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("users", "must start with '/'"),
        ("", "must start with '/'"),
        ("/a?b=1", "query or fragment"),
        ("/a/{id", "malformed placeholder"),
        ("/a/{1x}", "malformed placeholder"),
        ("/a/{id:integer}", "malformed placeholder"),
        ("/a/{id}/{id}", "appears twice"),
        ("/files/{rest:path}/meta", "must be the last segment"),
    ],
)
def test_bad_paths_are_rejected_eagerly(path: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        App().get(path)


def test_typed_placeholders_as_litestar_writes_them() -> None:
    app = App()

    @app.get("/orders/{order_id:int}/lines/{line:str}/{rest:path}")
    def line(order_id: int, line: str, rest: str) -> str:
        return rest

    (route,) = app.routes
    assert route.path_params == ("order_id", "line", "rest")
    with pytest.raises(ValueError, match="duplicate route"):
        app.get("/orders/{other:uuid}/lines/{l}/{r:path}")(line)


@pytest.mark.parametrize(
    ("methods", "message"),
    [
        (["get"], "must be uppercase: write 'GET'"),
        (["FETCH"], "unknown HTTP method 'FETCH'"),
        ([], "at least one"),
        ("GET", "not the string 'GET'"),
        (["GET", "GET"], "listed twice"),
    ],
)
def test_bad_methods_are_rejected_eagerly(methods: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        App().route("/x", methods=methods)


def test_other_misuse_is_rejected_eagerly() -> None:
    app = App()
    with pytest.raises(TypeError, match=r"write @app.get\('/path'\)"):
        app.get(lambda: None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="between 100 and 599"):
        app.get("/x", status_code=42)
    with pytest.raises(ValueError, match="not the string"):
        app.get("/x", tags="users")
    with pytest.raises(ValueError, match="max_body_size"):
        App(max_body_size=-1)
    for bad in ("", " prebake", "caf\u00e9", "a\r\nb", 42):
        with pytest.raises(ValueError, match="server_header"):
            App(server_header=bad)  # type: ignore[arg-type]
    assert App().server_header == "prebake" and App(server_header=None).server_header is None

    @app.get("/items/{item_id}")
    def first(item_id: int) -> None: ...

    with pytest.raises(ValueError, match="duplicate route GET /items/{other}"):
        app.get("/items/{other}")
    app.post("/items/{item_id}")(first)  # Another method on the same path is fine.


# --- Parameter markers ------------------------------------------------------


def test_validation_errors_carry_fastapis_keys_too() -> None:
    # FastAPI's handling_errors tutorial reads `error["loc"]` and `error["msg"]`.
    from prebake import RequestValidationError

    exc = RequestValidationError(
        [
            {"message": "Expected `int`, got `str`", "key": "items[0].name", "source": "body"},
            {"message": "Missing required query parameter `q`", "key": "q", "source": "query"},
        ]
    )
    first, second = exc.errors()
    assert first["loc"] == ("body", "items", 0, "name") and first["type"] == "value_error"
    assert first["msg"] == first["message"] == "Expected `int`, got `str`"
    assert (second["loc"], second["type"], second["key"]) == (("query", "q"), "missing", "q")


def test_status_names_are_starlettes() -> None:
    starlette_status = pytest.importorskip("starlette.status")
    import prebake.status as status

    names = [n for n in dir(starlette_status) if n.startswith(("HTTP_", "WS_"))]
    assert sorted(status.__all__) == sorted(names)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Starlette's deprecated aliases warn.
        assert {n: getattr(status, n) for n in names} == {
            n: getattr(starlette_status, n) for n in names
        }


def test_markers_are_frozen_values() -> None:
    q = Query(alias="page-size", ge=1, le=100, examples=[10, 20], description="How many.")
    assert q == Query(alias="page-size", ge=1, le=100, examples=(10, 20), description="How many.")
    assert q != Query(alias="page-size", ge=1, le=99, examples=(10, 20), description="How many.")
    assert Query() != Header() and Header() == Header()
    same = Query(alias="page-size", ge=1, le=100, examples=[10, 20], description="How many.")
    assert hash(q) == hash(same)
    assert q.alias == "page-size" and q.examples == (10, 20) and q.deprecated is False
    assert q.constraints == {"ge": 1, "le": 100}
    assert repr(q) == "Query(alias='page-size', ge=1, le=100, description='How many.', examples=(10, 20))"
    # As in FastAPI, the first positional argument is the default (the
    # `q: str = Query("x")` spelling), `...` none; `regex=` is `pattern=`.
    assert Query("x").default == "x" and Query().default is ... and Query(None).default is None
    assert Query(default=3, regex="^a").default == 3 and Query(regex="^a").pattern == "^a"
    assert Path(ge=1).source == "path" and Query(include_in_schema=False) == Query()
    with pytest.raises(TypeError, match="unexpected keyword"):
        Query(nonsense=1)
    assert repr(Cookie()) == "Cookie()"
    assert repr(Body(min_length=1, deprecated=True)) == "Body(min_length=1, deprecated=True)"
    assert [m.source for m in (Query(), Header(), Cookie(), Body())] == [
        "query",
        "header",
        "cookie",
        "body",
    ]
    assert pickle.loads(pickle.dumps(q)) == q
    with pytest.raises(AttributeError, match="immutable"):
        q.ge = 3


@pytest.mark.parametrize(
    ("make", "error"),
    [
        (lambda: Query(ge="1"), TypeError),  # type: ignore[arg-type]
        (lambda: Query(le=True), TypeError),
        (lambda: Query(min_length=-1), ValueError),
        (lambda: Query(max_length=1.5), TypeError),  # type: ignore[arg-type]
        (lambda: Query(multiple_of=0), ValueError),
        (lambda: Query(pattern="("), ValueError),
        (lambda: Header(alias=""), ValueError),
        (lambda: prebake.Param(), TypeError),
    ],
)
def test_markers_reject_bad_arguments(make: Any, error: type[Exception]) -> None:
    with pytest.raises(error):
        make()


def test_marker_constraints_mean_what_msgspec_meta_means() -> None:
    marker = Query(ge=1, le=100)
    limit = Annotated[int, marker.to_meta()]
    assert msgspec.convert("36", limit, strict=False) == 36
    with pytest.raises(msgspec.ValidationError, match="Expected `int` <= 100"):
        msgspec.convert("101", limit, strict=False)
    name = Annotated[str, Header(min_length=2, pattern="^[a-z]+$").to_meta()]
    with pytest.raises(msgspec.ValidationError, match="length >= 2"):
        msgspec.convert("a", name)


# --- HTTPException ----------------------------------------------------------


def test_http_exception_defaults_to_the_reason_phrase() -> None:
    exc = HTTPException(404)
    assert isinstance(exc, Exception)
    assert (exc.status_code, exc.detail, exc.headers) == (404, "Not Found", {})
    assert str(exc) == "404: Not Found"
    assert HTTPException(418).detail == "I'm a Teapot"
    assert HTTPException(599).detail == "Unknown Status Code"


def test_http_exception_keeps_detail_and_headers() -> None:
    exc = HTTPException(401, {"reason": "expired"}, headers={"WWW-Authenticate": "Bearer"})
    assert exc.detail == {"reason": "expired"}
    assert exc.headers == {"WWW-Authenticate": "Bearer"}
    assert repr(exc) == (
        "HTTPException(status_code=401, detail={'reason': 'expired'}, "
        "headers={'WWW-Authenticate': 'Bearer'})"
    )
    again = pickle.loads(pickle.dumps(exc))
    assert (again.status_code, again.detail, again.headers) == (401, exc.detail, exc.headers)
    with pytest.raises(ValueError):
        HTTPException(1000)


# --- Request ----------------------------------------------------------------


def make_request() -> Request:
    # Positional, exactly as the Rust runtime calls it.
    return Request(
        "POST",
        "/todos/7",
        "tags=a&tags=b&limit=5&limit=10&empty=&q=hello+world%21",
        [
            ("Host", "localhost"),
            ("Content-Type", "application/json"),
            ("X-Request-Id", "r-1"),
            ("Accept", "text/plain"),
            ("accept", "application/json"),
            ("Cookie", 'session=abc; theme="dark"'),
            ("cookie", "theme=light; broken; =nameless"),
        ],
        b'{"title": "x"}',
        {"todo_id": "7"},
    )


def test_request_basics() -> None:
    request = make_request()
    assert request.method == "POST"
    assert request.path == "/todos/7"
    assert request.query_string.startswith("tags=a")
    assert request.full_path == "/todos/7?" + request.query_string
    assert request.body == b'{"title": "x"}'
    assert request.json() == {"title": "x"} and request.json() is request.json()
    assert request.text() == '{"title": "x"}'
    assert dict(request.path_params) == {"todo_id": "7"}
    assert repr(request).startswith("Request(method='POST', full_path='/todos/7?")
    with pytest.raises(AttributeError):
        request.extra = 1  # type: ignore[attr-defined]


def test_request_minimal() -> None:
    request = Request("GET", "/", "", [], b"")
    assert request.full_path == "/"
    assert dict(request.path_params) == {} and len(request.query_params) == 0
    assert dict(request.cookies) == {} and request.headers.get("host") is None


def test_request_headers_are_case_insensitive() -> None:
    headers = make_request().headers
    assert headers["x-request-id"] == headers["X-REQUEST-ID"] == "r-1"
    assert "content-type" in headers and "CONTENT-TYPE" in headers and "missing" not in headers
    assert headers.get("Accept") == "text/plain"
    assert headers.getall("ACCEPT") == ["text/plain", "application/json"]
    assert headers.get("missing") is None and headers.get("missing", "d") == "d"
    assert headers.getall("missing") == []
    assert list(headers) == ["host", "content-type", "x-request-id", "accept", "cookie"]
    assert len(headers) == 5
    assert ("accept", "application/json") in headers.items()
    assert headers.raw[0] == ("Host", "localhost")
    with pytest.raises(KeyError):
        headers["missing"]


def test_request_query_params() -> None:
    params = make_request().query_params
    assert params["limit"] == "10"  # Last value wins, as for scalar parameters.
    assert params.getall("limit") == ["5", "10"] and params.getall("tags") == ["a", "b"]
    assert params["empty"] == "" and params["q"] == "hello world!"
    assert params.get("missing") is None and "tags" in params and "TAGS" not in params
    assert list(params) == ["tags", "limit", "empty", "q"]


def test_request_cookies() -> None:
    cookies = make_request().cookies
    assert dict(cookies) == {"session": "abc", "theme": "light"}
    with pytest.raises(TypeError):
        cookies["session"] = "x"  # type: ignore[index]


def test_request_text_uses_the_declared_charset() -> None:
    headers = [("content-type", "text/plain; charset=latin-1")]
    request = Request("POST", "/", "", headers, "é".encode("latin-1"))
    assert request.text() == "é"


# --- Response ---------------------------------------------------------------


def test_response_defaults() -> None:
    text = Response("héllo")
    assert (text.body, text.status_code, text.headers) == ("héllo".encode(), 200, {})
    assert text.media_type == "text/plain; charset=utf-8"
    raw = Response(b"\x00\x01", 202, {"X-Thing": "1"})
    assert raw.media_type == "application/octet-stream"
    assert (raw.status_code, raw.headers) == (202, {"X-Thing": "1"})
    empty = Response()
    assert (empty.body, empty.media_type) == (b"", "application/octet-stream")
    assert Response("<p>", media_type="text/html").media_type == "text/html"


def test_response_moves_content_type_out_of_headers() -> None:
    headers = {"Content-Type": "text/html", "Content-Length": "99", "X": "y"}
    response = Response("<p>", headers=headers)
    assert response.media_type == "text/html" and response.headers == {"X": "y"}
    explicit = Response("{}", headers={"content-type": "text/html"}, media_type="application/json")
    assert explicit.media_type == "application/json" and explicit.headers == {}


def test_response_encodes_other_content_as_json() -> None:
    response = Response({"a": [1, 2]}, status_code=202)
    assert (response.body, response.media_type) == (b'{"a":[1,2]}', "application/json")
    assert Response([1], media_type="application/vnd.x+json").media_type == "application/vnd.x+json"


def test_response_rejects_misuse() -> None:
    with pytest.raises(TypeError, match="msgspec encodes as JSON"):
        Response(object())
    with pytest.raises(ValueError, match="line break"):
        Response("x", headers={"X": "a\r\nInjected: 1"})
    with pytest.raises(ValueError):
        Response("x", status_code=99)


def test_json_response() -> None:
    response = JSONResponse({"id": 1, "tags": ["a"]}, 201, {"Location": "/todos/1"})
    assert isinstance(response, Response)
    assert response.body == b'{"id":1,"tags":["a"]}'
    assert (response.status_code, response.media_type) == (201, "application/json")
    assert response.headers == {"Location": "/todos/1"}


def test_html_response_is_starlettes() -> None:
    from prebake.responses import HTMLResponse as FromResponses

    r = prebake.HTMLResponse("<p>é</p>", status_code=201, headers={"x-a": "1"})
    assert FromResponses is prebake.HTMLResponse
    assert isinstance(r, Response)
    assert r.body == "<p>é</p>".encode()
    assert (r.status_code, r.media_type, r.headers) == (201, "text/html; charset=utf-8", {"x-a": "1"})
    assert prebake.HTMLResponse(b"<b>").body == b"<b>"
    assert prebake.HTMLResponse().body == b""
    with pytest.raises(TypeError):
        prebake.HTMLResponse({"not": "html"})  # type: ignore[arg-type]


def test_template_routes_record_their_template() -> None:
    app = App(templates="pages")
    assert app.templates == "pages"
    assert App().templates == "templates"

    @app.get("/f", template="fortunes.html")
    def f() -> dict[str, int]:
        return {}

    templates = [r.template for r in app.routes]
    assert app.get("/g")(f) is f
    assert [*templates, app.routes[-1].template] == ["fortunes.html", None]
    with pytest.raises(TypeError):
        app.get("/h", template="")
    with pytest.raises(TypeError):
        App(templates="")


def test_public_api() -> None:
    for name in prebake.__all__:
        assert hasattr(prebake, name), name
    assert prebake.__doc__ and "statically" in prebake.__doc__


# --- The examples, run as plain CPython -----------------------------------------


def routes_of(module: ModuleType) -> list[tuple[tuple[str, ...], str, int | None, str]]:
    app: App = module.app
    return [(r.methods, r.path, r.status_code, r.name) for r in app.routes]


@pytest.mark.parametrize("example", ["hello", "todo"])
def test_example_handlers_fit_their_routes(example: str, request: pytest.FixtureRequest) -> None:
    module = request.getfixturevalue(f"{example}_app")
    for route in module.app.routes:
        signature = inspect.signature(route.handler)
        assert set(route.path_params) <= set(signature.parameters), route.path
        hints = typing.get_type_hints(route.handler, include_extras=True)
        assert "return" in hints and set(signature.parameters) <= set(hints), route.name


def test_hello_example(hello_app: ModuleType) -> None:
    assert routes_of(hello_app) == [
        (("GET",), "/plaintext", None, "plaintext"),
        (("GET",), "/json", None, "json_hello"),
        (("GET",), "/user/{user_id}", None, "get_user"),
        (("POST",), "/validate", 201, "validate"),
    ]
    assert hello_app.plaintext() == "Hello, World!"
    assert msgspec.json.encode(hello_app.json_hello()) == b'{"message":"Hello, World!"}'
    assert hello_app.get_user(42) == {"id": 42}
    user_type = hello_app.User
    user = msgspec.json.decode(b'{"name": "Ada", "age": 36}', type=user_type)
    assert hello_app.validate(user) is user
    assert msgspec.json.encode(user) == b'{"name":"Ada","age":36,"email":null}'
    with pytest.raises(msgspec.ValidationError, match=r"length >= 1 - at `\$.name`"):
        msgspec.json.decode(b'{"name": "", "age": 36}', type=user_type)
    with pytest.raises(msgspec.ValidationError, match="unknown field `extra`"):
        msgspec.json.decode(b'{"name": "A", "age": 1, "extra": 0}', type=user_type)


def test_todo_example_routes(todo_app: ModuleType) -> None:
    assert routes_of(todo_app) == [
        (("GET",), "/health", None, "health"),
        (("GET",), "/todos", None, "list_todos"),
        (("GET",), "/todos/{todo_id}", None, "get_todo"),
        (("POST",), "/todos", 201, "create_todo"),
        (("PATCH",), "/todos/{todo_id}", None, "update_todo"),
        (("DELETE",), "/todos/{todo_id}", None, "delete_todo"),
        (("GET",), "/todos/{todo_id}/slow", None, "slow_todo"),
    ]
    assert inspect.iscoroutinefunction(todo_app.slow_todo)
    assert todo_app.health() == "ok"


def test_todo_example_crud(todo_app: ModuleType) -> None:
    import models  # type: ignore[import-not-found]  # examples/todo, on sys.path via conftest

    create = msgspec.json.decode(
        b'{"title": "write docs", "priority": 3, "tags": [{"name": "docs"}],'
        b' "due": "2030-01-02T03:04:05Z"}',
        type=models.TodoCreate,
    )
    first = todo_app.create_todo(create, x_request_id="r-1")
    second = todo_app.create_todo(models.TodoCreate(title="ship"))
    assert (first.id, second.id) == (1, 2)
    assert first.priority is models.Priority.HIGH
    assert first.due == datetime.fromisoformat("2030-01-02T03:04:05+00:00")
    assert msgspec.json.encode(second) == (
        b'{"id":2,"title":"ship","status":"open","priority":2,"tags":[],'
        b'"due":null,"completed_at":null}'
    )

    assert todo_app.list_todos() == [first, second]
    assert todo_app.list_todos(limit=1, offset=1) == [second]
    assert todo_app.list_todos(tags=["docs"]) == [first]
    assert todo_app.list_todos(status=models.Status.DONE) == []
    assert todo_app.get_todo(2) is second
    assert asyncio.run(todo_app.slow_todo(1)) is first

    patch = models.TodoPatch(status=models.Status.DONE, title="docs written")
    done = todo_app.update_todo(1, patch)
    assert (done.title, done.status) == ("docs written", models.Status.DONE)
    assert done.priority is models.Priority.HIGH  # Fields the patch leaves out stay.
    assert done.completed_at is not None
    assert todo_app.list_todos(status=models.Status.DONE) == [done]

    assert todo_app.delete_todo(1) is None
    with pytest.raises(HTTPException) as caught:
        todo_app.get_todo(1)
    assert (caught.value.status_code, caught.value.detail) == (404, "todo not found")
    with pytest.raises(HTTPException):
        todo_app.delete_todo(1)


def test_todo_example_models_validate(todo_app: ModuleType) -> None:
    import models

    with pytest.raises(msgspec.ValidationError, match=r"length <= 200 - at `\$.title`"):
        msgspec.json.decode(b'{"title": "' + b"x" * 201 + b'"}', type=models.TodoCreate)
    with pytest.raises(msgspec.ValidationError, match=r"Invalid enum value 7 - at `\$.priority`"):
        msgspec.json.decode(b'{"title": "x", "priority": 7}', type=models.TodoCreate)
    with pytest.raises(msgspec.ValidationError, match=r"at `\$.tags\[0\].name`"):
        msgspec.json.decode(b'{"title": "x", "tags": [{"name": "Not Ok"}]}', type=models.TodoCreate)
    patch = msgspec.json.decode(b'{"status": "in_progress"}', type=models.TodoPatch)
    assert patch.status is models.Status.IN_PROGRESS and patch.title is None
    limit = Annotated[int, Query(ge=1, le=100).to_meta()]
    with pytest.raises(msgspec.ValidationError, match=">= 1"):
        msgspec.convert("0", limit, strict=False)
    assert msgspec.convert("open", models.Status, strict=False) is models.Status.OPEN


def test_request_speaks_starlette_and_litestar_too() -> None:
    from prebake import Request

    req = Request("POST", "/a/b", "x=1", [("host", "example.com:8080")], b"data")
    # Exactly bytes: msgspec encodes no subclass of it.
    assert type(req.body) is bytes and req.body == b"data"
    assert (req.url.path, req.url.query, req.url.hostname, req.url.port) == ("/a/b", "x=1", "example.com", 8080)
    assert str(req.url) == "http://example.com:8080/a/b?x=1" and req.url == "http://example.com:8080/a/b?x=1"
    bare = Request("GET", "/", "", [("host", "[::1]")], b"")
    assert (bare.url.hostname, bare.url.port, str(bare.url)) == ("::1", None, "http://[::1]/")
    assert req.text() == "data"


"""The middleware over real HTTP: CORS, compression, trusted hosts, the
HTTPS redirect and Python middleware, on the apps in `tests/apps/cors`,
`tests/apps/compress` and `tests/apps/pymw`.

The cases follow Starlette's own tests of each middleware
(tests/middleware/test_cors.py, test_gzip.py, test_trusted_host.py,
test_https_redirect.py, test_base.py); brotli and zstd bodies are decoded
by the reference decoders (`brotli`, `zstandard`), gzip by the standard
library.
"""

from __future__ import annotations

import gzip
import http.client
import json
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from servers import serve


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name)


def request(port: int, method: str, path: str, headers: dict[str, str] | None = None) -> Reply:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path, headers=headers or {})
        resp = conn.getresponse()
        return Reply(resp.status, resp.headers, resp.read())
    finally:
        conn.close()


@pytest.fixture(scope="module")
def cors() -> Iterator[int]:
    with serve("cors") as port:
        yield port


@pytest.fixture(scope="module")
def compress() -> Iterator[int]:
    with serve("compress") as port:
        yield port


@pytest.fixture(scope="module")
def pymw() -> Iterator[int]:
    with serve("pymw") as port:
        yield port


# --- CORS: listed origins, a pattern, credentials (tests/apps/cors) -------


PREFLIGHT_VARY = (
    "Origin, Access-Control-Request-Method, Access-Control-Request-Headers, "
    "Access-Control-Request-Private-Network"
)


def preflight(port: int, origin: str, method: str, req_headers: str | None = None) -> Reply:
    headers = {"Origin": origin, "Access-Control-Request-Method": method}
    if req_headers is not None:
        headers["Access-Control-Request-Headers"] = req_headers
    return request(port, "OPTIONS", "/items", headers)


def test_preflight_allowed(cors: int) -> None:
    r = preflight(cors, "https://example.org", "PUT", "X-Custom")
    assert r.status == 200
    assert r.body == b"OK"
    assert r.header("content-type") == "text/plain; charset=utf-8"
    assert r.header("access-control-allow-origin") == "https://example.org"
    assert r.header("access-control-allow-methods") == "GET, POST, PUT"
    assert (
        r.header("access-control-allow-headers")
        == "Accept, Accept-Language, Content-Language, Content-Type, X-Custom"
    )
    assert r.header("access-control-max-age") == "300"
    assert r.header("access-control-allow-credentials") == "true"
    assert r.header("vary") == PREFLIGHT_VARY
    # The Python middleware sits outside CORS here, so it saw the preflight.
    assert r.header("x-stamp") == "OPTIONS"


@pytest.mark.parametrize(
    ("origin", "method", "req_headers", "detail"),
    [
        ("https://evil.example", "GET", None, "Disallowed CORS origin"),
        ("https://example.org", "DELETE", None, "Disallowed CORS method"),
        ("https://example.org", "GET", "X-Other", "Disallowed CORS headers"),
        ("https://example.org", "GET", "x-custom, ", "Disallowed CORS headers"),
        ("https://evil.example", "PATCH", "X-Other", "Disallowed CORS origin, method, headers"),
        ("http://127.0.0.1:5555.evil.example", "GET", None, "Disallowed CORS origin"),
    ],
)
def test_preflight_refused(cors: int, origin: str, method: str, req_headers: str | None, detail: str) -> None:
    r = preflight(cors, origin, method, req_headers)
    assert r.status == 400
    assert r.body.decode() == detail
    assert r.header("vary") == PREFLIGHT_VARY
    if "origin" in detail:
        assert r.header("access-control-allow-origin") is None


def test_private_network_preflight_is_refused_unless_allowed(cors: int) -> None:
    r = request(
        cors,
        "OPTIONS",
        "/items",
        {
            "Origin": "https://example.org",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Private-Network": "true",
        },
    )
    assert r.status == 400
    assert r.body == b"Disallowed CORS private-network"
    assert r.header("access-control-allow-private-network") is None


def test_preflight_origin_pattern_is_matched_whole(cors: int) -> None:
    r = preflight(cors, "http://127.0.0.1:5555", "GET", "content-type, x-custom")
    assert r.status == 200
    assert r.header("access-control-allow-origin") == "http://127.0.0.1:5555"


def test_simple_request_from_allowed_origin(cors: int) -> None:
    r = request(cors, "GET", "/items", {"Origin": "https://example.org"})
    assert r.status == 200
    assert json.loads(r.body)["items"] == [1, 2, 3]
    assert r.header("access-control-allow-origin") == "https://example.org"
    assert r.header("access-control-allow-credentials") == "true"
    assert r.header("access-control-expose-headers") == "X-Total"
    assert r.header("vary") == "Origin"
    assert r.header("x-stamp") == "GET"


def test_simple_request_from_other_origin(cors: int) -> None:
    # As Starlette: the fixed headers are set, the origin is not echoed.
    r = request(cors, "GET", "/items", {"Origin": "https://evil.example"})
    assert r.status == 200
    assert r.header("access-control-allow-origin") is None
    assert r.header("access-control-allow-credentials") == "true"
    assert r.header("vary") == "Origin"


def test_no_origin_no_cors_headers(cors: int) -> None:
    r = request(cors, "GET", "/items")
    assert r.status == 200
    assert r.header("access-control-allow-origin") is None
    assert r.header("access-control-allow-credentials") is None
    # The answer could differ for another origin: caches are told.
    assert r.header("vary") == "Origin"
    # Without `Access-Control-Request-Method` an OPTIONS is not a preflight.
    r = request(cors, "OPTIONS", "/items", {"Origin": "https://example.org"})
    assert r.status == 405
    assert r.header("access-control-allow-origin") == "https://example.org"


def test_vary_is_appended(cors: int) -> None:
    r = request(cors, "GET", "/vary", {"Origin": "https://example.org"})
    assert r.header("vary") == "Cookie, Origin"


def test_gzip_outermost(cors: int) -> None:
    r = request(cors, "GET", "/large", {"Accept-Encoding": "gzip"})
    assert r.status == 200
    assert r.header("content-encoding") == "gzip"
    assert r.header("vary") == "Origin, Accept-Encoding"
    assert gzip.decompress(r.body) == b"x" * 1000
    assert int(r.header("content-length") or 0) == len(r.body)
    # Below minimum_size: as it is, no `Accept-Encoding` in Vary.
    small = request(cors, "GET", "/items", {"Accept-Encoding": "gzip"})
    assert small.header("content-encoding") is None
    assert small.header("vary") == "Origin"
    # q=0 refuses gzip (Starlette would look for the substring only); the
    # answer still varies with Accept-Encoding.
    refused = request(cors, "GET", "/large", {"Accept-Encoding": "gzip;q=0"})
    assert refused.header("content-encoding") is None
    assert refused.header("vary") == "Origin, Accept-Encoding"
    assert refused.body == b"x" * 1000


# --- CORS open to all, compression, trusted hosts (tests/apps/compress) --


def test_wildcard_preflight_mirrors_headers(compress: int) -> None:
    r = request(
        compress,
        "OPTIONS",
        "/json",
        {
            "Origin": "https://anywhere.example",
            "Access-Control-Request-Method": "DELETE",
            "Access-Control-Request-Headers": "X-Anything, Authorization",
        },
    )
    assert r.status == 200
    assert r.header("access-control-allow-origin") == "*"
    assert r.header("access-control-allow-methods") == "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT"
    assert r.header("access-control-allow-headers") == "X-Anything, Authorization"
    assert r.header("access-control-allow-credentials") is None
    assert r.header("vary") == PREFLIGHT_VARY


def test_wildcard_simple_request_and_cookies(compress: int) -> None:
    r = request(compress, "GET", "/small", {"Origin": "https://a.example"})
    assert r.header("access-control-allow-origin") == "*"
    assert r.header("access-control-expose-headers") == "X-Total"
    assert r.header("vary") == "Origin"
    # Without `allow_credentials` cookies change nothing (Starlette 1.x).
    r = request(compress, "GET", "/small", {"Origin": "https://a.example", "Cookie": "a=b"})
    assert r.header("access-control-allow-origin") == "*"
    assert r.header("vary") == "Origin"


def expected_json(n: int = 200) -> bytes:
    words = ["alpha", "beta", "gamma", "delta"]
    data = [{"id": i, "word": words[i % 4], "ok": i % 3 == 0} for i in range(n)]
    return json.dumps(data, separators=(",", ":")).encode()


def decode(encoding: str | None, body: bytes) -> bytes:
    if encoding == "br":
        import brotli  # type: ignore[import-untyped]

        return bytes(brotli.decompress(body))
    if encoding == "zstd":
        import zstandard

        # A streamed frame does not say its size up front: decoded as a stream.
        return bytes(zstandard.ZstdDecompressor().decompressobj().decompress(body))
    if encoding == "gzip":
        return gzip.decompress(body)
    assert encoding is None
    return body


@pytest.mark.parametrize(
    ("accept", "chosen"),
    [
        ("gzip", "gzip"),
        ("br", "br"),
        ("zstd", "zstd"),
        ("gzip, deflate, br, zstd", "zstd"),
        ("gzip, br", "br"),
        ("br;q=0.5, gzip;q=0.8", "gzip"),
        ("zstd;q=0, br;q=0, gzip", "gzip"),
        ("*", "zstd"),
        ("*;q=0.2, br;q=0", "zstd"),
        ("identity", None),
        ("gzip;q=0", None),
        ("deflate", None),
        ("", None),
    ],
)
def test_negotiation_and_real_decoders(compress: int, accept: str, chosen: str | None) -> None:
    r = request(compress, "GET", "/json", {"Accept-Encoding": accept})
    assert r.status == 200
    assert r.header("content-encoding") == chosen
    assert r.header("vary") == "Origin, Accept-Encoding"
    assert decode(chosen, r.body) == expected_json()
    if chosen:
        assert len(r.body) < len(expected_json())


@pytest.mark.parametrize("path", ["/small", "/raw", "/png", "/encoded", "/events"])
def test_left_uncompressed(compress: int, path: str) -> None:
    r = request(compress, "GET", path, {"Accept-Encoding": "gzip, br, zstd"})
    assert r.status == 200
    assert r.header("content-encoding") in (None, "identity")
    assert r.header("vary") == "Origin"


@pytest.mark.parametrize("accept", ["gzip", "br", "zstd", "identity"])
def test_a_stream_is_compressed_as_it_goes(compress: int, accept: str) -> None:
    # Starlette's test_gzip_streaming_response: chunked, no Content-Length,
    # compressed whatever its size.
    want = "".join(f"line {i} of a streamed body\n" for i in range(50)).encode()
    r = request(compress, "GET", "/stream", {"Accept-Encoding": accept})
    assert r.status == 200
    chosen = None if accept == "identity" else accept
    assert r.header("content-encoding") == chosen
    assert r.header("content-length") is None
    assert r.header("transfer-encoding") == "chunked"
    assert r.header("vary") == "Origin, Accept-Encoding"
    assert decode(chosen, r.body) == want
    small = request(compress, "GET", "/stream?n=1", {"Accept-Encoding": accept})
    assert decode(chosen, small.body) == b"line 0 of a streamed body\n"
    # Server-sent events stay as they are.
    r = request(compress, "GET", "/event-stream", {"Accept-Encoding": accept})
    assert r.header("content-encoding") is None
    assert r.body == b"data: x\n\n" * 100


def test_head_keeps_the_encoding_headers(compress: int) -> None:
    r = request(compress, "HEAD", "/json", {"Accept-Encoding": "br"})
    assert r.status == 200
    assert r.header("content-encoding") == "br"
    assert r.body == b""


@pytest.mark.parametrize(
    ("host", "status", "location"),
    [
        ("127.0.0.1", 200, None),
        ("localhost:8000", 200, None),
        ("www.example.com", 200, None),
        ("api.example.org", 200, None),
        ("example.org", 400, None),
        ("evil.example", 400, None),
        ("example.com", 307, "http://www.example.com/json?n=1"),
        ("example.com:8080", 307, "http://www.example.com:8080/json?n=1"),
        ("API.Example.ORG", 200, None),
        ("bad host", 400, None),
        ("127.0.0.1:x", 400, None),
    ],
)
def test_trusted_host(compress: int, host: str, status: int, location: str | None) -> None:
    r = request(compress, "GET", "/json?n=1", {"Host": host})
    assert r.status == status
    assert r.header("location") == location
    if status == 400:
        assert r.body == b"Invalid host header"
        assert r.header("content-type") == "text/plain; charset=utf-8"


# --- Python middleware and the HTTPS redirect (tests/apps/pymw) ----------

HTTPS = {"X-Forwarded-Proto": "https"}


@pytest.mark.parametrize(
    ("host", "location"),
    [
        ("testserver", "https://testserver/hello?a=1"),
        ("testserver:80", "https://testserver/hello?a=1"),
        ("testserver:443", "https://testserver/hello?a=1"),
        ("testserver:123", "https://testserver:123/hello?a=1"),
    ],
)
def test_https_redirect(pymw: int, host: str, location: str) -> None:
    r = request(pymw, "GET", "/hello?a=1", {"Host": host})
    assert r.status == 307
    assert r.header("location") == location
    assert r.body == b""


def test_middleware_order_and_headers(pymw: int) -> None:
    r = request(pymw, "GET", "/hello", HTTPS)
    assert r.status == 200
    assert r.body == b"hello"
    assert r.header("x-inner") == "1"
    assert r.header("x-outer") == "2"
    # The last added runs outermost: the inner one's change comes first.
    assert r.header("x-order") == "12"
    assert r.header("content-type") == "text/plain; charset=utf-8"


def test_middleware_answers_without_call_next(pymw: int) -> None:
    r = request(pymw, "GET", "/blocked", HTTPS)
    assert r.status == 403
    assert json.loads(r.body) == {"blocked": True}
    assert r.header("x-inner") is None


def test_middleware_replaces_the_response(pymw: int) -> None:
    r = request(pymw, "GET", "/replace", HTTPS)
    assert r.status == 201
    assert r.body == b"QUIET"


def test_middleware_exception_is_a_500(pymw: int) -> None:
    r = request(pymw, "GET", "/boom", HTTPS)
    assert r.status == 500
    assert json.loads(r.body) == {"status_code": 500, "detail": "Internal Server Error"}
    # The server keeps serving.
    assert request(pymw, "GET", "/hello", HTTPS).status == 200


def test_errors_inside_pass_through_middleware(pymw: int) -> None:
    r = request(pymw, "GET", "/missing-param", HTTPS)
    assert r.status == 400
    assert json.loads(r.body)["extra"][0]["key"] == "n"
    assert r.header("x-inner") == "1"
    r = request(pymw, "GET", "/nowhere", HTTPS)
    assert r.status == 404
    assert r.header("x-outer") == "2"


def test_async_route_inside_middleware(pymw: int) -> None:
    for _ in range(3):
        r = request(pymw, "GET", "/slow", HTTPS)
        assert r.status == 200
        assert r.body == b"slow"
        assert r.header("x-order") == "12"


# --- A Python middleware reads the body (Starlette >= 0.28) ----------------


def post(port: int, path: str, body: bytes | Iterator[bytes], headers: dict[str, str]) -> Reply:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        chunked = headers.get("Transfer-Encoding") == "chunked"
        conn.request("POST", path, body=body, headers={**HTTPS, **headers}, encode_chunked=chunked)
        resp = conn.getresponse()
        return Reply(resp.status, resp.headers, resp.read())
    finally:
        conn.close()


def seen(r: Reply) -> dict[str, object]:
    raw = r.header("x-seen")
    assert raw is not None, r
    value: dict[str, object] = json.loads(raw)
    return value


def test_middleware_reads_a_json_body_and_the_route_still_gets_it(pymw: int) -> None:
    body = b'{"name": "pen", "price": 1.5}'
    r = post(pymw, "/body/json", body, {"Content-Type": "application/json"})
    assert r.status == 200
    assert json.loads(r.body) == {"name": "pen", "price": 1.5}
    assert seen(r) == {"length": len(body), "streamed": True, "json": {"name": "pen", "price": 1.5}}


def test_middleware_reads_a_chunked_body(pymw: int) -> None:
    chunks = iter([b'{"name": ', b'"ink", "price": 2}'])
    r = post(pymw, "/body/json", chunks, {"Content-Type": "application/json", "Transfer-Encoding": "chunked"})
    assert r.status == 200
    assert json.loads(r.body) == {"name": "ink", "price": 2.0}
    assert seen(r)["length"] == len(b'{"name": "ink", "price": 2}')


def test_middleware_reads_a_form_and_the_route_still_gets_it(pymw: int) -> None:
    body = b"name=a%20b&tags=x&tags=y"
    r = post(pymw, "/body/form", body, {"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status == 200
    assert json.loads(r.body) == {"name": "a b", "tags": ["x", "y"]}
    assert seen(r)["form"] == [["name", "a b"], ["tags", "x"], ["tags", "y"]]


def test_middleware_reads_a_multipart_form(pymw: int) -> None:
    body = (
        b"--B\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nzed\r\n"
        b"--B\r\nContent-Disposition: form-data; name=\"doc\"; filename=\"a.txt\"\r\n"
        b"Content-Type: text/plain\r\n\r\nhello\r\n--B--\r\n"
    )
    r = post(pymw, "/body/form", body, {"Content-Type": "multipart/form-data; boundary=B"})
    assert r.status == 200
    assert json.loads(r.body) == {"name": "zed", "tags": []}
    assert seen(r)["form"] == [["name", "zed"], ["doc", "a.txt"]]


def test_the_route_reading_the_request_gets_the_body_too(pymw: int) -> None:
    r = post(pymw, "/body/raw", b"x" * 5000, {"Content-Type": "application/octet-stream"})
    assert r.status == 200
    assert r.body == b"5000"
    assert seen(r)["length"] == 5000


def test_a_route_without_a_body_still_answers(pymw: int) -> None:
    r = post(pymw, "/body/none", b"ignored", {})
    assert r.status == 200
    assert r.body == b"ok"
    assert seen(r)["length"] == 7


def test_the_route_keeps_its_checks_on_a_body_the_middleware_read(pymw: int) -> None:
    # The route's 415 and its validation still apply.
    r = post(pymw, "/body/json", b"name=x", {"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status == 415
    r = post(pymw, "/body/json", b'{"name": "pen"}', {"Content-Type": "application/json"})
    assert r.status == 400
    assert json.loads(r.body)["extra"][0]["message"] == "Object missing required field `price`"
    assert seen(r)["length"] == 15


def test_a_body_past_the_limit_is_not_read_by_the_middleware(pymw: int) -> None:
    big = b'{"name": "' + b"x" * (2 << 20) + b'", "price": 1}'
    r = post(pymw, "/body/json", big, {"Content-Type": "application/json"})
    assert r.status == 413
    assert seen(r)["length"] == 0
    # Chunked, so its length is known only once read: still a 413.
    r = post(pymw, "/body/json", iter([big[:1000], big[1000:]]), {"Content-Type": "application/json", "Transfer-Encoding": "chunked"})
    assert r.status == 413


def test_an_upload_is_left_to_the_route(pymw: int) -> None:
    body = (
        b"--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.bin\"\r\n\r\n"
        + b"z" * 3000
        + b"\r\n--B--\r\n"
    )
    r = post(pymw, "/body/upload", body, {"Content-Type": "multipart/form-data; boundary=B"})
    assert r.status == 200
    assert r.body == b"3000"
    assert seen(r)["length"] == 0


def test_request_state_is_shared_by_the_middleware_and_the_route(pymw: int) -> None:
    for _ in range(2):
        r = request(pymw, "GET", "/state", HTTPS)
        assert r.status == 200, r.body
        assert json.loads(r.body) == {"seen": True, "outer": "peek"}
        assert r.header("x-state") == "True/route"


def test_the_route_exception_comes_out_of_call_next(pymw: int) -> None:
    r = request(pymw, "GET", "/raise", HTTPS)
    assert r.status == 400
    assert r.body == b"caught TEST"
    # Not caught by any middleware: the 500 of any unexpected exception.
    r = request(pymw, "GET", "/raise?kind=key", HTTPS)
    assert r.status == 500
    assert json.loads(r.body) == {"status_code": 500, "detail": "Internal Server Error"}
    assert request(pymw, "GET", "/hello", HTTPS).status == 200


def test_streams_and_files_pass_through_python_middleware(pymw: int) -> None:
    r = request(pymw, "GET", "/stream", HTTPS)
    assert r.status == 200
    assert r.body == b"part0;part1;part2;"
    assert r.header("x-order") == "12"
    assert r.header("content-type") == "text/plain"
    r = request(pymw, "GET", "/file", HTTPS)
    assert r.status == 200
    assert r.body.startswith(b'"""Python middleware')
    assert r.header("content-length") == str(len(r.body))
    assert r.header("x-order") == "12"
    # A middleware reads a stream's chunks through `body_iterator`, async
    # as Starlette's, though the route's iterator is a sync one.
    r = request(pymw, "GET", "/stream-read", HTTPS)
    assert r.status == 201
    assert r.body == b"ABC"


def test_head_through_python_middleware_keeps_the_length(pymw: int) -> None:
    """Starlette's `test_staticfiles_head_with_middleware`: a HEAD passed
    through a middleware that returns `call_next`'s response still says the
    length a GET would send."""
    size = len(request(pymw, "GET", "/file", HTTPS).body)
    r = request(pymw, "HEAD", "/file", HTTPS)
    assert r.status == 200
    assert r.body == b""
    assert r.header("content-length") == str(size)
    assert r.header("x-order") == "12"


def test_a_form_model_forbidding_unknown_fields(pymw: int) -> None:
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    r = post(pymw, "/body/strict-form", b"username=al&tags=a&tags=b", form)
    assert r.status == 200
    assert json.loads(r.body) == {"username": "al", "tags": ["a", "b"]}
    r = post(pymw, "/body/strict-form", b"username=al&extra=1", form)
    assert r.status == 400
    assert json.loads(r.body)["extra"] == [
        {"message": "Object contains unknown field `extra`", "key": "extra", "source": "body"}
    ]


def test_the_app_sets_the_upload_limit(pymw: int) -> None:
    # App(max_upload_size=3 MiB): a 2 MiB upload is read (spooled), a 4 MiB one is a 413.
    def upload(size: int) -> Reply:
        body = (
            b"--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.bin\"\r\n\r\n"
            + b"z" * size
            + b"\r\n--B--\r\n"
        )
        return post(pymw, "/body/upload", body, {"Content-Type": "multipart/form-data; boundary=B"})

    r = upload(2 << 20)
    assert (r.status, r.body) == (200, str(2 << 20).encode())
    r = upload(4 << 20)
    assert r.status == 413
    assert json.loads(r.body) == {"status_code": 413, "detail": "Request Entity Too Large"}

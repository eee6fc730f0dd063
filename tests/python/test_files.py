"""Static files over real sockets: `tests/apps/files` built by prebake,
spoken to with curl, httpx and raw `http.client` requests, and compared
with Starlette's own `StaticFiles` serving the same directory.

The fixture writes what git does not carry into `static/gen/`: a large
file, real gzip and brotli siblings, and symlinks leading inside and
outside the directory.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from servers import app_binary, free_port, wait_ready

ROOT = Path(__file__).resolve().parents[2]
APP_DIR = ROOT / "tests" / "apps" / "files"
STATIC = APP_DIR / "static"
GEN = STATIC / "gen"
SECRET = APP_DIR / "secret.txt"

brotli = pytest.importorskip("brotli")


def binary() -> Path:
    return app_binary("files", APP_DIR / "app.py")


def make_generated_files() -> None:
    shutil.rmtree(GEN, ignore_errors=True)
    GEN.mkdir()
    SECRET.write_text("TOP SECRET: outside the static directory\n")
    big = bytes(range(256)) * (3 * 4096 + 7)  # ~3 MiB, not a multiple of any chunk
    (GEN / "big.bin").write_bytes(big)
    script = b"console.log('compressed siblings');\n" * 50
    (GEN / "lib.js").write_bytes(script)
    (GEN / "lib.js.gz").write_bytes(gzip.compress(script))
    (GEN / "lib.js.br").write_bytes(brotli.compress(script))
    (GEN / "only-gz.css").write_bytes(b"p{}" * 10)
    (GEN / "only-gz.css.gz").write_bytes(gzip.compress(b"p{}" * 10))
    os.symlink(SECRET, GEN / "outside-link.txt")
    os.symlink(STATIC / "hello.txt", GEN / "inside-link.txt")
    os.symlink(APP_DIR, GEN / "outside-dir")
    os.mkfifo(GEN / "fifo")


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    make_generated_files()
    port = free_port()
    proc = subprocess.Popen(
        [str(binary()), "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_ready(port, proc)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture(scope="module")
def starlette_server(server: str) -> Iterator[str]:
    """Starlette's StaticFiles on the same directories, under uvicorn."""
    pytest.importorskip("starlette")
    pytest.importorskip("uvicorn")
    port = free_port()
    code = (
        "from starlette.applications import Starlette\n"
        "from starlette.routing import Mount\n"
        "from starlette.staticfiles import StaticFiles\n"
        f"app = Starlette(routes=[Mount('/static', StaticFiles(directory={str(STATIC)!r})),"
        f" Mount('/site', StaticFiles(directory={str(APP_DIR / 'site')!r}, html=True))])\n"
        "import uvicorn\n"
        f"uvicorn.run(app, port={port}, log_level='warning')\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code])
    try:
        wait_ready(port, proc)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)


def raw_get(base: str, target: str, headers: dict[str, str] | None = None, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    """A request whose target is sent exactly as written."""
    host, port = base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    conn.putrequest(method, target, skip_accept_encoding=True)
    for k, v in (headers or {}).items():
        conn.putheader(k, v)
    conn.endheaders()
    r = conn.getresponse()
    body = r.read()
    conn.close()
    return r.status, {k.lower(): v for k, v in r.getheaders()}, body


def curl(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["curl", "-s", "--max-time", "10", *args], capture_output=True, check=True)


def test_files_and_their_content_types(server: str) -> None:
    cases = {
        "/static/hello.txt": ("text/plain; charset=utf-8", b"Hello, static world!\n"),
        "/static/css/site.css": ("text/css; charset=utf-8", b"body { color: red; }\n"),
        "/static/data.json": ("application/json", b'{"a": 1}\n'),
        "/static/app.js": ("text/javascript; charset=utf-8", b'console.log("plain");\n'),
        "/static/a%20route/../hello.txt": ("text/plain; charset=utf-8", b"Hello, static world!\n"),
    }
    for target, (ctype, body) in cases.items():
        status, headers, got = raw_get(server, target)
        assert (status, headers["content-type"], got) == (200, ctype, body), target
        assert headers["content-length"] == str(len(body))
        assert headers["accept-ranges"] == "bytes"
        assert re.fullmatch(r'"[^"]+"', headers["etag"])
        assert headers["last-modified"].endswith(" GMT")


def test_a_route_matches_before_the_mount(server: str) -> None:
    r = httpx.get(server + "/static/route")
    assert r.status_code == 200 and r.text == "a route wins over the mount"


def test_head_has_the_headers_and_no_body(server: str) -> None:
    get = httpx.get(server + "/static/hello.txt")
    head = httpx.head(server + "/static/hello.txt")
    assert head.status_code == 200 and head.content == b""
    for h in ("content-type", "content-length", "etag", "last-modified", "accept-ranges"):
        assert head.headers[h] == get.headers[h]
    out = curl("-I", server + "/static/hello.txt").stdout.decode()
    assert out.startswith("HTTP/1.1 200") and "content-length: 21" in out.lower()


def test_conditional_requests(server: str) -> None:
    first = httpx.get(server + "/static/hello.txt")
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    for headers in (
        {"If-None-Match": etag},
        {"If-None-Match": f'"other", W/{etag}'},
        {"If-None-Match": "*"},
        {"If-Modified-Since": modified},
        {"If-Modified-Since": "Fri, 31 Dec 2100 23:59:59 GMT"},
    ):
        r = httpx.get(server + "/static/hello.txt", headers=headers)
        assert r.status_code == 304, headers
        assert r.content == b"" and r.headers["etag"] == etag
        assert "content-type" not in r.headers
    for headers in (
        {"If-None-Match": '"stale"'},
        {"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"},
        {"If-Modified-Since": "not a date"},
        # A present If-None-Match decides alone (RFC 9110 13.1.3).
        {"If-None-Match": '"stale"', "If-Modified-Since": modified},
    ):
        r = httpx.get(server + "/static/hello.txt", headers=headers)
        assert r.status_code == 200 and r.text == "Hello, static world!\n", headers
    out = curl("-i", "-H", f"If-None-Match: {etag}", server + "/static/hello.txt").stdout
    assert out.startswith(b"HTTP/1.1 304")


def test_ranges(server: str) -> None:
    body = (GEN / "big.bin").read_bytes()
    size = len(body)
    url = server + "/static/gen/big.bin"
    out = curl("-r", "0-4", "-D", "-", server + "/static/hello.txt").stdout
    assert out.startswith(b"HTTP/1.1 206") and out.endswith(b"\r\n\r\nHello")
    for spec, (start, end) in {
        "bytes=0-0": (0, 1),
        "bytes=10-19": (10, 20),
        "bytes=100-": (100, size),
        "bytes=-100": (size - 100, size),
        f"bytes=5-{size * 2}": (5, size),
        f"bytes=-{size * 2}": (0, size),
    }.items():
        r = httpx.get(url, headers={"Range": spec})
        assert r.status_code == 206, spec
        assert r.headers["content-range"] == f"bytes {start}-{end - 1}/{size}", spec
        assert r.content == body[start:end], spec
    r = httpx.get(url, headers={"Range": f"bytes={size}-"})
    assert r.status_code == 416 and r.headers["content-range"] == f"bytes */{size}"
    for bad in ("bytes=9-1", "bytes=", "items=0-1", "bytes=x-y", "0-1"):
        r = httpx.get(url, headers={"Range": bad})
        assert r.status_code == 400, bad
        assert r.json()["status_code"] == 400
    # If-Range: the whole file unless the validator still matches.
    r = httpx.get(url, headers={"Range": "bytes=0-9", "If-Range": '"old"'})
    assert r.status_code == 200 and len(r.content) == size
    etag = httpx.head(url).headers["etag"]
    r = httpx.get(url, headers={"Range": "bytes=0-9", "If-Range": etag})
    assert r.status_code == 206 and r.content == body[:10]


def test_multiple_ranges_are_a_multipart_body(server: str) -> None:
    body = (GEN / "big.bin").read_bytes()
    r = httpx.get(server + "/static/gen/big.bin", headers={"Range": "bytes=0-9, 5-14, 1000-1009"})
    assert r.status_code == 206
    ctype = r.headers["content-type"]
    boundary = ctype.split("boundary=")[1]
    assert ctype.startswith("multipart/byteranges")
    assert int(r.headers["content-length"]) == len(r.content)
    parts = r.content.split(f"--{boundary}".encode())
    assert parts[-1] == b"--\r\n"
    got = []
    for part in parts[1:-1]:
        head, _, data = part.partition(b"\r\n\r\n")
        m = re.search(rb"Content-Range: bytes (\d+)-(\d+)/(\d+)", head)
        assert m
        start, end = int(m[1]), int(m[2]) + 1
        got.append((start, end))
        assert data.removesuffix(b"\r\n") == body[start:end]
    # Overlapping ranges merged, as Starlette merges them.
    assert got == [(0, 15), (1000, 1010)]


def test_precompressed_siblings(server: str) -> None:
    script = (GEN / "lib.js").read_bytes()
    url = "/static/gen/lib.js"
    for accept, encoding, raw in (
        ("gzip, br", "br", (GEN / "lib.js.br").read_bytes()),
        ("br;q=0, gzip", "gzip", (GEN / "lib.js.gz").read_bytes()),
        ("identity", None, script),
    ):
        status, headers, body = raw_get(server, url, {"Accept-Encoding": accept})
        assert status == 200
        assert headers.get("content-encoding") == encoding, accept
        assert body == raw
        assert headers["content-type"] == "text/javascript; charset=utf-8"
        assert headers["content-length"] == str(len(raw))
        if encoding:
            assert headers["vary"] == "Accept-Encoding"
    # Real decoders: curl's (br) and httpx's (gzip).
    assert curl("--compressed", server + url).stdout == script
    assert httpx.get(server + url, headers={"Accept-Encoding": "gzip"}).content == script
    # Only a gzip sibling: a br-only client gets the file as it is.
    status, headers, body = raw_get(server, "/static/gen/only-gz.css", {"Accept-Encoding": "br"})
    assert status == 200 and "content-encoding" not in headers and body == b"p{}" * 10
    # The encoded variant has its own validator.
    plain = raw_get(server, url)[1]["etag"]
    br = raw_get(server, url, {"Accept-Encoding": "br"})[1]["etag"]
    assert plain != br
    status, headers, _ = raw_get(server, url, {"Accept-Encoding": "br", "If-None-Match": br})
    assert status == 304 and headers["vary"] == "Accept-Encoding"


TRAVERSALS = [
    "/static/../app.py",
    "/static/../secret.txt",
    "/static/../../tests/apps/files/secret.txt",
    "/static/%2e%2e/secret.txt",
    "/static/%2E%2E/secret.txt",
    "/static/.%2e/secret.txt",
    "/static/%2e./secret.txt",
    "/static/..%2fsecret.txt",
    "/static/%2e%2e%2fsecret.txt",
    "/static/css/..%2f..%2fsecret.txt",
    "/static/%252e%252e/secret.txt",
    "/static/..\\secret.txt",
    "/static/..%5csecret.txt",
    "/static/%5c..%5csecret.txt",
    "/static//etc/passwd",
    "/static/%2fetc%2fpasswd",
    "/static/%2Fetc/passwd",
    "/static/secret.txt%00.txt",
    "/static/hello.txt%00",
    "/static/gen/outside-link.txt",
    "/static/gen/outside-dir/secret.txt",
    "/static/gen/outside-dir/app.py",
    "/static/gen/fifo",
    "/static/" + "a" * 300,
    "/static/....//secret.txt",
    "/static/..;/secret.txt",
    "/site/../secret.txt",
    "/site/%2e%2e/app.py",
]


@pytest.mark.parametrize("target", TRAVERSALS)
def test_traversal_is_refused(server: str, target: str) -> None:
    status, _, body = raw_get(server, target)
    assert status in (400, 404), (target, status)
    assert b"TOP SECRET" not in body and b"import" not in body and b"root:" not in body


def test_symlinks_inside_are_served(server: str) -> None:
    r = httpx.get(server + "/static/gen/inside-link.txt")
    assert r.status_code == 200 and r.text == "Hello, static world!\n"


def test_405_404_and_a_missing_directory(server: str) -> None:
    r = httpx.post(server + "/static/hello.txt")
    assert r.status_code == 405 and r.headers["allow"] == "GET, HEAD"
    assert r.json() == {"status_code": 405, "detail": "Method Not Allowed"}
    for target in ("/static/nope.txt", "/static/css", "/static", "/static/", "/maybe/x.txt", "/staticx/hello.txt"):
        r = httpx.get(server + target)
        assert r.status_code == 404, target
        assert r.json() == {"status_code": 404, "detail": "Not Found"}


def test_html_mode(server: str) -> None:
    r = httpx.get(server + "/site")
    assert r.status_code == 307 and r.headers["location"] == "/site/"
    r = httpx.get(server + "/site/sub?x=1")
    assert r.status_code == 307 and r.headers["location"] == "/site/sub/?x=1"
    r = httpx.get(server + "/site/", follow_redirects=True)
    assert r.status_code == 200 and r.text == "<h1>home</h1>\n"
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert httpx.get(server + "/site/sub/").text == "<h1>sub</h1>\n"
    assert httpx.get(server + "/site/index.html").text == "<h1>home</h1>\n"
    for target in ("/site/missing.html", "/site/empty/", "/site/sub/nothing"):
        r = httpx.get(server + target)
        assert r.status_code == 404 and r.text == "<h1>custom 404</h1>\n", target


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_a_large_file_is_streamed_not_read_whole(tmp_path: Path) -> None:
    """A 64 MiB file: the bytes arrive intact, and the server's resident
    size grows by far less than the file while a slow client reads it."""
    app_dir = tmp_path / "app"
    shutil.copytree(APP_DIR / "static", app_dir / "static", ignore=shutil.ignore_patterns("gen"))
    (app_dir / "site").mkdir()
    block = hashlib.sha256(b"seed").digest() * 2048  # 64 KiB
    with open(app_dir / "static" / "huge.bin", "wb") as f:
        for _ in range(1024):
            f.write(block)
    size = 1024 * len(block)
    port = free_port()
    env = dict(os.environ, PREBAKE_APP_DIR=str(app_dir))
    proc = subprocess.Popen([str(binary()), "--port", str(port)], env=env, stderr=subprocess.DEVNULL)
    try:
        wait_ready(port, proc)
        before = rss_kib(proc.pid)
        peak = before
        digest = hashlib.sha256()
        got = 0
        with httpx.stream("GET", f"http://127.0.0.1:{port}/static/huge.bin") as r:
            assert r.status_code == 200 and r.headers["content-length"] == str(size)
            for chunk in r.iter_raw(1 << 20):
                digest.update(chunk)
                got += len(chunk)
                peak = max(peak, rss_kib(proc.pid))
        assert got == size
        expected = hashlib.sha256()
        for _ in range(1024):
            expected.update(block)
        assert digest.hexdigest() == expected.hexdigest()
        assert peak - before < 16 * 1024, f"RSS grew {peak - before} KiB for a {size >> 10} KiB file"
    finally:
        proc.terminate()
        proc.wait(10)


def test_the_app_folder_can_be_moved_and_a_missing_directory_stops_start_up(tmp_path: Path) -> None:
    env = dict(os.environ, PREBAKE_APP_DIR=str(tmp_path))
    out = subprocess.run([str(binary()), "--port", str(free_port())], env=env, capture_output=True, timeout=60)
    assert out.returncode != 0
    assert b"StaticFiles directory 'static'" in out.stderr, out.stderr


def test_same_answers_as_starlette(server: str, starlette_server: str) -> None:
    targets = [
        "/static/hello.txt",
        "/static/css/site.css",
        "/static/data.json",
        "/static/app.js",
        "/static/gen/big.bin",
        "/static/nope.txt",
        "/static/../secret.txt",
        "/static/gen/outside-link.txt",
        "/static/gen/inside-link.txt",
        "/site/",
        "/site/sub/",
        "/site/missing",
        "/site",
    ]
    compared = ("content-type", "content-length", "accept-ranges", "last-modified", "location")
    for target in targets:
        ours = raw_get(server, target)
        theirs = raw_get(starlette_server, target)
        assert ours[0] == theirs[0], target
        if ours[0] == 200:
            assert ours[2] == theirs[2], target
        if ours[0] in (200, 307):
            for h in compared:
                a, b = ours[1].get(h), theirs[1].get(h)
                if h == "location" and b:
                    # Starlette writes an absolute URL from the Host header;
                    # prebake the path (docs/decisions.md).
                    b = "/" + b.split("/", 3)[3]
                assert a == b, (target, h)
    # Validators: each server's own tag gives a 304 from it.
    for base in (server, starlette_server):
        etag = httpx.get(base + "/static/hello.txt").headers["etag"]
        assert httpx.get(base + "/static/hello.txt", headers={"If-None-Match": etag}).status_code == 304
    for spec in ("bytes=0-4", "bytes=-3", "bytes=3-"):
        ra = httpx.get(server + "/static/hello.txt", headers={"Range": spec})
        rb = httpx.get(starlette_server + "/static/hello.txt", headers={"Range": spec})
        assert (ra.status_code, ra.content, ra.headers["content-range"]) == (
            rb.status_code,
            rb.content,
            rb.headers["content-range"],
        ), spec


def test_file_response(server: str) -> None:
    r = httpx.get(server + "/file")
    assert r.status_code == 200 and r.text == "Hello, static world!\n"
    assert r.headers["content-type"] == "text/plain; charset=utf-8"
    assert r.headers["accept-ranges"] == "bytes" and "etag" in r.headers
    assert httpx.get(server + "/file", headers={"If-None-Match": r.headers["etag"]}).status_code == 304
    r = httpx.get(server + "/file", headers={"Range": "bytes=0-4"})
    assert r.status_code == 206 and r.text == "Hello"
    head = httpx.head(server + "/file")
    assert head.status_code == 200 and head.content == b"" and head.headers["content-length"] == "21"
    # From an async handler that suspended: the same handling.
    r = httpx.get(server + "/download", headers={"Range": "bytes=2-4"})
    assert r.status_code == 206 and r.content == b'{"a": 1}\n'[2:5]
    assert r.headers["content-disposition"] == "attachment; filename*=utf-8''na%C3%AFve%20data.json"
    assert r.headers["x-kind"] == "download"
    assert r.headers["content-type"] == "application/json"
    r = httpx.get(server + "/inline")
    assert r.headers["content-disposition"] == 'inline; filename="site.css"'
    assert r.headers["content-type"] == "text/x-custom; charset=utf-8"
    body = (GEN / "big.bin").read_bytes()
    r = httpx.get(server + "/big")
    assert r.content == body and r.headers["content-length"] == str(len(body))
    r = httpx.get(server + "/missing-file")
    assert r.status_code == 500 and r.json()["detail"] == "Internal Server Error"


def test_redirect_response(server: str) -> None:
    r = httpx.get(server + "/redirect")
    assert r.status_code == 307 and r.headers["location"] == "/static/hello.txt"
    assert r.content == b"" and "content-type" not in r.headers
    r = httpx.get(server + "/redirect", params={"to": "/a b/ü?x=1&y=[2]", "code": 301})
    assert r.status_code == 301 and r.headers["location"] == "/a%20b/%C3%BC?x=1&y=[2]"
    r = httpx.get(server + "/redirect", follow_redirects=True)
    assert r.status_code == 200 and r.text == "Hello, static world!\n"
    out = curl("-sL", server + "/redirect").stdout
    assert out == b"Hello, static world!\n"


def test_streaming_response(server: str) -> None:
    r = httpx.get(server + "/stream", params={"n": 1000})
    assert r.status_code == 200 and r.headers["transfer-encoding"] == "chunked"
    assert r.headers["content-type"] == "text/plain"
    assert r.text == "".join(f"{i}\n" for i in range(1000))
    with httpx.stream("GET", server + "/astream", params={"n": 20}) as r:
        assert r.headers["x-stream"] == "yes"
        assert r.headers["content-type"] == "application/x-ndjson"
        lines = [line for line in r.iter_lines()]
    assert lines == [str(i) for i in range(20)]
    # An iterator that raises: the response is cut off (never a complete
    # wrong body), and the server keeps serving.
    with pytest.raises(httpx.HTTPError):
        httpx.get(server + "/broken-stream").raise_for_status()
    assert httpx.get(server + "/stream").text == "0\n1\n2\n3\n4\n"


def test_plain_and_html_responses(server: str) -> None:
    r = httpx.get(server + "/html")
    assert r.headers["content-type"] == "text/html; charset=utf-8" and r.text == "<p>hi</p>"
    r = httpx.get(server + "/text")
    assert r.status_code == 201 and r.headers["content-type"] == "text/plain; charset=utf-8"


def read_responses(sock: socket.socket, heads: list[bool]) -> list[tuple[bytes, bytes]]:
    """Reads one response per entry of `heads` (True: the answer to a HEAD,
    no body) from `sock` until it closes: each as (head, body)."""
    data = b""
    while chunk := sock.recv(1 << 20):
        data += chunk
    out = []
    for head_only in heads:
        head, sep, data = data.partition(b"\r\n\r\n")
        assert sep, "a response head is missing"
        m = re.search(rb"(?im)^content-length: *(\d+)", head)
        n = 0 if head_only or m is None else int(m[1])
        out.append((head, data[:n]))
        data = data[n:]
    assert data == b"", "bytes after the last response"
    return out


def test_large_bodies_on_one_connection_pipelined(server: str) -> None:
    """Large files go to the socket with sendfile(2) in place of the
    placeholder bytes hyper writes: pipelined answers, large and small, full
    and ranged, HEAD and FileResponse, arrive whole and in order."""
    body = (GEN / "big.bin").read_bytes()
    hello = (STATIC / "hello.txt").read_bytes()
    host, port = server.removeprefix("http://").split(":")
    requests = [
        ("GET", "/static/gen/big.bin", ""),
        ("GET", "/static/hello.txt", ""),
        ("GET", "/static/gen/big.bin", "Range: bytes=100000-299999\r\n"),
        ("HEAD", "/static/gen/big.bin", ""),
        ("GET", "/big", ""),
        ("GET", "/static/gen/big.bin", "Range: bytes=-70000\r\n"),
        ("GET", "/static/hello.txt", "Connection: close\r\n"),
    ]
    wire = b"".join(f"{m} {t} HTTP/1.1\r\nHost: x\r\n{h}\r\n".encode() for m, t, h in requests)
    with socket.create_connection((host, int(port)), timeout=20) as sock:
        sock.sendall(wire)
        got = read_responses(sock, [m == "HEAD" for m, _, _ in requests])
    assert [h.split(b"\r\n")[0] for h, _ in got] == [
        b"HTTP/1.1 200 OK",
        b"HTTP/1.1 200 OK",
        b"HTTP/1.1 206 Partial Content",
        b"HTTP/1.1 200 OK",
        b"HTTP/1.1 200 OK",
        b"HTTP/1.1 206 Partial Content",
        b"HTTP/1.1 200 OK",
    ]
    bodies = [b for _, b in got]
    assert bodies == [body, hello, body[100000:300000], b"", body, body[-70000:], hello]
    # Several large ranges: spliced ranges between the runtime's own part heads.
    r = httpx.get(server + "/static/gen/big.bin", headers={"Range": "bytes=0-99999, 200000-499999, 3000000-"})
    assert r.status_code == 206 and int(r.headers["content-length"]) == len(r.content)
    boundary = r.headers["content-type"].split("boundary=")[1]
    parts = r.content.split(f"--{boundary}".encode())[1:-1]
    spans = [(0, 100000), (200000, 500000), (3000000, len(body))]
    assert len(parts) == 3
    for part, (start, end) in zip(parts, spans):
        _, _, data = part.partition(b"\r\n\r\n")
        assert data.removesuffix(b"\r\n") == body[start:end]


def test_a_file_cut_short_while_it_is_sent_closes_the_connection(tmp_path: Path) -> None:
    """A file truncated while a slow client reads it: the connection is
    closed short of Content-Length, never padded or left hanging."""
    app_dir = tmp_path / "app"
    shutil.copytree(APP_DIR / "static", app_dir / "static", ignore=shutil.ignore_patterns("gen"))
    (app_dir / "site").mkdir()
    size = 48 << 20
    victim = app_dir / "static" / "shrinks.bin"
    victim.write_bytes(b"x" * size)
    port = free_port()
    env = dict(os.environ, PREBAKE_APP_DIR=str(app_dir))
    proc = subprocess.Popen([str(binary()), "--port", str(port)], env=env, stderr=subprocess.DEVNULL)
    try:
        wait_ready(port, proc)
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
            sock.sendall(b"GET /static/shrinks.bin HTTP/1.1\r\nHost: x\r\n\r\n")
            first = sock.recv(4096)
            assert first.startswith(b"HTTP/1.1 200") and f"content-length: {size}".encode() in first
            with open(victim, "r+b") as f:
                f.truncate(1 << 20)
            got = len(first.partition(b"\r\n\r\n")[2])
            while chunk := sock.recv(1 << 20):
                got += len(chunk)
        assert got < size
        # The server goes on serving.
        assert httpx.get(f"http://127.0.0.1:{port}/static/hello.txt").status_code == 200
    finally:
        proc.terminate()
        proc.wait(10)


def test_an_edited_small_file_is_served_fresh(tmp_path: Path) -> None:
    """Small files are kept in memory once settled: an edit (even to the
    same size), a removal and a replacement are seen by the next request."""
    app_dir = tmp_path / "app"
    shutil.copytree(APP_DIR / "static", app_dir / "static", ignore=shutil.ignore_patterns("gen"))
    (app_dir / "site").mkdir()
    page = app_dir / "static" / "page.txt"
    page.write_bytes(b"version 1")
    port = free_port()
    env = dict(os.environ, PREBAKE_APP_DIR=str(app_dir))
    proc = subprocess.Popen([str(binary()), "--port", str(port)], env=env, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/static/page.txt"
    try:
        wait_ready(port, proc)
        time.sleep(2.2)  # settled: kept from now on
        with httpx.Client() as client:
            first = client.get(url)
            assert first.content == b"version 1"
            assert client.get(url).headers["etag"] == first.headers["etag"]
            page.write_bytes(b"version 2")
            r = client.get(url)
            assert r.content == b"version 2" and r.headers["etag"] != first.headers["etag"]
            assert client.get(url, headers={"If-None-Match": first.headers["etag"]}).status_code == 200
            page.unlink()
            assert client.get(url).status_code == 404
            replacement = app_dir / "static" / "other.txt"
            replacement.write_bytes(b"version 3")
            replacement.rename(page)
            assert client.get(url).content == b"version 3"
            assert client.get(url, headers={"Range": "bytes=8-"}).content == b"3"
    finally:
        proc.terminate()
        proc.wait(10)

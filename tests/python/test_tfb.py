"""TechEmpower's rules, checked over sockets against `examples/tfb` (asyncpg,
`async def`) and `examples/tfb-psycopg` (psycopg 3, `def` on the thread pool).

The database is the one `cargo xtask test` names through the libpq
variables (a throw-away PostgreSQL when the environment names none); psycopg
reads the same variables to check what the servers wrote. Each rule of the
"Test types" page is asked of both servers: the headers of every response,
the content types, the clamping of the query count and bad input, rows that
match the database, updates that persist, one `SELECT` per row (counted by
`pg_stat_statements`), a `Date` that changes. Then the database goes away
mid-run: the servers answer 500 or 503 with a log line, keep running, and
answer again once it is back. jero's workloads (JWT write, proxy, one-row
read) are asked of the asyncpg app.
"""

from __future__ import annotations

import email.utils
import html
import http.client
import http.server
import json
import os
import re
import shlex
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from servers import app_binary, free_port

psycopg = pytest.importorskip("psycopg")
jwt = pytest.importorskip("jwt")

ROOT = Path(__file__).resolve().parents[2]
APPS = {"tfb": ROOT / "examples" / "tfb" / "app.py", "tfb-psycopg": ROOT / "examples" / "tfb-psycopg" / "app.py"}
SECRET = "prebake-tfb-test-secret-of-32-bytes!"

if not (os.environ.get("DATABASE_URL") or os.environ.get("PGHOST")):
    pytest.skip(
        "no database: run through `cargo xtask test`, or name one with the libpq variables",
        allow_module_level=True,
    )


def binary(name: str) -> Path:
    """The built app `name` (its source in `APPS`)."""
    return app_binary(name, APPS[name])


def connect() -> Any:
    return psycopg.connect(os.environ.get("DATABASE_URL", ""), autocommit=True)


class Upstream(http.server.BaseHTTPRequestHandler):
    """The service `/proxy` relays: a fixed JSON answer."""

    def do_GET(self) -> None:
        body = b'{"upstream":true,"path":"' + self.path.encode() + b'"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass
class Running:
    name: str
    port: int
    proc: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def call(port: int, path: str, method: str = "GET", body: bytes | None = None,
         headers: dict[str, str] | None = None) -> Reply:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return Reply(resp.status, resp.headers, resp.read())
    finally:
        conn.close()


@pytest.fixture(scope="module")
def upstream() -> Iterator[int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Upstream)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield int(server.server_address[1])
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module", params=["tfb", "tfb-psycopg"])
def app(request: pytest.FixtureRequest, upstream: int, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    name = request.param
    port = free_port()
    log_path = tmp_path_factory.mktemp(name) / "server.log"
    env = dict(os.environ, TFB_POOL_SIZE="4", TFB_JWT_SECRET=SECRET,
               TFB_UPSTREAM=f"http://127.0.0.1:{upstream}/hello")
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([str(binary(name)), "--port", str(port), "--threads", "4"],
                                env=env, stdout=log, stderr=subprocess.STDOUT)
    running = Running(name, port, proc, log_path)
    try:
        deadline = time.monotonic() + 60
        while "listening on" not in running.log():
            assert proc.poll() is None, f"{name} exited:\n{running.log()}"
            assert time.monotonic() < deadline, f"{name} did not start:\n{running.log()}"
            time.sleep(0.05)
        yield running
    finally:
        proc.terminate()
        proc.wait(timeout=10)


ENDPOINTS = [
    ("/json", "application/json"),
    ("/plaintext", "text/plain; charset=utf-8"),
    ("/db", "application/json"),
    ("/queries?queries=2", "application/json"),
    ("/updates?queries=2", "application/json"),
    ("/cached-queries?count=2", "application/json"),
]


def test_the_pool_is_open_before_the_port(app: Running) -> None:
    # The port is announced after the lifespan opened the pool and filled
    # the cache, so the very first request is served from both.
    assert call(app.port, "/db").status == 200
    assert call(app.port, "/cached-queries?count=3").status == 200


@pytest.mark.parametrize("path,content_type", ENDPOINTS)
def test_headers_and_content_types(app: Running, path: str, content_type: str) -> None:
    r = call(app.port, path)
    assert r.status == 200, r.body
    assert r.headers["Content-Type"] == content_type
    assert r.headers["Server"] == "prebake"
    assert int(r.headers["Content-Length"]) == len(r.body)
    date = email.utils.parsedate_to_datetime(r.headers["Date"])
    assert abs((datetime.now(timezone.utc) - date).total_seconds()) < 5
    assert r.headers["Date"].endswith(" GMT")


def test_fortunes(app: Running) -> None:
    """TechEmpower's fortunes page: the 12 rows and the one added at request
    time, sorted by message, escaped (both variants serve it)."""
    r = call(app.port, "/fortunes")
    assert r.status == 200, r.body
    assert r.headers["Content-Type"] == "text/html; charset=utf-8"
    assert r.headers["Server"] == "prebake"
    page = r.body.decode()
    assert page.startswith("<!DOCTYPE html><html><head><title>Fortunes</title></head><body><table>")
    rows = re.findall(r"<tr><td>(\d+)</td><td>(.*?)</td></tr>", page)
    assert len(rows) == 13, page
    messages = [html.unescape(m) for _, m in rows]
    assert messages == sorted(messages)
    assert "Additional fortune added at request time." in messages
    assert '<script>alert("This should not be displayed in a browser alert box.");</script>' in messages
    assert "<script>" not in page and "フレームワークのベンチマーク" in messages


def test_json_and_plaintext(app: Running) -> None:
    assert call(app.port, "/json").body == b'{"message":"Hello, World!"}'
    assert call(app.port, "/plaintext").body == b"Hello, World!"


def check_world(w: Any) -> tuple[int, int]:
    assert isinstance(w, dict) and set(w) == {"id", "randomNumber"}, w
    assert 1 <= w["id"] <= 10000 and 1 <= w["randomNumber"] <= 10000, w
    return w["id"], w["randomNumber"]


def test_db_is_one_row_of_the_database(app: Running) -> None:
    ids = set()
    with connect() as conn:
        for _ in range(10):
            i, n = check_world(call(app.port, "/db").json())
            ids.add(i)
            row = conn.execute("SELECT randomnumber FROM world WHERE id = %s", (i,)).fetchone()
            assert row == (n,)
    assert len(ids) > 1, "the id is random"


@pytest.mark.parametrize(
    "value,expected",
    [(None, 1), ("", 1), ("foo", 1), ("1.5", 1), ("0", 1), ("-3", 1), ("1", 1), ("7", 7), ("500", 500),
     ("501", 500), ("100000", 500)],
)
@pytest.mark.parametrize("path,param", [("/queries", "queries"), ("/updates", "queries"), ("/cached-queries", "count")])
def test_the_count_is_clamped(app: Running, path: str, param: str, value: str | None, expected: int) -> None:
    target = path if value is None else f"{path}?{param}={value}"
    r = call(app.port, target)
    assert r.status == 200, r.body
    rows = r.json()
    assert isinstance(rows, list) and len(rows) == expected
    for w in rows:
        check_world(w)


def test_queries_match_the_database(app: Running) -> None:
    rows = [check_world(w) for w in call(app.port, "/queries?queries=20").json()]
    with connect() as conn:
        for i, n in rows:
            assert conn.execute("SELECT randomnumber FROM world WHERE id = %s", (i,)).fetchone() == (n,)


def test_updates_persist(app: Running) -> None:
    with connect() as conn:
        for _ in range(3):
            rows = [check_world(w) for w in call(app.port, "/updates?queries=20").json()]
            assert len({i for i, _ in rows}) == 20
            stored = dict(conn.execute("SELECT id, randomnumber FROM world WHERE id = ANY(%s)",
                                       ([i for i, _ in rows],)).fetchall())
            assert stored == dict(rows)


def statement_calls(conn: Any) -> dict[str, int]:
    rows = conn.execute(
        "SELECT query, calls FROM pg_stat_statements WHERE query ILIKE '%world%' AND query NOT ILIKE '%pg_stat%'"
    ).fetchall()
    out: dict[str, int] = {}
    for query, calls in rows:
        kind = query.split()[0].upper()
        out[kind] = out.get(kind, 0) + calls
    return out


@pytest.mark.parametrize("path,selects,updates", [("/db", 1, 0), ("/queries?queries=17", 17, 0),
                                                  ("/updates?queries=13", 13, 13)])
def test_one_select_per_row(app: Running, path: str, selects: int, updates: int) -> None:
    with connect() as conn:
        if conn.execute("SELECT count(*) FROM pg_extension WHERE extname = 'pg_stat_statements'").fetchone() != (1,):
            pytest.skip("the database has no pg_stat_statements")
        call(app.port, path)  # statements prepared, caches warm
        conn.execute("SELECT pg_stat_statements_reset()")
        for _ in range(3):
            assert call(app.port, path).status == 200
        calls = statement_calls(conn)
    assert calls.get("SELECT", 0) == 3 * selects, calls
    assert calls.get("UPDATE", 0) == 3 * updates, calls


def test_no_transaction_around_a_request(app: Running) -> None:
    """Every statement commits by itself: no `BEGIN` before a handler's
    first statement and no `COMMIT` when its connection goes back to the
    pool, two round trips a request would pay for nothing."""
    with connect() as conn:
        if conn.execute("SELECT count(*) FROM pg_extension WHERE extname = 'pg_stat_statements'").fetchone() != (1,):
            pytest.skip("the database has no pg_stat_statements")
        call(app.port, "/db")
        conn.execute("SELECT pg_stat_statements_reset()")
        for path in ["/db", "/queries?queries=3", "/updates?queries=3", "/fortunes"]:
            assert call(app.port, path).status == 200
        rows = conn.execute(
            "SELECT upper(query), calls FROM pg_stat_statements WHERE query ~* '^\\s*(begin|commit|start)'"
        ).fetchall()
    assert rows == [], rows


def test_a_connection_closed_while_idle_is_not_handed_out(app: Running) -> None:
    """The server closes the pool's idle connections (a restart, an
    administrator's `pg_terminate_backend`): the next requests get fresh
    connections, none a dead one."""
    for _ in range(8):
        assert call(app.port, "/db").status == 200
    with connect() as conn:
        killed = conn.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend' "
            "AND state = 'idle' AND application_name NOT LIKE 'pytest%'"
        ).fetchone()
    assert killed is not None and killed[0] >= 1
    time.sleep(0.2)
    seen = len(app.log())
    statuses = [call(app.port, "/db").status for _ in range(12)]
    # psycopg_pool 3.3 has the first checkout after its check refused every
    # idle connection wait for its timeout (PoolTimeout, 503) although the
    # replacements are there: the same happens with its own
    # `check_connection`, and in a plain script without prebake.
    first = 1 if app.name == "tfb-psycopg" else 0
    assert statuses[first:] == [200] * (12 - first), (statuses, app.log()[-2000:])
    # No handler was given a dead connection.
    assert "OperationalError" not in app.log()[seen:], app.log()[seen:]


def test_the_date_changes(app: Running) -> None:
    first = call(app.port, "/plaintext").headers["Date"]
    time.sleep(1.1)
    second = call(app.port, "/plaintext").headers["Date"]
    assert first != second
    assert email.utils.parsedate_to_datetime(second) > email.utils.parsedate_to_datetime(first)


def pg_ctl(*args: str) -> None:
    prefix = os.environ["PREBAKE_PG_CTL"]
    subprocess.run([*shlex.split(prefix), *args], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, timeout=60)


@pytest.mark.skipif("PREBAKE_PG_CTL" not in os.environ,
                    reason="the database is not one `cargo xtask test` started, so it is not stopped")
def test_the_database_going_away(app: Running) -> None:
    assert call(app.port, "/db").status == 200
    pg_ctl("stop", "-m", "fast", "-w")
    try:
        for path in ["/db", "/queries?queries=3", "/updates?queries=3"]:
            r = call(app.port, path)
            assert r.status in (500, 503), (path, r.status, r.body)
        # What needs no database is still served.
        assert call(app.port, "/json").status == 200
        assert call(app.port, "/cached-queries?count=2").status == 200
        assert app.proc.poll() is None
        assert "database unavailable" in app.log()
    finally:
        pg_ctl("start", "-w", "-t", "60")
    deadline = time.monotonic() + 30
    while call(app.port, "/db").status != 200:
        assert time.monotonic() < deadline, app.log()[-3000:]
        time.sleep(0.1)
    for _ in range(20):
        assert call(app.port, "/queries?queries=2").status == 200
    assert app.proc.poll() is None


def token(sub: str = "7", secret: str = SECRET) -> str:
    return str(jwt.encode({"sub": sub}, secret, algorithm="HS256"))


def test_jero_workloads(app: Running, upstream: int) -> None:
    if app.name != "tfb":
        pytest.skip("jero's workloads are in examples/tfb")
    auth = {"Authorization": f"Bearer {token()}", "Content-Type": "application/json"}
    r = call(app.port, "/movies", "POST", b'{"title":"Alien","year":1979,"genres":["sf","horror"]}', auth)
    assert r.status == 201, r.body
    movie = r.json()
    assert movie["owner"] == 7 and movie["title"] == "Alien" and movie["genres"] == ["sf", "horror"]
    with connect() as conn:
        row = conn.execute("SELECT owner, title, year, genres FROM movie WHERE id = %s", (movie["id"],)).fetchone()
    assert row == (7, "Alien", 1979, ["sf", "horror"])
    # A token signed with another key, none, or a body that does not fit.
    bad = {"Authorization": f"Bearer {token(secret='another-secret-of-at-least-32-bytes')}",
           "Content-Type": "application/json"}
    r = call(app.port, "/movies", "POST", b'{"title":"Alien","year":1979}', bad)
    assert r.status == 401 and r.headers["WWW-Authenticate"] == "Bearer"
    assert call(app.port, "/movies", "POST", b'{"title":"Alien","year":1979}',
                {"Content-Type": "application/json"}).status == 401
    assert call(app.port, "/movies", "POST", b'{"title":"","year":1}', auth).status == 400
    # One row read by the token's subject.
    r = call(app.port, "/users/me", headers={"Authorization": f"Bearer {token('42')}"})
    assert r.status == 200 and r.json() == {"id": 42, "name": "user 42", "email": "user42@example.com"}
    assert call(app.port, "/users/me", headers={"Authorization": f"Bearer {token('999999')}"}).status == 404
    # The upstream's answer, relayed.
    r = call(app.port, "/proxy")
    assert r.status == 200 and r.json() == {"upstream": True, "path": "/hello"}
    assert r.headers["Content-Type"].startswith("application/json")

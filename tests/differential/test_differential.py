"""The differential test: the compiled matrix app against msgspec.

Every case `gen.py` generates is sent to the server over keep-alive HTTP
and compared with what msgspec says in this process: status, content type
and body bytes. Any difference fails the test and prints the route's type,
the input, and both answers, with the seed that reproduces the run.

    cargo xtask differential [--cases N] [--seed S]     # builds, then runs this
    PREBAKE_MATRIX_BIN=path PREBAKE_DIFF_CASES=100000 .venv/bin/python -m pytest tests/differential

Without `PREBAKE_MATRIX_BIN` the test builds the app with `cargo xtask build`.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))

import app_writer  # noqa: E402
import gen  # noqa: E402

DEFAULT_CASES = 6000


def setting(config: Any, option: str, env: str, default: Any) -> Any:
    value = config.getoption(option)
    if value is None:
        value = os.environ.get(env)
    return default if value in (None, "") else int(value)


class Server:
    """The matrix binary on a free port; its stderr collected."""

    def __init__(self, binary: Path, env: dict[str, str]) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.proc = subprocess.Popen(
            [
                str(binary),
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--max-json-depth",
                str(gen.MAX_JSON_DEPTH),
                # The generated queries' big values may pass the default
                # 8 KiB (a 414 before any conversion): room for all of them.
                "--max-uri-length",
                "1MiB",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=env,
        )
        self.lines: list[str] = []
        ready = threading.Event()

        def pump() -> None:
            assert self.proc.stderr is not None
            for raw in self.proc.stderr:
                line = raw.decode("utf-8", "replace")
                self.lines.append(line)
                if "listening on" in line:
                    ready.set()

        reader = threading.Thread(target=pump, daemon=True)
        reader.start()
        deadline = time.monotonic() + 60
        while not ready.wait(0.1):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.proc.kill()
                reader.join(5)
                raise RuntimeError("the matrix server did not start:\n" + "".join(self.lines))

    def log(self) -> str:
        return "".join(self.lines)

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait()


class Client:
    def __init__(self, port: int) -> None:
        self.port = port
        self.conn: http.client.HTTPConnection | None = None

    def send(
        self, method: str, target: str, body: bytes, extra: list[tuple[str, bytes]] | None = None
    ) -> tuple[int, str | None, bytes]:
        for attempt in range(3):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            try:
                # One line per header, in order (repeated names included).
                self.conn.putrequest(method, target, skip_accept_encoding=True)
                if method == "POST":
                    self.conn.putheader("content-type", "application/json")
                    self.conn.putheader("content-length", str(len(body)))
                for name, value in extra or []:
                    self.conn.putheader(name, value)
                self.conn.endheaders(body if method == "POST" else None)
                resp = self.conn.getresponse()
                data = resp.read()
                if resp.will_close:
                    self.conn.close()
                    self.conn = None
                return resp.status, resp.getheader("content-type"), data
            except (ConnectionError, http.client.HTTPException, OSError):
                if self.conn is not None:
                    self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
                time.sleep(0.05)
        raise AssertionError("unreachable")


def binary() -> Path:
    given = os.environ.get("PREBAKE_MATRIX_BIN")
    if given:
        return Path(given)
    out = ROOT / "target" / "e2e-bin" / "matrix"
    cargo = os.environ.get("CARGO", "cargo")
    subprocess.run(
        [cargo, "xtask", "build", str(ROOT / "tests" / "apps" / "matrix" / "app.py"), "--out", str(out)],
        cwd=ROOT,
        check=True,
    )
    return out


def test_app_matches_matrix() -> None:
    assert app_writer.APP.read_text() == app_writer.render(), "run python tests/differential/app_writer.py"


def compare(case: gen.Case, want: gen.Expected, got: tuple[int, str | None, bytes], sets_ordered: bool) -> str | None:
    status, ctype, body = got
    if status != want.status:
        return "status"
    if want.content_type is not None and ctype != want.content_type:
        return "content-type"
    if body == want.body:
        return None
    if (want.unordered or case.route.unordered and not sets_ordered) and status == 200:
        try:
            if gen.normalise_sets(body) == gen.normalise_sets(want.body):
                return None
        except ValueError:
            pass
    return "body"


def test_differential(request: pytest.FixtureRequest) -> None:
    cases_n = setting(request.config, "--diff-cases", "PREBAKE_DIFF_CASES", DEFAULT_CASES)
    seed = setting(request.config, "--diff-seed", "PREBAKE_DIFF_SEED", random.randrange(2**32))
    print(f"\ndifferential: seed {seed}, {cases_n} cases (reproduce with PREBAKE_DIFF_SEED={seed})")

    app = gen.load_app()
    env = dict(os.environ)
    # The server's set iteration order matches ours only under the same hash seed.
    sets_ordered = "PYTHONHASHSEED" in os.environ and os.environ["PYTHONHASHSEED"] != "random"
    env.setdefault("PYTHONHASHSEED", "0")
    # Hold the native body parser to msgspec on every body, not only small ones.
    env.setdefault("PREBAKE_NATIVE_DECODE", "all")
    server = Server(binary(), env)
    client = Client(server.port)
    failures: list[str] = []
    counts: dict[str, int] = {}
    outcomes: dict[int, int] = {}
    mismatch_routes: set[str] = set()
    started = time.monotonic()
    try:
        for case in gen.CaseGen(app, seed).cases(cases_n):
            want = gen.expect(app, case)
            got = client.send(case.method, case.target, case.body, case.headers)
            counts[case.category] = counts.get(case.category, 0) + 1
            outcomes[got[0]] = outcomes.get(got[0], 0) + 1
            what = compare(case, want, got, sets_ordered)
            if want.mismatch and got[0] == 500:
                mismatch_routes.add(case.target.split("?")[0])
            if what is not None:
                failures.append(
                    f"--- {what} differs: {case.describe()}\n"
                    f"    msgspec: {want.status} {want.content_type} {want.body!r}\n"
                    f"    server:  {got[0]} {got[1]} {got[2]!r}"
                )
    finally:
        elapsed = time.monotonic() - started
        server.stop()
    log = server.log()
    logged = [line for line in log.splitlines() if "does not match its declared type" in line]
    for path in sorted(mismatch_routes):
        named = re.compile(rf"POST {re.escape(path)}(?![\w/])")
        if not any(named.search(line) for line in logged):
            failures.append(f"--- no log line names {path} after its 500")
    crashes = [line for line in log.splitlines() if "panicked" in line or "Traceback" in line and "handler" not in line]
    print(
        f"differential: {cases_n} cases in {elapsed:.1f}s; categories {json.dumps(counts, sort_keys=True)}; "
        f"statuses {json.dumps(outcomes, sort_keys=True)}; {len(failures)} differences"
    )
    if crashes:
        failures.append("--- the server log shows a crash:\n" + "\n".join(crashes[:20]))
    if failures:
        shown = "\n".join(failures[:60])
        more = f"\n... and {len(failures) - 60} more" if len(failures) > 60 else ""
        pytest.fail(f"{len(failures)} differences with msgspec (seed {seed}):\n{shown}{more}", pytrace=False)

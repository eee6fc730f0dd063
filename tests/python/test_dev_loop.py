"""`cargo xtask dev`: edit a file, see the new answer, over a socket.

The app is written under `target/` (inside the repository and without
requirements of its own, so it uses the repository's `.venv`). A handler's
body edit is served after a restart without compiling; a save that does
not check leaves the last good version serving; a new route is compiled and
served; stopping the loop stops the server.
"""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prebake.testing import free_port

from conftest import ROOT, xtask

APP = '''\
from prebake import App

app = App()


@app.get("/word")
def word() -> str:
    return "one"
'''


@pytest.fixture
def dev(tmp_path: Path) -> Iterator[tuple[Path, str, subprocess.Popen[str], Path]]:
    folder = ROOT / "target" / "dev-loop-test" / "devapp"
    folder.mkdir(parents=True, exist_ok=True)
    app = folder / "app.py"
    app.write_text(APP)
    port = free_port()
    log = tmp_path / "dev.log"
    with log.open("w") as sink:
        proc = subprocess.Popen(
            [*xtask(), "dev", str(app), "--", "--port", str(port)],
            cwd=ROOT,
            stdout=sink,
            stderr=subprocess.STDOUT,
            text=True,
        )
    try:
        yield app, f"http://127.0.0.1:{port}", proc, log
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)


def answer(url: str) -> str | None:
    try:
        return httpx.get(url, timeout=2).text
    except httpx.HTTPError:
        return None


def wait_for(url: str, expected: str, timeout: float) -> float:
    """Seconds until `url` answers `expected`."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if answer(url) == expected:
            return time.monotonic() - start
        time.sleep(0.01)
    raise AssertionError(f"{url} did not answer {expected!r} within {timeout}s")


def test_edit_check_rebuild_restart(dev: tuple[Path, str, subprocess.Popen[str], Path]) -> None:
    app, url, proc, log = dev
    wait_for(url + "/word", "one", 600)

    # A body edit: a restart, no compiling.
    app.write_text(APP.replace("one", "two"))
    body_edit = wait_for(url + "/word", "two", 30)
    assert "compiling" not in log.read_text().split("change seen")[-1]

    # A save that does not check: reported, and the last good version serves.
    app.write_text(APP.replace('"/word"', '"/word/{n}"'))
    deadline = time.monotonic() + 30
    while "keeps serving" not in log.read_text():
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.05)
    assert "PB011" in log.read_text()
    assert answer(url + "/word") == "two"

    # A new route: compiled, then served.
    app.write_text(APP + '\n\n@app.get("/count")\ndef count() -> int:\n    return 3\n')
    wait_for(url + "/count", "3", 600)
    print(f"save to serving after a body edit: {body_edit * 1000:.0f} ms")

    # Stopping the loop stops the server.
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=30)
    deadline = time.monotonic() + 10
    while answer(url + "/count") is not None:
        assert time.monotonic() < deadline, "the server outlived the dev loop"
        time.sleep(0.05)

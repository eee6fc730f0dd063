"""Built test apps served on free ports, for the tests that speak HTTP to
them: the binary from `cargo xtask test`'s folder (`PREBAKE_E2E_BIN_DIR`),
or built here with `cargo xtask build`."""

from __future__ import annotations

import os
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def app_binary(name: str) -> Path:
    """The binary of `tests/apps/<name>/app.py`."""
    bin_dir = os.environ.get("PREBAKE_E2E_BIN_DIR")
    if bin_dir and (Path(bin_dir) / name).exists():
        return Path(bin_dir) / name
    out = ROOT / "target" / "e2e-bin" / name
    app = ROOT / "tests" / "apps" / name / "app.py"
    if not out.exists() or out.stat().st_mtime < app.stat().st_mtime:
        subprocess.run(
            ["cargo", "run", "-q", "--release", "-p", "xtask", "--", "build", str(app), "--out", str(out)],
            cwd=ROOT,
            check=True,
        )
    return out


@contextmanager
def serve(name: str) -> Iterator[int]:
    """Runs the app's binary on a free port until the block ends; gives the port."""
    port = free_port()
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen(
        [str(app_binary(name)), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                log.seek(0)
                err = log.read().decode(errors="replace")
                raise RuntimeError(f"{name} exited with {proc.returncode}: {err}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()

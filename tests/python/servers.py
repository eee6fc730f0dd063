"""Built app binaries and peer servers for the Python tests that speak HTTP
to them: the binary from `cargo xtask test`'s folder (`PREBAKE_E2E_BIN_DIR`),
or built here with `cargo xtask build`."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from prebake.testing import free_port

__all__ = ["ROOT", "app_binary", "fastapi_peer", "free_port", "serve", "wait_ready"]

ROOT = Path(__file__).resolve().parents[2]


def wait_ready(port: int, proc: subprocess.Popen[bytes]) -> None:
    """Waits until `proc` accepts connections on `port` (60 s at most)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("server did not start")


@contextmanager
def fastapi_peer(app_dir: Path) -> Iterator[int]:
    """Serves `app_dir/app.py`, written against `prebake`, under FastAPI on
    uvicorn: the stand-in `prebake` of `tests/fastapi_shim` (FastAPI's names)
    comes first on the path. Yields the port."""
    port = free_port()
    shim = ROOT / "tests" / "fastapi_shim"
    env = dict(os.environ, PYTHONPATH=f"{shim}{os.pathsep}{app_dir}")
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app:app", "--port", str(port),
         "--log-level", "warning"],
        cwd=app_dir,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_ready(port, proc)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def app_binary(name: str, app: Path | None = None) -> Path:
    """The binary of `app` (default `tests/apps/<name>/app.py`), named `name`."""
    bin_dir = os.environ.get("PREBAKE_E2E_BIN_DIR")
    if bin_dir and (Path(bin_dir) / name).exists():
        return Path(bin_dir) / name
    out = ROOT / "target" / "e2e-bin" / name
    app = app or ROOT / "tests" / "apps" / name / "app.py"
    if not out.exists() or out.stat().st_mtime < app.stat().st_mtime:
        subprocess.run(
            ["cargo", "run", "-q", "-p", "xtask", "--", "build", str(app), "--out", str(out)],
            cwd=ROOT,
            check=True,
        )
    return out


@contextmanager
def serve(name: str) -> Iterator[int]:
    """Runs the app's binary on a free port until the block ends; gives the port."""
    port = free_port()
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen([str(app_binary(name)), "--port", str(port)], stdout=subprocess.DEVNULL, stderr=log)
    try:
        try:
            wait_ready(port, proc)
        except RuntimeError as e:
            log.seek(0)
            raise RuntimeError(f"{name}: {e}: {log.read().decode(errors='replace')}") from None
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()

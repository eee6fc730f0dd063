"""Starting built app binaries and peer servers for the Python tests."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


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


def app_binary(name: str, app: Path) -> Path:
    """The built app `name`: from `cargo xtask test`'s binary folder, or
    built here."""
    bin_dir = os.environ.get("PREBAKE_E2E_BIN_DIR")
    if bin_dir and (Path(bin_dir) / name).exists():
        return Path(bin_dir) / name
    out = ROOT / "target" / "e2e-bin" / name
    subprocess.run(
        ["cargo", "run", "-q", "-p", "xtask", "--", "build", str(app), "--out", str(out)],
        cwd=ROOT,
        check=True,
    )
    return out

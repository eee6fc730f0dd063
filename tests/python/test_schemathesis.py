"""schemathesis against every example binary: the OpenAPI document and the
server agree.

schemathesis (the CLI, all its phases: coverage, fuzzing, stateful) reads
the served `/openapi.json`, generates requests, valid and invalid, and
checks every answer: no 5xx, documented status codes and content types,
bodies that match the response schemas, valid data accepted and invalid
data refused. Where JSON Schema cannot say what the server does, the
example's settings file (`schemathesis/<example>.toml`) turns one check off
for the operations concerned and says why. `examples/tfb` runs against the
PostgreSQL `cargo xtask test` starts (skipped without one).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from collections.abc import Callable

import pytest
from prebake.testing import Server

HERE = Path(__file__).resolve().parent
# Generated cases per operation and phase; every phase together sends a few
# hundred per operation.
MAX_EXAMPLES = os.environ.get("PREBAKE_SCHEMATHESIS_EXAMPLES", "100")


@pytest.mark.parametrize("example", ["hello", "todo", "tfb"])
def test_schemathesis_finds_nothing(example: str, tmp_path: Path, e2e_server: Callable[..., Server]) -> None:
    if example == "tfb" and not (os.environ.get("DATABASE_URL") or os.environ.get("PGHOST")):
        pytest.skip("examples/tfb needs its database: run through `cargo xtask test`")
    port = e2e_server(example, f"examples/{example}/app.py").port
    env = dict(os.environ)
    if example == "tfb":
        import jwt

        # Signed with the example's default key, for user 7 of its `users` table.
        secret = "prebake-tfb-secret-change-me-in-production"
        env["PREBAKE_TFB_TOKEN"] = str(jwt.encode({"sub": "7"}, secret, algorithm="HS256"))
    cli = Path(sys.executable).with_name("schemathesis")
    run = subprocess.run(
        [
            str(cli),
            "--no-color",
            "--config-file",
            str(HERE / "schemathesis" / f"{example}.toml"),
            "run",
            f"http://127.0.0.1:{port}/openapi.json",
            "--max-examples",
            MAX_EXAMPLES,
            "--seed",
            os.environ.get("PREBAKE_SEED", "20261205"),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert run.returncode == 0, run.stdout[-20000:] + run.stderr[-5000:]
    assert "No issues found" in run.stdout, run.stdout[-5000:]

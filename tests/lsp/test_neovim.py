"""Neovim, headless, as the client: its built-in LSP client starts
`prebake lsp` on a faulty app, and the diagnostics it received are read
back from `vim.diagnostic.get()`. Then the buffer is edited as a user would
(`nvim_buf_set_lines`): fixing the parameter clears the error, and typing a
wrong parameter name brings PB011 back on the decorator's line with the
next publication, that is within one re-analysis.

`cargo xtask test` installs Neovim (Debian's `neovim`) when it is missing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import line_of, write

APP = """
    from prebake import App

    app = App()


    @app.get("/users/{user_id}")
    def get_user(uid: int) -> dict[str, int]:
        return {"id": user_id}
"""

INIT = Path(__file__).parent / "nvim" / "init.lua"


def test_neovim_receives_diagnostics_and_edits_update_them(bin_path: Path, tmp_path: Path) -> None:
    nvim = shutil.which("nvim")
    if nvim is None:
        pytest.fail("nvim not found: `cargo xtask test` installs it (apt-get install neovim)")
    text = write(tmp_path / "app.py", APP)
    out = tmp_path / "diagnostics.json"
    def_lnum = line_of(text, "def get_user")
    decorator = line_of(text, "@app.get")
    env = {
        **os.environ,
        "PREBAKE_BIN": str(bin_path),
        "PREBAKE_NVIM_OUT": str(out),
        "PREBAKE_FIXED_LINE": "def get_user(user_id: int) -> dict[str, int]:",
        "PREBAKE_TYPO_LINE": "def get_user(user_ix: int) -> dict[str, int]:",
        "PREBAKE_DEF_LNUM": str(def_lnum),
        # Keep the user's own configuration and state out of the test.
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
    }
    run = subprocess.run(
        [nvim, "--headless", "-n", "-i", "NONE", "--noplugin", "-u", str(INIT), "app.py"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
        stdin=subprocess.DEVNULL,
    )
    assert out.exists(), f"nvim wrote nothing (exit {run.returncode}): {run.stderr}"
    record = json.loads(out.read_text())
    assert "error" not in record, record
    assert run.returncode == 0, run.stderr

    col = text.splitlines()[decorator].index("user_id")
    (opened,) = record["opened"]
    assert (opened["code"], opened["lnum"], opened["col"]) == ("PB011", decorator, col)
    assert opened["severity"] == 1  # vim.diagnostic.severity.ERROR
    assert opened["source"] == "prebake"
    assert "has no parameter" in opened["message"]

    assert record["fixed"] == []

    (typed,) = record["typed"]
    assert (typed["code"], typed["lnum"], typed["col"]) == ("PB011", decorator, col)
    # One keystroke to diagnostics, Neovim's own 20 ms debounce included.
    assert record["typed_ms"] < 2000

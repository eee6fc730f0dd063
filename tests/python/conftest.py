"""Make `prebake` importable from the source tree and load the example apps.

The package is imported from `runtime/python` (no install needed), and each
example is imported with its own folder first on `sys.path`, as its
author would run it, so `from models import ...` finds the sibling module.

Built apps are served by `prebake.testing`, the plugin users' suites use
(docs/testing.md): `e2e_server` takes the binaries `cargo xtask test` built
beforehand, or builds them once.
"""

from __future__ import annotations

import importlib.util
import itertools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE_DIR = ROOT / "runtime" / "python"
EXAMPLES_DIR = ROOT / "examples"

if str(PACKAGE_DIR) not in sys.path:
    sys.path.insert(0, str(PACKAGE_DIR))

pytest_plugins = ["prebake.testing", "pytester"]

if TYPE_CHECKING:
    from prebake.testing import Server


def load_example(name: str) -> ModuleType:
    """Import `examples/<name>/app.py` once, as module `example_<name>`."""
    module_name = f"example_{name}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    folder = EXAMPLES_DIR / name
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
    spec = importlib.util.spec_from_file_location(module_name, folder / "app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def hello_app() -> ModuleType:
    return load_example("hello")


@pytest.fixture
def todo_app() -> ModuleType:
    """The todo example with an empty store and ids starting again at 1."""
    module = load_example("todo")
    module.todos.clear()
    setattr(module, "next_id", itertools.count(1))
    return module


@pytest.fixture(scope="session")
def e2e_server(prebake_serve: Callable[..., Server]) -> Callable[..., Server]:
    """`e2e_server(name, app, *flags)`: the repository's app `app` (a path
    from the root) served once per session with these flags: the binary
    `name` that `cargo xtask test` built (`PREBAKE_E2E_BIN_DIR`), else built
    here."""

    def start(name: str, app: str, *flags: str) -> Server:
        bin_dir = os.environ.get("PREBAKE_E2E_BIN_DIR")
        if bin_dir and (Path(bin_dir) / name).exists():
            return prebake_serve(None, *flags, binary=Path(bin_dir) / name)
        return prebake_serve(ROOT / app, *flags)

    return start


def xtask() -> list[str]:
    """The command that runs xtask: the binary `cargo xtask test` runs
    (`PREBAKE_XTASK`), else `cargo xtask`."""
    exe = os.environ.get("PREBAKE_XTASK")
    return [exe] if exe else ["cargo", "xtask"]

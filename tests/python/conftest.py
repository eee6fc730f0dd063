"""Make `prebake` importable from the source tree and load the example apps.

The package is imported from `runtime/python` (no install needed), and each
example is imported with its own folder first on `sys.path`, as its
author would run it, so `from models import ...` finds the sibling module.
"""

from __future__ import annotations

import importlib.util
import itertools
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE_DIR = ROOT / "runtime" / "python"
EXAMPLES_DIR = ROOT / "examples"

if str(PACKAGE_DIR) not in sys.path:
    sys.path.insert(0, str(PACKAGE_DIR))


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

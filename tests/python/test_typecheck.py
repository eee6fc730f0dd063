"""`mypy --strict` (settings in `mypy.ini`) passes on the package, each example,
the application-model test app and these tests; pyright passes on the package,
the examples and that app, so editors understand user code as they understand
FastAPI code.

Each example is checked on its own: every one has an `app.py`, and mypy would
reject two top-level modules with the same name in one run.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("mypy")

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
TARGETS = [
    ROOT / "runtime" / "python" / "prebake",
    *sorted(p for p in (ROOT / "examples").iterdir() if (p / "app.py").is_file()),
    ROOT / "tests" / "apps" / "depends",
    HERE,
]


@pytest.mark.parametrize("target", TARGETS, ids=lambda p: str(p.relative_to(ROOT)))
def test_mypy_strict(target: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(HERE / "mypy.ini"), str(target)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    "target", TARGETS[:-1], ids=lambda p: "pyright " + str(p.relative_to(ROOT))
)
def test_pyright(target: Path, tmp_path: Path) -> None:
    pytest.importorskip("pyright")
    config = tmp_path / "pyrightconfig.json"
    extra = [str(ROOT / "runtime" / "python"), str(target)]
    config.write_text('{"extraPaths": ' + str(extra).replace("'", '"') + "}")
    result = subprocess.run(
        [sys.executable, "-m", "pyright", "--pythonpath", sys.executable, "-p", str(config), str(target)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_examples_are_found() -> None:
    names = {p.name for p in TARGETS}
    assert {"prebake", "hello", "todo", "python"} <= names


def test_decorated_handlers_keep_their_signature(tmp_path: Path) -> None:
    snippet = tmp_path / "snippet.py"
    snippet.write_text(
        "from prebake import App\n"
        "app = App()\n"
        "@app.get('/n/{n}')\n"
        "def double(n: int, *, label: str = '') -> int:\n"
        "    return 2 * n\n"
        "reveal_type(double)\n"
        "double('not an int')\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(HERE / "mypy.ini"), str(snippet)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    output = result.stdout
    # Older mypy spells builtins with their module (`builtins.int`), newer without.
    revealed = re.search(
        r'Revealed type is "def \(n: (builtins\.)?int, \*, label: (builtins\.)?str =\) '
        r'-> (builtins\.)?int"',
        output,
    )
    assert revealed, output
    assert 'Argument 1 to "double" has incompatible type "str"; expected "int"' in output, output
    assert "Found 1 error" in output, output

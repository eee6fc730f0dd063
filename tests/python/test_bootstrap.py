"""The runtime's bootstrap module reads handler signatures from code objects
(so that start-up need not import `inspect`): it must agree with
`inspect.signature` and `inspect.iscoroutinefunction` on every shape of
parameter list, and still go through `inspect` for wrapped callables."""

from __future__ import annotations

import functools
import importlib.util
import inspect
import itertools
from pathlib import Path
from types import ModuleType
from typing import Any, Callable

import pytest

BOOTSTRAP = Path(__file__).resolve().parents[2] / "runtime" / "src" / "python" / "bootstrap.py"


def load_bootstrap() -> ModuleType:
    spec = importlib.util.spec_from_file_location("_prebake_bootstrap_test", BOOTSTRAP)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bootstrap = load_bootstrap()


def reference(func: Callable[..., Any]) -> list[tuple[str, bool, bool, Any]] | str:
    """What the bootstrap returned when it used `inspect` for everything."""
    out = []
    for p in inspect.signature(func).parameters.values():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            return f"parameter {p.name!r}: *args and **kwargs are not supported"
        has_default = p.default is not p.empty
        out.append((p.name, p.kind == p.KEYWORD_ONLY, has_default, p.default if has_default else None))
    return out


def generated_functions() -> list[Callable[..., Any]]:
    """Every combination of positional-only, ordinary, *args, keyword-only
    and **kwargs parameters, with and without defaults, def and async def."""
    funcs = []
    parts = {
        "posonly": ["", "p0, ", "p0, p1=1, "],
        "normal": ["", "a, ", "a, b=2, ", "c=None, "],
        "star": ["", "*args, ", "*, "],
        "kwonly": ["", "k, ", "k=[], m, ", "n=3, "],
        "kwargs": ["", "**kw"],
    }
    for i, (po, no, star, ko, kw) in enumerate(itertools.product(*parts.values())):
        if ko and not star:
            continue
        if star == "*, " and not ko:
            continue
        params = (po + ("/, " if po else "") + no + star + ko + kw).rstrip(", ")
        for prefix in ("def", "async def"):
            source = f"{prefix} f{i}({params}):\n    local = 1\n    return local\n"
            namespace: dict[str, Any] = {}
            try:
                exec(source, namespace)
            except SyntaxError:
                continue  # e.g. a default before a parameter without one
            funcs.append(namespace[f"f{i}"])
    return funcs


FUNCS = generated_functions()


def test_enough_shapes() -> None:
    assert len(FUNCS) > 100


@pytest.mark.parametrize("func", FUNCS, ids=lambda f: f"{f.__name__}{inspect.signature(f)}")
def test_signature_matches_inspect(func: Callable[..., Any]) -> None:
    try:
        got: Any = bootstrap.signature(func)
    except TypeError as exc:
        got = str(exc)
    assert got == reference(func)
    assert bootstrap.is_async(func) == inspect.iscoroutinefunction(func)


def test_wrapped_and_other_callables_go_through_inspect() -> None:
    async def inner(a: int, b: int = 2) -> int:
        return a + b

    @functools.wraps(inner)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return inner(*args, **kwargs)

    assert bootstrap.signature(wrapper) == [("a", False, False, None), ("b", False, True, 2)]
    assert bootstrap.is_async(wrapper) == inspect.iscoroutinefunction(wrapper)

    partial = functools.partial(inner, 1)
    assert bootstrap.signature(partial) == reference(partial)

    class Handler:
        def __call__(self, x: int, *, y: str = "y") -> None:
            pass

    assert bootstrap.signature(Handler()) == reference(Handler())

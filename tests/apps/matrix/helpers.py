"""Damage a decoded value before a handler returns it (`POST /m/N?how=...`).

The differential test imports this module too and applies the same damage
to its own copy, then decides with its reference checker whether the
damaged value still fits the declared type: a 200 with msgspec's bytes if it
does, a 500 if it does not.

`how` is JSON: `{"path": [[step, arg], ...], "kind": name}` where a step is
`attr` (a Struct or dataclass field), `key` (a dict or TypedDict key, found
by its `repr`), `idx` (a list or tuple index) or `elem` (adds to a set).
"""

from __future__ import annotations

import datetime
import decimal
import json
from typing import Any

import msgspec

from .models import Color, Level, Priority


class Opaque:
    """A value msgspec cannot encode."""


class Count(int):
    """An int subclass: `msgspec.convert` takes it for `int` and `float`."""


class Name(str):
    """A str subclass: `msgspec.convert` refuses it for `str`."""


class Stamp(datetime.datetime):
    """A datetime subclass: `msgspec.convert` refuses it for `datetime`."""


def replacement(kind: str) -> Any:
    """The value that replaces the target for `kind`."""
    table: dict[str, Any] = {
        "str": "x",
        "longstr": "x" * 100,
        "emptystr": "",
        "surrogate": "\ud800",
        "int": 7,
        "zero": 0,
        "negint": -1,
        "bigint": 2**70,
        "float": 1.5,
        "nan": float("nan"),
        "floatkey": {float("nan"): Level.ONE, float("-inf"): Level.MINUS, 1e16: Level.BIG, 0.5: Level.ONE, 7: Level.ONE},
        "inf": float("inf"),
        "negfloat": -0.5,
        "bool": True,
        "none": None,
        "list": [1],
        "emptylist": [],
        "tuple": (1, "a"),
        "set": {1},
        "dict": {"k": 1},
        "intkeydict": {1: 1},
        "bytes": b"\x00\xff",
        "bytearray": bytearray(b"ab"),
        "datetime": datetime.datetime(2020, 1, 2, 3, 4, 5),
        "awaredatetime": datetime.datetime(2020, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc),
        "date": datetime.date(2020, 1, 2),
        "color": Color.RED,
        "priority": Priority.HIGH,
        "opaque": Opaque(),
        "unset": msgspec.UNSET,
        "intsub": Count(5),
        "bigintsub": Count(2**70),
        "strsub": Name("x"),
        "memoryview": memoryview(b"ab"),
        "frozenset": frozenset({1}),
        "datetimesub": Stamp(2020, 1, 2, 3, 4, 5),
        "intfloatkeydict": {Count(1): 1, 2: 2},
        "decimal": decimal.Decimal("1.25"),
    }
    return table[kind]


def _find_key(d: dict[Any, Any], rep: str) -> Any:
    for k in d:
        if repr(k) == rep:
            return k
    raise KeyError(rep)


def _apply(target: Any, step: list[Any], kind: str, rest: list[list[Any]]) -> Any:
    """Applies the damage below `target`; returns the new `target`."""
    op, arg = step
    if op == "attr":
        child = getattr(target, arg)
        new = _damage(child, rest, kind)
        if kind == "del" and not rest:
            if isinstance(target, msgspec.Struct):
                # Leaves the field unset (encoding it then fails); a frozen
                # Struct refuses, so the handler raises instead.
                delattr(target, arg)
            else:
                object.__delattr__(target, arg)
        elif isinstance(target, msgspec.Struct):
            msgspec.structs.force_setattr(target, arg, new)
        else:
            object.__setattr__(target, arg, new)
        return target
    if op == "key":
        key = _find_key(target, arg)
        new = _damage(target[key], rest, kind)
        if kind == "del" and not rest:
            del target[key]
        else:
            target[key] = new
        return target
    if op == "idx":
        new = _damage(target[arg], rest, kind)
        if isinstance(target, tuple):
            items = list(target)
            if kind == "del" and not rest:
                del items[arg]
            else:
                items[arg] = new
            return tuple(items)
        if kind == "del" and not rest:
            del target[arg]
        else:
            target[arg] = new
        return target
    if op == "elem":
        new = replacement(kind)
        items = set(target)
        items.add(new)
        return type(target)(items)
    if op == "addkey":
        target[replacement(arg)] = replacement(kind)
        return target
    raise ValueError(op)


def _damage(value: Any, path: list[list[Any]], kind: str) -> Any:
    if not path:
        return value if kind in ("same", "del") else replacement(kind)
    return _apply(value, path[0], kind, path[1:])


def corrupt(value: Any, how: str) -> Any:
    """Returns `value` damaged as `how` says (see the module docs)."""
    if not how:
        return value
    spec = json.loads(how)
    return _damage(value, spec["path"], spec["kind"])

"""A seeded generator of differential cases, and msgspec as their oracle.

Given a seed, `generate(app, seed, n)` yields `n` cases spread over every
route of the matrix app (`tests/apps/matrix/app.py`): JSON bodies that are
valid, on a boundary, invalid, malformed or random bytes; query and path
strings; arbitrary JSON returned under a declared type; decoded values
damaged before they are returned. `expect(app, case)` computes what the
server must answer with msgspec itself, in this process:

- bodies: `msgspec.json.decode(body, type=T)`;
- path, query, header and cookie strings: `msgspec.convert(value, T,
  strict=False)`, on the string the server sees (a header's value without
  its surrounding whitespace, a cookie as the server splits its line);
- responses: `msgspec.json.encode(value)` (or the text or bytes for `str`
  and `bytes` returns), and a 500 whenever the returned value does not fit
  the declared type (`conforms`).

Errors take the shape of docs/semantics.md. The values are drawn from
`msgspec.inspect.type_info(T)`, so the generator follows the types as
msgspec sees them.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime
import decimal
import enum
import importlib
import json
import math
import random
import re
import sys
import typing
import urllib.parse
import uuid
from pathlib import Path
from types import ModuleType
from typing import Any

import msgspec
import msgspec.inspect as mi

ROOT = Path(__file__).resolve().parents[2]

# --------------------------------------------------------------------------
# The app, under plain CPython.


@dataclasses.dataclass
class Route:
    """One route of the matrix app."""

    kind: str  # "t" body, "q" query, "p" path, "h" header, "c" cookie, "w" checked, "m" corrupt
    index: int
    ty: Any  # the parameter's (or, for "w", the return) type, markers removed
    info: Any  # msgspec.inspect.type_info(ty)
    returns: str  # "json", "text", "bytes"
    unordered: bool  # the output holds sets, whose order is per process


@dataclasses.dataclass
class App:
    module: ModuleType
    helpers: ModuleType
    routes: list[Route]


def load_app() -> App:
    """Imports `tests/apps/matrix` as the package `matrix_app`."""
    for p in (ROOT / "runtime" / "python", ROOT / "tests" / "apps"):
        if str(p) not in sys.path:
            sys.path.insert(0, str(p))
    module = importlib.import_module("matrix.app")
    helpers = importlib.import_module("matrix.helpers")
    import prebake

    routes = []
    for info in module.app.routes:
        name = info.handler.__name__
        kind, index = name[0], int(name[1:])
        hints = typing.get_type_hints(info.handler, include_extras=True)
        ret = hints["return"]
        param = hints[{"h": "x_v", "c": "v", "q": "v", "p": "v"}.get(kind, "body")]
        ty = ret if kind == "w" else strip_markers(param, prebake.Param)
        returns = "json"
        if ret is str:
            returns = "text"
        elif ret is bytes:
            returns = "bytes"
        ti = mi.type_info(ty)
        routes.append(Route(kind, index, ty, ti, returns, has_set(ti)))
    return App(module, helpers, routes)


def strip_markers(ty: Any, marker: type) -> Any:
    """`Annotated[T, Query()]` -> `T` (prebake's markers carry no constraint here)."""
    if typing.get_origin(ty) is typing.Annotated:
        args = typing.get_args(ty)
        rest = [a for a in ty.__metadata__ if not isinstance(a, marker)]
        if not rest:
            return args[0]
        return typing.Annotated[(args[0], *rest)]
    return ty


def unwrap(t: Any) -> Any:
    while isinstance(t, mi.Metadata):
        t = t.type
    if isinstance(t, mi.CustomType) and t.cls is object:
        # msgspec decodes and encodes `object` as `Any`.
        return mi.AnyType()
    return t


def has_set(t: Any, seen: set[int] | None = None) -> bool:
    seen = set() if seen is None else seen
    t = unwrap(t)
    if id(t) in seen:
        return False
    seen.add(id(t))
    if isinstance(t, (mi.SetType, mi.FrozenSetType)):
        return True
    for child in children(t):
        if has_set(child, seen):
            return True
    return False


def children(t: Any) -> list[Any]:
    if isinstance(t, (mi.ListType, mi.SetType, mi.FrozenSetType, mi.VarTupleType)):
        return [t.item_type]
    if isinstance(t, mi.TupleType):
        return list(t.item_types)
    if isinstance(t, mi.DictType):
        return [t.key_type, t.value_type]
    if isinstance(t, mi.UnionType):
        return list(t.types)
    if isinstance(t, (mi.StructType, mi.DataclassType, mi.TypedDictType, mi.NamedTupleType)):
        return [f.type for f in t.fields]
    return []


# --------------------------------------------------------------------------
# JSON trees with control over the text: raw numbers, duplicate keys.


class Raw:
    """JSON text written as is (numbers in unusual spellings)."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


class Obj:
    """A JSON object as ordered pairs (so keys may repeat)."""

    __slots__ = ("pairs",)

    def __init__(self, pairs: list[tuple[str, Any]]) -> None:
        self.pairs = pairs


WS = [" ", "\t", "\n", "\r"]


class Writer:
    """Serialises a tree, sometimes with whitespace and escaped characters."""

    def __init__(self, rng: random.Random, fancy: bool) -> None:
        self.rng = rng
        self.fancy = fancy

    def ws(self) -> str:
        if self.fancy and self.rng.random() < 0.3:
            return "".join(self.rng.choice(WS) for _ in range(self.rng.randint(1, 2)))
        return ""

    def string(self, s: str) -> str:
        if not self.fancy or self.rng.random() < 0.7:
            return json.dumps(s, ensure_ascii=False)
        out = ['"']
        for ch in s:
            r = self.rng.random()
            if ch in '"\\' or ord(ch) < 0x20:
                out.append(json.dumps(ch)[1:-1])
            elif r < 0.15:
                out.append(json.dumps(ch, ensure_ascii=True)[1:-1] if ord(ch) > 0x7F else "\\u%04x" % ord(ch))
            elif r < 0.2 and ch == "/":
                out.append("\\/")
            else:
                out.append(ch)
        out.append('"')
        return "".join(out)

    def write(self, v: Any) -> str:
        w = self.ws
        if isinstance(v, Raw):
            return v.text
        if v is None:
            return "null"
        if v is True:
            return "true"
        if v is False:
            return "false"
        if isinstance(v, int):
            return str(v)
        if isinstance(v, float):
            if math.isnan(v) or math.isinf(v):
                return "null"
            return repr(v)
        if isinstance(v, str):
            return self.string(v)
        if isinstance(v, list):
            if not v:
                return "[" + w() + "]"
            return "[" + w() + ("," + w()).join(self.write(x) + w() for x in v) + "]"
        if isinstance(v, Obj):
            if not v.pairs:
                return "{" + w() + "}"
            parts = [w() + self.string(k) + w() + ":" + w() + self.write(x) + w() for k, x in v.pairs]
            return "{" + ",".join(parts) + "}"
        raise TypeError(type(v))


# --------------------------------------------------------------------------
# Values from types.

TRICKY = [
    '"', "\\", "/", "\n", "\t", "\x00", "\x1f", "\x7f", "é", "😀", "\u2028",
    " ", "`", "'", "-", "$", ".", "[", "]", "{", "}", "ß", "İ", "\ufeff", "中",
]
LOWER = "abcdefghijklmnopqrstuvwxyz"
ALNUM = LOWER + LOWER.upper() + "0123456789"

INT_EDGES = [
    0, 1, -1, 2, 9, 10, 100, 127, 128, 255, 256, -5, -6, 257,
    2**31 - 1, 2**31, -(2**31), 2**53, 2**53 + 1, -(2**53) - 1,
    2**63 - 1, 2**63, -(2**63), -(2**63) - 1, 2**64 - 1, 2**64, -(2**64),
    2**70, 10**30, -(10**30), 2**127, 2**128,
]

FLOAT_TEXTS = [
    "0.0", "-0.0", "-0", "1.0", "0.1", "1e5", "1E5", "1e+5", "1e-5", "1e-7", "1.5e300",
    "1e16", "1e15", "123456789012345678.0", "5e-324", "1e-400", "-1e-400", "1e400",
    "-1e400", "1.7976931348623157e308", "1.7976931348623159e308",
    "2.2250738585072011e-308", "9007199254740993", "123456789012345678901234567890",
    "1.000000000000000111022302462515654042363166809082031251", "0.30000000000000004",
    "3.0", "100.0", "1e2", "-2.5", "0.25", "0.5", "0.75", "1e-6", "0.00001", "4.35",
    "974574295488341.25", "1e22", "1e23", "2e-7",
]


def nextafter(x: float, d: float) -> float:
    return math.nextafter(x, d)


class ValueGen:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    # Scalars -------------------------------------------------------------

    def int_value(self, t: mi.IntType) -> Any:
        r = self.rng
        lo = t.ge if t.ge is not None else (t.gt + 1 if t.gt is not None else None)
        hi = t.le if t.le is not None else (t.lt - 1 if t.lt is not None else None)
        picks = []
        if lo is not None:
            picks += [lo, lo - 1, lo + r.randint(0, 3)]
        if hi is not None:
            picks += [hi, hi + 1, hi - r.randint(0, 3)]
        if lo is not None and hi is not None and lo <= hi:
            picks += [r.randint(lo, hi)] * 3
        if t.multiple_of:
            k = r.randint(-3, 3)
            base = lo if lo is not None else 0
            picks += [base + k * t.multiple_of, k * t.multiple_of, k * t.multiple_of + 1]
        if (lo is not None or hi is not None or t.multiple_of) and self.chance(0.6):
            # Mostly inside the constraints.
            a = lo if lo is not None else (hi - 50 if hi is not None else -50)
            b = hi if hi is not None else a + 50
            m = t.multiple_of or 1
            if a <= b:
                v = r.randint(a, b)
                v -= v % m
                if v < a:
                    v += m
                return v
        picks += [r.choice(INT_EDGES), r.randint(-1000, 1000), r.randint(-(10**20), 10**20)]
        if self.chance(0.01):
            return Raw("1" * r.choice([4300, 4301]))
        v = r.choice(picks)
        if v == 0 and self.chance(0.2):
            return Raw("-0")
        return v

    def float_value(self, t: mi.FloatType) -> Any:
        r = self.rng
        picks: list[Any] = []
        for b in (t.ge, t.gt, t.le, t.lt):
            if b is not None:
                b = float(b)
                picks += [b, nextafter(b, math.inf), nextafter(b, -math.inf)]
        if t.multiple_of:
            picks += [t.multiple_of * r.randint(-4, 4), t.multiple_of * r.randint(-4, 4) + 0.1]
        lo = t.ge if t.ge is not None else t.gt
        hi = t.le if t.le is not None else t.lt
        if lo is not None and hi is not None:
            picks += [r.uniform(lo, hi)] * 3
        if (lo is not None or hi is not None or t.multiple_of) and self.chance(0.5):
            a = float(lo) if lo is not None else -100.0
            b = float(hi) if hi is not None else a + 100.0
            x = r.uniform(a, min(b, a + 1e6))
            if t.multiple_of:
                x = round(x / t.multiple_of) * t.multiple_of
            return x
        picks += [
            r.uniform(-10, 10),
            round(r.uniform(-1000, 1000), r.randint(0, 3)),
            r.randint(-100, 100),
            Raw(r.choice(FLOAT_TEXTS)),
            r.random() * 10 ** r.randint(-320, 308),
            r.choice(INT_EDGES),
            struct_float(r),
            # The native decoder's exact path (digits below 2^53, a power
            # of ten within 22) and its edges, and the encoder's short
            # decimals in [1e-5, 2^53) and their neighbours.
            Raw("%de%d" % (r.randrange(1, 2**54), r.randint(-25, 25))),
            Raw(near_boundary(r)),
            round(r.uniform(-1e6, 1e6), r.randint(0, 15)),
            nextafter(round(r.uniform(0, 1e4), r.randint(0, 6)), r.choice([math.inf, -math.inf])),
            r.choice([1e-5, nextafter(1e-5, 0), 2.0**53 - 1, nextafter(2.0**53, 0), 2.0**52, 0.5 ** 20]),
        ]
        return r.choice(picks)

    def str_value(self, t: mi.StrType | None) -> str:
        r = self.rng
        lo = t.min_length if t and t.min_length is not None else 0
        hi = t.max_length if t and t.max_length is not None else None
        pattern = t.pattern if t else None
        if pattern and self.chance(0.6):
            return pattern_value(r, pattern, hi)
        n_choices = [0, 1, 2, 3, 5, 8, r.randint(0, 20)]
        if lo:
            n_choices += [lo, lo - 1]
        if hi is not None:
            n_choices += [hi, hi + 1, max(hi - 1, 0)]
        n = max(0, r.choice(n_choices))
        if (lo or hi is not None) and self.chance(0.5):
            n = r.randint(lo, hi if hi is not None else lo + 5)
        if self.chance(0.15) and (hi is None or hi >= 1):
            # Plain text with one tricky character somewhere: the SWAR
            # scans of the decoder and the encoder at every offset.
            n = r.randint(max(lo, 1), hi if hi is not None else max(lo, 1) + 40)
            text = [r.choice(LOWER) for _ in range(n)]
            text[r.randrange(n)] = r.choice(TRICKY)
            return "".join(text)
        pool = r.choice([LOWER, ALNUM, TRICKY, LOWER + "".join(TRICKY)])
        return "".join(r.choice(pool) for _ in range(n))

    def bytes_value(self, t: Any) -> Any:
        r = self.rng
        lo = getattr(t, "min_length", None) or 0
        hi = getattr(t, "max_length", None)
        n = max(0, r.choice([0, 1, 2, 3, 5, lo, lo - 1, hi if hi is not None else 4, (hi or 4) + 1]))
        data = bytes(r.randrange(256) for _ in range(n))
        s = base64.b64encode(data).decode()
        if self.chance(0.15):
            s = r.choice([
                s.rstrip("="), base64.urlsafe_b64encode(data).decode(), s + "\n", " " + s,
                "YR==", "YQ", "Y", "====", "-_8=", "aGVsbG8=", "aGVsbG8", "!!!!",
            ])
        return s

    def datetime_text(self, tz: bool | None = None) -> str:
        r = self.rng
        if self.chance(0.12):
            return r.choice([
                "2020-01-02T03:04:05", "2020-01-02 03:04:05z", "2020-01-02t03:04:05Z",
                "9999-12-31T23:59:59.9999995", "9999-12-31T23:59:59.999999Z",
                "0001-01-01T00:00:00", "0000-01-01T00:00:00", "2020-01-02T03:04Z",
                "2020-01-02", "2020-02-30T00:00:00", "2020-02-29T00:00:00",
                "2021-02-29T00:00:00", "2020-01-02T24:00:00", "2020-01-02T23:59:60",
                "2020-01-02T03:04:05,1Z", "2020-01-02T03:04:05+24:00",
                "2020-01-02T03:04:05-00:00", "2020-01-02T03:04:05+0130",
                "2020-01-02T03:04:05.1234565+01:30", "2020-01-02T03:04:05.+01:00",
                "2020-1-2T3:4:5", "", "T", "2020-01-02T03:04:05+01", "2020-01-02T03:04:05 ",
                "1577934245", "1577934245.5", "-1", "nan", "1e20",
            ])
        year = r.choice([1, 1969, 1970, 2000, 2020, 2038, 9999, r.randint(1, 9999)])
        month = r.randint(1, 12)
        day = r.randint(1, 28 if self.chance(0.8) else 31)
        text = f"{year:04d}-{month:02d}-{day:02d}"
        text += r.choice("TTTt ")
        text += f"{r.randint(0, 23):02d}:{r.randint(0, 59):02d}:{r.randint(0, 59):02d}"
        if self.chance(0.5):
            text += "." + "".join(r.choice("0123456789") for _ in range(r.randint(1, 9)))
        want_tz = tz if tz is not None else self.chance(0.6)
        if self.chance(0.1):
            want_tz = not want_tz
        if want_tz:
            text += self.tz_text()
        return text

    def tz_text(self) -> str:
        r = self.rng
        return r.choice([
            "Z", "z", "+00:00", "-00:00",
            f"{r.choice('+-')}{r.randint(0, 23):02d}:{r.randint(0, 59):02d}",
            f"{r.choice('+-')}{r.randint(0, 23):02d}{r.randint(0, 59):02d}",
        ])

    def date_text(self) -> str:
        r = self.rng
        if self.chance(0.15):
            return r.choice([
                "2020-02-29", "2021-02-29", "2020-13-01", "2020-1-1", "2020-01-02T00:00:00",
                "0000-01-01", "9999-12-31", "2020-00-10", "2020-01-32", "20200101", "",
            ])
        return f"{r.randint(1, 9999):04d}-{r.randint(1, 12):02d}-{r.randint(1, 31):02d}"

    def time_text(self, tz: bool | None = None) -> str:
        r = self.rng
        if self.chance(0.15):
            return r.choice([
                "03:04", "24:00:00", "23:59:60", "03:04:05.5+01:00", "03:04:05Z",
                "3:04:05", "03:04:05.1234567", "00:00:00", "23:59:59.9999999", "",
            ])
        text = f"{r.randint(0, 23):02d}:{r.randint(0, 59):02d}:{r.randint(0, 59):02d}"
        if self.chance(0.4):
            text += "." + "".join(r.choice("0123456789") for _ in range(r.randint(1, 8)))
        want_tz = tz if tz is not None else self.chance(0.4)
        if self.chance(0.1):
            want_tz = not want_tz
        if want_tz:
            text += self.tz_text()
        return text

    def duration_text(self) -> str:
        r = self.rng
        if self.chance(0.2):
            return r.choice([
                "P1W", "PT", "P", "P1Y", "P1M", "PT1.5H", "-PT1.5H", "p1d", "P1DT2H3M4.5S",
                "PT0S", "P0D", "+P1D", "1D", "PT90S", "P1DT", "PT1H2", "P-1D",
                "P999999999D", "P1000000000D", "PT0.0000001S", "PT1.9999999S", "",
            ])
        text = r.choice(["", "", "-", "+"]) + "P"
        if self.chance(0.6):
            text += str(r.randint(0, 1000)) + "D"
        if self.chance(0.7):
            text += "T"
            for unit in "HMS":
                if self.chance(0.5):
                    num = str(r.randint(0, 100))
                    if self.chance(0.3):
                        num += "." + str(r.randint(0, 999999))
                    text += num + unit
        return text if self.chance(0.9) else text.lower()

    def uuid_text(self) -> str:
        r = self.rng
        u = uuid.UUID(int=r.getrandbits(128))
        return r.choice([
            str(u), str(u), str(u).upper(), u.hex, u.hex.upper(), "{" + str(u) + "}",
            u.urn, str(u)[:-1], str(u) + "0", str(u).replace("-", "_"), "", "not-a-uuid",
        ])

    def decimal_value(self) -> Any:
        r = self.rng
        return r.choice([
            Raw(r.choice(FLOAT_TEXTS)), Raw(str(r.randint(-(10**25), 10**25))),
            "1.50", " 1_000 ", "NaN", "-Infinity", "sNaN", "abc", "1e5", "-0", "",
            str(decimal.Decimal(r.randint(-(10**8), 10**8)) / 1000), "1E+400",
        ])

    # Composite -----------------------------------------------------------

    def value(self, t: Any, depth: int = 0) -> Any:
        t = unwrap(t)
        r = self.rng
        deep = depth > 5
        if isinstance(t, (mi.AnyType, mi.RawType)):
            return self.any_value(depth)
        if isinstance(t, mi.NoneType):
            return None
        if isinstance(t, mi.BoolType):
            return r.random() < 0.5
        if isinstance(t, mi.IntType):
            return self.int_value(t)
        if isinstance(t, mi.FloatType):
            return self.float_value(t)
        if isinstance(t, mi.StrType):
            return self.str_value(t)
        if isinstance(t, (mi.BytesType, mi.ByteArrayType, mi.MemoryViewType)):
            return self.bytes_value(t)
        if isinstance(t, mi.DateTimeType):
            return self.datetime_text(t.tz)
        if isinstance(t, mi.DateType):
            return self.date_text()
        if isinstance(t, mi.TimeType):
            return self.time_text(t.tz)
        if isinstance(t, mi.TimeDeltaType):
            return self.duration_text()
        if isinstance(t, mi.UUIDType):
            return self.uuid_text()
        if isinstance(t, mi.DecimalType):
            return self.decimal_value()
        if isinstance(t, mi.EnumType):
            values = [m.value for m in t.cls]
            if self.chance(0.85):
                return r.choice(values)
            return r.choice([
                "RED", "red ", "x", 0, 4, 1.0, "1", str(values[0]).upper(), values[0],
            ])
        if isinstance(t, mi.LiteralType):
            if self.chance(0.85):
                return r.choice(t.values)
            return r.choice(["c", "A", "it's", 'say "hi"', 0, 4, 1.0, True, None, "1"])
        if isinstance(t, mi.UnionType):
            return self.value(r.choice(t.types), depth + 1)
        if isinstance(t, (mi.ListType, mi.SetType, mi.FrozenSetType, mi.VarTupleType)):
            n = self.length(t, deep)
            return [self.value(t.item_type, depth + 1) for _ in range(n)]
        if isinstance(t, mi.TupleType):
            items = [self.value(x, depth + 1) for x in t.item_types]
            if self.chance(0.05):
                if items and self.chance(0.5):
                    items.pop()
                else:
                    items.append(1)
            return items
        if isinstance(t, mi.DictType):
            n = self.length(t, deep)
            return Obj([(self.key(t.key_type), self.value(t.value_type, depth + 1)) for _ in range(n)])
        if isinstance(t, (mi.StructType, mi.DataclassType, mi.TypedDictType)):
            return self.model(t, depth)
        if isinstance(t, mi.NamedTupleType):
            return self.named_tuple(t, depth)
        raise TypeError(f"no generator for {t!r}")

    def length(self, t: Any, deep: bool) -> int:
        r = self.rng
        if deep:
            return 0
        choices = [0, 1, 2, 3, r.randint(0, 6)]
        lo = getattr(t, "min_length", None)
        hi = getattr(t, "max_length", None)
        if lo is not None:
            choices += [lo, max(lo - 1, 0)]
        if hi is not None:
            choices += [hi, hi + 1]
        return r.choice(choices)

    def key(self, t: Any) -> str:
        t = unwrap(t)
        r = self.rng
        if isinstance(t, mi.StrType):
            return self.str_value(t)
        if isinstance(t, mi.IntType):
            if self.chance(0.15):
                return r.choice(["01", "+1", "1.0", " 1", "-0", "x", "", "1e2", "-", "99999999999999999999"])
            v = self.int_value(t)
            return v.text if isinstance(v, Raw) else str(v)
        if isinstance(t, mi.FloatType):
            return r.choice(["1.5", "1", "-0.0", "nan", "NaN", "inf", "-Infinity", "1e400", "x", "0.1", "1e16", "-2"])
        if isinstance(t, mi.EnumType):
            values = [m.value for m in t.cls]
            return str(r.choice(values)) if self.chance(0.85) else r.choice(["x", "RED", "4", "01"])
        if isinstance(t, mi.LiteralType):
            return str(r.choice(t.values)) if self.chance(0.85) else "c"
        if isinstance(t, mi.UUIDType):
            return self.uuid_text()
        if isinstance(t, mi.DateType):
            return self.date_text()
        return self.str_value(None)

    def model(self, t: Any, depth: int) -> Any:
        r = self.rng
        deep = depth > 5
        fields = []
        for f in t.fields:
            if f.required or (not deep and self.chance(0.6)) or self.chance(0.03):
                if f.required and self.chance(0.02):
                    continue
                fields.append((f.encode_name, self.value(f.type, depth + 1)))
        is_struct = isinstance(t, mi.StructType)
        if is_struct and t.array_like:
            values = [v for _, v in fields]
            # Positional: every field up to the last present one.
            present = {name for name, _ in fields}
            out = []
            last = max((i for i, f in enumerate(t.fields) if f.encode_name in present), default=-1)
            for i, f in enumerate(t.fields[: last + 1]):
                match = [v for n, v in fields if n == f.encode_name]
                out.append(match[0] if match else self.value(f.type, depth + 1))
            if t.tag_field is not None and self.chance(0.95):
                out.insert(0, t.tag if self.chance(0.9) else r.choice(["other", 1, None]))
            if self.chance(0.1):
                out.append(r.choice([1, "extra", None]))
            del values
            return out
        if is_struct and t.tag_field is not None and self.chance(0.95):
            tag = t.tag if self.chance(0.9) else r.choice(["Cow", 3, None, "cat", t.tag])
            fields.insert(r.randrange(len(fields) + 1) if self.chance(0.3) else 0, (t.tag_field, tag))
        if self.chance(0.12):
            extra_names = ["zzz", "extra", "a - at `$.x`", "name", "user_id", "type_", "ABC"]
            extra_names += [f.name for f in t.fields]
            fields.insert(r.randrange(len(fields) + 1), (r.choice(extra_names), self.any_value(depth + 2)))
        if fields and self.chance(0.05):
            fields.append((r.choice(fields)[0], self.value(r.choice(t.fields).type, depth + 1) if t.fields else 1))
        if self.chance(0.2):
            r.shuffle(fields)
        return Obj(fields)

    def named_tuple(self, t: mi.NamedTupleType, depth: int) -> list[Any]:
        """An array: every field, or the required ones and some of those
        with defaults; now and then one item too few or too many."""
        r = self.rng
        required = sum(f.required for f in t.fields)
        n = len(t.fields) if self.chance(0.6) else r.randint(required, len(t.fields))
        if self.chance(0.08):
            n = r.choice([max(required - 1, 0), len(t.fields) + 1, 0])
        out = [self.value(f.type, depth + 1) for f in t.fields[:n]]
        while len(out) < n:
            out.append(r.choice([1, "extra", None]))
        return out

    def any_value(self, depth: int) -> Any:
        r = self.rng
        if depth > 4:
            return r.choice([None, True, 1, "s", 2.5])
        k = r.randrange(8)
        if k == 0:
            return None
        if k == 1:
            return r.random() < 0.5
        if k == 2:
            return r.choice(INT_EDGES)
        if k == 3:
            return Raw(r.choice(FLOAT_TEXTS))
        if k == 4:
            return self.str_value(None)
        if k == 5:
            return [self.any_value(depth + 1) for _ in range(r.randint(0, 3))]
        if k == 6:
            return Obj([(self.str_value(None), self.any_value(depth + 1)) for _ in range(r.randint(0, 3))])
        return r.uniform(-1e6, 1e6)


def near_boundary(r: random.Random) -> str:
    """A decimal with 17 to 25 significant digits: next to where rounding
    to the nearest double changes."""
    digits = "".join(r.choice("0123456789") for _ in range(r.randint(16, 24)))
    return "%s%d.%se%d" % (r.choice(["", "-"]), r.randint(1, 9), digits, r.randint(-30, 30))


def struct_float(r: random.Random) -> float:
    import struct

    while True:
        x = struct.unpack("<d", r.getrandbits(64).to_bytes(8, "little"))[0]
        if math.isfinite(x):
            return x


def pattern_value(r: random.Random, pattern: str, max_len: int | None) -> str:
    """A string that often matches one of the matrix's patterns."""
    n = r.randint(1, 6)
    if pattern == "^[a-z]+$":
        s = "".join(r.choice(LOWER) for _ in range(n))
    elif pattern == "[0-9]":
        s = "".join(r.choice(LOWER + "0123456789") for _ in range(n))
    elif pattern == "^[A-Z]{2}[0-9]*$":
        s = "".join(r.choice("ABCXYZ") for _ in range(2)) + "".join(r.choice("0123456789") for _ in range(n - 1))
    else:
        s = "".join(r.choice(ALNUM) for _ in range(n))
    if r.random() < 0.2:
        i = r.randrange(len(s) + 1)
        s = s[:i] + r.choice(["1", "A", " ", "\n", "é", "١"]) + s[i:]
    return s


# --------------------------------------------------------------------------
# Invalid trees and malformed text.

KINDS_OF_JSON: list[Any] = [None, True, False, 0, -1, 1.5, Raw("1e2"), "", "x", "1", [], [1], Obj([]), Obj([("a", 1)])]


def mutate_tree(rng: random.Random, tree: Any) -> Any:
    """Replaces, removes or adds one node somewhere in the tree."""
    nodes: list[tuple[Any, Any]] = []  # (container, key/index)

    def walk(v: Any) -> None:
        if isinstance(v, list):
            for i, x in enumerate(v):
                nodes.append((v, i))
                walk(x)
        elif isinstance(v, Obj):
            for i, (_, x) in enumerate(v.pairs):
                nodes.append((v, i))
                walk(x)

    walk(tree)
    if not nodes or rng.random() < 0.15:
        return rng.choice(KINDS_OF_JSON)
    container, i = rng.choice(nodes)
    action = rng.randrange(4)
    if isinstance(container, list):
        if action == 0 and container:
            del container[i]
        elif action == 1:
            container.insert(i, rng.choice(KINDS_OF_JSON))
        else:
            container[i] = rng.choice(KINDS_OF_JSON)
    else:
        k, _ = container.pairs[i]
        if action == 0:
            del container.pairs[i]
        elif action == 1:
            container.pairs.insert(i, (rng.choice(["zz", k, k.upper(), "type", ""]), rng.choice(KINDS_OF_JSON)))
        else:
            container.pairs[i] = (k, rng.choice(KINDS_OF_JSON))
    return tree


BYTE_INSERTS = [
    b"{", b"}", b"[", b"]", b",", b":", b'"', b"\\", b" ", b"x", b"0", b"-", b".", b"e",
    b"\x00", b"\x0c", b"\xef\xbb\xbf", b"\xff", b"\xed\xa0\x80", b"\xc3", b"\xe2\x82",
    b"\\q", b"\\u12G4", b"\\ud800", b"\\udc00", b"\\ud800\\u0041", b"\\u00", b"\n",
    b"NaN", b"Infinity", b"-Infinity", b"nan", b"tru", b"nul", b"01", b"+1", b".5", b"1.",
    b"1e", b"\x7f", b"\t", b"\r",
]


def deepen(rng: random.Random, tree: Any, deep: Any, unknown: bool) -> Any:
    """`tree` with `deep` in place of one nested value (or, with `unknown`,
    added to one nested object under an unknown key)."""
    spots: list[tuple[Any, Any]] = []

    def walk(v: Any) -> None:
        if isinstance(v, list):
            for i, x in enumerate(v):
                spots.append((v, i))
                walk(x)
        elif isinstance(v, dict):
            if unknown:
                spots.append((v, "zz_deep"))
            for k, x in v.items():
                spots.append((v, k))
                walk(x)
        elif isinstance(v, Obj):
            if unknown:
                spots.append((v, "zz_deep"))
            for i, (_, x) in enumerate(v.pairs):
                spots.append((v, i))
                walk(x)

    walk(tree)
    if not spots:
        return deep
    parent, key = rng.choice(spots)
    if isinstance(parent, Obj):
        if key == "zz_deep":
            parent.pairs.append(("zz_deep", deep))
        else:
            parent.pairs[key] = (parent.pairs[key][0], deep)
    else:
        parent[key] = deep
    return tree


def mutate_bytes(rng: random.Random, data: bytes) -> bytes:
    action = rng.randrange(7)
    i = rng.randrange(len(data) + 1)
    if action == 0 and data:
        return data[: rng.randrange(len(data))]
    if action == 1:
        return data[:i] + rng.choice(BYTE_INSERTS) + data[i:]
    if action == 2 and data:
        return data[:i] + data[i + 1 :]
    if action == 3 and data:
        j = min(i, len(data) - 1)
        return data[:j] + rng.choice(BYTE_INSERTS) + data[j + 1 :]
    if action == 4:
        return data + rng.choice([b" x", b",", b"]", b"}", b" 1", b"\x00", b" \n", b"  "])
    if action == 5:
        return rng.choice([b"\xef\xbb\xbf", b"\x0c", b" ", b"\n", b"\x00"]) + data
    # Inside a string: find a quote and put something nasty after it.
    quotes = [k for k, b in enumerate(data) if b == 0x22]
    if quotes:
        q = rng.choice(quotes) + 1
        return data[:q] + rng.choice(BYTE_INSERTS) + data[q:]
    return data + b"\xff"


def random_bytes(rng: random.Random) -> bytes:
    n = rng.randint(0, 40)
    if rng.random() < 0.5:
        return bytes(rng.randrange(256) for _ in range(n))
    tokens = [b"{", b"}", b"[", b"]", b",", b":", b'"a"', b"1", b"-0", b"true", b"null", b" ", b'"', b"\\", b"2.5e3"]
    return b"".join(rng.choice(tokens) for _ in range(n))


# --------------------------------------------------------------------------
# Cases.


@dataclasses.dataclass
class Case:
    route: Route
    category: str
    method: str
    target: str
    body: bytes = b""
    # Query values (None: absent) or the path segment, as sent before encoding.
    values: list[str] | None = None
    how: str = ""
    # Request headers (a header route's `X-V` lines, a cookie route's
    # `Cookie` lines), as sent.
    headers: list[tuple[str, bytes]] = dataclasses.field(default_factory=list)

    def describe(self) -> str:
        r = self.route
        what = f"{r.kind}/{r.index} {type_repr(r.ty)} [{self.category}] {self.method} {self.target}"
        if self.method == "POST":
            what += f" body={self.body!r}"
        if self.values is not None:
            what += f" values={self.values!r}"
        if self.headers:
            what += f" headers={self.headers!r}"
        return what


def type_repr(t: Any) -> str:
    return re.sub(r"\b(typing|datetime|uuid|decimal|matrix\.models|msgspec)\.", "", repr(t))


CATEGORY_WEIGHTS = {
    "t": [("valid", 40), ("boundary", 12), ("invalid", 20), ("malformed", 16), ("random", 6), ("deep", 6), ("big", 4)],
    "w": [("valid", 55), ("invalid", 35), ("malformed", 5), ("random", 5), ("deep", 3)],
    "m": [("corrupt", 80), ("valid", 15), ("invalid", 5), ("deep", 3)],
}


def weighted(rng: random.Random, table: list[tuple[str, int]]) -> str:
    total = sum(w for _, w in table)
    x = rng.randrange(total)
    for name, w in table:
        if x < w:
            return name
        x -= w
    return table[-1][0]


class CaseGen:
    def __init__(self, app: App, seed: int) -> None:
        self.app = app
        self.rng = random.Random(seed)
        self.values = ValueGen(self.rng)

    def body_text(self, info: Any, category: str) -> bytes:
        r = self.rng
        fancy = r.random() < 0.3
        if category == "random":
            return random_bytes(r)
        if category == "deep":
            n = r.choice([3000, 5000, 300, 150, 129, 128, 100])
            opener, closer = r.choice([(b"[", b"]"), (b'{"a":', b"}"), (b'{"value":1,"children":[', b"]}")])
            tail = b"1" if opener == b'{"a":' else b""
            deep = opener * n + tail + closer * n
            if r.random() < 0.3:
                # Unclosed: msgspec may answer at the first byte, or find it truncated.
                deep = opener * n
            how = r.random()
            if how < 0.4:
                return deep
            # Deep inside a valid value of the type: as an item, a field's
            # value, or an unknown field's.
            tree = self.values.value(info)
            return Writer(r, fancy).write(deepen(r, tree, Raw(deep.decode()), how < 0.7)).encode()
        if category == "big":
            tree = [self.values.value(info) for _ in range(r.randint(20, 200))]
            text = Writer(r, fancy).write(tree).encode()
            # An array of values of T: still malformed or invalid for most T.
            return text if r.random() < 0.3 else Writer(r, fancy).write(self.values.value(info)).encode()
        tree = self.values.value(info)
        if category == "invalid":
            tree = mutate_tree(r, tree)
        text = Writer(r, fancy).write(tree).encode()
        if category == "malformed":
            text = mutate_bytes(r, text)
        return text

    def param_value(self, info: Any) -> str:
        """A string for a path or query parameter of type `info`."""
        r = self.rng
        if r.random() < 0.08:
            return r.choice([
                "", " ", "null", "NULL", "None", "true", "True", "1", "0", "-0", "1.0", "1e3",
                "nan", "-inf", "+inf", "Infinity", "-Infinity", "0x10", "1_000", " 1", "01",
                "+1", "1e400", "9007199254740993.0", "1e20", "yes", "on", "red", "RED", "a",
                "1577934245", "1577934245.5", "-62135596801", "86400", "P1D", "é", "a b", "a+b",
                "%zz", "1.5", "99999999999999999999", "18446744073709551616",
            ])
        v = self.values.value(info)
        if isinstance(v, Raw):
            return v.text
        if isinstance(v, str):
            return v
        if isinstance(v, (list, Obj)):
            return Writer(r, False).write(v)
        text = Writer(r, False).write(v)
        return text

    def case(self, route: Route) -> Case:
        r = self.rng
        k = route.kind
        if k in "tw":
            category = weighted(r, CATEGORY_WEIGHTS[k])
            body = self.body_text(route.info, "valid" if category == "boundary" else category)
            return Case(route, category, "POST", f"/{k}/{route.index}", body)
        if k == "m":
            category = weighted(r, CATEGORY_WEIGHTS[k])
            body = self.body_text(route.info, "valid" if category == "corrupt" else category)
            how = ""
            if category == "corrupt":
                how = self.corruption(route, body)
            target = f"/m/{route.index}"
            if how:
                target += "?how=" + urllib.parse.quote(how, safe="")
            return Case(route, category, "POST", target, body, how=how)
        if k == "q":
            seq = isinstance(unwrap(route.info), (mi.ListType, mi.SetType))
            item = unwrap(route.info).item_type if seq else route.info
            count = r.choice([0, 1, 1, 1, 2, 3]) if seq else r.choice([0] + [1] * 12 + [2])
            # (text on the wire, value it decodes to, or None for another key)
            parts: list[tuple[str, str | None]] = []
            for _ in range(count):
                v = self.param_value(item)
                quote = urllib.parse.quote_plus if r.random() < 0.3 else urllib.parse.quote
                parts.append(("v=" + quote(v, safe=""), v))
            if r.random() < 0.1:
                parts.append(("other=1", None))
            if r.random() < 0.05:
                parts.append(("v", ""))  # a bare key: the value is empty
            if r.random() < 0.2:
                r.shuffle(parts)
            decoded = [v for _, v in parts if v is not None]
            target = f"/q/{route.index}" + ("?" + "&".join(p for p, _ in parts) if parts else "")
            return Case(route, "query", "GET", target, values=decoded)
        if k == "h":
            return self.header_case(route)
        if k == "c":
            return self.cookie_case(route)
        value = self.param_value(route.info)
        return Case(route, "path", "GET", f"/p/{route.index}/" + urllib.parse.quote(value, safe=""), values=[value])

    def header_text(self, info: Any) -> str:
        """A parameter string a header line can carry: no control characters
        (HTTP refuses them before any handler)."""
        v = self.param_value(info)
        v = "".join(ch for ch in v if ch == "\t" or (ch >= " " and ch != "\x7f"))
        r = self.rng
        if r.random() < 0.1:
            # Surrounding whitespace is not part of the value.
            v = r.choice([" ", "\t", "  "]) + v + r.choice(["", " ", "\t"])
        return v

    def header_case(self, route: Route) -> Case:
        r = self.rng
        count = r.choice([0] + [1] * 12 + [2])
        headers = []
        for _ in range(count):
            name = r.choice(["x-v", "X-V", "X-v"])
            headers.append((name, self.header_text(route.info).encode()))
        if r.random() < 0.1:
            # The Python name is not the header's name.
            headers.insert(r.randrange(len(headers) + 1), (r.choice(["x_v", "v"]), b"1"))
        return Case(route, "header", "GET", f"/h/{route.index}", headers=headers)

    def cookie_case(self, route: Route) -> Case:
        r = self.rng
        lines = []
        for _ in range(r.choice([0] + [1] * 10 + [2])):
            pairs = []
            for _ in range(r.choice([1, 1, 1, 2])):
                value = self.header_text(route.info).replace(";", "")
                if r.random() < 0.05:
                    value = '"' + value + '"'
                name = r.choice(["v"] * 8 + ["V", "other", " v"])
                pairs.append(f"{name}={value}")
            lines.append(("Cookie", r.choice(["; ", ";"]).join(pairs).encode()))
        return Case(route, "cookie", "GET", f"/c/{route.index}", headers=lines)

    def corruption(self, route: Route, body: bytes) -> str:
        """A damage spec for the decoded body (see `helpers.corrupt`)."""
        r = self.rng
        try:
            value = msgspec.json.decode(body, type=route.ty)
        except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):
            return ""
        paths: list[list[list[Any]]] = [[]]

        def walk(v: Any, path: list[list[Any]], depth: int) -> None:
            if depth > 6:
                return
            if isinstance(v, msgspec.Struct) or dataclasses.is_dataclass(v):
                names = v.__struct_fields__ if isinstance(v, msgspec.Struct) else list(vars(v))
                for name in names:
                    p = path + [["attr", name]]
                    paths.append(p)
                    walk(getattr(v, name), p, depth + 1)
            elif isinstance(v, dict):
                for key in v:
                    p = path + [["key", repr(key)]]
                    paths.append(p)
                    walk(v[key], p, depth + 1)
                paths.append(path + [["addkey", r.choice(["str", "int", "color"])]])
            elif isinstance(v, (list, tuple)):
                for i, x in enumerate(v):
                    p = path + [["idx", i]]
                    paths.append(p)
                    walk(x, p, depth + 1)
            elif isinstance(v, (set, frozenset)):
                paths.append(path + [["elem", None]])

        walk(value, [], 0)
        path = r.choice(paths)
        kinds = [
            "str", "longstr", "emptystr", "surrogate", "int", "zero", "negint", "bigint", "float",
            "nan", "inf", "negfloat", "bool", "none", "list", "emptylist", "tuple", "set", "dict",
            "intkeydict", "bytes", "bytearray", "datetime", "awaredatetime", "date", "color",
            "priority", "opaque", "unset", "same", "del", "floatkey", "intsub", "bigintsub",
            "strsub", "memoryview", "frozenset", "datetimesub", "intfloatkeydict", "decimal",
        ]
        if path and path[-1][0] == "elem":
            kinds = ["str", "int", "color", "priority", "none", "bigint", "float", "intsub", "strsub"]
        if path and path[-1][0] == "addkey":
            kinds = ["int", "str", "none", "opaque"]
        if not path:
            kinds = [k for k in kinds if k != "del"]
        return json.dumps({"path": path, "kind": r.choice(kinds)})

    def cases(self, n: int) -> list[Case]:
        routes = self.app.routes
        out = []
        order = list(range(len(routes)))
        while len(out) < n:
            self.rng.shuffle(order)
            for i in order:
                if len(out) >= n:
                    break
                out.append(self.case(routes[i]))
        return out


# --------------------------------------------------------------------------
# The oracle.


@dataclasses.dataclass
class Expected:
    status: int
    body: bytes
    content_type: str | None = "application/json"
    # A 500: the body is fixed; a log line names the route.
    mismatch: bool = False
    # Sets rebuilt by the oracle's conversion: their order is not the
    # server's, so the bodies are compared with arrays sorted.
    unordered: bool = False


def split_path(text: str, param: str) -> tuple[str, str]:
    """docs/semantics.md: msgspec's `<message> - at `$.a[0]`` into message and key; a
    dict key's error (`- at `key` in `$.a``) has the dict's path as key."""
    found = max((text.rfind(m), len(m)) for m in (" - at `$", " - at `key` in `$"))
    at, n = found
    if at >= 0 and text.endswith("`"):
        path = text[at + n : -1]
        key = path[1:] if path.startswith(".") else path
        return text[:at], key or param
    return text, param


def validation(method: str, target: str, message: str, key: str, source: str) -> bytes:
    return (
        b'{"status_code":400,"detail":'
        + msgspec.json.encode(f"Validation failed for {method} {target}")
        + b',"extra":[{"message":'
        + msgspec.json.encode(message)
        + b',"key":'
        + msgspec.json.encode(key)
        + b',"source":'
        + msgspec.json.encode(source)
        + b"}]}"
    )


def status_body(status: int, detail: str) -> bytes:
    return b'{"status_code":%d,"detail":' % status + msgspec.json.encode(detail) + b"}"


INTERNAL = Expected(500, b'{"status_code":500,"detail":"Internal Server Error"}', mismatch=True)
HANDLER_RAISED = Expected(500, INTERNAL.body)
NOT_FOUND = Expected(404, b'{"status_code":404,"detail":"Not Found"}')


def success(route: Route, value: Any) -> Expected:
    if route.returns == "text":
        return Expected(200, value.encode(), "text/plain; charset=utf-8")
    if route.returns == "bytes":
        return Expected(200, bytes(value), "application/octet-stream")
    try:
        return Expected(200, msgspec.json.encode(value))
    except Exception:
        return INTERNAL


# The server's `--max-json-depth` (the test passes it): a body nested
# deeper is refused before msgspec sees it.
MAX_JSON_DEPTH = 128


def too_deep(data: bytes, limit: int) -> bool:
    """The server's pre-scan of JSON bodies (runtime/src/server/handle.rs)."""
    depth = 0
    in_string = escaped = False
    for b in data:
        if in_string:
            if escaped:
                escaped = False
            elif b == 0x5C:
                escaped = True
            elif b == 0x22:
                in_string = False
            continue
        if b == 0x22:
            in_string = True
        elif b in (0x5B, 0x7B):
            depth += 1
            if depth > limit:
                return True
        elif b in (0x5D, 0x7D):
            depth = max(depth - 1, 0)
    return False


def max_nesting(t: Any, open_: list[int] | None = None) -> int | None:
    """How many levels of arrays and objects msgspec reads for type `t` (a
    `msgspec.inspect` type) at most before it answers; None when nothing
    bounds it (`Any`, recursion, values msgspec skips: unknown fields
    without `forbid_unknown_fields`, of dataclasses and TypedDicts, extra
    items of array-like Structs, the fields before the tag of a union of
    tagged Structs). The server pre-scans a body against the depth limit
    only where this is None or past the limit."""
    open_ = [] if open_ is None else open_
    t = unwrap(t)
    if isinstance(t, (mi.AnyType, mi.RawType)):
        return None
    if isinstance(t, (mi.ListType, mi.SetType, mi.FrozenSetType, mi.VarTupleType)):
        inner = max_nesting(t.item_type, open_)
        return None if inner is None else inner + 1
    if isinstance(t, mi.DictType):
        inner = max_nesting(t.value_type, open_)
        return None if inner is None else inner + 1
    if isinstance(t, mi.TupleType):
        inner = [max_nesting(x, open_) for x in t.item_types]
        return None if None in inner else max(inner, default=0) + 1
    if isinstance(t, mi.UnionType):
        if sum(isinstance(unwrap(x), mi.StructType) for x in t.types) > 1:
            return None
        inner = [max_nesting(x, open_) for x in t.types]
        return None if None in inner else max(inner, default=0)
    if isinstance(t, mi.NamedTupleType):
        # An item past the last field is refused before it is read.
        if id(t) in open_:
            return None
        open_.append(id(t))
        inner = [max_nesting(f.type, open_) for f in t.fields]
        open_.pop()
        return None if None in inner else max(inner, default=0) + 1
    if isinstance(t, mi.StructType):
        if not t.forbid_unknown_fields or id(t) in open_:
            return None
        open_.append(id(t))
        inner = [max_nesting(f.type, open_) for f in t.fields]
        open_.pop()
        return None if None in inner else max(inner, default=0) + 1
    if isinstance(t, (mi.DataclassType, mi.TypedDictType, mi.CustomType)):
        return None
    return 0


def guarded(info: Any) -> bool:
    n = max_nesting(info)
    return n is None or n > MAX_JSON_DEPTH


def decode_body(case: Case, ty: Any, guard: bool = True) -> tuple[Any, Expected | None]:
    if guard and too_deep(case.body, MAX_JSON_DEPTH):
        detail = f"JSON is malformed: nested deeper than {MAX_JSON_DEPTH} levels"
        return None, Expected(400, status_body(400, detail))
    try:
        return msgspec.json.decode(case.body, type=ty), None
    except msgspec.ValidationError as e:
        message, key = split_path(str(e), "body")
        return None, Expected(400, validation(case.method, case.target, message, key, "body"))
    except msgspec.DecodeError as e:
        return None, Expected(400, status_body(400, str(e)))
    except UnicodeDecodeError as e:
        return None, Expected(400, status_body(400, str(e)))
    except RecursionError:
        return None, Expected(400, status_body(400, "JSON is malformed: nested too deeply"))


def expect(app: App, case: Case) -> Expected:
    route = case.route
    if route.kind == "t":
        value, err = decode_body(case, route.ty, guarded(route.info))
        return err or success(route, value)
    if route.kind == "w":
        value, err = decode_body(case, Any)
        if err:
            return err
        return declared_success(route, value) if conforms(value, route.info) else INTERNAL
    if route.kind == "m":
        value, err = decode_body(case, route.ty, guarded(route.info))
        if err:
            return err
        try:
            value = app.helpers.corrupt(value, case.how)
        except Exception:
            # The handler itself raises: a 500 whose log line is the traceback.
            return HANDLER_RAISED
        return declared_success(route, value) if conforms(value, route.info) else INTERNAL
    if route.kind in "hc":
        return expect_header(case)
    source = "query" if route.kind == "q" else "path"
    values = case.values or []
    if route.kind == "p" and values == [""]:
        return NOT_FOUND
    if not values:
        message = f"Missing required {source} parameter `v`"
        return Expected(400, validation(case.method, case.target, message, "v", source))
    seq = isinstance(unwrap(route.info), (mi.ListType, mi.SetType))
    raw: Any = values if seq else values[-1]
    try:
        value = msgspec.convert(raw, route.ty, strict=False)
    except msgspec.ValidationError as e:
        message, key = split_path(str(e), "")
        key = "v" + key if key.startswith("[") else "v"
        return Expected(400, validation(case.method, case.target, message, key, source))
    return success(route, value)


def header_value(case: Case) -> str | None:
    """The string the server reads for the header `x-v` (its first line,
    without surrounding whitespace, as Starlette's `headers[...]`) or the
    cookie `v` (the last, each `Cookie` line split on `;`, names and values
    trimmed, one pair of quotes removed: docs/decisions.md)."""
    if case.route.kind == "h":
        for name, value in case.headers:
            if name.lower() == "x-v":
                return value.decode().strip(" \t")
        return None
    found = None
    for _, line in case.headers:
        for piece in line.decode().strip(" \t").split(";"):
            key, eq, value = piece.partition("=")
            if not eq or key.strip() != "v":
                continue
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] == '"':
                value = value[1:-1]
            found = value
    return found


def expect_header(case: Case) -> Expected:
    route = case.route
    # The error's key is the header's name as the app writes it: the
    # parameter's with `_` as `-`, or the alias (odd routes).
    header = "x-v" if route.index % 2 == 0 else "X-V"
    source, key = ("header", header) if route.kind == "h" else ("cookie", "v")
    raw = header_value(case)
    if raw is None:
        message = f"Missing required {source} parameter `{key}`"
        return Expected(400, validation(case.method, case.target, message, key, source))
    try:
        value = msgspec.convert(raw, route.ty, strict=False)
    except msgspec.ValidationError as e:
        message, _ = split_path(str(e), "")
        return Expected(400, validation(case.method, case.target, message, key, source))
    return success(route, value)


# --------------------------------------------------------------------------
# What a checked encoder accepts.


# Kept as they are by `declared`'s trip through builtins.
NATIVE = (bytes, bytearray, memoryview, datetime.datetime, datetime.date, datetime.time,
          datetime.timedelta, uuid.UUID, decimal.Decimal, msgspec.Raw)


def declared_success(route: Route, v: Any) -> Expected:
    conv = as_declared(route, v)
    want = success(route, conv)
    if want.status == 200 and route.unordered and conv is not v and not isinstance(conv, msgspec.Raw):
        want.unordered = True
    return want


def as_declared(route: Route, v: Any) -> Any:
    """`declared`, but a value whose conversion only rebuilt its sets keeps
    them: the server iterates the returned set, and a rebuilt set of
    colliding hashes may iterate in another order."""
    conv = declared(v, route.ty)
    if route.unordered and conv is not v and not isinstance(conv, msgspec.Raw):
        try:
            # As text: `-1 == -1.0` in Python, not in the body.
            a, b = (json.dumps(normalise_sets(msgspec.json.encode(x)), sort_keys=True) for x in (conv, v))
            if a == b:
                return v
        except (TypeError, ValueError):
            pass
    return conv


def int_value(x: Any) -> int | None:
    """`to_builtins`' hook: an int subclass that conforms is its int; any
    other value it cannot encode is under a TypedDict key that conversion
    drops."""
    return int(x) if isinstance(x, int) else None


def declared(v: Any, ty: Any) -> Any:
    """A returned value that `conforms` as `msgspec.convert` makes it of
    the declared type, at every depth (convert itself passes a Struct or
    dataclass instance through as it is): `3` for `float` is `3.0`, an int
    subclass for `int` its int, a TypedDict loses the keys it does not
    declare. Its JSON is what the server must answer."""
    if ty is Any or ty in (str, bytes):
        return v
    if has_unset(v):
        # An UNSET field (or one missing from a dataclass instance) is left
        # out of the JSON, as msgspec encodes the instance: no conversion
        # says it. (An int subclass in it is still its int.)
        try:
            return msgspec.Raw(msgspec.json.encode(v, enc_hook=int_value))
        except (TypeError, ValueError):
            return v
    plain = msgspec.to_builtins(v, builtin_types=NATIVE, str_keys=False, enc_hook=int_value)
    return msgspec.convert(plain, ty)


def has_unset(v: Any, depth: int = 0) -> bool:
    if v is msgspec.UNSET:
        return True
    if depth > 400:
        return False
    if isinstance(v, msgspec.Struct):
        return any(has_unset(getattr(v, f, None), depth + 1) for f in v.__struct_fields__)
    if dataclasses.is_dataclass(v) and not isinstance(v, type):
        # A field missing from the instance is left out too.
        d = vars(v)
        if any(f.name not in d for f in dataclasses.fields(v)):
            return True
        return any(has_unset(x, depth + 1) for x in d.values())
    if isinstance(v, dict):
        return any(has_unset(x, depth + 1) for x in v.values())
    if isinstance(v, (list, tuple, set, frozenset)):
        return any(has_unset(x, depth + 1) for x in v)
    return False


def encodable_str(s: str) -> bool:
    try:
        s.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


def conforms(v: Any, t: Any) -> bool:
    """Whether `v` fits type `t` (a `msgspec.inspect` type), the rule every
    generated encoder applies before it writes a byte (see
    runtime/src/docs/codegen-contract.md §5)."""
    t = unwrap(t)
    if isinstance(t, mi.AnyType):
        try:
            msgspec.json.encode(v)
            return True
        except Exception:
            return False
    if isinstance(t, mi.NoneType):
        return v is None
    if isinstance(t, mi.RawType):
        return type(v) is msgspec.Raw
    if isinstance(t, mi.BoolType):
        return type(v) is bool
    if isinstance(t, (mi.IntType, mi.FloatType, mi.StrType)):
        # `msgspec.convert(IntEnum.X, int)` is the int and msgspec encodes
        # the member as its value: an int or str enum member counts as its value.
        base = str if isinstance(t, mi.StrType) else int
        if isinstance(v, enum.Enum) and isinstance(v, base) and type(v.value) is base:
            v = v.value
    if isinstance(t, (mi.IntType, mi.FloatType)) and isinstance(v, int) and type(v) is not bool:
        # `msgspec.convert` takes any int subclass for `int` and `float` as its value.
        v = int(v)
    if isinstance(t, mi.IntType):
        if type(v) is not int:
            return False
        return int_ok(v, t)
    if isinstance(t, mi.FloatType) and type(v) is decimal.Decimal:
        v = float(v)  # as `msgspec.convert(v, float)` does
    if isinstance(t, mi.FloatType):
        if type(v) not in (float, int):
            return False
        try:
            x = float(v)
        except OverflowError:
            return False
        return float_ok(x, t)
    if isinstance(t, mi.StrType):
        if type(v) is not str or not encodable_str(v):
            return False
        return len_ok(len(v), t) and (t.pattern is None or re.search(t.pattern, v) is not None)
    if isinstance(t, (mi.BytesType, mi.ByteArrayType, mi.MemoryViewType)):
        return type(v) in (bytes, bytearray, memoryview) and len_ok(len(v), t)
    if isinstance(t, mi.DateTimeType):
        return type(v) is datetime.datetime and tz_ok(v, t.tz)
    if isinstance(t, mi.DateType):
        return type(v) is datetime.date
    if isinstance(t, mi.TimeType):
        return type(v) is datetime.time and tz_ok(v, t.tz)
    if isinstance(t, mi.TimeDeltaType):
        return type(v) is datetime.timedelta
    if isinstance(t, mi.UUIDType):
        return type(v) is uuid.UUID
    if isinstance(t, mi.DecimalType):
        # `msgspec.convert` makes a Decimal of an int (or subclass) or a float.
        return type(v) in (decimal.Decimal, float) or (isinstance(v, int) and type(v) is not bool)
    if isinstance(t, mi.EnumType):
        return type(v) is t.cls
    if isinstance(t, mi.LiteralType) and isinstance(v, enum.Enum):
        # As for int and str above: an int or str mixin member is its value.
        base = type(v.value)
        if base in (int, str) and isinstance(v, base):
            v = v.value
    if isinstance(t, mi.LiteralType) and isinstance(v, int) and type(v) is not bool:
        v = int(v)
    if isinstance(t, mi.LiteralType):
        return any((v is None) if lit is None else (type(v) is type(lit) and v == lit) for lit in t.values)
    if isinstance(t, mi.UnionType):
        return any(conforms(v, m) for m in t.types)
    if isinstance(t, (mi.ListType, mi.VarTupleType)):
        # `msgspec.convert` takes a set for a list (encoded in iteration
        # order), and any tuple (a NamedTuple too).
        return (
            (type(v) in (list, set, frozenset) or isinstance(v, tuple))
            and len_ok(len(v), t)
            and all(conforms(x, t.item_type) for x in v)
        )
    if isinstance(t, mi.TupleType):
        return (
            (type(v) is list or isinstance(v, tuple))
            and len(v) == len(t.item_types)
            and all(conforms(x, it) for x, it in zip(v, t.item_types))
        )
    if isinstance(t, (mi.SetType, mi.FrozenSetType)):
        return type(v) in (set, frozenset) and len_ok(len(v), t) and all(conforms(x, t.item_type) for x in v)
    if isinstance(t, mi.DictType):
        return (
            isinstance(v, dict)
            and len_ok(len(v), t)
            and all(key_ok(k, t.key_type) and conforms(x, t.value_type) for k, x in v.items())
        )
    if isinstance(t, mi.StructType):
        if type(v) is not (typing.get_origin(t.cls) or t.cls):
            return False
        for f in t.fields:
            try:
                x = getattr(v, f.name)
            except AttributeError:
                return False
            # msgspec leaves out an UNSET field, except in an array-like Struct.
            if x is msgspec.UNSET and not t.array_like:
                continue
            if not conforms(x, f.type):
                return False
        return True
    if isinstance(t, mi.NamedTupleType):
        # The class itself, its items checked against the fields; any other
        # tuple or a list converts: the required items at least, the
        # defaults filling the rest.
        if type(v) is (typing.get_origin(t.cls) or t.cls):
            return all(conforms(x, f.type) for x, f in zip(v, t.fields))
        required = sum(f.required for f in t.fields)
        return (
            (type(v) is list or isinstance(v, tuple))
            and required <= len(v) <= len(t.fields)
            and all(conforms(x, f.type) for x, f in zip(v, t.fields))
        )
    if isinstance(t, mi.DataclassType):
        if type(v) is not (typing.get_origin(t.cls) or t.cls):
            return False
        d = vars(v)
        for f in t.fields:
            if f.name not in d:
                if f.required:
                    return False
                continue
            if d[f.name] is msgspec.UNSET:
                continue
            if not conforms(d[f.name], f.type):
                return False
        return True
    if isinstance(t, mi.TypedDictType):
        if not isinstance(v, dict):
            return False
        fields = {f.encode_name: f for f in t.fields}
        for k, x in v.items():
            if type(k) is not str:
                return False
            if k in fields:
                if not conforms(x, fields[k].type):
                    return False
            # A key it does not declare `msgspec.convert` drops, whatever
            # its value: it is not written.
        return all(f.encode_name in v for f in t.fields if f.required)
    raise TypeError(f"conforms: {t!r}")


def key_ok(k: Any, t: Any) -> bool:
    t = unwrap(t)
    if isinstance(t, (mi.StrType, mi.IntType, mi.EnumType, mi.LiteralType, mi.UUIDType, mi.FloatType)):
        return conforms(k, t)
    if isinstance(t, (mi.DateTimeType, mi.DateType, mi.DecimalType)):
        return conforms(k, t)
    return False


def len_ok(n: int, t: Any) -> bool:
    lo = getattr(t, "min_length", None)
    hi = getattr(t, "max_length", None)
    return (lo is None or n >= lo) and (hi is None or n <= hi)


def tz_ok(v: Any, tz: bool | None) -> bool:
    if tz is None:
        return True
    return (v.tzinfo is not None) == tz


def int_ok(v: int, t: mi.IntType) -> bool:
    if t.ge is not None and v < t.ge:
        return False
    if t.gt is not None and v <= t.gt:
        return False
    if t.le is not None and v > t.le:
        return False
    if t.lt is not None and v >= t.lt:
        return False
    if t.multiple_of is not None and v % t.multiple_of != 0:
        return False
    return True


def float_ok(x: float, t: mi.FloatType) -> bool:
    if t.ge is not None and not x >= t.ge:
        return False
    if t.gt is not None and not x > t.gt:
        return False
    if t.le is not None and not x <= t.le:
        return False
    if t.lt is not None and not x < t.lt:
        return False
    if t.multiple_of is not None:
        if not math.isfinite(x):
            return False
        if not (x == 0 or math.fmod(x, t.multiple_of) == 0.0):
            return False
    return True


def normalise_sets(data: bytes) -> Any:
    """A response with sets, for comparing when the two processes' hash
    seeds differ: every array sorted by its items' JSON text."""

    def norm(v: Any) -> Any:
        if isinstance(v, list):
            items = [norm(x) for x in v]
            return sorted(items, key=lambda x: json.dumps(x, sort_keys=True))
        if isinstance(v, dict):
            return {k: norm(x) for k, x in v.items()}
        return v

    return norm(json.loads(data))


if __name__ == "__main__":
    # Print a few cases: `python tests/differential/gen.py SEED N`.
    seed = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    app = load_app()
    for c in CaseGen(app, seed).cases(n):
        e = expect(app, c)
        print(c.describe()[:300], "->", e.status, e.body[:200])

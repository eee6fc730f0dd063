"""`prebake.encoders.jsonable_encoder` gives what FastAPI's gives.

The same values (dataclasses, dicts, lists, enums, datetimes, decimals,
UUIDs, bytes) and keywords go through both; msgspec Structs, which FastAPI
does not know, are checked against the dataclass of the same fields.
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import uuid
from typing import Any

import msgspec
import pytest
from prebake import jsonable_encoder as top_level
from prebake.encoders import jsonable_encoder

fastapi_encoders = pytest.importorskip("fastapi.encoders")


class Color(enum.Enum):
    RED = "red"
    ONE = 1


@dataclasses.dataclass
class Inner:
    when: datetime.datetime
    price: decimal.Decimal
    note: str | None = None


@dataclasses.dataclass
class Outer:
    name: str
    inner: Inner
    color: Color
    tags: list[str] = dataclasses.field(default_factory=list)
    extra: str | None = None
    count: int = 0


class InnerS(msgspec.Struct):
    when: datetime.datetime
    price: decimal.Decimal
    note: str | None = None


class OuterS(msgspec.Struct):
    name: str
    inner: InnerS
    color: Color
    tags: list[str] = []
    extra: str | None = None
    count: int = 0


UTC = datetime.timezone.utc
VALUES: list[Any] = [
    Outer("a", Inner(datetime.datetime(2024, 5, 1, 12, tzinfo=UTC), decimal.Decimal("1.50")),
          Color.RED, ["x"]),
    {"a": [1, 2.5, None, True], "b": {"c": Color.ONE, "d": None}},
    [datetime.date(2024, 1, 2), datetime.time(3, 4, 5), datetime.timedelta(minutes=2)],
    {"id": uuid.UUID(int=7), "n": decimal.Decimal("10"), "raw": b"bytes"},
    ({1, 2}, frozenset({"z"}), (3, 4)),
    {"count": 0, "extra": None, "name": "b"},
]
KEYWORDS: list[dict[str, Any]] = [
    {},
    {"exclude_none": True},
    {"include": {"name", "inner"}},
    {"exclude": {"inner", "extra"}},
    {"custom_encoder": {datetime.datetime: lambda d: d.strftime("%Y")}},
]


@pytest.mark.parametrize("keywords", KEYWORDS)
@pytest.mark.parametrize("value", VALUES)
def test_same_as_fastapi(value: Any, keywords: dict[str, Any]) -> None:
    want = fastapi_encoders.jsonable_encoder(value, **keywords)
    got = jsonable_encoder(value, **keywords)
    if isinstance(want, list) and isinstance(value, tuple):
        # Sets have no order: compare their items' sets.
        got = [sorted(x, key=repr) if isinstance(x, list) else x for x in got]
        want = [sorted(x, key=repr) if isinstance(x, list) else x for x in want]
    assert got == want


def test_a_struct_encodes_as_the_dataclass_of_its_fields() -> None:
    when = datetime.datetime(2024, 5, 1, 12, tzinfo=UTC)
    s = OuterS("a", InnerS(when, decimal.Decimal("2.5")), Color.RED)
    d = Outer("a", Inner(when, decimal.Decimal("2.5")), Color.RED)
    for keywords in KEYWORDS:
        assert jsonable_encoder(s, **keywords) == fastapi_encoders.jsonable_encoder(d, **keywords)


def test_exclude_defaults_and_aliases() -> None:
    class Renamed(msgspec.Struct, rename="camel"):
        first_name: str
        last_name: str = "x"
        age: int | msgspec.UnsetType = msgspec.UNSET

    r = Renamed("Ada")
    assert jsonable_encoder(r) == {"firstName": "Ada", "lastName": "x"}
    assert jsonable_encoder(r, by_alias=False) == {"first_name": "Ada", "last_name": "x"}
    assert jsonable_encoder(r, exclude_defaults=True) == {"firstName": "Ada"}
    assert jsonable_encoder(Renamed("Ada", age=3), exclude_unset=True)["age"] == 3
    assert top_level is jsonable_encoder

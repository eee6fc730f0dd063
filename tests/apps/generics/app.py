"""Generic models, NamedTuples and the per-route JSON depth guard, as the
process tests in `tests/generics.rs` drive them.

Generic Structs and dataclasses are used with type arguments in bodies and
return types (`Page[Item]`, `Page[list[Item]]`, two type variables, a
recursive generic, generic bases); the depth routes pair a body type whose
nesting is bounded (no pre-scan: msgspec answers) with a recursive one and
an `Any` one (pre-scanned against `--max-json-depth`). The NamedTuple routes
return what `msgspec.convert` turns into one: the class's instance, a plain
tuple or list of its length (defaults filling the rest), another NamedTuple.
"""

import collections
import dataclasses
from typing import Annotated, Any, Generic, NamedTuple, Optional, TypeVar

import msgspec

from prebake import App, Body

T = TypeVar("T")
U = TypeVar("U")

app = App(title="generics")


class Item(msgspec.Struct):
    name: str
    price: float


class Page(msgspec.Struct, Generic[T]):
    items: list[T]
    total: int = 0


class Pair(msgspec.Struct, Generic[T, U], rename="camel"):
    first_one: T
    second_one: U


class Tree(msgspec.Struct, Generic[T]):
    value: T
    children: list["Tree[T]"] = []


class IntPage(Page[int]):
    extra: str = ""


class ExtPage(Page[T]):
    more: Optional[T] = None


@dataclasses.dataclass
class Box(Generic[T]):
    value: T


class Outline(msgspec.Struct, forbid_unknown_fields=True):
    """Recursive: nothing bounds how deep a body of it nests."""

    title: str
    parts: list["Outline"] = []


class Strict(msgspec.Struct, forbid_unknown_fields=True):
    """Bounded: two levels at most."""

    tags: list[str] = []


@app.post("/page")
def page(body: Page[Item]) -> Page[Item]:
    return body


@app.post("/nested")
def nested(body: Page[list[Item]]) -> Page[list[Item]]:
    return body


@app.post("/pair")
def pair(body: Pair[int, str]) -> Pair[str, int]:
    return Pair(first_one=body.second_one, second_one=body.first_one)


@app.post("/tree")
def tree(body: Tree[int]) -> Tree[int]:
    return body


@app.post("/int-page")
def int_page(body: IntPage) -> ExtPage[int]:
    return ExtPage(items=body.items, more=len(body.items))


@app.post("/box")
def box(body: Box[list[int]]) -> Box[list[int]]:
    return body


@app.get("/wrong")
def wrong() -> Page[int]:
    return Page(items=["not an int"])  # type: ignore[list-item]


@app.post("/depth/int")
def depth_int(n: Annotated[int, Body()]) -> int:
    return n


@app.post("/depth/strict")
def depth_strict(body: Strict) -> int:
    return len(body.tags)


@app.post("/depth/outline")
def depth_outline(body: Outline) -> int:
    return len(body.parts)


@app.post("/depth/any")
def depth_any(body: dict[str, Any]) -> int:
    return len(body)


class Point(NamedTuple):
    x: int
    y: float = 0.5


class Other(NamedTuple):
    a: int
    b: float


class Labelled(NamedTuple, Generic[T]):
    label: str
    value: T


Legacy = collections.namedtuple("Legacy", ["a", "b"], defaults=["b"])


class Shape(msgspec.Struct):
    corner: Point
    path: list[Point] = []


@app.post("/point")
def point(body: Point) -> Point:
    return body


@app.get("/point/{how}")
def point_as(how: str) -> Point:
    made: dict[str, Any] = {
        "tuple": (3,),
        "list": [3, 1.5],
        "other": Other(4, 2.5),
        "long": (1, 2.0, 3),
        "dict": {"x": 1},
        "wrong": Point("x"),  # type: ignore[arg-type]
    }
    return made[how]  # type: ignore[no-any-return]


@app.post("/labelled")
def labelled(body: Labelled[int]) -> Labelled[int]:
    return body


@app.post("/legacy")
def legacy(body: Legacy) -> Legacy:
    return body


@app.post("/shape")
def shape(body: Shape) -> Shape:
    return body

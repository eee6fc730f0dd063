"""Models of the differential-test app: every Struct option, dataclasses,
NamedTuples, TypedDicts, enums and recursive models, as docs/semantics.md
lists them.

`tests/differential/` decodes and encodes the same classes with msgspec in
its own process and compares the answers with the compiled server's.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime
import decimal
import enum
import uuid
from typing import Annotated, Generic, Literal, NamedTuple, NotRequired, Optional, Required, TypedDict, TypeVar, Union

import msgspec


class Color(enum.Enum):
    """A colour (the docstring is the schema's description)."""

    RED = "red"
    GREEN = "green"
    BLUE = "blue"


class Priority(enum.IntEnum):
    LOW = 1
    NORMAL = 2
    HIGH = 3
    HUGE = 10000


class Status(enum.StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"
    QUOTED = "it's \"q\""


class Level(enum.Enum):
    ONE = 1
    MINUS = -7
    BIG = 1099511627776


class User(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    age: Annotated[int, msgspec.Meta(ge=0, le=150)]
    email: str | None = None


class Item(msgspec.Struct):
    """An item for sale.

    Kept as Python keeps it: indented lines and "quotes" too.
    """

    name: Annotated[str, msgspec.Meta(title="Name", description="What it is called")]
    price: Annotated[float, msgspec.Meta(examples=[1.5, 20], extra_json_schema={"x-unit": "EUR", "type": "ignored"})]
    qty: int = 1
    tags: list[str] = msgspec.field(default_factory=list)


class Customer(msgspec.Struct):
    id: int
    email: str


class Order(msgspec.Struct):
    id: int
    customer: Customer
    items: list[Item]
    note: str | None = None


class WithDefaults(msgspec.Struct):
    name: str = "anon"
    count: int = 0
    ratio: float = 1.5
    labels: list[str] = msgspec.field(default_factory=list)
    extra: dict[str, int] = msgspec.field(default_factory=dict)
    maybe: int | None = None
    color: Color = Color.RED


class CamelUser(msgspec.Struct, rename="camel"):
    user_id: int
    display_name: str
    is_active: bool = True
    last_login_at: datetime.datetime | None = None


class PascalThing(msgspec.Struct, rename="pascal"):
    field_one: int
    field_two: str = "x"


class KebabThing(msgspec.Struct, rename="kebab"):
    some_value: int
    other_value_here: list[int] = msgspec.field(default_factory=list)


class UpperThing(msgspec.Struct, rename="upper"):
    abc: int
    de_f: str = ""


class LowerThing(msgspec.Struct, rename="lower"):
    ABC: int
    DeF: str = ""


class MappedThing(msgspec.Struct, rename={"a": "alpha", "b": "beta-key"}):
    a: int
    b: str
    c: bool = False


class RenamedFields(msgspec.Struct):
    type_: str = msgspec.field(name="type")
    from_: int = msgspec.field(name="from")
    request_id: str | None = msgspec.field(default=None, name="X-Request-Id")
    weird: int = msgspec.field(default=0, name="a.b[0]")


class OmitDefaults(msgspec.Struct, omit_defaults=True):
    id: int
    note: str | None = None
    count: int = 0
    big: int = 1000
    ratio: float = 0.0
    flags: list[str] = msgspec.field(default_factory=list)
    mapping: dict[str, int] = msgspec.field(default_factory=dict)
    members: set[int] = msgspec.field(default_factory=set)
    enabled: bool = False
    label: str = ""
    text: str = "hello"
    color: Color = Color.GREEN
    mode: Literal["a", "b"] = "a"


class Base(msgspec.Struct):
    a: int
    b: str = "b"


class Derived(Base, forbid_unknown_fields=True):
    c: float = 0.5
    d: list[int] = msgspec.field(default_factory=list)


class Cat(msgspec.Struct, tag=True):
    name: str
    lives: int = 9


class Dog(msgspec.Struct, tag=True):
    name: str
    good: bool = True


class CreateEvent(msgspec.Struct, tag="create", tag_field="op"):
    id: int
    payload: dict[str, str] = msgspec.field(default_factory=dict)


class DeleteEvent(msgspec.Struct, tag="delete", tag_field="op"):
    id: int


class V1(msgspec.Struct, tag=1, tag_field="version"):
    data: str


class V2(msgspec.Struct, tag=2, tag_field="version"):
    data: list[str]
    extra: int = 0


class Point3(msgspec.Struct, array_like=True):
    x: float
    y: float
    z: float = 0.0


class StrictPair(msgspec.Struct, array_like=True, forbid_unknown_fields=True):
    a: int
    b: str | None = None


class TaggedRow(msgspec.Struct, array_like=True, tag="row"):
    n: int
    s: str = ""


class TaggedCol(msgspec.Struct, array_like=True, tag="col"):
    n: int


class KwOnly(msgspec.Struct, kw_only=True):
    limit: int = 10
    cursor: str


class FrozenPoint(msgspec.Struct, frozen=True):
    x: int
    y: int


class TreeNode(msgspec.Struct):
    value: int
    children: list[TreeNode] = msgspec.field(default_factory=list)


class LinkedNode(msgspec.Struct, omit_defaults=True):
    value: str
    next: LinkedNode | None = None


class Constrained(msgspec.Struct):
    small: Annotated[Annotated[int, msgspec.Meta(gt=-5, lt=5, title="Small")], msgspec.Meta(description="Outer")] = 0
    mult: Annotated[int, msgspec.Meta(multiple_of=3)] = 0
    ratio: Annotated[float, msgspec.Meta(ge=0.0, le=1.0)] = 0.5
    pos: Annotated[float, msgspec.Meta(gt=0.0)] = 1.0
    quarter: Annotated[float, msgspec.Meta(multiple_of=0.25)] = 0.0
    code: Annotated[str, msgspec.Meta(pattern="^[A-Z]{2}[0-9]*$")] = "AB"
    short: Annotated[str, msgspec.Meta(min_length=1, max_length=3)] = "x"
    few: Annotated[list[int], msgspec.Meta(max_length=3)] = msgspec.field(default_factory=list)
    some: Annotated[dict[str, int], msgspec.Meta(min_length=1)] = msgspec.field(default_factory=lambda: {"k": 1})
    blob: Annotated[bytes, msgspec.Meta(max_length=4)] = b""
    when: Annotated[datetime.datetime, msgspec.Meta(tz=True)] | None = None


class Scalars(msgspec.Struct):
    b: bytes = b""
    dt: datetime.datetime | None = None
    d: datetime.date | None = None
    t: datetime.time | None = None
    td: datetime.timedelta | None = None
    u: uuid.UUID | None = None
    dec: decimal.Decimal | None = None
    p: Priority = Priority.LOW
    s: Status = Status.ACTIVE
    lv: Level = Level.ONE


class Keyed(msgspec.Struct):
    by_int: dict[int, str] = msgspec.field(default_factory=dict)
    by_color: dict[Color, int] = msgspec.field(default_factory=dict)
    by_prio: dict[Priority, str] = msgspec.field(default_factory=dict)
    by_uuid: dict[uuid.UUID, int] = msgspec.field(default_factory=dict)


@dataclasses.dataclass
class DataclassUser:
    '''A user as a dataclass.'''

    id: int
    name: str
    email: str | None = None
    roles: list[str] = dataclasses.field(default_factory=list)


@dataclasses.dataclass(frozen=True)
class FrozenDC:
    x: int
    tags: tuple[str, ...] = ()


@dataclasses.dataclass
class NestedDC:
    user: DataclassUser
    points: list[FrozenPoint]
    level: Level | None = None


class Movie(TypedDict):
    title: str
    year: int


class PartialMovie(TypedDict, total=False):
    title: str
    year: int
    rating: Annotated[float, msgspec.Meta(ge=0, le=10)]


class MixedMovie(TypedDict):
    title: str
    year: NotRequired[int]
    tags: NotRequired[list[str]]


class MixedPartial(TypedDict, total=False):
    title: Required[str]
    year: int


class PostInit(msgspec.Struct):
    a: int
    b: str = ""

    def __post_init__(self) -> None:
        if self.a < 0:
            raise ValueError("a must be >= 0")
        if self.b == "boom":
            raise TypeError(f"b must not be {self.b!r}")


class Everything(msgspec.Struct, omit_defaults=True):
    user: User | None = None
    pet: Cat | Dog | None = None
    movie: Movie | None = None
    point: Point3 | None = None
    dc: DataclassUser | None = None
    tree: TreeNode | None = None
    any_value: object = None
    mixed: int | str | list[int] | None = None


# Generic models: used with type arguments (`Page[Item]`), bare (type
# variables read as their bound or `Any`), and as generic bases.
T = TypeVar("T")
U = TypeVar("U")
N = TypeVar("N", bound=int)


class Page(msgspec.Struct, Generic[T]):
    items: list[T]
    total: int = 0
    next_cursor: str | None = None


class Pair(msgspec.Struct, Generic[T, U], rename="camel", omit_defaults=True):
    first_value: T
    second_value: U | None = None


class GenericTree(msgspec.Struct, Generic[T]):
    value: T
    children: list[GenericTree[T]] = msgspec.field(default_factory=list)


class Counted(msgspec.Struct, Generic[N], forbid_unknown_fields=True):
    n: N
    label: str = ""


class IntPage(Page[int]):
    extra: str = ""


class ExtPage(Page[T]):
    more: T | None = None


class TaggedBox(msgspec.Struct, Generic[T], tag=True):
    value: T


class ArrPair(msgspec.Struct, Generic[T, U], array_like=True):
    a: T
    b: U


@dataclasses.dataclass
class DCBox(Generic[T]):
    value: T
    note: str = ""


# NamedTuples: JSON arrays, trailing fields with defaults optional.
class Point2(NamedTuple):
    x: int
    y: float = 0.0


class Row(NamedTuple):
    """One row of a table."""

    id: int
    name: Annotated[str, msgspec.Meta(max_length=5)]
    tags: list[str] = []
    color: Color | None = None


class NoFields(NamedTuple):
    pass


class Placed(msgspec.Struct):
    at: Point2
    rows: list[Row] = msgspec.field(default_factory=list)
    corner: Point2 | None = None


class GPair(NamedTuple, Generic[T, U]):
    a: T
    b: U | None = None


# NamedTuples made by a call: `collections.namedtuple`'s fields are `Any`.
Legacy = collections.namedtuple("Legacy", ["a", "b"], defaults=[None])
Coord = NamedTuple("Coord", [("lat", float), ("lon", float)])

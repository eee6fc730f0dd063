"""The parameter models of the params app: msgspec Structs, a dataclass
and a TypedDict. `pydantic_twin/models.py` is their pydantic twin, for the
FastAPI side of tests/python/test_param_models.py."""

import enum
from dataclasses import dataclass
from typing import Annotated, Literal, NotRequired, TypedDict

import msgspec


class Kind(enum.Enum):
    ALL = "all"
    BOOK = "book"
    MUSIC = "music"


class FilterParams(msgspec.Struct, forbid_unknown_fields=True):
    limit: Annotated[int, msgspec.Meta(gt=0, le=100)] = 100
    offset: Annotated[int, msgspec.Meta(ge=0)] = 0
    order_by: Literal["created_at", "updated_at"] = "created_at"
    tags: list[str] = []


class Paging(msgspec.Struct, rename="camel"):
    """Paging through a listing."""

    page_size: Annotated[int, msgspec.Meta(ge=1, le=50, description="Items per page")] = 10
    page: int = 1
    ids: list[int] = []


@dataclass
class Search:
    q: Annotated[str, msgspec.Meta(min_length=1)]
    kind: Kind = Kind.ALL
    exact: bool = False
    score: float | None = None


class Range(TypedDict):
    lo: int
    hi: NotRequired[int]


class CommonHeaders(msgspec.Struct):
    host: str
    save_data: bool
    if_modified_since: str | None = None
    traceparent: str | None = None
    x_tag: list[str] = []


class StrictHeaders(msgspec.Struct, forbid_unknown_fields=True):
    host: str
    save_data: bool = False
    x_tag: list[str] = []


class RawHeaders(msgspec.Struct):
    x_token: str
    user_agent: str | None = None


class Auth(msgspec.Struct):
    x_token: str
    x_request_id: str | None = msgspec.field(default=None, name="X-Request-ID")


class Cookies(msgspec.Struct, forbid_unknown_fields=True):
    session_id: str
    fatebook_tracker: str | None = None
    googall_tracker: str | None = None


class Prefs(msgspec.Struct):
    theme: Literal["light", "dark"] = "light"
    lang: str = "en"
    visits: int = 0

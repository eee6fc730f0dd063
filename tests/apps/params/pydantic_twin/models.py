"""The pydantic twins of `../models.py`: FastAPI reads parameter models
only from pydantic models, so tests/python/test_param_models.py puts this
folder first on FastAPI's `sys.path` and the same `app.py` runs there.
Each class means what its msgspec namesake means (msgspec's
`forbid_unknown_fields=True` is pydantic's `extra="forbid"`, `rename=`
and `field(name=)` are aliases)."""

import enum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel


class Kind(enum.Enum):
    ALL = "all"
    BOOK = "book"
    MUSIC = "music"


class FilterParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit: int = Field(100, gt=0, le=100)
    offset: int = Field(0, ge=0)
    order_by: Literal["created_at", "updated_at"] = "created_at"
    tags: list[str] = []


class Paging(BaseModel):
    """Paging through a listing."""

    model_config = ConfigDict(alias_generator=to_camel)

    page_size: int = Field(10, ge=1, le=50, description="Items per page")
    page: int = 1
    ids: list[int] = []


class Search(BaseModel):
    q: str = Field(min_length=1)
    kind: Kind = Kind.ALL
    exact: bool = False
    score: float | None = None


class Range(BaseModel):
    """A TypedDict in prebake: read like a dict by the handler."""

    lo: int
    hi: int | None = None

    def __getitem__(self, key: str) -> int:
        return getattr(self, key)

    def get(self, key: str, default: int) -> int:
        value = getattr(self, key)
        return default if value is None else value


class CommonHeaders(BaseModel):
    host: str
    save_data: bool
    if_modified_since: str | None = None
    traceparent: str | None = None
    x_tag: list[str] = []


class StrictHeaders(BaseModel):
    model_config = ConfigDict(extra="forbid")

    host: str
    save_data: bool = False
    x_tag: list[str] = []


class RawHeaders(BaseModel):
    x_token: str
    user_agent: str | None = None


class Auth(BaseModel):
    x_token: str
    x_request_id: str | None = Field(None, alias="X-Request-ID")


class Cookies(BaseModel):
    model_config = ConfigDict(extra="forbid")

    session_id: str
    fatebook_tracker: str | None = None
    googall_tracker: str | None = None


class Prefs(BaseModel):
    theme: Literal["light", "dark"] = "light"
    lang: str = "en"
    visits: int = 0

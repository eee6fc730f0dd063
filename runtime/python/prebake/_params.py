"""Parameter markers: `Path`, `Query`, `Header`, `Cookie`, `Body`, `Form` and `File`.

A marker goes in the metadata of `typing.Annotated` and says where a handler
parameter comes from, under which wire name, and which constraints it must
satisfy::

    limit: Annotated[int, Query(ge=1, le=100)] = 10

The constraints mirror `msgspec.Meta` and mean exactly what they mean there.
As in FastAPI, a marker may also be the parameter's default
(``q: str | None = Query(default=None, max_length=50)``): then its first
positional argument, or `default=`, is the real default, and ``...`` (or
none) means required.
The compiler reads markers from the source; at run time they are inert values
that only validate their own arguments.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, ClassVar

__all__ = ["Body", "Cookie", "File", "Form", "Header", "Param", "Path", "Query"]

# Constraint names, in the order `msgspec.Meta` documents them.
_NUMERIC = ("gt", "ge", "lt", "le", "multiple_of")
_LENGTH = ("min_length", "max_length")
_DOCS = ("title", "description", "examples", "deprecated")
_FIELDS = ("alias", *_NUMERIC, "pattern", *_LENGTH, *_DOCS)
# FastAPI's documentation-only keywords: accepted (so ported code imports)
# and kept out of the constraints.
_SCHEMA_ONLY = frozenset(
    {"include_in_schema", "openapi_examples", "example", "json_schema_extra", "regex", "embed"}
)


class Param:
    """Common base of the parameter markers; not used directly.

    Markers are immutable, compare by value and hash, so they can be shared
    between handlers and used as dictionary keys.
    """

    __slots__ = (*_FIELDS, "default")

    #: The request part the marker binds; also the `source` of validation errors.
    source: ClassVar[str] = ""

    alias: str | None
    gt: int | float | None
    ge: int | float | None
    lt: int | float | None
    le: int | float | None
    multiple_of: int | float | None
    pattern: str | None
    min_length: int | None
    max_length: int | None
    title: str | None
    description: str | None
    examples: tuple[Any, ...] | None
    deprecated: bool
    #: The default when the marker is the parameter's default (FastAPI's
    #: ``q: str = Query("x")``); ``...`` for none.
    default: Any

    def __init__(
        self,
        default: Any = ...,
        *,
        alias: str | None = None,
        gt: int | float | None = None,
        ge: int | float | None = None,
        lt: int | float | None = None,
        le: int | float | None = None,
        multiple_of: int | float | None = None,
        pattern: str | None = None,
        min_length: int | None = None,
        max_length: int | None = None,
        title: str | None = None,
        description: str | None = None,
        examples: Sequence[Any] | None = None,
        deprecated: bool = False,
        **schema: Any,
    ) -> None:
        if type(self) is Param:
            raise TypeError("Param is abstract: use Path, Query, Header, Cookie, Body, Form or File")
        name = type(self).__name__
        for key in schema:
            if key not in _SCHEMA_ONLY:
                raise TypeError(f"{name}() got an unexpected keyword argument {key!r}")
        if pattern is None and isinstance(schema.get("regex"), str):
            pattern = schema["regex"]
        if alias is not None:
            _check_type(name, "alias", alias, str)
            if not alias:
                raise ValueError(f"{name}(alias=...) must not be empty")
        for field, value in zip(_NUMERIC, (gt, ge, lt, le, multiple_of)):
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, (int, float))
            ):
                raise TypeError(f"{name}({field}=...) must be an int or a float, got {value!r}")
        if multiple_of is not None and multiple_of <= 0:
            raise ValueError(f"{name}(multiple_of=...) must be positive, got {multiple_of!r}")
        if pattern is not None:
            _check_type(name, "pattern", pattern, str)
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"{name}(pattern=...) is not a valid regex: {exc}") from None
        for field, length in zip(_LENGTH, (min_length, max_length)):
            if length is None:
                continue
            if isinstance(length, bool) or not isinstance(length, int):
                raise TypeError(f"{name}({field}=...) must be an int, got {length!r}")
            if length < 0:
                raise ValueError(f"{name}({field}=...) must be >= 0, got {length!r}")
        if title is not None:
            _check_type(name, "title", title, str)
        if description is not None:
            _check_type(name, "description", description, str)
        if isinstance(examples, (str, bytes)):
            raise TypeError(f"{name}(examples=...) must be a sequence of examples, not a string")
        _check_type(name, "deprecated", deprecated, bool)

        values = (
            alias,
            gt,
            ge,
            lt,
            le,
            multiple_of,
            pattern,
            min_length,
            max_length,
            title,
            description,
            None if examples is None else tuple(examples),
            deprecated,
        )
        for field, stored in zip(_FIELDS, values):
            object.__setattr__(self, field, stored)
        object.__setattr__(self, "default", default)

    @property
    def constraints(self) -> dict[str, Any]:
        """The constraints that are set, as `msgspec.Meta` keyword arguments."""
        return {
            field: value
            for field in (*_NUMERIC, "pattern", *_LENGTH)
            if (value := getattr(self, field)) is not None
        }

    def to_meta(self) -> Any:
        """Return the equivalent `msgspec.Meta` (imports msgspec lazily).

        Useful to validate a value the same way the compiled binary does::

            msgspec.convert(raw, Annotated[int, marker.to_meta()], strict=False)
        """
        import msgspec

        return msgspec.Meta(
            **self.constraints,
            title=self.title,
            description=self.description,
            examples=None if self.examples is None else list(self.examples),
        )

    def _items(self) -> tuple[Any, ...]:
        return (*(getattr(self, field) for field in _FIELDS), self.default)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, Param)
        return self._items() == other._items()

    def __hash__(self) -> int:
        return hash((type(self), self._items()))

    def __repr__(self) -> str:
        parts = [] if self.default is ... else [repr(self.default)]
        for field in _FIELDS:
            value = getattr(self, field)
            if value is not None and value is not False:
                parts.append(f"{field}={value!r}")
        return f"{type(self).__name__}({', '.join(parts)})"

    def __reduce__(self) -> tuple[Any, ...]:
        kwargs = {f: getattr(self, f) for f in _FIELDS}
        return (_rebuild, (type(self), self.default, kwargs))


def _rebuild(cls: type[Param], default: Any, kwargs: dict[str, Any]) -> Param:
    return cls(default, **kwargs)


def _check_type(marker: str, field: str, value: object, expected: type) -> None:
    if not isinstance(value, expected):
        raise TypeError(
            f"{marker}({field}=...) must be a {expected.__name__}, got {type(value).__name__}"
        )


class Path(Param):
    """Bind a parameter to its `{placeholder}` of the route's path, with
    constraints (``item_id: Annotated[int, Path(ge=1)]``).

    A parameter named after a placeholder is a path parameter without the
    marker; `Path` adds constraints and documentation. A path parameter is
    always required.
    """

    __slots__ = ()
    source = "path"


class Query(Param):
    """Bind a parameter to the query string.

    Scalars are query parameters by default; the marker adds an `alias` (the
    wire name, default: the parameter name) and constraints, and it is
    required for a `list[...]` query parameter (`?tags=a&tags=b`), which would
    otherwise be the JSON body. A repeated scalar parameter takes its last
    value.
    """

    __slots__ = ()
    source = "query"


class Header(Param):
    """Bind a parameter to a request header.

    The default wire name is the parameter name with `_` replaced by `-`
    (`x_request_id` reads the `x-request-id` header), as in FastAPI;
    `convert_underscores=False` keeps the name as written (`x_request_id`),
    and an `alias` is used verbatim. Header names match case-insensitively.
    A `list[str]` parameter takes every value of a repeated header.
    """

    __slots__ = ("convert_underscores",)
    source = "header"

    convert_underscores: bool

    def __init__(self, default: Any = ..., *, convert_underscores: bool = True, **constraints: Any) -> None:
        super().__init__(default, **constraints)
        _check_type("Header", "convert_underscores", convert_underscores, bool)
        object.__setattr__(self, "convert_underscores", convert_underscores)

    def _items(self) -> tuple[Any, ...]:
        return (*super()._items(), self.convert_underscores)

    def __reduce__(self) -> tuple[Any, ...]:
        kwargs = {f: getattr(self, f) for f in _FIELDS}
        kwargs["convert_underscores"] = self.convert_underscores
        return (_rebuild, (type(self), self.default, kwargs))


class Cookie(Param):
    """Bind a parameter to a cookie of the `Cookie` request header.

    The wire name is the parameter name, or `alias`; cookie names are
    case-sensitive.
    """

    __slots__ = ()
    source = "cookie"


class Body(Param):
    """Bind a parameter to the JSON request body.

    Models, lists and dicts are the body by default; the marker makes a
    scalar the body (`count: Annotated[int, Body()]` reads `7`) and attaches
    constraints. A handler has at most one body parameter, and `alias` is
    accepted for symmetry but does not change how the body is read.
    """

    __slots__ = ()
    source = "body"


class Form(Param):
    """Bind a parameter to a field of a form body.

    The body is `application/x-www-form-urlencoded` or `multipart/form-data`
    (any other `Content-Type` is a 415). Values convert as query strings do
    (`msgspec.convert(..., strict=False)`), errors name the source `body`,
    and an empty value counts as absent, as in FastAPI. A `list[...]`
    parameter takes every value of a repeated field; a model parameter
    (`Annotated[Model, Form()]`) takes its fields from the form.

    As in FastAPI the first positional argument is the default, for the
    ``name: str = Form()`` spelling (``Form(...)``, or no argument, means
    required); with `Annotated` give the default after ``=`` instead.
    """

    __slots__ = ("media_type",)
    source = "form"

    media_type: str

    def __init__(
        self,
        default: Any = ...,
        *,
        alias: str | None = None,
        media_type: str = "application/x-www-form-urlencoded",
        **constraints: Any,
    ) -> None:
        super().__init__(default, alias=alias, **constraints)
        object.__setattr__(self, "media_type", media_type)

    def _items(self) -> tuple[Any, ...]:
        return (*super()._items(), self.media_type)

    def __reduce__(self) -> tuple[Any, ...]:
        kwargs = {f: getattr(self, f) for f in _FIELDS[1:]}
        return (_rebuild_form, (type(self), self.default, self.alias, self.media_type, kwargs))


class File(Form):
    """Bind a parameter to an uploaded file of a `multipart/form-data` body.

    The parameter is an `UploadFile`, `bytes` (the file's content), or a
    list of either for a repeated field; a parameter annotated `UploadFile`
    is a file without the marker.
    """

    __slots__ = ()
    source = "file"

    def __init__(
        self,
        default: Any = ...,
        *,
        alias: str | None = None,
        media_type: str = "multipart/form-data",
        **constraints: Any,
    ) -> None:
        super().__init__(default, alias=alias, media_type=media_type, **constraints)


def _rebuild_form(
    cls: type[Form], default: Any, alias: str | None, media_type: str, kwargs: dict[str, Any]
) -> Form:
    return cls(default, alias=alias, media_type=media_type, **kwargs)

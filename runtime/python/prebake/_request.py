"""`Request`, the raw request a handler receives through a `Request` parameter.

The runtime builds it with one positional call,
`Request(method, path, query_string, headers, body, path_params)`, and keeps
it cheap: headers, query parameters and cookies are parsed only when read.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, TypeVar, overload

from prebake._state import State

if TYPE_CHECKING:
    from prebake._upload import FormData

__all__ = ["URL", "Headers", "QueryParams", "Request"]

_T = TypeVar("_T")
_MISSING: Any = object()
_EMPTY: Mapping[str, str] = MappingProxyType({})


class Headers:
    """A read-only, case-insensitive view of request headers.

    A header may repeat: `headers[name]` and `get` give its first value,
    `getall` every value in order. Iteration gives each distinct name once,
    lowercased; `items()` gives every `(lowercased name, value)` pair.
    """

    __slots__ = ("_raw", "_index")

    def __init__(self, raw: Iterable[tuple[str, str]] = ()) -> None:
        self._raw = tuple((name, value) for name, value in raw)
        index: dict[str, list[str]] = {}
        for name, value in self._raw:
            index.setdefault(name.lower(), []).append(value)
        self._index = index

    @property
    def raw(self) -> tuple[tuple[str, str], ...]:
        """The header pairs as received, names in their original case."""
        return self._raw

    @overload
    def get(self, name: str) -> str | None: ...
    @overload
    def get(self, name: str, default: _T) -> str | _T: ...
    def get(self, name: str, default: object = None) -> object:
        """The first value of header `name`, or `default`."""
        values = self._index.get(name.lower())
        return values[0] if values else default

    def getall(self, name: str) -> list[str]:
        """Every value of header `name`, in order (empty if absent)."""
        return list(self._index.get(name.lower(), ()))

    def keys(self) -> list[str]:
        """The distinct header names, lowercased, in first-seen order."""
        return list(self._index)

    def values(self) -> list[str]:
        """Every header value, in order."""
        return [value for _, value in self._raw]

    def items(self) -> list[tuple[str, str]]:
        """Every `(lowercased name, value)` pair, repeats included, in order."""
        return [(name.lower(), value) for name, value in self._raw]

    def __getitem__(self, name: str) -> str:
        values = self._index.get(name.lower())
        if not values:
            raise KeyError(name)
        return values[0]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._index

    def __iter__(self) -> Iterator[str]:
        return iter(self._index)

    def __len__(self) -> int:
        return len(self._index)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Headers):
            return NotImplemented
        return self.items() == other.items()

    def __repr__(self) -> str:
        return f"Headers({self.items()!r})"


class QueryParams:
    """A read-only view of the parsed query string.

    A parameter may repeat (`?tag=a&tag=b`): `params[name]` and `get` give its
    last value, as the server does for a scalar parameter, and `getall` every
    value in order. Names are case-sensitive.
    """

    __slots__ = ("_items", "_index")

    def __init__(self, items: Iterable[tuple[str, str]] = ()) -> None:
        self._items = tuple(items)
        index: dict[str, list[str]] = {}
        for name, value in self._items:
            index.setdefault(name, []).append(value)
        self._index = index

    @classmethod
    def parse(cls, query_string: str) -> QueryParams:
        """Parse `a=1&b=&c` (blank values kept, `+` and `%xx` decoded)."""
        # Imported here: `urllib.parse` (with `ipaddress`) costs start-up
        # time in every app, and only `Request.query_params` needs it.
        from urllib.parse import parse_qsl

        return cls(parse_qsl(query_string, keep_blank_values=True))

    @overload
    def get(self, name: str) -> str | None: ...
    @overload
    def get(self, name: str, default: _T) -> str | _T: ...
    def get(self, name: str, default: object = None) -> object:
        """The last value of parameter `name`, or `default`."""
        values = self._index.get(name)
        return values[-1] if values else default

    def getall(self, name: str) -> list[str]:
        """Every value of parameter `name`, in order (empty if absent)."""
        return list(self._index.get(name, ()))

    def keys(self) -> list[str]:
        """The distinct parameter names, in first-seen order."""
        return list(self._index)

    def values(self) -> list[str]:
        """Every value, in order."""
        return [value for _, value in self._items]

    def items(self) -> list[tuple[str, str]]:
        """Every `(name, value)` pair, repeats included, in order."""
        return list(self._items)

    def __getitem__(self, name: str) -> str:
        values = self._index.get(name)
        if not values:
            raise KeyError(name)
        return values[-1]

    def __contains__(self, name: object) -> bool:
        return name in self._index

    def __iter__(self) -> Iterator[str]:
        return iter(self._index)

    def __len__(self) -> int:
        return len(self._index)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, QueryParams):
            return NotImplemented
        return self._items == other._items

    def __repr__(self) -> str:
        return f"QueryParams({list(self._items)!r})"


class URL:
    """The parts of a request URL: `scheme`, `netloc` (the `Host` header),
    `hostname`, `port`, `path` (as sent), `query` (without `?`); `str()`
    gives the whole URL."""

    __slots__ = ("netloc", "path", "query")

    scheme = "http"

    def __init__(self, netloc: str, path: str, query: str) -> None:
        self.netloc = netloc
        self.path = path
        self.query = query

    @property
    def hostname(self) -> str:
        host = self.netloc
        if host.startswith("["):
            return host[1 : host.find("]")] if "]" in host else host
        return host.rsplit(":", 1)[0] if ":" in host else host

    @property
    def port(self) -> int | None:
        host = self.netloc
        tail = host[host.rfind("]") + 1 :] if host.startswith("[") else host
        if ":" in tail:
            digits = tail.rsplit(":", 1)[1]
            return int(digits) if digits.isdigit() else None
        return None

    def __str__(self) -> str:
        query = f"?{self.query}" if self.query else ""
        return f"{self.scheme}://{self.netloc}{self.path}{query}"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, URL | str):
            return str(self) == str(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(str(self))

    def __repr__(self) -> str:
        return f"URL({str(self)!r})"


class Request:
    """The raw HTTP request, for a handler parameter annotated `Request`.

    `path` is the request path as the client sent it (not percent-decoded),
    `query_string` the part after `?` (empty if there is none), `headers` the
    header pairs in the order received, `body` the body bytes, and
    `path_params` the percent-decoded strings the router captured for the
    route's placeholders. Parameters annotated with other types are usually
    the better tool: they arrive converted and validated.
    """

    __slots__ = (
        "_method",
        "_path",
        "_query_string",
        "_raw_headers",
        "_body",
        "_path_params",
        "_headers",
        "_query_params",
        "_cookies",
        "_json",
        "_state",
    )

    #: What the app's lifespan yielded; the server sets it at start-up.
    #: Each request's `state` starts as a shallow copy of it.
    lifespan_state: Mapping[str, Any] = _EMPTY

    def __init__(
        self,
        method: str,
        path: str,
        query_string: str,
        headers: list[tuple[str, str]],
        body: bytes,
        path_params: dict[str, str] | None = None,
    ) -> None:
        self._method = method
        self._path = path
        self._query_string = query_string
        self._raw_headers = headers
        self._body = body
        self._path_params: Mapping[str, str] = (
            MappingProxyType(path_params) if path_params else _EMPTY
        )
        self._headers: Headers | None = None
        self._query_params: QueryParams | None = None
        self._cookies: Mapping[str, str] | None = None
        self._json: Any = _MISSING
        self._state: State | None = None

    @property
    def method(self) -> str:
        """The request method, uppercase (`GET`)."""
        return self._method

    @property
    def path(self) -> str:
        """The request path, without the query string (`/todos/1`)."""
        return self._path

    @property
    def query_string(self) -> str:
        """The raw query string, without the `?` (empty if there is none)."""
        return self._query_string

    @property
    def full_path(self) -> str:
        """The request target: `path`, plus `?query_string` if there is one."""
        if self._query_string:
            return f"{self._path}?{self._query_string}"
        return self._path

    @property
    def headers(self) -> Headers:
        """The request headers, a case-insensitive multi-mapping."""
        if self._headers is None:
            self._headers = Headers(self._raw_headers)
        return self._headers

    @property
    def body(self) -> bytes:
        """The request body, as received (exactly `bytes`: msgspec encodes
        no subclass of it, so Starlette's awaitable `body()` is not offered)."""
        return self._body

    @property
    def url(self) -> URL:
        """The request URL as Starlette and Litestar give it (`url.path`,
        `url.query`, `str(url)`), built from the `Host` header."""
        host = self.headers.get("host", "")
        return URL(host, self._path, self._query_string)

    @property
    def path_params(self) -> Mapping[str, str]:
        """The strings the router captured for the path placeholders."""
        return self._path_params

    @property
    def query_params(self) -> QueryParams:
        """The parsed query string (blank values kept; `[]` is the last value)."""
        if self._query_params is None:
            self._query_params = QueryParams.parse(self._query_string)
        return self._query_params

    @property
    def cookies(self) -> Mapping[str, str]:
        """The cookies of every `Cookie` header; a repeated name keeps its last value."""
        if self._cookies is None:
            self._cookies = MappingProxyType(_parse_cookies(self.headers.getall("cookie")))
        return self._cookies

    @property
    def state(self) -> State:
        """This request's state: a shallow copy of what the lifespan yielded,
        with attribute access (`request.state.pool`), as Starlette's."""
        if self._state is None:
            self._state = State(Request.lifespan_state)
        return self._state

    async def stream(self) -> AsyncIterator[bytes]:
        """The body as Starlette's `request.stream()` gives it: its bytes
        (one chunk, the server has read them), then `b""`."""
        if self._body:
            yield self._body
        yield b""

    def text(self) -> str:
        """The body decoded with the `charset` of `Content-Type` (default UTF-8)."""
        return self._body.decode(_charset(self.headers.get("content-type")))

    def form(
        self,
        *,
        max_files: int | float = 1000,
        max_fields: int | float = 1000,
        max_part_size: int = 1024 * 1024,
    ) -> FormData:
        """The body as a form (urlencoded or multipart): `FormData` with text
        values and `UploadFile`s, as Starlette's `request.form()` gives
        (synchronous, like `json()`), with Starlette's limits: past them, or
        for a multipart body that does not parse, `HTTPException(400)` with
        Starlette's message. Raises `ValueError` for a body that is not a
        form."""
        from prebake._upload import parse_form

        return parse_form(
            self.headers.get("content-type"),
            self._body,
            max_files=max_files,
            max_fields=max_fields,
            max_part_size=max_part_size,
        )

    def json(self) -> Any:
        """The body decoded as JSON by `msgspec.json.decode` (result cached)."""
        if self._json is _MISSING:
            import msgspec

            self._json = msgspec.json.decode(self._body)
        return self._json

    def __repr__(self) -> str:
        return f"Request(method={self._method!r}, full_path={self.full_path!r})"


def _parse_cookies(lines: Iterable[str]) -> dict[str, str]:
    """Parse `Cookie` header values leniently, as browsers send them.

    Pairs are split on `;`, names and values stripped, surrounding double
    quotes removed from values; pieces without `=` or with an empty name are
    skipped rather than failing the whole header.
    """
    cookies: dict[str, str] = {}
    for line in lines:
        for piece in line.split(";"):
            name, sep, value = piece.partition("=")
            name = name.strip()
            if not sep or not name:
                continue
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] == '"':
                value = value[1:-1]
            cookies[name] = value
    return cookies


def _charset(content_type: str | None) -> str:
    if content_type:
        for param in content_type.split(";")[1:]:
            key, _, value = param.partition("=")
            if key.strip().lower() == "charset" and value.strip():
                return value.strip().strip('"')
    return "utf-8"

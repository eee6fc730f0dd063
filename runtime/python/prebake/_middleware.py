"""Middleware, with Starlette's names, signatures and defaults.

The compiler reads `app.add_middleware(...)`, `App(middleware=[...])` and
`@app.middleware("http")` from the source. The built-in middleware
(`CORSMiddleware`, `GZipMiddleware`, `CompressionMiddleware`,
`TrustedHostMiddleware`, `HTTPSRedirectMiddleware`) is configured by
constant keywords and runs in Rust: here the classes only check and keep
their settings, so a module that imports cleanly under CPython is one the
compiler can configure. Middleware written in Python (`BaseHTTPMiddleware`
subclasses and `@app.middleware("http")` functions) runs in the embedded
interpreter around the routes it covers: the server reads
`app.user_middleware` once at start-up.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Sequence
from typing import Any

from prebake._request import Request
from prebake._response import Response

__all__ = [
    "BaseHTTPMiddleware",
    "CORSMiddleware",
    "CompressionMiddleware",
    "GZipMiddleware",
    "HTTPSRedirectMiddleware",
    "Middleware",
    "RequestResponseEndpoint",
    "TrustedHostMiddleware",
]

#: `call_next`: awaited with the request, gives the response of everything
#: inside the middleware (the route, or the next middleware).
RequestResponseEndpoint = Callable[[Request], Awaitable[Response]]
#: A `dispatch` function: `async def dispatch(request, call_next) -> Response`.
DispatchFunction = Callable[[Request, RequestResponseEndpoint], Awaitable[Response]]

ALL_METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")

#: Media types the compression middleware leaves alone by default
#: (Starlette's list): compressed formats and event streams.
DEFAULT_EXCLUDED_CONTENT_TYPES = (
    "application/grpc",
    "application/gzip",
    "application/x-gzip",
    "application/zip",
    "audio/*",
    "font/woff",
    "font/woff2",
    "image/avif",
    "image/gif",
    "image/jpeg",
    "image/png",
    "image/webp",
    "text/event-stream",
    "video/*",
)


class MutableHeaders(dict[str, str]):
    """Response headers as `call_next` gives them: a `dict` whose keys are
    case-insensitive (kept lowercased), as Starlette's `MutableHeaders`."""

    def __init__(self, items: Any = ()) -> None:
        super().__init__()
        pairs = items.items() if hasattr(items, "items") else items
        for key, value in pairs:
            self[key] = value

    def __setitem__(self, key: str, value: str) -> None:
        super().__setitem__(key.lower(), value)

    def __getitem__(self, key: str) -> str:
        return super().__getitem__(key.lower())

    def __delitem__(self, key: str) -> None:
        super().__delitem__(key.lower())

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and super().__contains__(key.lower())

    def get(self, key: str, default: Any = None) -> Any:
        return super().get(key.lower(), default)

    def pop(self, key: str, *default: Any) -> Any:
        return super().pop(key.lower(), *default)

    def setdefault(self, key: str, default: str = "") -> str:
        return super().setdefault(key.lower(), default)

    def update(self, *args: Any, **kwargs: Any) -> None:
        for key, value in dict(*args, **kwargs).items():
            self[key] = value

    def add_vary_header(self, vary: str) -> None:
        """Adds `vary` to the `Vary` header, as Starlette's."""
        existing = self.get("vary")
        self["vary"] = vary if existing is None else f"{existing}, {vary}"


class Middleware:
    """A middleware class with its arguments, as `App(middleware=[...])`
    takes them (Starlette's `Middleware`)."""

    __slots__ = ("cls", "args", "kwargs")

    def __init__(self, cls: Any, *args: Any, **kwargs: Any) -> None:
        if not callable(cls):
            raise TypeError(f"Middleware takes a middleware class, got {cls!r}")
        self.cls = cls
        self.args = args
        self.kwargs = kwargs

    def __iter__(self) -> Iterator[Any]:
        as_tuple = (self.cls, self.args, self.kwargs)
        return iter(as_tuple)

    def __repr__(self) -> str:
        name = getattr(self.cls, "__name__", "")
        options = [f"{value!r}" for value in self.args]
        options += [f"{key}={value!r}" for key, value in self.kwargs.items()]
        return f"Middleware({', '.join([name, *options])})"


def _strings(name: str, value: Sequence[str]) -> list[str]:
    if isinstance(value, str) or not all(isinstance(v, str) for v in value):
        raise TypeError(f"{name} must be a sequence of str, got {value!r}")
    return list(value)


class CORSMiddleware:
    """Cross-Origin Resource Sharing, as Starlette's `CORSMiddleware`.

    Preflight requests (`OPTIONS` with `Access-Control-Request-Method`) are
    answered by the server without calling the route; other requests from an
    allowed origin get the `Access-Control-Allow-*` headers. Runs in Rust.
    """

    def __init__(
        self,
        app: Any = None,
        allow_origins: Sequence[str] = (),
        allow_methods: Sequence[str] = ("GET",),
        allow_headers: Sequence[str] = (),
        allow_credentials: bool = False,
        allow_origin_regex: str | None = None,
        allow_private_network: bool = False,
        expose_headers: Sequence[str] = (),
        max_age: int = 600,
    ) -> None:
        self.app = app
        self.allow_origins = _strings("allow_origins", allow_origins)
        self.allow_methods = _strings("allow_methods", allow_methods)
        self.allow_headers = _strings("allow_headers", allow_headers)
        self.allow_credentials = bool(allow_credentials)
        self.allow_origin_regex = allow_origin_regex
        self.allow_private_network = bool(allow_private_network)
        self.expose_headers = _strings("expose_headers", expose_headers)
        if isinstance(max_age, bool) or not isinstance(max_age, int) or max_age < 0:
            raise ValueError(f"max_age must be a non-negative int, got {max_age!r}")
        self.max_age = max_age


class GZipMiddleware:
    """gzip responses of at least `minimum_size` bytes to clients that accept
    it, as Starlette's `GZipMiddleware`. Runs in Rust."""

    def __init__(
        self,
        app: Any = None,
        minimum_size: int = 500,
        compresslevel: int = 9,
        thread_minimum_size: int = 128 * 1024,
        *,
        exclude_content_types: Sequence[str] = DEFAULT_EXCLUDED_CONTENT_TYPES,
        exclude_paths: Sequence[str] = (),
    ) -> None:
        if not 0 <= compresslevel <= 9:
            raise ValueError(f"compresslevel must be between 0 and 9, got {compresslevel!r}")
        self.app = app
        self.minimum_size = minimum_size
        self.compresslevel = compresslevel
        self.thread_minimum_size = thread_minimum_size
        self.exclude_content_types = _strings("exclude_content_types", exclude_content_types)
        self.exclude_paths = _strings("exclude_paths", exclude_paths)


class CompressionMiddleware:
    """zstd, brotli or gzip, whichever the client prefers (`Accept-Encoding`
    with q-values; on a tie the server's order: zstd, br, gzip), for
    responses of at least `minimum_size` bytes. Runs in Rust."""

    def __init__(
        self,
        app: Any = None,
        minimum_size: int = 500,
        gzip_level: int = 6,
        brotli_quality: int = 4,
        zstd_level: int = 3,
        encodings: Sequence[str] = ("zstd", "br", "gzip"),
        exclude_content_types: Sequence[str] = DEFAULT_EXCLUDED_CONTENT_TYPES,
        exclude_paths: Sequence[str] = (),
    ) -> None:
        for e in _strings("encodings", encodings):
            if e not in ("zstd", "br", "gzip"):
                raise ValueError(f"unknown encoding {e!r}: choose from zstd, br, gzip")
        self.app = app
        self.minimum_size = minimum_size
        self.gzip_level = gzip_level
        self.brotli_quality = brotli_quality
        self.zstd_level = zstd_level
        self.encodings = list(encodings)
        self.exclude_content_types = _strings("exclude_content_types", exclude_content_types)
        self.exclude_paths = _strings("exclude_paths", exclude_paths)


class TrustedHostMiddleware:
    """Refuses requests whose `Host` is not in `allowed_hosts` (400 `Invalid
    host header`), as Starlette's `TrustedHostMiddleware`. Runs in Rust."""

    def __init__(
        self,
        app: Any = None,
        allowed_hosts: Sequence[str] | None = None,
        www_redirect: bool = True,
    ) -> None:
        hosts = ["*"] if allowed_hosts is None else _strings("allowed_hosts", allowed_hosts)
        for pattern in hosts:
            if "*" in pattern[1:] or (pattern.startswith("*") and pattern != "*" and not pattern.startswith("*.")):
                raise AssertionError("Domain wildcard patterns must be like '*.example.com'.")
        self.app = app
        self.allowed_hosts = [h.lower() for h in hosts]
        self.allow_any = "*" in hosts
        self.www_redirect = www_redirect


class HTTPSRedirectMiddleware:
    """Redirects `http` requests to `https` (307), as Starlette's
    `HTTPSRedirectMiddleware`. Runs in Rust."""

    def __init__(self, app: Any = None) -> None:
        self.app = app


class BaseHTTPMiddleware:
    """Middleware written in Python, as Starlette's `BaseHTTPMiddleware`:
    subclass it and override `dispatch`, or pass `dispatch=`.

    `await call_next(request)` runs everything inside the middleware and
    gives its `Response`, whose `status_code`, `headers` and `body` the
    middleware may read or change; it may also return a response of its own
    without calling `call_next`.
    """

    def __init__(self, app: Any = None, dispatch: DispatchFunction | None = None) -> None:
        self.app = app
        self.dispatch_func = self.dispatch if dispatch is None else dispatch

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        raise NotImplementedError()  # pragma: no cover


async def _run_middleware(dispatch: DispatchFunction, request: Request, nxt: Callable[[Any], None]) -> Response:
    """Runs one Python middleware for the server: `nxt(future)` asks the
    server to run the layers inside it and to set `future` to their
    response."""
    import asyncio

    called = False

    async def call_next(req: Request) -> Response:
        nonlocal called
        if called:
            raise RuntimeError("call_next may be called only once per request")
        called = True
        future = asyncio.get_running_loop().create_future()
        nxt(future)
        response: Response = await future
        response.headers = MutableHeaders(response.headers)
        return response

    return await dispatch(request, call_next)


async def _aiter(chunks: Any) -> Any:
    """A `StreamingResponse`'s iterator as the one Starlette's `call_next`
    response has: async (`async for chunk in response.body_iterator`), of
    `bytes` (a `str` chunk UTF-8 encoded, as it is sent)."""
    if hasattr(chunks, "__aiter__"):
        async for chunk in chunks:
            yield chunk.encode() if isinstance(chunk, str) else bytes(chunk)
    else:
        for chunk in chunks:
            yield chunk.encode() if isinstance(chunk, str) else bytes(chunk)

"""The middleware classes under plain CPython: Starlette's signatures and
the order `app.user_middleware` keeps (outermost first)."""

from __future__ import annotations

import asyncio

import pytest

import prebake
from prebake import (
    App,
    BaseHTTPMiddleware,
    CompressionMiddleware,
    CORSMiddleware,
    GZipMiddleware,
    HTTPSRedirectMiddleware,
    Middleware,
    Request,
    Response,
    TrustedHostMiddleware,
)


def test_submodules_mirror_starlette_paths() -> None:
    from prebake.middleware import Middleware as M
    from prebake.middleware.base import BaseHTTPMiddleware as B
    from prebake.middleware.compression import CompressionMiddleware as Z
    from prebake.middleware.cors import CORSMiddleware as C
    from prebake.middleware.gzip import GZipMiddleware as G
    from prebake.middleware.httpsredirect import HTTPSRedirectMiddleware as H
    from prebake.middleware.trustedhost import TrustedHostMiddleware as T

    assert (M, B, Z, C, G, H, T) == (
        Middleware,
        BaseHTTPMiddleware,
        CompressionMiddleware,
        CORSMiddleware,
        GZipMiddleware,
        HTTPSRedirectMiddleware,
        TrustedHostMiddleware,
    )
    for name in ("CORSMiddleware", "GZipMiddleware", "Middleware", "BaseHTTPMiddleware"):
        assert name in prebake.__all__


def test_last_added_is_outermost() -> None:
    app = App(middleware=[Middleware(CORSMiddleware, allow_origins=["*"]), Middleware(GZipMiddleware)])
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=["a.example"])

    @app.middleware("http")
    async def stamp(request: Request, call_next: object) -> Response:
        raise NotImplementedError

    classes = [m.cls for m in app.user_middleware]
    assert classes == [BaseHTTPMiddleware, TrustedHostMiddleware, CORSMiddleware, GZipMiddleware]
    cls, args, kwargs = app.user_middleware[0]
    assert cls is BaseHTTPMiddleware and args == () and kwargs == {"dispatch": stamp}
    assert repr(app.user_middleware[1]) == "Middleware(TrustedHostMiddleware, allowed_hosts=['a.example'])"


def test_starlette_defaults_and_checks() -> None:
    cors = CORSMiddleware(None)
    assert (cors.allow_methods, cors.max_age, cors.allow_credentials) == (["GET"], 600, False)
    gzip = GZipMiddleware(None)
    assert (gzip.minimum_size, gzip.compresslevel) == (500, 9)
    assert "text/event-stream" in gzip.exclude_content_types
    hosts = TrustedHostMiddleware(None)
    assert hosts.allow_any and hosts.www_redirect
    with pytest.raises(AssertionError):
        TrustedHostMiddleware(None, allowed_hosts=["*example.com"])
    with pytest.raises(AssertionError):
        TrustedHostMiddleware(None, allowed_hosts=["api.*.example.com"])
    with pytest.raises(ValueError):
        CompressionMiddleware(None, encodings=["lz4"])
    with pytest.raises(TypeError):
        CORSMiddleware(None, allow_origins="https://a.example")
    with pytest.raises(ValueError):
        App().middleware("websocket")
    with pytest.raises(TypeError):
        App(middleware=[CORSMiddleware])  # type: ignore[list-item]


def test_dispatch_runs_with_call_next_once() -> None:
    """`_run_middleware`, the server's driver, with a fake server side."""
    from prebake._middleware import MutableHeaders, _run_middleware

    class Stamp(BaseHTTPMiddleware):
        async def dispatch(self, request: Request, call_next: object) -> Response:
            response: Response = await call_next(request)  # type: ignore[operator]
            response.headers["X-Stamp"] = response.headers.get("x-inner", "") + "!"
            return response

    async def run() -> Response:
        loop = asyncio.get_running_loop()

        def nxt(future: asyncio.Future[Response]) -> None:
            inner = Response(b"body", headers={"X-Inner": "1"})
            loop.call_soon(future.set_result, inner)

        request = Request("GET", "/", "", [], b"")
        return await _run_middleware(Stamp(None).dispatch_func, request, nxt)

    response = asyncio.run(run())
    assert isinstance(response.headers, MutableHeaders)
    assert response.headers["x-stamp"] == "1!"
    assert "X-INNER" in response.headers

    async def twice(request: Request, call_next: object) -> Response:
        await call_next(request)  # type: ignore[operator]
        return await call_next(request)  # type: ignore[operator,no-any-return]

    async def run_twice() -> Response:
        loop = asyncio.get_running_loop()

        def nxt(future: asyncio.Future[Response]) -> None:
            loop.call_soon(future.set_result, Response())

        return await _run_middleware(twice, Request("GET", "/", "", [], b""), nxt)

    with pytest.raises(RuntimeError, match="only once"):
        asyncio.run(run_twice())

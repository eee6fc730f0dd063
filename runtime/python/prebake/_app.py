"""`App` and its route decorators.

The decorators only record a `RouteInfo` in `App.routes` and hand the
function back unchanged: the compiler reads routes from the source, and the
compiled binary (or a test under plain CPython) calls the handlers directly.
Obvious misuse is rejected eagerly with a `ValueError`, so a module that
imports cleanly under CPython is also one the compiler can route.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

__all__ = ["HTTP_METHODS", "App", "RouteInfo"]

F = TypeVar("F", bound=Callable[..., Any])

#: The methods a route may declare, in the order `Allow` headers list them.
HTTP_METHODS: tuple[str, ...] = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")

# `{name}`, `{name:path}` or `{name:int}` (a type converter as Litestar
# writes it, restating the annotation); `name` is a Python identifier.
_PLACEHOLDER = re.compile(
    r"\{([A-Za-z_][A-Za-z0-9_]*)"
    r"(?::(?:(path)|str|int|float|uuid|decimal|date|datetime|time|timedelta))?\}"
)


@dataclass(frozen=True)
class RouteInfo:
    """One recorded route: what a decorator saw, normalised."""

    methods: tuple[str, ...]
    path: str
    handler: Callable[..., Any]
    status_code: int | None = None
    name: str = ""
    summary: str | None = None
    description: str | None = None
    tags: tuple[str, ...] = field(default=())

    @property
    def path_params(self) -> tuple[str, ...]:
        """The placeholder names of `path`, in order (`{rest:path}` gives `rest`)."""
        return tuple(m.group(1) for m in _PLACEHOLDER.finditer(self.path))


class App:
    """A prebake application: metadata plus the routes its decorators record.

    `max_body_size` is the largest request body, in bytes, the server reads
    before answering 413.
    """

    __slots__ = ("title", "version", "description", "max_body_size", "routes")

    def __init__(
        self,
        title: str = "prebake app",
        version: str = "0.1.0",
        *,
        description: str | None = None,
        max_body_size: int = 1_048_576,
    ) -> None:
        if isinstance(max_body_size, bool) or not isinstance(max_body_size, int):
            raise TypeError(f"max_body_size must be an int, got {max_body_size!r}")
        if max_body_size < 0:
            raise ValueError(f"max_body_size must be >= 0, got {max_body_size}")
        self.title = title
        self.version = version
        self.description = description
        self.max_body_size = max_body_size
        self.routes: list[RouteInfo] = []

    def __repr__(self) -> str:
        return f"App(title={self.title!r}, version={self.version!r}, routes={len(self.routes)})"

    def route(
        self,
        path: str,
        *,
        methods: Sequence[str] = ("GET",),
        status_code: int | None = None,
        name: str | None = None,
        summary: str | None = None,
        description: str | None = None,
        tags: Sequence[str] | None = None,
    ) -> Callable[[F], F]:
        """Register the decorated function for `path` and each of `methods`."""
        _check_path(path)
        normalised = _check_methods(methods)
        _check_status_code(status_code)
        if isinstance(tags, str):
            raise ValueError(f"tags must be a sequence of strings, not the string {tags!r}")
        shape = _shape(path)
        for method in normalised:
            for existing in self.routes:
                if _shape(existing.path) == shape and method in existing.methods:
                    raise ValueError(
                        f"duplicate route {method} {path}: {existing.path} is already "
                        f"handled by {getattr(existing.handler, '__qualname__', existing.name)}"
                    )

        def decorator(func: F) -> F:
            if not callable(func):
                raise TypeError(f"a route handler must be callable, got {func!r}")
            self.routes.append(
                RouteInfo(
                    methods=normalised,
                    path=path,
                    handler=func,
                    status_code=status_code,
                    name=name if name is not None else getattr(func, "__name__", repr(func)),
                    summary=summary,
                    description=description,
                    tags=tuple(tags or ()),
                )
            )
            return func

        return decorator

    def get(
        self,
        path: str,
        *,
        status_code: int | None = None,
        name: str | None = None,
        summary: str | None = None,
        description: str | None = None,
        tags: Sequence[str] | None = None,
    ) -> Callable[[F], F]:
        """Register a `GET` route (`HEAD` is served for it as well)."""
        return self.route(
            path,
            methods=("GET",),
            status_code=status_code,
            name=name,
            summary=summary,
            description=description,
            tags=tags,
        )

    def post(
        self,
        path: str,
        *,
        status_code: int | None = None,
        name: str | None = None,
        summary: str | None = None,
        description: str | None = None,
        tags: Sequence[str] | None = None,
    ) -> Callable[[F], F]:
        """Register a `POST` route."""
        return self.route(
            path,
            methods=("POST",),
            status_code=status_code,
            name=name,
            summary=summary,
            description=description,
            tags=tags,
        )

    def put(
        self,
        path: str,
        *,
        status_code: int | None = None,
        name: str | None = None,
        summary: str | None = None,
        description: str | None = None,
        tags: Sequence[str] | None = None,
    ) -> Callable[[F], F]:
        """Register a `PUT` route."""
        return self.route(
            path,
            methods=("PUT",),
            status_code=status_code,
            name=name,
            summary=summary,
            description=description,
            tags=tags,
        )

    def patch(
        self,
        path: str,
        *,
        status_code: int | None = None,
        name: str | None = None,
        summary: str | None = None,
        description: str | None = None,
        tags: Sequence[str] | None = None,
    ) -> Callable[[F], F]:
        """Register a `PATCH` route."""
        return self.route(
            path,
            methods=("PATCH",),
            status_code=status_code,
            name=name,
            summary=summary,
            description=description,
            tags=tags,
        )

    def delete(
        self,
        path: str,
        *,
        status_code: int | None = None,
        name: str | None = None,
        summary: str | None = None,
        description: str | None = None,
        tags: Sequence[str] | None = None,
    ) -> Callable[[F], F]:
        """Register a `DELETE` route."""
        return self.route(
            path,
            methods=("DELETE",),
            status_code=status_code,
            name=name,
            summary=summary,
            description=description,
            tags=tags,
        )

    def head(
        self,
        path: str,
        *,
        status_code: int | None = None,
        name: str | None = None,
        summary: str | None = None,
        description: str | None = None,
        tags: Sequence[str] | None = None,
    ) -> Callable[[F], F]:
        """Register an explicit `HEAD` route (a `GET` route serves `HEAD` already)."""
        return self.route(
            path,
            methods=("HEAD",),
            status_code=status_code,
            name=name,
            summary=summary,
            description=description,
            tags=tags,
        )

    def options(
        self,
        path: str,
        *,
        status_code: int | None = None,
        name: str | None = None,
        summary: str | None = None,
        description: str | None = None,
        tags: Sequence[str] | None = None,
    ) -> Callable[[F], F]:
        """Register an `OPTIONS` route."""
        return self.route(
            path,
            methods=("OPTIONS",),
            status_code=status_code,
            name=name,
            summary=summary,
            description=description,
            tags=tags,
        )


def _check_path(path: object) -> None:
    if callable(path):
        raise TypeError(
            "route decorators take a path: write @app.get('/path'), not @app.get"
        )
    if not isinstance(path, str):
        raise TypeError(f"route path must be a str, got {type(path).__name__}")
    if not path.startswith("/"):
        raise ValueError(f"route path must start with '/': {path!r}")
    if "?" in path or "#" in path:
        raise ValueError(f"route path must not contain a query or fragment: {path!r}")
    rest = _PLACEHOLDER.sub("", path)
    if "{" in rest or "}" in rest:
        raise ValueError(
            f"malformed placeholder in route path {path!r}: "
            "write {name}, {name:path} or {name:int} (str, int, float, uuid, decimal, "
            "date, datetime, time, timedelta) with a Python identifier"
        )
    names = [m.group(1) for m in _PLACEHOLDER.finditer(path)]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"placeholder {{{duplicates[0]}}} appears twice in route path {path!r}")
    for match in _PLACEHOLDER.finditer(path):
        if match.group(2) and match.end() != len(path):
            raise ValueError(
                f"{{{match.group(1)}:path}} must be the last segment of route path {path!r}"
            )


def _shape(path: str) -> str:
    """`path` with its placeholder names erased: equal shapes are the same route."""
    return _PLACEHOLDER.sub(lambda m: "{*}" if m.group(2) else "{}", path)


def _check_methods(methods: Sequence[str]) -> tuple[str, ...]:
    if isinstance(methods, str):
        raise ValueError(
            f"methods must be a sequence of method names, not the string {methods!r}: "
            f"write methods=({methods!r},)"
        )
    result = tuple(methods)
    if not result:
        raise ValueError("methods must name at least one HTTP method")
    for method in result:
        if not isinstance(method, str):
            raise TypeError(f"HTTP method must be a str, got {method!r}")
        if method.upper() in HTTP_METHODS and method != method.upper():
            raise ValueError(
                f"HTTP method must be uppercase: write {method.upper()!r}, not {method!r}"
            )
        if method not in HTTP_METHODS:
            raise ValueError(
                f"unknown HTTP method {method!r}; expected one of {', '.join(HTTP_METHODS)}"
            )
    if len(set(result)) != len(result):
        raise ValueError(f"HTTP method listed twice in {list(result)!r}")
    return result


def _check_status_code(status_code: int | None) -> None:
    if status_code is None:
        return
    if isinstance(status_code, bool) or not isinstance(status_code, int):
        raise TypeError(f"status_code must be an int, got {status_code!r}")
    if not 100 <= status_code <= 599:
        raise ValueError(f"status_code must be between 100 and 599, got {status_code}")

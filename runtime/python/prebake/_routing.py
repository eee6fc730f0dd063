"""Route decorators shared by `App` and `APIRouter`, and `APIRouter` itself.

The decorators only record a `RouteInfo` and hand the function back
unchanged: the compiler reads routes from the source, and the compiled
binary (or a test under plain CPython) calls the handlers directly.
Obvious misuse is rejected eagerly with a `ValueError`, so a module that
imports cleanly under CPython is also one the compiler can route.

`APIRouter` groups routes under a prefix, tags and dependencies, as in
FastAPI; `include_router` (on an `App` or another router) records the
router's routes with the prefixes, tags and dependencies composed from the
outside in. The compiler follows the same calls in the source.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, TypedDict, TypeVar

from prebake._depends import Depends
from prebake._response import Response

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["HTTP_METHODS", "APIRouter", "RouteInfo", "Router"]

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
    """One recorded route: what a decorator saw, normalised.

    `path` includes the prefixes of the routers it was included through;
    `tags` and `dependencies` are the composed lists (outermost first).
    """

    methods: tuple[str, ...]
    path: str
    handler: Callable[..., Any]
    status_code: int | None = None
    name: str = ""
    summary: str | None = None
    description: str | None = None
    tags: tuple[str, ...] = field(default=())
    dependencies: tuple[Depends, ...] = field(default=())
    deprecated: bool | None = None
    operation_id: str | None = None
    include_in_schema: bool = True
    sync_to_thread: bool | None = None
    responses: Mapping[int | str, Any] | None = None
    #: The template (a path under the app's templates folder) the returned
    #: model is rendered with, or `None` for an encoded response.
    template: str | None = None

    @property
    def path_params(self) -> tuple[str, ...]:
        """The placeholder names of `path`, in order (`{rest:path}` gives `rest`)."""
        return tuple(m.group(1) for m in _PLACEHOLDER.finditer(self.path))


class RouteOptions(TypedDict, total=False):
    """The keywords of `get`, `post`, ...: those of `Router.route` but `methods`."""

    status_code: int | None
    name: str | None
    summary: str | None
    description: str | None
    tags: Sequence[str] | None
    dependencies: Sequence[Depends] | None
    deprecated: bool | None
    operation_id: str | None
    include_in_schema: bool
    sync_to_thread: bool | None
    responses: Mapping[int | str, Any] | None
    template: str | None
    response_model: Any
    response_class: type[Response] | None
    response_description: str
    response_model_include: Collection[str] | None
    response_model_exclude: Collection[str] | None
    response_model_by_alias: bool
    response_model_exclude_unset: bool
    response_model_exclude_defaults: bool
    response_model_exclude_none: bool


class Router:
    """The route decorators, shared by `App` and `APIRouter`; not used directly."""

    __slots__ = ("prefix", "tags", "dependencies", "sync_to_thread", "routes")

    prefix: str
    tags: list[str]
    dependencies: list[Depends]
    sync_to_thread: bool | None
    routes: list[RouteInfo]

    def _init_router(
        self,
        prefix: str,
        tags: Sequence[str] | None,
        dependencies: Sequence[Depends] | None,
        sync_to_thread: bool | None,
    ) -> None:
        _check_prefix(prefix)
        _check_tags(tags)
        self.prefix = prefix
        self.tags = list(tags or ())
        self.dependencies = _check_dependencies(dependencies)
        self.sync_to_thread = _check_sync_to_thread(sync_to_thread)
        self.routes = []

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
        dependencies: Sequence[Depends] | None = None,
        deprecated: bool | None = None,
        operation_id: str | None = None,
        include_in_schema: bool = True,
        sync_to_thread: bool | None = None,
        responses: Mapping[int | str, Any] | None = None,
        template: str | None = None,
        response_model: Any = None,
        response_class: type[Response] | None = None,
        response_description: str = "Successful Response",
        response_model_include: Collection[str] | None = None,
        response_model_exclude: Collection[str] | None = None,
        response_model_by_alias: bool = True,
        response_model_exclude_unset: bool = False,
        response_model_exclude_defaults: bool = False,
        response_model_exclude_none: bool = False,
    ) -> Callable[[F], F]:
        """Register the decorated function for `path` and each of `methods`.

        `response_model=` is FastAPI's: the compiler reads it as the declared
        response type in place of the return annotation (`None`: the
        annotation). `response_description=` is accepted for ported code.
        `response_model_exclude_unset=`, `_exclude_defaults=`,
        `_exclude_none=`, `_include=` and `_exclude=` leave fields out of the
        answer as in FastAPI (top-level field names for the last two).

        `response_class=` is FastAPI's too: a value the handler returns that
        is not a `Response` is passed to that class (`HTMLResponse`,
        `PlainTextResponse`, `RedirectResponse` for a URL, `FileResponse` for
        a path, `StreamingResponse` for an iterator); the JSON classes
        encode it as the declared type, as without the keyword.

        `template="page.html"` renders the model the handler returns with
        that template (in the app's `templates` folder), compiled into the
        binary and checked against the model at build time.

        `sync_to_thread=True` runs a plain `def` handler on the server's
        thread pool, `False` on the interpreter thread; left out, the
        compiler decides from what the handler calls (see `prebake check`).
        """
        if path == "" and self.prefix:
            # `@router.get("")` under a prefix serves the prefix itself.
            full = self.prefix
        else:
            _check_path(path)
            full = self.prefix + path
        normalised = _check_methods(methods)
        _check_status_code(status_code)
        _check_tags(tags)
        deps = _check_dependencies(dependencies)
        thread = _check_sync_to_thread(sync_to_thread)
        if response_class is not None and not (
            isinstance(response_class, type) and issubclass(response_class, Response)
        ):
            raise TypeError(f"response_class must be a Response class, got {response_class!r}")
        if template is not None and (not isinstance(template, str) or not template):
            raise TypeError(f"template must be a non-empty str (a file name), got {template!r}")
        shape = _shape(full)
        for method in normalised:
            for existing in self.routes:
                if _shape(existing.path) == shape and method in existing.methods:
                    raise ValueError(
                        f"duplicate route {method} {full}: {existing.path} is already "
                        f"handled by {getattr(existing.handler, '__qualname__', existing.name)}"
                    )

        def decorator(func: F) -> F:
            if not callable(func):
                raise TypeError(f"a route handler must be callable, got {func!r}")
            self.routes.append(
                RouteInfo(
                    methods=normalised,
                    path=full,
                    handler=func,
                    status_code=status_code,
                    name=name if name is not None else getattr(func, "__name__", repr(func)),
                    summary=summary,
                    description=description,
                    tags=(*self.tags, *(tags or ())),
                    dependencies=(*self.dependencies, *deps),
                    deprecated=deprecated,
                    operation_id=operation_id,
                    include_in_schema=include_in_schema,
                    sync_to_thread=thread if thread is not None else self.sync_to_thread,
                    responses=responses,
                    template=template,
                )
            )
            return func

        return decorator

    def api_route(
        self, path: str, *, methods: Sequence[str] = ("GET",), **options: Unpack[RouteOptions]
    ) -> Callable[[F], F]:
        """FastAPI's name of `route`: one handler for each of `methods`."""
        return self.route(path, methods=methods, **options)

    def get(self, path: str, **options: Unpack[RouteOptions]) -> Callable[[F], F]:
        """Register a `GET` route (`HEAD` is served for it as well)."""
        return self.route(path, methods=("GET",), **options)

    def post(self, path: str, **options: Unpack[RouteOptions]) -> Callable[[F], F]:
        """Register a `POST` route."""
        return self.route(path, methods=("POST",), **options)

    def put(self, path: str, **options: Unpack[RouteOptions]) -> Callable[[F], F]:
        """Register a `PUT` route."""
        return self.route(path, methods=("PUT",), **options)

    def patch(self, path: str, **options: Unpack[RouteOptions]) -> Callable[[F], F]:
        """Register a `PATCH` route."""
        return self.route(path, methods=("PATCH",), **options)

    def delete(self, path: str, **options: Unpack[RouteOptions]) -> Callable[[F], F]:
        """Register a `DELETE` route."""
        return self.route(path, methods=("DELETE",), **options)

    def head(self, path: str, **options: Unpack[RouteOptions]) -> Callable[[F], F]:
        """Register an explicit `HEAD` route (a `GET` route serves `HEAD` already)."""
        return self.route(path, methods=("HEAD",), **options)

    def options(self, path: str, **options: Unpack[RouteOptions]) -> Callable[[F], F]:
        """Register an `OPTIONS` route."""
        return self.route(path, methods=("OPTIONS",), **options)

    def include_router(
        self,
        router: APIRouter,
        *,
        prefix: str = "",
        tags: Sequence[str] | None = None,
        dependencies: Sequence[Depends] | None = None,
    ) -> None:
        """Serve `router`'s routes here, under `prefix` (plus this router's own).

        Tags and dependencies compose from the outside in: this router's,
        then those given here, then the included router's and the route's.
        The routes are recorded when this is called (the compiler reads the
        same call); include a router after adding its routes.
        """
        if not isinstance(router, APIRouter):
            raise TypeError(f"include_router takes an APIRouter, got {type(router).__name__}")
        if router is self:
            raise ValueError("a router cannot include itself")
        _check_prefix(prefix)
        _check_tags(tags)
        deps = _check_dependencies(dependencies)
        outer_tags = (*self.tags, *(tags or ()))
        outer_deps = (*self.dependencies, *deps)
        for info in router.routes:
            full = self.prefix + prefix + info.path
            shape = _shape(full)
            for method in info.methods:
                for existing in self.routes:
                    if _shape(existing.path) == shape and method in existing.methods:
                        raise ValueError(f"duplicate route {method} {full}")
            self.routes.append(
                replace(
                    info,
                    path=full,
                    tags=(*outer_tags, *info.tags),
                    dependencies=(*outer_deps, *info.dependencies),
                    sync_to_thread=(
                        info.sync_to_thread
                        if info.sync_to_thread is not None
                        else self.sync_to_thread
                    ),
                )
            )


class APIRouter(Router):
    """A group of routes under a common `prefix`, `tags` and `dependencies`.

    Decorate handlers with the router's `get`, `post`, ... exactly as with
    the app's, then `app.include_router(router)`. Routers may include
    routers. A `prefix` starts with `/` and does not end with one.
    """

    __slots__ = ()

    def __init__(
        self,
        *,
        prefix: str = "",
        tags: Sequence[str] | None = None,
        dependencies: Sequence[Depends] | None = None,
        sync_to_thread: bool | None = None,
    ) -> None:
        self._init_router(prefix, tags, dependencies, sync_to_thread)

    def __repr__(self) -> str:
        return f"APIRouter(prefix={self.prefix!r}, routes={len(self.routes)})"


def _check_path(path: object) -> None:
    if callable(path):
        raise TypeError("route decorators take a path: write @app.get('/path'), not @app.get")
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


def _check_prefix(prefix: object) -> None:
    if not isinstance(prefix, str):
        raise TypeError(f"prefix must be a str, got {type(prefix).__name__}")
    if prefix and not prefix.startswith("/"):
        raise ValueError(f"a path prefix must start with '/': {prefix!r}")
    if prefix.endswith("/"):
        raise ValueError(
            f"a path prefix must not end with '/', as the routes start with one: {prefix!r}"
        )


def _check_tags(tags: object) -> None:
    if isinstance(tags, str):
        raise ValueError(f"tags must be a sequence of strings, not the string {tags!r}")


def _check_dependencies(dependencies: Sequence[Depends] | None) -> list[Depends]:
    if dependencies is None:
        return []
    if isinstance(dependencies, Depends):
        raise TypeError("dependencies must be a list: write dependencies=[Depends(...)]")
    result = list(dependencies)
    for dep in result:
        if not isinstance(dep, Depends):
            raise TypeError(f"dependencies must hold Depends(...) values, got {dep!r}")
        if dep.dependency is None:
            raise ValueError("a dependency in dependencies=[...] must name its callable")
    return result


def _check_sync_to_thread(value: object) -> bool | None:
    if value is not None and not isinstance(value, bool):
        raise TypeError(f"sync_to_thread must be True, False or None, got {value!r}")
    return value


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

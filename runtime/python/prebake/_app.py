"""`App`: the application object, its routes and its application-wide parts.

The route decorators come from `Router` (shared with `APIRouter`); `App`
adds what FastAPI's application holds: `lifespan` (or `on_startup` and
`on_shutdown`), `exception_handlers`, app-wide `dependencies`, and `state`.
The compiler reads all of it from the source; at run time the embedded
server reads `lifespan`, the start-up and shutdown lists, the exception
handlers and `max_body_size` from the instance once, at start-up.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, TypeVar

from prebake._depends import Depends
from prebake._middleware import BaseHTTPMiddleware, Middleware
from prebake._routing import HTTP_METHODS, RouteInfo, Router, _check_status_code
from prebake._state import State

__all__ = ["HTTP_METHODS", "App", "RouteInfo"]

E = TypeVar("E", bound=Callable[..., Any])
M = TypeVar("M", bound=Callable[..., Any])
H = TypeVar("H", bound=Callable[[], Any])

#: `lifespan=`: called with the app, an async context manager whose entry
#: runs before the server accepts connections and whose exit runs after the
#: last in-flight request of a graceful shutdown. A mapping it yields becomes
#: every request's `request.state`.
Lifespan = Callable[[Any], AbstractAsyncContextManager[Any]]

#: An exception handler: `(request, exc) -> Response`, `def` or `async def`.
ExceptionHandler = Callable[..., Any]


class App(Router):
    """A prebake application: metadata, routes and application-wide parts.

    `max_body_size` is the largest request body, in bytes, the server reads
    before answering 413; `max_upload_size` the same for routes that take
    uploaded files (spooled to disk past 1 MiB; never below `max_body_size`). `server_header` is the `Server` header's value on
    every response (`None` leaves it out; the `Date` header is always sent).
    `openapi_url`, `docs_url` and `redoc_url` are where the compiled server answers with the OpenAPI document, Swagger UI
    and ReDoc (generated at build time; `None` turns one off, and without
    the document there are no pages). `templates` is the folder, beside
    the app's file, that `template=` names are looked up in; templates are
    compiled into the binary, so it is read at build time only.

    `health_path` and `ready_path` are probe endpoints the server answers
    itself, without running Python: liveness (200 while the process runs)
    and readiness (200 once the app and its lifespan have started, 503 from
    SIGTERM on, while in-flight requests drain). Both are off by default;
    the `--health-path` and `--ready-path` server flags set or override them.
    """

    __slots__ = (
        "title",
        "version",
        "description",
        "max_body_size",
        "max_upload_size",
        "server_header",
        "openapi_url",
        "docs_url",
        "redoc_url",
        "health_path",
        "ready_path",
        "lifespan",
        "on_startup",
        "on_shutdown",
        "exception_handlers",
        "state",
        "mounts",
        "user_middleware",
        "templates",
    )

    def __init__(
        self,
        title: str = "prebake app",
        version: str = "0.1.0",
        *,
        description: str | None = None,
        max_body_size: int = 1_048_576,
        max_upload_size: int = 64 * 1_048_576,
        dependencies: Sequence[Depends] | None = None,
        lifespan: Lifespan | None = None,
        on_startup: Sequence[Callable[[], Any]] | None = None,
        on_shutdown: Sequence[Callable[[], Any]] | None = None,
        exception_handlers: Mapping[type[BaseException] | int, ExceptionHandler] | None = None,
        sync_to_thread: bool | None = None,
        server_header: str | None = "prebake",
        openapi_url: str | None = "/openapi.json",
        docs_url: str | None = "/docs",
        redoc_url: str | None = "/redoc",
        middleware: Sequence[Middleware] | None = None,
        templates: str = "templates",
        health_path: str | None = None,
        ready_path: str | None = None,
    ) -> None:
        for name, url in (
            ("openapi_url", openapi_url),
            ("docs_url", docs_url),
            ("redoc_url", redoc_url),
            ("health_path", health_path),
            ("ready_path", ready_path),
        ):
            if url is not None and (not isinstance(url, str) or not url.startswith("/")):
                raise ValueError(f"{name} must be a path starting with '/' or None, got {url!r}")
        if isinstance(max_body_size, bool) or not isinstance(max_body_size, int):
            raise TypeError(f"max_body_size must be an int, got {max_body_size!r}")
        if max_body_size < 0:
            raise ValueError(f"max_body_size must be >= 0, got {max_body_size}")
        if isinstance(max_upload_size, bool) or not isinstance(max_upload_size, int):
            raise TypeError(f"max_upload_size must be an int, got {max_upload_size!r}")
        if max_upload_size < 0:
            raise ValueError(f"max_upload_size must be >= 0, got {max_upload_size}")
        if server_header is not None and (
            not isinstance(server_header, str)
            or not server_header
            or any(not (" " <= c <= "~") for c in server_header)
            or server_header != server_header.strip()
        ):
            raise ValueError(
                f"server_header must be a non-empty string of visible ASCII characters or None, got {server_header!r}"
            )
        if lifespan is not None and not callable(lifespan):
            raise TypeError(f"lifespan must be callable, got {lifespan!r}")
        self._init_router("", None, dependencies, sync_to_thread)
        self.title = title
        self.version = version
        self.description = description
        self.max_body_size = max_body_size
        self.max_upload_size = max_upload_size
        self.server_header = server_header
        self.openapi_url = openapi_url
        self.docs_url = docs_url
        self.redoc_url = redoc_url
        self.health_path = health_path
        self.ready_path = ready_path
        self.lifespan = lifespan
        if not isinstance(templates, str) or not templates:
            raise TypeError(f"templates must be a folder name (str), got {templates!r}")
        #: The folder of the route templates, relative to the app's file.
        self.templates = templates
        self.on_startup: list[Callable[[], Any]] = _callables("on_startup", on_startup)
        self.on_shutdown: list[Callable[[], Any]] = _callables("on_shutdown", on_shutdown)
        self.exception_handlers: dict[type[BaseException] | int, ExceptionHandler] = {}
        for key, handler in (exception_handlers or {}).items():
            self.add_exception_handler(key, handler)
        #: Application-wide state, as Starlette's `app.state`.
        self.state = State()
        #: `(path, app, name)` of each `mount` call.
        self.mounts: list[tuple[str, Any, str | None]] = []
        #: The middleware, outermost first (Starlette's `user_middleware`).
        self.user_middleware: list[Middleware] = []
        for m in middleware or ():
            if not isinstance(m, Middleware):
                raise TypeError(f"middleware= takes Middleware(...) entries, got {m!r}")
            self.user_middleware.append(m)

    def mount(self, path: str, app: Any, name: str | None = None) -> None:
        """Serve `app` (a `StaticFiles`) under `path`, as Starlette's
        `app.mount`. The compiler reads the call; the server serves the
        files itself."""
        if not isinstance(path, str) or not path.startswith("/"):
            raise ValueError(f"a mount path must start with '/', got {path!r}")
        self.mounts.append((path.rstrip("/"), app, name))

    def __repr__(self) -> str:
        return f"App(title={self.title!r}, version={self.version!r}, routes={len(self.routes)})"

    def add_exception_handler(
        self, exc_class_or_status_code: type[BaseException] | int, handler: ExceptionHandler
    ) -> None:
        """Answer exceptions of a class (the most specific registered class
        wins), or `HTTPException`s of a status code, with `handler(request, exc)`."""
        key = exc_class_or_status_code
        if isinstance(key, int) and not isinstance(key, bool):
            _check_status_code(key)
        elif not (isinstance(key, type) and issubclass(key, BaseException)):
            raise TypeError(f"exception handlers are keyed by exception class or status code, got {key!r}")
        if not callable(handler):
            raise TypeError(f"an exception handler must be callable, got {handler!r}")
        self.exception_handlers[key] = handler

    def add_middleware(self, middleware_class: Any, *args: Any, **kwargs: Any) -> None:
        """Add a middleware around everything added before it (the last
        added runs outermost, as in Starlette)."""
        self.user_middleware.insert(0, Middleware(middleware_class, *args, **kwargs))

    def middleware(self, middleware_type: str) -> Callable[[M], M]:
        """`@app.middleware("http")`: `async def m(request, call_next)` as a
        `BaseHTTPMiddleware`."""
        if middleware_type != "http":
            raise ValueError('middleware_type must be "http"')

        def decorator(func: M) -> M:
            self.add_middleware(BaseHTTPMiddleware, dispatch=func)
            return func

        return decorator

    def add_event_handler(self, event_type: str, func: Callable[[], Any]) -> None:
        """Run `func` (plain or `async`) at start-up (`"startup"`) or at
        shutdown (`"shutdown"`), as Starlette's `add_event_handler`: the
        same lists as `on_startup=` and `on_shutdown=`."""
        if not callable(func):
            raise TypeError(f"an event handler must be callable, got {func!r}")
        if event_type == "startup":
            self.on_startup.append(func)
        elif event_type == "shutdown":
            self.on_shutdown.append(func)
        else:
            raise ValueError(f'event_type must be "startup" or "shutdown", got {event_type!r}')

    def on_event(self, event_type: str) -> Callable[[H], H]:
        """`@app.on_event("startup")`: FastAPI's older spelling of
        `lifespan=`, kept for ported code."""

        def decorator(func: H) -> H:
            self.add_event_handler(event_type, func)
            return func

        return decorator

    def exception_handler(
        self, exc_class_or_status_code: type[BaseException] | int
    ) -> Callable[[E], E]:
        """Decorator form of `add_exception_handler`."""

        def decorator(func: E) -> E:
            self.add_exception_handler(exc_class_or_status_code, func)
            return func

        return decorator


def _callables(name: str, funcs: Sequence[Callable[[], Any]] | None) -> list[Callable[[], Any]]:
    result = list(funcs or ())
    for f in result:
        if not callable(f):
            raise TypeError(f"{name} must hold callables, got {f!r}")
    return result

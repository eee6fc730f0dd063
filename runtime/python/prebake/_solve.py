"""What generated route functions call to run a dependency graph.

The compiler resolves each route's dependencies at build time and emits, for
a route that has any, a small Python function (`_prebake_routes.<route>`)
that makes the calls in order: no signature is inspected per request. When
the graph has nothing to do after the response (no `yield` dependency, no
`BackgroundTasks`, no `Response` parameter) that function simply returns the
handler's value. Otherwise it keeps a `Scope`:

- `enter`/`aenter` step a generator dependency to its `yield` and remember
  it;
- on an exception out of the handler or a later dependency, `fail`/`afail`
  throw it into the remembered generators, newest first, so an `except`
  there can turn it into an `HTTPException`, and re-raise what comes out;
- on success, `done` runs the teardown of `scope="function"` generators
  (before the response is built) and hands the runtime the scope, whose
  `result` is the handler's value, whose `response` is the `Response`
  parameter (status, headers and cookies to merge), and whose `close` (or
  `aclose`) the runtime calls after the response is sent: background tasks
  in order, then the teardown of the other generators, newest first.

Semantics follow FastAPI's (0.121 and later): an exception thrown into a
generator that swallows it is an error (the request is answered 500), a
generator that yields twice is an error, and an exception after the
response is sent is logged only.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator
from typing import Any

from prebake._background import BackgroundTask, BackgroundTasks
from prebake._response import Response

__all__ = ["Scope", "background_scope", "default", "placeholder_response"]


def default(func: Any, name: str) -> Any:
    """The default of parameter `name` of `func` (a function, a class or a
    callable instance), read once when the route functions are defined."""
    # Imported here: start-up only, and only by apps with dependencies.
    import inspect

    value = inspect.signature(func).parameters[name].default
    if value is inspect.Parameter.empty:
        raise TypeError(f"parameter {name!r} of {func!r} has no default")
    return value


class DependencyError(RuntimeError):
    """A `yield` dependency broke the protocol (never yielded, yielded
    twice, or swallowed an exception thrown into it)."""


def placeholder_response() -> Response:
    """The `Response` a handler or dependency parameter receives: no status
    (the route's applies), no headers, no cookies."""
    r = Response.__new__(Response)
    r.body = b""
    r.status_code = None  # type: ignore[assignment]
    r.headers = {}
    r.media_type = None  # type: ignore[assignment]
    r.background = None
    r.set_cookies = []
    return r


class Scope:
    """One request's dependency state: entered generators, background
    tasks, the `Response` parameter, and the handler's result."""

    __slots__ = ("_request_gens", "_function_gens", "background", "response", "result", "is_async")

    def __init__(self) -> None:
        self._request_gens: list[Generator[Any, None, None] | AsyncGenerator[Any, None]] = []
        self._function_gens: list[Generator[Any, None, None] | AsyncGenerator[Any, None]] = []
        self.background: BackgroundTasks | None = None
        self.response: Response | None = None
        self.result: Any = None
        #: Whether `aclose` must be used (an async generator or task).
        self.is_async = False

    # --- building the graph ------------------------------------------------

    def tasks(self) -> BackgroundTasks:
        """The request's one `BackgroundTasks`."""
        if self.background is None:
            self.background = BackgroundTasks()
        return self.background

    def temporal(self) -> Response:
        """The request's one `Response` parameter."""
        if self.response is None:
            self.response = placeholder_response()
        return self.response

    def enter(self, gen: Generator[Any, None, None], function_scope: bool = False) -> Any:
        """Run a generator dependency to its `yield`; its value."""
        try:
            value = next(gen)
        except StopIteration:
            raise DependencyError(f"dependency {_name(gen)} did not yield") from None
        (self._function_gens if function_scope else self._request_gens).append(gen)
        return value

    async def aenter(self, gen: AsyncGenerator[Any, None], function_scope: bool = False) -> Any:
        """Run an async generator dependency to its `yield`; its value."""
        try:
            value = await gen.__anext__()
        except StopAsyncIteration:
            raise DependencyError(f"dependency {_name(gen)} did not yield") from None
        (self._function_gens if function_scope else self._request_gens).append(gen)
        self.is_async = True
        return value

    # --- the exception path ------------------------------------------------

    def fail(self, exc: BaseException) -> BaseException:
        """Throw `exc` into every entered generator, newest first (function
        scope first); return what must be raised."""
        for gens in (self._function_gens, self._request_gens):
            while gens:
                gen = gens.pop()
                assert isinstance(gen, Generator), "an async graph uses afail"
                exc = _throw(gen, exc)
        return exc

    async def afail(self, exc: BaseException) -> BaseException:
        """`fail` for a graph with async generators."""
        for gens in (self._function_gens, self._request_gens):
            while gens:
                gen = gens.pop()
                if isinstance(gen, Generator):
                    exc = _throw(gen, exc)
                else:
                    exc = await _athrow(gen, exc)
        return exc

    # --- the success path --------------------------------------------------

    def done(self, result: Any) -> Scope:
        """The handler returned `result`: tear down function-scope
        generators now; the rest waits for `close`."""
        while self._function_gens:
            gen = self._function_gens.pop()
            if not isinstance(gen, Generator):
                raise DependencyError("an async generator teardown needs adone")
            _finish(gen)
        self.result = result
        if self.background is not None and any(t.is_async for t in self.background.tasks):
            self.is_async = True
        return self

    async def adone(self, result: Any) -> Scope:
        """`done` for a graph with async generators."""
        while self._function_gens:
            gen = self._function_gens.pop()
            if isinstance(gen, Generator):
                _finish(gen)
            else:
                await _afinish(gen)
        self.result = result
        if self.background is not None and any(t.is_async for t in self.background.tasks):
            self.is_async = True
        return self

    def close(self) -> None:
        """After the response is sent: background tasks, then teardown.

        A task that raises stops the tasks after it and is thrown into the
        generators (as in FastAPI); whatever comes out is raised for the
        runtime to log."""
        error: BaseException | None = None
        try:
            if self.background is not None:
                for task in self.background.tasks:
                    task.run()
        except BaseException as e:  # noqa: BLE001 - handed to the generators
            error = e
        gens = self._request_gens
        while gens:
            gen = gens.pop()
            assert isinstance(gen, Generator)
            if error is None:
                try:
                    _finish(gen)
                except BaseException as e:  # noqa: BLE001 - the next ones still close
                    error = e
            else:
                error = _throw(gen, error)
        if error is not None:
            raise error

    async def aclose(self) -> None:
        """`close` for a graph with async parts."""
        error: BaseException | None = None
        try:
            if self.background is not None:
                for task in self.background.tasks:
                    out = task.run()
                    if task.is_async:
                        await out
        except BaseException as e:  # noqa: BLE001 - handed to the generators
            error = e
        gens = self._request_gens
        while gens:
            gen = gens.pop()
            if error is None:
                try:
                    if isinstance(gen, Generator):
                        _finish(gen)
                    else:
                        await _afinish(gen)
                except BaseException as e:  # noqa: BLE001 - the next ones still close
                    error = e
            elif isinstance(gen, Generator):
                error = _throw(gen, error)
            else:
                error = await _athrow(gen, error)
        if error is not None:
            raise error

    def replace_background(self, background: BackgroundTasks | BackgroundTask) -> None:
        """The handler returned a `Response` with tasks of its own: those
        run instead of the injected ones (as in FastAPI)."""
        if isinstance(background, BackgroundTask):
            background = BackgroundTasks([background])
        self.background = background
        if any(t.is_async for t in background.tasks):
            self.is_async = True

    def run_async_close(self) -> None:
        """`aclose` to completion on a loop of its own, for an app that has
        no event loop running (no `async def` route)."""
        # Imported here: only apps with async background work need asyncio.
        import asyncio

        asyncio.run(self.aclose())

    @property
    def pending(self) -> bool:
        """Whether `close` has anything to do."""
        return bool(self._request_gens) or bool(self.background and self.background.tasks)


def _name(gen: Any) -> str:
    code = getattr(gen, "gi_code", None) or getattr(gen, "ag_code", None)
    return f"`{code.co_name}`" if code is not None else repr(gen)


def _throw(gen: Generator[Any, None, None], exc: BaseException) -> BaseException:
    """Throw `exc` into `gen` at its `yield`; what the caller must raise."""
    try:
        gen.throw(exc)
    except StopIteration:
        return DependencyError(
            f"dependency {_name(gen)} caught an exception and did not raise it again "
            "(re-raise it, or raise an HTTPException, in its `except` block)"
        ).with_traceback(None)
    except BaseException as raised:  # noqa: BLE001 - the generator's answer
        return raised
    return DependencyError(f"dependency {_name(gen)} yielded again after an exception")


async def _athrow(gen: AsyncGenerator[Any, None], exc: BaseException) -> BaseException:
    try:
        await gen.athrow(exc)
    except StopAsyncIteration:
        return DependencyError(
            f"dependency {_name(gen)} caught an exception and did not raise it again "
            "(re-raise it, or raise an HTTPException, in its `except` block)"
        )
    except BaseException as raised:  # noqa: BLE001 - the generator's answer
        return raised
    return DependencyError(f"dependency {_name(gen)} yielded again after an exception")


def _finish(gen: Generator[Any, None, None]) -> None:
    try:
        next(gen)
    except StopIteration:
        return
    raise DependencyError(f"dependency {_name(gen)} yielded more than once")


async def _afinish(gen: AsyncGenerator[Any, None]) -> None:
    try:
        await gen.__anext__()
    except StopAsyncIteration:
        return
    raise DependencyError(f"dependency {_name(gen)} yielded more than once")


def background_scope(background: BackgroundTasks | BackgroundTask) -> Scope:
    """A `Scope` holding only the tasks of a `Response` a handler returned."""
    scope = Scope()
    scope.replace_background(background)
    return scope

"""What generated route functions call to run a dependency graph.

The compiler resolves each route's dependencies at build time and emits,
for a route that has any, a small Python function (`_prebake_routes.<route>`)
that makes the calls in order: no signature is inspected per request. A
`yield` dependency is stepped to its `yield` with `next` (or `__anext__`)
and kept in a list. When the handler or a later dependency raises, `fail`
(`afail`) throws the exception into the kept generators, newest first
(`scope="function"` ones first), so an `except` there can turn it into an
`HTTPException`, and the function raises what comes out. On success,
`teardown` (`ateardown`) closes the `scope="function"` generators before
the response is built.

A graph with work left for after the response returns a tuple instead of
the value: `(value, generators, background tasks, Response parameter,
needs the event loop)`. The runtime merges the `Response` parameter into the
response and, once the response is written, closes the generators itself
when that is all there is (a C-level send into each, no exception raised
for the common case) or calls `close` (`aclose`): background tasks in
order, then the generators, newest first.

Semantics follow FastAPI's (0.121 and later): a generator that swallows an
exception thrown into it, or yields again, is an error (the request is
answered 500), and a failure after the response is sent is logged only.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator, Sequence
from typing import Any

from prebake._background import BackgroundTask, BackgroundTasks
from prebake._response import Response

__all__ = [
    "BackgroundTasks",
    "DependencyError",
    "aclose",
    "afail",
    "ateardown",
    "background_tasks",
    "close",
    "default",
    "fail",
    "placeholder_response",
    "teardown",
]

Gen = Generator[Any, None, None] | AsyncGenerator[Any, None]


class DependencyError(RuntimeError):
    """A `yield` dependency broke the protocol (yielded twice, or
    swallowed an exception thrown into it)."""


def default(func: Any, name: str) -> Any:
    """The default of parameter `name` of `func` (a function, a class or a
    callable instance), read once when the route functions are defined."""
    # Imported here: start-up only, and only by apps with dependencies.
    import inspect

    value = inspect.signature(func).parameters[name].default
    if value is inspect.Parameter.empty:
        raise TypeError(f"parameter {name!r} of {func!r} has no default")
    return value


def placeholder_response() -> Response:
    """The `Response` a handler or dependency parameter receives: no status
    (the route's applies), no headers, no cookies."""
    r = Response.__new__(Response)
    r.body = b""
    r.status_code = None  # type: ignore[assignment]
    r.headers = {}
    r.media_type = None
    r.background = None
    r.set_cookies = []
    return r


# --- the exception path ---------------------------------------------------


def fail(fgens: list[Gen] | Sequence[Gen], gens: list[Gen] | Sequence[Gen], exc: BaseException) -> BaseException:
    """Throws `exc` into every entered generator, newest first, the
    `scope="function"` ones first; what the route function must raise."""
    for group in (fgens, gens):
        for gen in reversed(group):
            assert isinstance(gen, Generator), "an async graph uses afail"
            exc = _throw(gen, exc)
    return exc


async def afail(fgens: Sequence[Gen], gens: Sequence[Gen], exc: BaseException) -> BaseException:
    """`fail` for a graph with async generators."""
    for group in (fgens, gens):
        for gen in reversed(group):
            if isinstance(gen, Generator):
                exc = _throw(gen, exc)
            else:
                exc = await _athrow(gen, exc)
    return exc


# --- the success path -----------------------------------------------------


def teardown(fgens: list[Gen]) -> None:
    """Closes the `scope="function"` generators, newest first (each removed
    as it closes, so a failure leaves `fail` only the others)."""
    while fgens:
        gen = fgens.pop()
        assert isinstance(gen, Generator), "an async graph uses ateardown"
        _finish(gen)


async def ateardown(fgens: list[Gen]) -> None:
    """`teardown` for a graph with async generators."""
    while fgens:
        gen = fgens.pop()
        if isinstance(gen, Generator):
            _finish(gen)
        else:
            await _afinish(gen)


def close(gens: list[Gen] | None, background: BackgroundTasks | None) -> None:
    """After the response is sent: background tasks, then the generators,
    newest first. A task that raises stops the tasks after it and is
    thrown into the generators (as in FastAPI); whatever comes out is
    raised for the runtime to log."""
    error: BaseException | None = None
    try:
        if background is not None:
            for task in background.tasks:
                out = task.run()
                if task.is_async:
                    _run(out)
    except BaseException as e:  # noqa: BLE001 - handed to the generators
        error = e
    for gen in reversed(gens or ()):
        if isinstance(gen, Generator):
            if error is None:
                try:
                    _finish(gen)
                except BaseException as e:  # noqa: BLE001 - the next ones still close
                    error = e
            else:
                error = _throw(gen, error)
        else:
            # An async generator without the app's loop running.
            if error is None:
                try:
                    _run(_afinish(gen))
                except BaseException as e:  # noqa: BLE001
                    error = e
            else:
                error = _run(_athrow(gen, error))
    if error is not None:
        raise error


async def aclose(gens: list[Gen] | None, background: BackgroundTasks | None) -> None:
    """`close` on the app's event loop (async tasks or generators)."""
    error: BaseException | None = None
    try:
        if background is not None:
            for task in background.tasks:
                out = task.run()
                if task.is_async:
                    await out
    except BaseException as e:  # noqa: BLE001 - handed to the generators
        error = e
    for gen in reversed(gens or ()):
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


def background_tasks(background: BackgroundTasks | BackgroundTask) -> BackgroundTasks:
    """A `Response`'s `background=` as a `BackgroundTasks`."""
    if isinstance(background, BackgroundTask):
        return BackgroundTasks([background])
    return background


def needs_loop(gens: list[Gen] | None, background: BackgroundTasks | None) -> bool:
    """Whether closing runs anything async."""
    if background is not None and any(t.is_async for t in background.tasks):
        return True
    return any(not isinstance(g, Generator) for g in gens or ())


# --- one generator --------------------------------------------------------


def _name(gen: Any) -> str:
    code = getattr(gen, "gi_code", None) or getattr(gen, "ag_code", None)
    return f"`{code.co_name}`" if code is not None else repr(gen)


def _swallowed(gen: Gen) -> DependencyError:
    return DependencyError(
        f"dependency {_name(gen)} caught an exception and did not raise it again "
        "(re-raise it, or raise an HTTPException, in its `except` block)"
    )


def _yielded_again(gen: Gen) -> DependencyError:
    return DependencyError(f"dependency {_name(gen)} yielded again after an exception")


def _throw(gen: Generator[Any, None, None], exc: BaseException) -> BaseException:
    """Throws `exc` into `gen` at its `yield`; what the caller must raise."""
    try:
        gen.throw(exc)
    except StopIteration:
        return _swallowed(gen)
    except BaseException as raised:  # noqa: BLE001 - the generator's answer
        return raised
    return _yielded_again(gen)


async def _athrow(gen: AsyncGenerator[Any, None], exc: BaseException) -> BaseException:
    try:
        await gen.athrow(exc)
    except StopAsyncIteration:
        return _swallowed(gen)
    except BaseException as raised:  # noqa: BLE001 - the generator's answer
        return raised
    return _yielded_again(gen)


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


def _run(awaitable: Any) -> Any:
    """Runs a coroutine on a loop of its own: for async background work in
    an app whose event loop is not available."""
    # Imported here: only apps with async background work need asyncio.
    import asyncio

    return asyncio.run(_wrap(awaitable))


async def _wrap(awaitable: Any) -> Any:
    return await awaitable

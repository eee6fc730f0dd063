"""`BackgroundTasks`: work that runs after the response is sent.

Take a parameter annotated `BackgroundTasks` (in the handler or any of its
dependencies: they share one per request) and `add_task` to it. The server
sends the response first, then runs the tasks in the order they were added,
`def` and `async def` alike. A task that raises is logged with its route;
as in Starlette, the tasks after it do not run. Other requests are never
affected.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ParamSpec

__all__ = ["BackgroundTask", "BackgroundTasks"]

P = ParamSpec("P")


class BackgroundTask:
    """One call to make after the response: `func(*args, **kwargs)`."""

    __slots__ = ("func", "args", "kwargs", "is_async")

    def __init__(self, func: Callable[P, Any], *args: P.args, **kwargs: P.kwargs) -> None:
        if not callable(func):
            raise TypeError(f"a background task must be callable, got {func!r}")
        self.func = func
        self.args = args
        self.kwargs = kwargs
        self.is_async = _is_async(func)

    def run(self) -> Any:
        """Call it; an `async def` task returns its coroutine."""
        return self.func(*self.args, **self.kwargs)

    def __repr__(self) -> str:
        return f"BackgroundTask({getattr(self.func, '__qualname__', self.func)!r})"


class BackgroundTasks:
    """The tasks of one request, run in order after its response is sent."""

    __slots__ = ("tasks",)

    def __init__(self, tasks: list[BackgroundTask] | None = None) -> None:
        self.tasks: list[BackgroundTask] = list(tasks or [])

    def add_task(self, func: Callable[P, Any], *args: P.args, **kwargs: P.kwargs) -> None:
        """Run `func(*args, **kwargs)` after the response is sent."""
        self.tasks.append(BackgroundTask(func, *args, **kwargs))

    def __len__(self) -> int:
        return len(self.tasks)

    def __repr__(self) -> str:
        return f"BackgroundTasks({self.tasks!r})"


def _is_async(func: Callable[..., Any]) -> bool:
    # Imported here: `inspect` is a start-up cost only apps with tasks pay.
    import inspect

    from functools import partial

    while isinstance(func, partial):
        func = func.func
    if inspect.iscoroutinefunction(func):
        return True
    call = getattr(func, "__call__", None)  # noqa: B004 - a callable instance
    return not inspect.isroutine(func) and not isinstance(func, type) and (
        call is not None and inspect.iscoroutinefunction(call)
    )

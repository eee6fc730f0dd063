"""`State`: attribute access over a plain dict, as Starlette's `State`.

`request.state` is a fresh `State` over a shallow copy of what the app's
lifespan yielded (so setting an attribute stays with the request), and
`app.state` one for the whole application.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

__all__ = ["State"]


class State:
    """An object whose attributes live in a dict; a missing one is an
    `AttributeError` naming it."""

    __slots__ = ("_state",)

    _state: dict[str, Any]

    def __init__(self, state: Mapping[str, Any] | None = None) -> None:
        object.__setattr__(self, "_state", dict(state or {}))

    def __getattr__(self, key: str) -> Any:
        try:
            return self._state[key]
        except KeyError:
            raise AttributeError(f"'State' object has no attribute '{key}'") from None

    def __setattr__(self, key: str, value: Any) -> None:
        self._state[key] = value

    def __delattr__(self, key: str) -> None:
        try:
            del self._state[key]
        except KeyError:
            raise AttributeError(f"'State' object has no attribute '{key}'") from None

    def __contains__(self, key: object) -> bool:
        return key in self._state

    def __iter__(self) -> Iterator[str]:
        return iter(self._state)

    def __repr__(self) -> str:
        return f"State({self._state!r})"

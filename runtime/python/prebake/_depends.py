"""`Depends`: a parameter whose value another callable provides.

Written as FastAPI writes it::

    def get_db() -> Iterator[Session]:
        with Session() as s:
            yield s

    @app.get("/items")
    def items(db: Annotated[Session, Depends(get_db)]) -> list[Item]: ...

The compiler resolves each route's whole dependency graph at build time and
generates the calls in order: nothing inspects a signature per request. The
marker itself is an inert, immutable value.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal

__all__ = ["Depends", "Security"]

#: When the code after a `yield` dependency's `yield` runs: `"request"`
#: (the default) after the response is sent, `"function"` before it is.
Scope = Literal["function", "request"]


class Depends:
    """Mark a parameter as provided by `dependency`.

    `dependency` is a function (`def` or `async def`, a generator for setup
    and teardown), a class (called with its `__init__` parameters), or a
    callable instance; left out, the annotated type is the dependency. Its
    own parameters bind exactly as a handler's do. Within one request a
    dependency is called once and its value shared, unless
    `use_cache=False`. `scope` chooses when a generator's teardown runs.
    """

    __slots__ = ("dependency", "use_cache", "scope")

    dependency: Callable[..., Any] | None
    use_cache: bool
    scope: Scope | None

    def __init__(
        self,
        dependency: Callable[..., Any] | None = None,
        *,
        use_cache: bool = True,
        scope: Scope | None = None,
    ) -> None:
        if dependency is not None and not callable(dependency):
            raise TypeError(f"Depends takes a callable, got {dependency!r}")
        if not isinstance(use_cache, bool):
            raise TypeError(f"use_cache must be a bool, got {use_cache!r}")
        if scope not in (None, "function", "request"):
            raise ValueError(f"scope must be 'function' or 'request', got {scope!r}")
        object.__setattr__(self, "dependency", dependency)
        object.__setattr__(self, "use_cache", use_cache)
        object.__setattr__(self, "scope", scope)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, Depends)
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash((type(self), self._key()))

    def _key(self) -> tuple[Any, ...]:
        return (self.dependency, self.use_cache, self.scope)

    def __repr__(self) -> str:
        name = getattr(self.dependency, "__name__", None) or repr(self.dependency)
        extra = "" if self.use_cache else ", use_cache=False"
        if self.scope is not None:
            extra += f", scope={self.scope!r}"
        return f"{type(self).__name__}({'' if self.dependency is None else name}{extra})"


class Security(Depends):
    """`Depends` for a security dependency, with the OAuth2 `scopes` it needs.

    prebake does not check scopes itself; they are recorded for the
    API's documentation.
    """

    __slots__ = ("scopes",)

    scopes: tuple[str, ...]

    def __init__(
        self,
        dependency: Callable[..., Any] | None = None,
        *,
        scopes: Sequence[str] | None = None,
        use_cache: bool = True,
    ) -> None:
        super().__init__(dependency, use_cache=use_cache)
        if isinstance(scopes, str):
            raise TypeError("scopes must be a sequence of strings, not a string")
        object.__setattr__(self, "scopes", tuple(scopes or ()))

    def _key(self) -> tuple[Any, ...]:
        return (*super()._key(), self.scopes)

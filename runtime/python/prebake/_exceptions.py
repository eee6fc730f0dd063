"""`HTTPException`: raise it from a handler to answer with an error status."""

from __future__ import annotations

import re
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

__all__ = ["HTTPException", "RequestValidationError"]


class HTTPException(Exception):
    """Stop handling the request and answer `status_code`.

    The client receives `{"status_code": N, "detail": ...}` (plus the given
    `headers`); `detail` is JSON encoded as msgspec encodes it, and defaults to
    the standard reason phrase of the status (`404` gives `"Not Found"`).
    """

    status_code: int
    detail: Any
    headers: dict[str, str]

    def __init__(
        self,
        status_code: int,
        detail: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        if isinstance(status_code, bool) or not isinstance(status_code, int):
            raise TypeError(f"status_code must be an int, got {status_code!r}")
        if not 100 <= status_code <= 599:
            raise ValueError(f"status_code must be between 100 and 599, got {status_code}")
        if detail is None:
            detail = _reason_phrase(status_code)
        super().__init__(status_code, detail)
        self.status_code = status_code
        self.detail = detail
        self.headers = dict(headers) if headers is not None else {}

    def __str__(self) -> str:
        return f"{self.status_code}: {self.detail}"

    def __repr__(self) -> str:
        extra = f", headers={self.headers!r}" if self.headers else ""
        name = type(self).__name__
        return f"{name}(status_code={self.status_code!r}, detail={self.detail!r}{extra})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.status_code, self.detail, self.headers))


def _reason_phrase(status_code: int) -> str:
    try:
        return HTTPStatus(status_code).phrase
    except ValueError:
        return "Unknown Status Code"


class RequestValidationError(ValueError):
    """A request that does not fit the handler's declared parameters.

    The server raises it for every failure docs/semantics.md's 400 answers
    cover (invalid JSON, a value that does not validate, a missing required
    parameter); without a handler for it the client gets that 400. Register
    one (`@app.exception_handler(RequestValidationError)`) to answer in
    another shape, FastAPI's 422 for instance. `errors()` gives the entries
    of the 400's `extra` list, `{"message", "key", "source"}` each, and
    `body` the raw request body (`None` when the route reads none).
    """

    def __init__(self, errors: list[dict[str, Any]], *, body: Any = None) -> None:
        super().__init__(errors)
        self._errors = list(errors)
        self.body = body

    def errors(self) -> list[dict[str, Any]]:
        """The validation errors, in the order they were found.

        Each has the 400's `message`, `key` and `source`, and FastAPI's
        `loc` (`("path", "item_id")`, `("body", "items", 0, "name")`), `msg`
        and `type` (`missing` or `value_error`), so that handlers ported from
        FastAPI read them unchanged.
        """
        return [_with_fastapi_keys(e) for e in self._errors]

    def __str__(self) -> str:
        n = len(self._errors)
        lines = [f"{n} validation error{'s' if n != 1 else ''}:"]
        for e in self._errors:
            where = f" ({e.get('source')} {e.get('key')})" if e.get("key") else ""
            lines.append(f"  {e.get('message')}{where}")
        return "\n".join(lines)


_KEY_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _with_fastapi_keys(error: dict[str, Any]) -> dict[str, Any]:
    """`error` with FastAPI's `loc`, `msg` and `type` added (its own kept)."""
    out = dict(error)
    key = str(error.get("key") or "")
    loc: list[str | int] = [str(error.get("source") or "body")]
    for name, index in _KEY_PART.findall(key):
        loc.append(int(index) if index else name)
    message = str(error.get("message", ""))
    out.setdefault("loc", tuple(loc))
    out.setdefault("msg", message)
    out.setdefault("type", "missing" if "issing required" in message else "value_error")
    return out

"""`Response` and `JSONResponse`: a response built by the handler itself.

A handler annotated `-> Response` returns one of these and the server sends
it as is: `status_code`, then `headers`, then `Content-Type: media_type`,
then `body`. Any other return annotation lets generated code encode the value.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["JSONResponse", "Response"]

TEXT = "text/plain; charset=utf-8"
OCTET_STREAM = "application/octet-stream"
JSON = "application/json"

# Headers the server derives from the other fields rather than taking verbatim.
_DERIVED = frozenset({"content-type", "content-length"})


class Response:
    """An HTTP response, sent exactly as built.

    `content` may be `bytes`, `str` (encoded as UTF-8), or any other value
    msgspec encodes, which is sent as JSON (as Litestar's `Response` does).
    `media_type` becomes the `Content-Type` header; it defaults to a
    `Content-Type` entry of `headers`, then to `text/plain; charset=utf-8`
    for `str` content, `application/octet-stream` for `bytes` and
    `application/json` for the rest. The constructor moves any
    `Content-Type` entry out of `headers` and drops `Content-Length`, which
    the server computes, so `headers` holds only the other headers.
    """

    __slots__ = ("body", "status_code", "headers", "media_type")

    body: bytes
    status_code: int
    headers: dict[str, str]
    media_type: str

    def __init__(
        self,
        content: Any = b"",
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
    ) -> None:
        if isinstance(content, str):
            body = content.encode("utf-8")
            default_type = TEXT
        elif isinstance(content, bytes):
            body = content
            default_type = OCTET_STREAM
        else:
            import msgspec

            try:
                body = msgspec.json.encode(content)
            except (TypeError, ValueError) as e:
                raise TypeError(
                    f"Response content must be bytes, str or a value msgspec encodes as JSON, "
                    f"got {type(content).__name__}: {e}"
                ) from e
            default_type = JSON
        if isinstance(status_code, bool) or not isinstance(status_code, int):
            raise TypeError(f"status_code must be an int, got {status_code!r}")
        if not 100 <= status_code <= 599:
            raise ValueError(f"status_code must be between 100 and 599, got {status_code}")

        own: dict[str, str] = {}
        header_type: str | None = None
        for name, value in (headers or {}).items():
            _check_header(name, value)
            lowered = name.lower()
            if lowered == "content-type":
                header_type = value
            elif lowered not in _DERIVED:
                own[name] = value
        if media_type is not None:
            _check_header("media_type", media_type)

        self.body = body
        self.status_code = status_code
        self.headers = own
        self.media_type = media_type or header_type or default_type

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status_code={self.status_code!r}, "
            f"media_type={self.media_type!r}, body={self.body[:64]!r})"
        )


class JSONResponse(Response):
    """A `Response` whose body is `msgspec.json.encode(content)`."""

    __slots__ = ()

    def __init__(
        self,
        content: Any,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        import msgspec

        super().__init__(msgspec.json.encode(content), status_code, headers, JSON)


def _check_header(name: object, value: object) -> None:
    if not isinstance(name, str) or not isinstance(value, str):
        raise TypeError(f"header names and values must be str, got {name!r}: {value!r}")
    if any(c in name or c in value for c in "\r\n\0"):
        raise ValueError(f"header {name!r} contains a line break or NUL")

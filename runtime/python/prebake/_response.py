"""`Response`, `JSONResponse` and `HTMLResponse`: a response built by the handler itself.

A handler annotated `-> Response` returns one of these and the server sends
it as is: `status_code`, then `headers`, then `Content-Type: media_type`,
then `body`. Any other return annotation lets generated code encode the value.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Literal

if TYPE_CHECKING:
    from datetime import datetime

    from prebake._background import BackgroundTask, BackgroundTasks

__all__ = [
    "FileResponse",
    "HTMLResponse",
    "JSONResponse",
    "ORJSONResponse",
    "PlainTextResponse",
    "RedirectResponse",
    "Response",
    "StreamingResponse",
    "UJSONResponse",
]

TEXT = "text/plain; charset=utf-8"
OCTET_STREAM = "application/octet-stream"
JSON = "application/json"
HTML = "text/html; charset=utf-8"

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

    __slots__ = ("body", "status_code", "headers", "media_type", "background", "set_cookies")

    #: How the server sends it: 0 the body as built, 1 a file
    #: (`FileResponse`), 2 an iterator's chunks (`StreamingResponse`).
    _send_kind: ClassVar[int] = 0

    body: bytes
    status_code: int
    headers: dict[str, str]
    #: `None` sends no `Content-Type` (a `RedirectResponse`; a
    #: `FileResponse` whose type the server guesses from the file name).
    media_type: str | None
    #: Tasks to run after this response is sent.
    background: BackgroundTasks | BackgroundTask | None
    #: `Set-Cookie` header values, one per `set_cookie` call, in order.
    set_cookies: list[str]

    def __init__(
        self,
        content: Any = b"",
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
        background: BackgroundTasks | BackgroundTask | None = None,
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
        self.background = background
        self.set_cookies = []

    @property
    def body_iterator(self) -> AsyncIterator[bytes]:
        """The body as one chunk, for middleware written against the
        streaming response Starlette's `call_next` gives."""

        async def chunks() -> AsyncIterator[bytes]:
            yield self.body

        return chunks()

    def set_cookie(
        self,
        key: str,
        value: str = "",
        max_age: int | None = None,
        expires: datetime | str | int | None = None,
        path: str | None = "/",
        domain: str | None = None,
        secure: bool = False,
        httponly: bool = False,
        samesite: Literal["lax", "strict", "none"] | None = "lax",
        partitioned: bool = False,
    ) -> None:
        """Add a `Set-Cookie` header, with Starlette's defaults and spelling
        (`Path=/`, `SameSite=lax`; attributes in sorted order; an `int`
        `expires` is that many seconds from now)."""
        self.set_cookies.append(
            _cookie(key, value, max_age, expires, path, domain, secure, httponly, samesite, partitioned)
        )

    def delete_cookie(
        self,
        key: str,
        path: str = "/",
        domain: str | None = None,
        secure: bool = False,
        httponly: bool = False,
        samesite: Literal["lax", "strict", "none"] | None = "lax",
        partitioned: bool = False,
    ) -> None:
        """Tell the client to drop cookie `key` (`Max-Age=0`, expired now)."""
        self.set_cookie(
            key,
            max_age=0,
            expires=0,
            path=path,
            domain=domain,
            secure=secure,
            httponly=httponly,
            samesite=samesite,
            partitioned=partitioned,
        )

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
        background: BackgroundTasks | BackgroundTask | None = None,
    ) -> None:
        import msgspec

        super().__init__(msgspec.json.encode(content), status_code, headers, JSON, background)


class ORJSONResponse(JSONResponse):
    """FastAPI's `ORJSONResponse`, for ported code: the same bytes as
    `JSONResponse`, since msgspec is already the fast encoder (no `orjson`
    needed)."""

    __slots__ = ()


class UJSONResponse(JSONResponse):
    """FastAPI's `UJSONResponse`, for ported code: `JSONResponse` under
    another name (msgspec encodes it; no `ujson` needed)."""

    __slots__ = ()


class HTMLResponse(Response):
    """A `Response` whose body is an HTML page the handler built itself:
    `text/html; charset=utf-8`, `str` content encoded as UTF-8 (as Starlette's).

    A route with `template=` renders its page from the returned model instead,
    escaped by the compiled template.
    """

    __slots__ = ()

    def __init__(
        self,
        content: str | bytes = b"",
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
        background: BackgroundTasks | BackgroundTask | None = None,
    ) -> None:
        checked: object = content
        if not isinstance(checked, (str, bytes)):
            raise TypeError(f"HTMLResponse content must be str or bytes, got {type(content).__name__}")
        super().__init__(content, status_code, headers, media_type or HTML, background)


def _check_header(name: object, value: object) -> None:
    if not isinstance(name, str) or not isinstance(value, str):
        raise TypeError(f"header names and values must be str, got {name!r}: {value!r}")
    if any(c in name or c in value for c in "\r\n\0"):
        raise ValueError(f"header {name!r} contains a line break or NUL")


def _cookie(
    key: str,
    value: str,
    max_age: int | None,
    expires: datetime | str | int | None,
    path: str | None,
    domain: str | None,
    secure: bool,
    httponly: bool,
    samesite: str | None,
    partitioned: bool,
) -> str:
    """One `Set-Cookie` value, spelled as Starlette spells it."""
    # Imported here: only apps that set cookies pay for `http.cookies`.
    from datetime import datetime
    from email.utils import format_datetime
    from http.cookies import SimpleCookie

    if samesite is not None and samesite.lower() not in ("strict", "lax", "none"):
        raise ValueError("samesite must be 'strict', 'lax' or 'none'")
    cookie: SimpleCookie = SimpleCookie()
    cookie[key] = value
    morsel = cookie[key]
    if max_age is not None:
        morsel["max-age"] = max_age
    if expires is not None:
        if isinstance(expires, datetime):
            morsel["expires"] = format_datetime(expires, usegmt=True)
        else:
            morsel["expires"] = expires
    if path is not None:
        morsel["path"] = path
    if domain is not None:
        morsel["domain"] = domain
    if secure:
        morsel["secure"] = True
    if httponly:
        morsel["httponly"] = True
    if samesite is not None:
        morsel["samesite"] = samesite
    text = cookie.output(header="").strip()
    if partitioned:
        text += "; Partitioned"
    return text


class PlainTextResponse(Response):
    """A `Response` of text, `text/plain; charset=utf-8`."""

    __slots__ = ()

    def __init__(
        self,
        content: str | bytes = b"",
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
        background: BackgroundTasks | BackgroundTask | None = None,
    ) -> None:
        super().__init__(content, status_code, headers, media_type or TEXT, background)


class RedirectResponse(Response):
    """A redirect to `url` (`307` unless `status_code` says otherwise), its
    `Location` percent-quoted as Starlette quotes it; no body."""

    __slots__ = ()

    def __init__(
        self,
        url: str,
        status_code: int = 307,
        headers: Mapping[str, str] | None = None,
        background: BackgroundTasks | BackgroundTask | None = None,
    ) -> None:
        # Imported here: only apps that redirect pay for `urllib.parse`.
        from urllib.parse import quote

        super().__init__(b"", status_code, headers, None, background)
        self.media_type = None
        self.headers["location"] = quote(str(url), safe=":/%#?=@[]!$&'()*+,;")


class FileResponse(Response):
    """The file at `path`, sent by the server in chunks as the connection
    drains, with `ETag`, `Last-Modified`, `Accept-Ranges` and `Range`
    (`206`, `416`) and, on a `200`, `If-None-Match`/`If-Modified-Since`
    (`304`). A relative `path` is relative to the app's folder.
    `media_type` defaults to the type guessed from `filename` or `path`;
    `filename` adds `Content-Disposition` (`attachment` unless
    `content_disposition_type` says otherwise). A missing file is a 500
    and a log line, as in Starlette."""

    __slots__ = ("path", "filename")
    _send_kind: ClassVar[int] = 1

    def __init__(
        self,
        path: str | os.PathLike[str],
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
        background: BackgroundTasks | BackgroundTask | None = None,
        filename: str | None = None,
        stat_result: os.stat_result | None = None,
        method: str | None = None,
        content_disposition_type: str = "attachment",
    ) -> None:
        super().__init__(b"", status_code, headers, media_type or "-", background)
        self.path = os.fspath(path)
        self.filename = filename
        self.media_type = media_type
        if filename is not None:
            from urllib.parse import quote

            quoted = quote(filename)
            if quoted != filename:
                disposition = f"{content_disposition_type}; filename*=utf-8''{quoted}"
            else:
                disposition = f'{content_disposition_type}; filename="{filename}"'
            if not any(k.lower() == "content-disposition" for k in self.headers):
                self.headers["content-disposition"] = disposition


class StreamingResponse(Response):
    """A body produced chunk by chunk by `content`, a sync or async
    iterator of `str` (UTF-8 encoded), `bytes` or `memoryview`, sent with
    chunked transfer coding. An exception raised by the iterator after the
    head was sent closes the connection (the client sees a truncated body)
    and is logged."""

    __slots__ = ("_content",)
    _send_kind: ClassVar[int] = 2

    def __init__(
        self,
        content: Iterable[Any] | AsyncIterable[Any],
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
        background: BackgroundTasks | BackgroundTask | None = None,
    ) -> None:
        super().__init__(b"", status_code, headers, media_type or "-", background)
        self.media_type = media_type
        if not isinstance(content, (Iterable, AsyncIterable)) or isinstance(content, (str, bytes)):
            raise TypeError(f"StreamingResponse content must be an iterator, got {type(content).__name__}")
        self._content = content

    @property
    def body_iterator(self) -> Iterable[Any] | AsyncIterable[Any]:  # type: ignore[override]
        """The iterator the body is read from, as given (sync or async)."""
        return self._content

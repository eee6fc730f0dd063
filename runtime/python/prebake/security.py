"""Security dependencies, as FastAPI's `fastapi.security` names them.

Each is a class whose instances are dependencies::

    bearer = HTTPBearer()

    @app.get("/me")
    def me(creds: Annotated[HTTPAuthorizationCredentials, Depends(bearer)]) -> User: ...

A missing or malformed credential answers 401 `Not authenticated` with the
scheme's `WWW-Authenticate` header (as FastAPI does since 0.122), unless
`auto_error=False`, in which case the dependency's value is `None`. They
read only the request: the compiler passes it to them.
"""

from __future__ import annotations

import binascii
from base64 import b64decode
from collections.abc import Mapping
from dataclasses import dataclass

from prebake._exceptions import HTTPException
from prebake._request import Request

__all__ = [
    "APIKeyCookie",
    "APIKeyHeader",
    "APIKeyQuery",
    "HTTPAuthorizationCredentials",
    "HTTPBasic",
    "HTTPBasicCredentials",
    "HTTPBearer",
    "OAuth2PasswordBearer",
    "OAuth2PasswordRequestForm",
    "OAuth2PasswordRequestFormStrict",
    "SecurityBase",
]


@dataclass(frozen=True)
class HTTPAuthorizationCredentials:
    """An `Authorization: <scheme> <credentials>` header, split."""

    scheme: str
    credentials: str


@dataclass(frozen=True)
class HTTPBasicCredentials:
    """The user name and password of HTTP Basic authentication."""

    username: str
    password: str


class SecurityBase:
    """Common base of the security dependencies; not used directly."""

    __slots__ = ("scheme_name", "description", "auto_error")

    def __init__(self, *, scheme_name: str | None, description: str | None, auto_error: bool) -> None:
        self.scheme_name = scheme_name or type(self).__name__
        self.description = description
        self.auto_error = auto_error

    def _not_authenticated(self, challenge: str) -> HTTPException:
        return HTTPException(401, "Not authenticated", headers={"WWW-Authenticate": challenge})


def _authorization(request: Request) -> tuple[str, str]:
    """The `Authorization` header as (scheme, credentials): split at the
    first space, the credentials stripped; empty strings when absent."""
    value = request.headers.get("authorization") or ""
    scheme, _, credentials = value.partition(" ")
    return scheme, credentials.strip()


class HTTPBearer(SecurityBase):
    """`Authorization: Bearer <token>`; the value is its
    `HTTPAuthorizationCredentials`."""

    __slots__ = ("bearer_format",)

    def __init__(
        self,
        *,
        bearerFormat: str | None = None,  # noqa: N803 - FastAPI's spelling
        scheme_name: str | None = None,
        description: str | None = None,
        auto_error: bool = True,
    ) -> None:
        super().__init__(scheme_name=scheme_name, description=description, auto_error=auto_error)
        self.bearer_format = bearerFormat

    def __call__(self, request: Request) -> HTTPAuthorizationCredentials | None:
        scheme, credentials = _authorization(request)
        if not (scheme and credentials) or scheme.lower() != "bearer":
            if self.auto_error:
                raise self._not_authenticated("Bearer")
            return None
        return HTTPAuthorizationCredentials(scheme=scheme, credentials=credentials)


class HTTPBasic(SecurityBase):
    """`Authorization: Basic <base64 user:password>`; the value is its
    `HTTPBasicCredentials`. Malformed credentials answer 401 even with
    `auto_error=False`, as FastAPI does."""

    __slots__ = ("realm",)

    def __init__(
        self,
        *,
        scheme_name: str | None = None,
        realm: str | None = None,
        description: str | None = None,
        auto_error: bool = True,
    ) -> None:
        super().__init__(scheme_name=scheme_name, description=description, auto_error=auto_error)
        self.realm = realm

    def __call__(self, request: Request) -> HTTPBasicCredentials | None:
        challenge = f'Basic realm="{self.realm}"' if self.realm else "Basic"
        scheme, credentials = _authorization(request)
        if not scheme or scheme.lower() != "basic":
            if self.auto_error:
                raise self._not_authenticated(challenge)
            return None
        try:
            text = b64decode(credentials, validate=False).decode("ascii")
        except (ValueError, UnicodeDecodeError, binascii.Error):
            raise self._not_authenticated(challenge) from None
        username, sep, password = text.partition(":")
        if not sep:
            raise self._not_authenticated(challenge)
        return HTTPBasicCredentials(username=username, password=password)


class _APIKey(SecurityBase):
    __slots__ = ("name",)

    def __init__(
        self,
        *,
        name: str,
        scheme_name: str | None = None,
        description: str | None = None,
        auto_error: bool = True,
    ) -> None:
        super().__init__(scheme_name=scheme_name, description=description, auto_error=auto_error)
        if not isinstance(name, str) or not name:
            raise ValueError("an API key needs the name it is sent under")
        self.name = name

    def _source(self, request: Request) -> Mapping[str, str]:
        raise NotImplementedError

    def __call__(self, request: Request) -> str | None:
        value = self._source(request).get(self.name)
        if not value:
            if self.auto_error:
                raise self._not_authenticated("APIKey")
            return None
        return value


class APIKeyHeader(_APIKey):
    """An API key in the header `name` (matched case-insensitively)."""

    __slots__ = ()

    def _source(self, request: Request) -> Mapping[str, str]:
        return _HeaderView(request)


class APIKeyCookie(_APIKey):
    """An API key in the cookie `name`."""

    __slots__ = ()

    def _source(self, request: Request) -> Mapping[str, str]:
        return request.cookies


class APIKeyQuery(_APIKey):
    """An API key in the query parameter `name`."""

    __slots__ = ()

    def _source(self, request: Request) -> Mapping[str, str]:
        return _QueryView(request)


class OAuth2PasswordBearer(SecurityBase):
    """A bearer token obtained from `tokenUrl`; the value is the token."""

    __slots__ = ("token_url", "scopes", "refresh_url")

    def __init__(
        self,
        tokenUrl: str,  # noqa: N803 - FastAPI's spelling
        *,
        scheme_name: str | None = None,
        scopes: Mapping[str, str] | None = None,
        description: str | None = None,
        auto_error: bool = True,
        refreshUrl: str | None = None,  # noqa: N803
    ) -> None:
        super().__init__(scheme_name=scheme_name, description=description, auto_error=auto_error)
        self.token_url = tokenUrl
        self.scopes = dict(scopes or {})
        self.refresh_url = refreshUrl

    def __call__(self, request: Request) -> str | None:
        scheme, token = _authorization(request)
        if not scheme or scheme.lower() != "bearer":
            if self.auto_error:
                raise self._not_authenticated("Bearer")
            return None
        return token


class _HeaderView(Mapping[str, str]):
    """`request.headers` as a plain mapping (first value of a name)."""

    def __init__(self, request: Request) -> None:
        self._headers = request.headers

    def __getitem__(self, key: str) -> str:
        return self._headers[key]

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._headers)

    def __len__(self) -> int:
        return len(self._headers)


class _QueryView(Mapping[str, str]):
    """`request.query_params` as a plain mapping (last value of a name)."""

    def __init__(self, request: Request) -> None:
        self._query = request.query_params

    def __getitem__(self, key: str) -> str:
        return self._query[key]

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._query)

    def __len__(self) -> int:
        return len(self._query)


class OAuth2PasswordRequestForm:
    """The OAuth2 password flow's login form, as FastAPI's: a dependency
    (``form: Annotated[OAuth2PasswordRequestForm, Depends()]``) whose fields
    the compiler reads from the urlencoded form body, as `Form()` parameters.

    `username` and `password` are required; `scope` is split on spaces into
    `scopes`; `grant_type`, when sent, must be ``password``.
    """

    __slots__ = ("grant_type", "username", "password", "scopes", "client_id", "client_secret")

    def __init__(
        self,
        *,
        grant_type: str | None = None,
        username: str,
        password: str,
        scope: str = "",
        client_id: str | None = None,
        client_secret: str | None = None,
    ) -> None:
        self.grant_type = grant_type
        self.username = username
        self.password = password
        self.scopes = scope.split()
        self.client_id = client_id
        self.client_secret = client_secret

    def __repr__(self) -> str:
        return f"{type(self).__name__}(username={self.username!r}, scopes={self.scopes!r})"


class OAuth2PasswordRequestFormStrict(OAuth2PasswordRequestForm):
    """`OAuth2PasswordRequestForm` whose `grant_type` is required (and must
    be ``password``), as the OAuth2 specification asks."""

    __slots__ = ()

    def __init__(
        self,
        *,
        grant_type: str,
        username: str,
        password: str,
        scope: str = "",
        client_id: str | None = None,
        client_secret: str | None = None,
    ) -> None:
        super().__init__(
            grant_type=grant_type,
            username=username,
            password=password,
            scope=scope,
            client_id=client_id,
            client_secret=client_secret,
        )

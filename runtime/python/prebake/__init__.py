"""prebake: write typed Python handlers, get a native server.

A prebake app is an ordinary, type-hinted module::

    from prebake import App

    app = App(title="Demo API")

    @app.get("/user/{user_id}")
    def get_user(user_id: int) -> dict[str, int]:
        return {"id": user_id}

At build time the prebake compiler reads the module *statically*, without
running it: it finds `App(...)`, the decorated handlers, their parameters,
markers (`Query`, `Header`, `Cookie`, `Body`, `Form`, `File`) and the models they reach, and
generates Rust code that routes, decodes, validates and encodes.

Dependencies (`Depends`), routers (`APIRouter`), `lifespan`, exception
handlers and `BackgroundTasks` are written as in FastAPI; the compiler
resolves each route's dependency graph at build time. Submodules mirror
FastAPI's import paths (`prebake.security`, `prebake.responses`,
`prebake.exceptions`, `prebake.background`, `prebake.routing`,
`prebake.requests`, `prebake.params`, `prebake.datastructures`,
`prebake.staticfiles`), so porting
an app is an import rename.

At run time this package does almost nothing: the decorators only record a
`RouteInfo` in `app.routes` and return each function unchanged, the markers
are inert values, and `Request`, `Response` and `HTTPException` are small
classes the embedded runtime creates or reads. So the module also imports
under plain CPython, and editors, type checkers and tests see ordinary
functions.
"""

from typing import TYPE_CHECKING, Any

from prebake._app import HTTP_METHODS, App, RouteInfo
from prebake._background import BackgroundTask, BackgroundTasks
from prebake._depends import Depends, Security
from prebake._exceptions import HTTPException, RequestValidationError
from prebake._middleware import (
    BaseHTTPMiddleware,
    CompressionMiddleware,
    CORSMiddleware,
    GZipMiddleware,
    HTTPSRedirectMiddleware,
    Middleware,
    TrustedHostMiddleware,
)
from prebake._params import Body, Cookie, File, Form, Header, Param, Path, Query
from prebake._request import Headers, QueryParams, Request
from prebake._response import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    ORJSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
    UJSONResponse,
)
from prebake._routing import APIRouter
from prebake.encoders import jsonable_encoder
from prebake._state import State
from prebake.staticfiles import StaticFiles

if TYPE_CHECKING:
    from prebake._upload import UploadFile
    from prebake.security import (
        APIKeyCookie,
        APIKeyHeader,
        APIKeyQuery,
        HTTPAuthorizationCredentials,
        HTTPBasic,
        HTTPBasicCredentials,
        HTTPBearer,
        OAuth2PasswordBearer,
    )

#: Names served from `prebake.security` on first use: an app that uses no
#: security helper does not pay for importing them at start-up.
_SECURITY = frozenset(
    {
        "APIKeyCookie",
        "APIKeyHeader",
        "APIKeyQuery",
        "HTTPAuthorizationCredentials",
        "HTTPBasic",
        "HTTPBasicCredentials",
        "HTTPBearer",
        "OAuth2PasswordBearer",
    }
)


def __getattr__(name: str) -> Any:
    # Served on first use too: only apps with uploads import `tempfile`.
    if name == "UploadFile":
        from prebake._upload import UploadFile

        return UploadFile
    if name in _SECURITY:
        from prebake import security

        return getattr(security, name)
    raise AttributeError(f"module 'prebake' has no attribute {name!r}")

__version__ = "0.1.0"

__all__ = [
    "HTTP_METHODS",
    "APIKeyCookie",
    "APIKeyHeader",
    "APIKeyQuery",
    "APIRouter",
    "App",
    "BackgroundTask",
    "BackgroundTasks",
    "BaseHTTPMiddleware",
    "Body",
    "CORSMiddleware",
    "CompressionMiddleware",
    "Cookie",
    "Depends",
    "File",
    "Form",
    "GZipMiddleware",
    "HTTPSRedirectMiddleware",
    "HTTPAuthorizationCredentials",
    "HTTPBasic",
    "HTTPBasicCredentials",
    "HTTPBearer",
    "HTTPException",
    "Header",
    "Headers",
    "FileResponse",
    "HTMLResponse",
    "JSONResponse",
    "ORJSONResponse",
    "Middleware",
    "OAuth2PasswordBearer",
    "Param",
    "Path",
    "Query",
    "PlainTextResponse",
    "QueryParams",
    "RedirectResponse",
    "Request",
    "RequestValidationError",
    "Response",
    "RouteInfo",
    "Security",
    "State",
    "UploadFile",
    "StaticFiles",
    "StreamingResponse",
    "UJSONResponse",
    "TrustedHostMiddleware",
    "__version__",
    "jsonable_encoder",
]

"""`BaseHTTPMiddleware`, as `starlette.middleware.base` names it."""

from prebake._middleware import BaseHTTPMiddleware, RequestResponseEndpoint

__all__ = ["BaseHTTPMiddleware", "RequestResponseEndpoint"]

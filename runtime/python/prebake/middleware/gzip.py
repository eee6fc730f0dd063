"""`GZipMiddleware`, as `starlette.middleware.gzip` names it."""

from prebake._middleware import GZipMiddleware

__all__ = ["GZipMiddleware"]

"""`HTTPSRedirectMiddleware`, as `starlette.middleware.httpsredirect` names it."""

from prebake._middleware import HTTPSRedirectMiddleware

__all__ = ["HTTPSRedirectMiddleware"]

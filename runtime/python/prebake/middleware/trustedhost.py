"""`TrustedHostMiddleware`, as `starlette.middleware.trustedhost` names it."""

from prebake._middleware import TrustedHostMiddleware

__all__ = ["TrustedHostMiddleware"]

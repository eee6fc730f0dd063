"""`prebake.middleware` under FastAPI: Starlette's `Middleware`."""

from starlette.middleware import Middleware

__all__ = ["Middleware"]

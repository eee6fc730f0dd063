"""Middleware, as `fastapi.middleware` and `starlette.middleware` name it."""

from prebake._middleware import Middleware

__all__ = ["Middleware"]

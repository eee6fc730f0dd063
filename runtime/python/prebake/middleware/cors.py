"""`CORSMiddleware`, as `starlette.middleware.cors` names it."""

from prebake._middleware import CORSMiddleware

__all__ = ["CORSMiddleware"]

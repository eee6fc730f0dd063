"""`prebake.status` for the FastAPI stand-in: Starlette's."""

from starlette.status import *  # noqa: F403

"""Routers, as `fastapi.routing` names them.

The same objects as the top-level `prebake` names: the compiler treats
`prebake.routing.X` and `prebake.X` alike.
"""

from prebake._routing import APIRouter

__all__ = ["APIRouter"]

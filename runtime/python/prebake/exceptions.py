"""Exceptions, as `fastapi.exceptions` names them.

The same objects as the top-level `prebake` names: the compiler treats
`prebake.exceptions.X` and `prebake.X` alike.
"""

from prebake._exceptions import HTTPException, RequestValidationError

__all__ = ["HTTPException", "RequestValidationError"]

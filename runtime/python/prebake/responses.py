"""Responses, as `fastapi.responses` names them.

The same objects as the top-level `prebake` names: the compiler treats
`prebake.responses.X` and `prebake.X` alike.
"""

from prebake._response import HTMLResponse, JSONResponse, Response

__all__ = ["HTMLResponse", "JSONResponse", "Response"]

"""The request, as `fastapi.requests` and `starlette.requests` name it.

The same objects as the top-level `prebake` names: the compiler treats
`prebake.requests.X` and `prebake.X` alike.
"""

from prebake._request import Headers, QueryParams, Request

__all__ = ["Headers", "QueryParams", "Request"]

"""Data structures, as `starlette.datastructures` names them.

The same objects as the top-level `prebake` names: the compiler treats
`prebake.datastructures.X` and `prebake.X` alike.
"""

from prebake._request import URL, Headers, QueryParams
from prebake._state import State

__all__ = ["URL", "Headers", "QueryParams", "State"]

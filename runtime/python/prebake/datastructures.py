"""Data structures, as `starlette.datastructures` names them.

The same objects as the top-level `prebake` names: the compiler treats
`prebake.datastructures.X` and `prebake.X` alike.
"""

from typing import TYPE_CHECKING, Any

from prebake._request import URL, Headers, QueryParams
from prebake._state import State

if TYPE_CHECKING:
    from prebake._upload import FormData, UploadFile

__all__ = ["URL", "FormData", "Headers", "QueryParams", "State", "UploadFile"]


def __getattr__(name: str) -> Any:
    # `UploadFile` imports `tempfile`: only apps with uploads pay for it.
    if name in ("UploadFile", "FormData"):
        from prebake import _upload

        return getattr(_upload, name)
    raise AttributeError(f"module 'prebake.datastructures' has no attribute {name!r}")

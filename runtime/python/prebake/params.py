"""Parameter markers and `Depends`, as `fastapi.params` names them.

The same objects as the top-level `prebake` names: the compiler treats
`prebake.params.X` and `prebake.X` alike.
"""

from prebake._depends import Depends, Security
from prebake._params import Body, Cookie, File, Form, Header, Param, Path, Query

__all__ = ["Body", "Cookie", "Depends", "File", "Form", "Header", "Param", "Path", "Query", "Security"]

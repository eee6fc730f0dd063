"""Background tasks, as `fastapi.background` and `starlette.background` name them.

The same objects as the top-level `prebake` names: the compiler treats
`prebake.background.X` and `prebake.X` alike.
"""

from prebake._background import BackgroundTask, BackgroundTasks

__all__ = ["BackgroundTask", "BackgroundTasks"]

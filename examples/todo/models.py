"""Models of the todo example, kept apart from the handlers that use them.

`app.py` imports them with a plain `from models import ...`; the compiler
follows that import to read these classes, as it reads the handler module.
"""

import enum
from datetime import datetime
from typing import Annotated

import msgspec

class Priority(enum.IntEnum):
    """How urgent a todo is; encoded as its number."""

    LOW = 1
    NORMAL = 2
    HIGH = 3


class Status(enum.Enum):
    """Where a todo is in its life; encoded as its string value."""

    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"


class Tag(msgspec.Struct, frozen=True):
    """A label attached to a todo."""

    name: Annotated[str, msgspec.Meta(min_length=1, max_length=32, pattern="^[a-z0-9-]+$")]
    color: str = "gray"


class Todo(msgspec.Struct):
    """A stored todo, as every endpoint returns it."""

    id: int
    title: str
    status: Status = Status.OPEN
    priority: Priority = Priority.NORMAL
    tags: list[Tag] = msgspec.field(default_factory=list)
    due: datetime | None = None
    completed_at: datetime | None = None


class TodoCreate(msgspec.Struct, forbid_unknown_fields=True):
    """The body of `POST /todos`."""

    title: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    priority: Priority = Priority.NORMAL
    tags: Annotated[list[Tag], msgspec.Meta(max_length=10)] = msgspec.field(default_factory=list)
    due: datetime | None = None


class TodoPatch(msgspec.Struct, forbid_unknown_fields=True):
    """The body of `PATCH /todos/{todo_id}`: only the fields given change."""

    title: Annotated[str, msgspec.Meta(min_length=1, max_length=200)] | None = None
    status: Status | None = None
    priority: Priority | None = None
    tags: Annotated[list[Tag], msgspec.Meta(max_length=10)] | None = None
    due: datetime | None = None

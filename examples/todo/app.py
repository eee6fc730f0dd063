"""A small CRUD API for todos, kept in memory.

It shows the rest of the handler language: models imported from a sibling
module, query parameters with constraints, an enum and a repeated query
parameter, a header, `HTTPException`, a `None` return (204), a `PATCH` body
with optional fields, and an `async def` handler.
Build and run it with `cargo xtask serve examples/todo/app.py`.
"""

import asyncio
import itertools
import logging
from datetime import datetime, timezone
from typing import Annotated

import msgspec

from models import Status, Todo, TodoCreate, TodoPatch
from prebake import App, Header, HTTPException, Query

app = App(
    title="Todo API",
    version="1.0.0",
    description="Create, list, update and delete todos.",
    # Liveness and readiness probes, answered by the server without Python
    # (docs/deploying.md).
    health_path="/healthz",
    ready_path="/readyz",
)

log = logging.getLogger(__name__)

# The store lives in memory: it starts empty and is lost on restart.
todos: dict[int, Todo] = {}
next_id = itertools.count(1)


def find(todo_id: int) -> Todo:
    """The todo with `todo_id`, or a 404."""
    todo = todos.get(todo_id)
    if todo is None:
        raise HTTPException(404, "todo not found")
    return todo


@app.get("/health")
def health() -> str:
    return "ok"


@app.get("/todos", tags=["todos"])
def list_todos(
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0)] = 0,
    status: Status | None = None,
    tags: Annotated[list[str], Query()] = [],
) -> list[Todo]:
    """Todos in creation order; `?tags=a&tags=b` keeps those carrying every tag."""
    wanted = set(tags)
    matching = [
        todo
        for todo in todos.values()
        if (status is None or todo.status is status)
        and wanted <= {tag.name for tag in todo.tags}
    ]
    return matching[offset : offset + limit]


@app.get("/todos/{todo_id}", tags=["todos"])
def get_todo(todo_id: int) -> Todo:
    return find(todo_id)


@app.post("/todos", status_code=201, tags=["todos"])
def create_todo(
    todo: TodoCreate,
    x_request_id: Annotated[str | None, Header()] = None,
) -> Todo:
    """Store a new todo; the `X-Request-Id` header, if any, goes to the log."""
    created = Todo(
        id=next(next_id),
        title=todo.title,
        priority=todo.priority,
        tags=todo.tags,
        due=todo.due,
    )
    todos[created.id] = created
    log.info("created todo %d (request id %s)", created.id, x_request_id)
    return created


@app.patch("/todos/{todo_id}", tags=["todos"])
def update_todo(todo_id: int, patch: TodoPatch) -> Todo:
    """Change the fields the body gives; marking a todo done stamps `completed_at`."""
    todo = find(todo_id)
    changes = {
        name: value
        for name, value in msgspec.structs.asdict(patch).items()
        if value is not None
    }
    updated = msgspec.structs.replace(todo, **changes)
    if updated.status is Status.DONE and todo.status is not Status.DONE:
        updated.completed_at = datetime.now(timezone.utc)
    elif updated.status is not Status.DONE:
        updated.completed_at = None
    todos[todo_id] = updated
    return updated


@app.delete("/todos/{todo_id}", tags=["todos"])
def delete_todo(todo_id: int) -> None:
    find(todo_id)
    del todos[todo_id]


@app.get("/todos/{todo_id}/slow", tags=["todos"])
async def slow_todo(todo_id: int) -> Todo:
    """Like `GET /todos/{todo_id}`, after pretending to wait on a slow backend."""
    await asyncio.sleep(0.05)
    return find(todo_id)

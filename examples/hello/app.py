"""Hello, prebake: the reference app of docs/semantics.md, in four endpoints.

Plain text, a JSON object, a typed path parameter, and a validated JSON body.
Build and run it with `cargo xtask serve examples/hello/app.py`.
"""

from typing import Annotated

import msgspec

from prebake import App

app = App(title="Hello API", version="1.0.0")


class User(msgspec.Struct, forbid_unknown_fields=True):
    """A user as the client posts it; unknown fields are rejected."""

    name: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    age: Annotated[int, msgspec.Meta(ge=0, le=150)]
    email: str | None = None


@app.get("/plaintext")
def plaintext() -> str:
    return "Hello, World!"


@app.get("/json")
def json_hello() -> dict[str, str]:
    return {"message": "Hello, World!"}


@app.get("/user/{user_id}")
def get_user(user_id: int) -> dict[str, int]:
    return {"id": user_id}


@app.post("/validate", status_code=201)
def validate(user: User) -> User:
    return user

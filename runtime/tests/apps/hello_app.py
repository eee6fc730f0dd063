"""The handler module of SPEC §1, verbatim: the runtime's reference app.

`runtime/examples/hello.rs` compiles it with `prebake::app!`; the runtime's
tests serve it over real sockets.
"""

from typing import Annotated, Literal
import msgspec
from prebake import App, Query, Header, Cookie, Body, HTTPException, Request, Response

app = App(title="Demo API", version="1.0.0")

class User(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    age: Annotated[int, msgspec.Meta(ge=0, le=150)]
    email: str | None = None

@app.get("/plaintext")
def plaintext() -> str:                       # str  -> text/plain; charset=utf-8
    return "Hello, World!"

@app.get("/json")
def json_hello() -> dict[str, str]:           # JSON encoded by generated code
    return {"message": "Hello, World!"}

@app.get("/user/{user_id}")
def get_user(user_id: int) -> dict[str, int]: # path param, parsed as int
    return {"id": user_id}

@app.post("/validate", status_code=201)
def validate(user: User) -> User:             # Struct-typed param = JSON body
    return user

@app.get("/items")
async def list_items(
    limit: Annotated[int, Query(ge=1, le=100)] = 10,   # query param with constraints
    tags: Annotated[list[str], Query()] = [],          # repeated ?tags=a&tags=b
    q: str | None = None,                              # optional query param
    x_token: Annotated[str | None, Header(alias="x-token")] = None,
) -> list[User]:
    raise HTTPException(404, "no items")

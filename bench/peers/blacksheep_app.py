"""The hello app on BlackSheep, written for speed as BlackSheep's docs show.

- `async def` handlers with the module-level router decorators;
- JSON through orjson (`json_settings.use`, the documented hook for a
  faster JSON library);
- the body bound with `FromJSON[...]` to a Pydantic model with the same
  constraints (BlackSheep validates Pydantic models; its dataclass binding
  does not check constraints);
- served by uvicorn (uvloop, httptools, no access log) or by Granian, one
  worker each.
"""

from typing import Annotated

import orjson
from blacksheep import Application, FromJSON, get, json, post, text
from blacksheep.settings.json import json_settings
from pydantic import BaseModel, ConfigDict, Field


def _dumps(value: object) -> str:
    return orjson.dumps(value).decode()


json_settings.use(loads=orjson.loads, dumps=_dumps)

app = Application(show_error_details=False)


class User(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(min_length=1, max_length=64)]
    age: Annotated[int, Field(ge=0, le=150)]
    email: str | None = None


@get("/plaintext")
async def plaintext():
    return text("Hello, World!")


@get("/json")
async def json_hello():
    return json({"message": "Hello, World!"})


@get("/user/{user_id}")
async def get_user(user_id: int):
    return json({"id": user_id})


@post("/validate")
async def validate(user: FromJSON[User]):
    return json(user.value.model_dump(), status=201)

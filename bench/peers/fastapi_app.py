"""The hello app on FastAPI, written for speed as FastAPI's docs recommend.

- `async def` handlers (a plain `def` runs in a thread pool);
- declared return types, so FastAPI (>= 0.130) serialises responses with
  Pydantic's Rust core straight to JSON bytes (its documented fast path; a
  custom response class such as ORJSONResponse would turn that path off);
- a Pydantic model with the same constraints for the body;
- `/blocking` (`cargo xtask bench` does not run it; see `bench/blocking.sh`):
  a plain `def` that sleeps, which FastAPI runs in its thread pool;
- served by uvicorn with uvloop and httptools, no access log, one worker:
  `uvicorn fastapi_app:app --loop uvloop --http httptools --no-access-log`.
"""

import time
from typing import Annotated

from fastapi import FastAPI
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field

app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)


class User(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(min_length=1, max_length=64)]
    age: Annotated[int, Field(ge=0, le=150)]
    email: str | None = None


@app.get("/plaintext", response_class=PlainTextResponse)
async def plaintext() -> str:
    return "Hello, World!"


@app.get("/json")
async def json_hello() -> dict[str, str]:
    return {"message": "Hello, World!"}


@app.get("/user/{user_id}")
async def get_user(user_id: int) -> dict[str, int]:
    return {"id": user_id}


@app.post("/validate", status_code=201)
async def validate(user: User) -> User:
    return user


@app.get("/blocking")
def blocking(ms: float = 1.0) -> dict[str, float]:
    time.sleep(ms / 1000)
    return {"slept_ms": ms}

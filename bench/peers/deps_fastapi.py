"""`/deps` on FastAPI with its own dependency injection, for `bench/deps.sh`: async dependencies (a plain `def` one would run in the thread pool), a Pydantic model, uvicorn with uvloop and httptools."""

from collections.abc import AsyncIterator
from typing import Annotated
from fastapi import Depends, FastAPI, Header
from pydantic import BaseModel

app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

class Greeting(BaseModel):
    user: str
    db: str

async def get_db() -> AsyncIterator[str]:
    yield "db"

async def token(x_token: Annotated[str, Header()] = "anon") -> str:
    return x_token

async def current_user(t: Annotated[str, Depends(token)]) -> str:
    return t.upper()

@app.get("/deps")
async def deps(db: Annotated[str, Depends(get_db)], user: Annotated[str, Depends(current_user)]) -> Greeting:
    return Greeting(user=user, db=db)

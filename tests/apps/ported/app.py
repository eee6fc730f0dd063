"""FastAPI tutorial apps, ported the way a user ports them: `fastapi`
renamed `prebake` in the imports, `FastAPI()` renamed `App()`, pydantic
models made msgspec Structs, return types written. The rest is FastAPI's
tutorial code as it is, old spellings included (`q: str = Query(None)`,
`Path(ge=1)`, `status.HTTP_201_CREATED`, routes declared `/items/`).

`tests/python/test_ported_tutorials.py` serves it under prebake and, through
the `prebake` stand-in of `tests/fastapi_shim`, under FastAPI, and compares
the answers.
"""

from typing import Annotated, Any

from dataclasses import dataclass

from prebake import App, Cookie, Header, HTTPException, Path, Query, Response, status

app = App()


@dataclass(kw_only=True)
class Item:
    name: str
    description: str | None = None
    price: float
    tax: float | None = None


# path_params_numeric_validations/tutorial004: old-style Path with bounds.
@app.get("/items/{item_id}")
def read_item(
    item_id: int = Path(title="The ID of the item to get", ge=1, le=1000),
    q: str | None = None,
) -> dict[str, Any]:
    results: dict[str, Any] = {"item_id": item_id}
    if q:
        results.update({"q": q})
    return results


# path_params_numeric_validations/tutorial006: Annotated Path and Query.
@app.get("/measures/{item_id}")
def read_measure(
    item_id: Annotated[int, Path(title="The ID", ge=0, le=1000)],
    q: str,
    size: Annotated[float, Query(gt=0, lt=10.5)],
) -> dict[str, Any]:
    return {"item_id": item_id, "q": q, "size": size}


# query_params_str_validations/tutorial004 (old spelling, with regex=).
@app.get("/search/")
def search(
    q: str | None = Query(default=None, min_length=3, max_length=50, regex="^fixedquery$"),
) -> dict[str, Any]:
    results: dict[str, Any] = {"items": [{"item_id": "Foo"}, {"item_id": "Bar"}]}
    if q:
        results.update({"q": q})
    return results


# query_params_str_validations/tutorial005: the marker's default.
@app.get("/fixed/")
def fixed(q: str = Query("fixedquery", min_length=3)) -> dict[str, Any]:
    return {"q": q}


# query_params_str_validations/tutorial011: a list query parameter.
@app.get("/tags/")
def tags(q: list[str] | None = Query(default=None)) -> dict[str, Any]:
    return {"q": q}


# header_params/tutorial001 and cookie_params/tutorial001.
@app.get("/agent/")
def agent(user_agent: str | None = Header(default=None)) -> dict[str, Any]:
    return {"User-Agent": user_agent}


@app.get("/ads/")
def ads(ads_id: str | None = Cookie(default=None)) -> dict[str, Any]:
    return {"ads_id": ads_id}


# response_status_code/tutorial002 and handling_errors/tutorial001.
@app.post("/items/", status_code=status.HTTP_201_CREATED)
def create_item(item: Item) -> Item:
    if item.price < 0:
        raise HTTPException(status_code=status.HTTP_422_UNPROCESSABLE_ENTITY, detail="negative")
    return item


# response_model/tutorial001: the response type from the decorator.
@app.get("/models/{name}", response_model=Item)
def read_model(name: str):  # type: ignore[no-untyped-def]
    return Item(name=name, price=1.5)


@app.get("/teapot", status_code=status.HTTP_418_IM_A_TEAPOT)
def teapot() -> dict[str, str]:
    return {"tea": "earl grey"}


# response_cookies/tutorial002.
@app.post("/cookie-and-object/")
def cookie(response: Response) -> dict[str, str]:
    response.set_cookie(key="fakesession", value="fake-cookie-session-value")
    return {"message": "Come to the dark side, we have cookies"}


# response_change_status_code/tutorial001.
tasks = {"foo": "Listen to the Bar Fighters"}


@app.put("/get-or-create-task/{task_id}", status_code=200)
def get_or_create_task(task_id: str, response: Response) -> Any:
    if task_id not in tasks:
        tasks[task_id] = "This didn't exist before"
        response.status_code = status.HTTP_201_CREATED
    return tasks[task_id]


# response_model/tutorial003: the response model filters what is returned
# (the password stays out).
@dataclass
class UserIn:
    username: str
    password: str
    email: str
    full_name: str | None = None


@dataclass
class UserOut:
    username: str
    email: str
    full_name: str | None = None


@app.post("/user/", response_model=UserOut)
async def create_user(user: UserIn) -> Any:
    # The tutorial returns `user`, a pydantic model; FastAPI cannot read one
    # dataclass into another, so the FastAPI twin gets its fields as a dict.
    return vars(user)


@app.post("/user-object/", response_model=UserOut)
async def create_user_object(user: UserIn) -> Any:
    return user


# response_model/tutorial004 without `response_model_exclude_unset`: stored
# dicts read into the model, defaults filled in.
@dataclass(kw_only=True)
class StoredItem:
    name: str
    description: str | None = None
    price: float
    tax: float = 10.5
    tags: list[str] | None = None


stored = {
    "foo": {"name": "Foo", "price": 50.2},
    "bar": {"name": "Bar", "description": "The bartenders", "price": 62, "tax": 20.2},
    "baz": {"name": "Baz", "description": None, "price": 50.2, "tax": 10.5, "tags": []},
}


@app.get("/stored/{item_id}", response_model=StoredItem)
async def read_stored(item_id: str):  # type: ignore[no-untyped-def]
    return stored[item_id]


@app.get("/stored", response_model=list[StoredItem])
async def list_stored():  # type: ignore[no-untyped-def]
    return list(stored.values())


broken = {"no price": {"name": "No price"}}


@app.get("/stored-broken", response_model=StoredItem)
async def broken_stored():  # type: ignore[no-untyped-def]
    return broken["no price"]


# response_model/tutorial004: only the fields the stored dict sets.
@app.get("/unset/{item_id}", response_model=StoredItem, response_model_exclude_unset=True)
async def read_unset(item_id: str):  # type: ignore[no-untyped-def]
    return stored[item_id]


# response_model/tutorial005: some fields only, or all but some.
@app.get("/items/{item_id}/name", response_model=StoredItem,
         response_model_include={"name", "description"})
async def read_item_name(item_id: str):  # type: ignore[no-untyped-def]
    return stored[item_id]


@app.get("/items/{item_id}/public", response_model=StoredItem, response_model_exclude={"tax"})
async def read_item_public_data(item_id: str):  # type: ignore[no-untyped-def]
    return stored[item_id]


@app.get("/no-none/{item_id}", response_model=StoredItem, response_model_exclude_none=True)
async def read_no_none(item_id: str):  # type: ignore[no-untyped-def]
    return stored[item_id]


# events/tutorial001 (FastAPI's older `on_event`) with `api_route`.
fighters: dict[str, dict[str, str]] = {}


@app.on_event("startup")
async def startup_event() -> None:
    fighters["foo"] = {"name": "Fighters"}
    fighters["bar"] = {"name": "Tenders"}


@app.api_route("/fighters/{item_id}", methods=["GET", "POST"])
def read_fighter(item_id: str) -> dict[str, str]:
    return fighters[item_id]

"""FastAPI tutorial apps, ported the way a user ports them: `fastapi`
renamed `prebake` in the imports, `FastAPI()` renamed `App()`, pydantic
models made msgspec Structs, return types written. The rest is FastAPI's
tutorial code as it is, old spellings included (`q: str = Query(None)`,
`Path(ge=1)`, `status.HTTP_201_CREATED`, routes declared `/items/`).

`tests/python/test_ported_tutorials.py` serves it under prebake and, through
the `prebake` stand-in of `tests/fastapi_shim`, under FastAPI, and compares
the answers.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path as FilePath
from typing import Annotated, Any

from prebake import (
    App,
    Body,
    Cookie,
    Depends,
    Header,
    HTTPException,
    Path,
    Query,
    Response,
    status,
)
from prebake.encoders import jsonable_encoder
from prebake.responses import (
    FileResponse,
    HTMLResponse,
    ORJSONResponse,
    PlainTextResponse,
    RedirectResponse,
    StreamingResponse,
    UJSONResponse,
)
from prebake.security import (
    OAuth2PasswordBearer,
    OAuth2PasswordRequestForm,
    OAuth2PasswordRequestFormStrict,
)

app = App()


@dataclass(kw_only=True)
class Item:
    name: str
    description: str | None = None
    price: float
    tax: float | None = None


@dataclass
class User:
    username: str
    full_name: str | None = None


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
# body_multiple_params/tutorial001: an optional body beside path and query.
@app.put("/bmp1/items/{item_id}")
def bmp1(
    item_id: Annotated[int, Path(title="The ID of the item to get", ge=0, le=1000)],
    q: str | None = None,
    item: Item | None = None,
) -> dict[str, Any]:
    results: dict[str, Any] = {"item_id": item_id}
    if q:
        results.update({"q": q})
    if item:
        results.update({"item": item})
    return results


# body_multiple_params/tutorial002: two models, read from one object. The
# port marks each `Body()`: unmarked, a second body parameter is PB022.
@app.put("/bmp2/items/{item_id}")
def bmp2(
    item_id: int, item: Annotated[Item, Body()], user: Annotated[User, Body()]
) -> dict[str, Any]:
    results = {"item_id": item_id, "item": item, "user": user}
    return results


# body_multiple_params/tutorial003: a scalar read from the body too.
@app.put("/bmp3/items/{item_id}")
def bmp3(
    item_id: int,
    item: Annotated[Item, Body()],
    user: Annotated[User, Body()],
    importance: Annotated[int, Body()],
) -> dict[str, Any]:
    results = {"item_id": item_id, "item": item, "user": user, "importance": importance}
    return results


# body_multiple_params/tutorial004: with a constraint and a query parameter.
@app.put("/bmp4/items/{item_id}")
def bmp4(
    *,
    item_id: int,
    item: Annotated[Item, Body()],
    user: Annotated[User, Body()],
    importance: Annotated[int, Body(gt=0)],
    q: str | None = None,
) -> dict[str, Any]:
    results: dict[str, Any] = {"item_id": item_id, "item": item, "user": user, "importance": importance}
    if q:
        results.update({"q": q})
    return results


# body_multiple_params/tutorial005: one model, embedded.
@app.put("/bmp5/items/{item_id}")
def bmp5(item_id: int, item: Annotated[Item, Body(embed=True)]) -> dict[str, Any]:
    results = {"item_id": item_id, "item": item}
    return results


# A dependency's body parameter joins the handler's in the one object.
def body_user(user: Annotated[User, Body()]) -> User:
    return user


@app.put("/bmp-dep/items/{item_id}")
def bmp_dep(
    item_id: int, item: Annotated[Item, Body()], user: Annotated[User, Depends(body_user)]
) -> dict[str, Any]:
    return {"item_id": item_id, "item": item, "user": user}


# Aliases and defaults of body parameters (FastAPI reads each key by alias).
@app.post("/bmp-alias")
def bmp_alias(
    item: Annotated[Item, Body(alias="the-item")],
    count: Annotated[int, Body()] = 1,
    tags: Annotated[list[str], Body()] = [],
) -> dict[str, Any]:
    return {"item": item, "count": count, "tags": tags}


# custom_response/tutorial001: an ORJSONResponse returned as built.
@app.get("/cr1/items/", response_class=ORJSONResponse)
async def cr1():  # type: ignore[no-untyped-def]
    return ORJSONResponse([{"item_id": "Foo"}])


# custom_response/tutorial001b: the returned value encoded by the class.
@app.get("/cr1b/items/", response_class=ORJSONResponse)
async def cr1b():  # type: ignore[no-untyped-def]
    return [{"item_id": "Foo"}]


@app.get("/cr1u/items/", response_class=UJSONResponse)
async def cr1u() -> list[dict[str, str]]:
    return [{"item_id": "Foo"}]


# custom_response/tutorial002: a str wrapped in HTMLResponse.
@app.get("/cr2/items/", response_class=HTMLResponse)
async def cr2():  # type: ignore[no-untyped-def]
    return """
    <html>
        <head>
            <title>Some HTML in here</title>
        </head>
        <body>
            <h1>Look ma! HTML!</h1>
        </body>
    </html>
    """


# custom_response/tutorial004: a built HTMLResponse under response_class=.
def generate_html_response() -> HTMLResponse:
    html_content = """
    <html>
        <head>
            <title>Some HTML in here</title>
        </head>
        <body>
            <h1>Look ma! HTML!</h1>
        </body>
    </html>
    """
    return HTMLResponse(content=html_content, status_code=200)


@app.get("/cr4/items/", response_class=HTMLResponse)
async def cr4():  # type: ignore[no-untyped-def]
    return generate_html_response()


# custom_response/tutorial005: a str wrapped in PlainTextResponse.
@app.get("/cr5/", response_class=PlainTextResponse)
async def cr5():  # type: ignore[no-untyped-def]
    return "Hello World"


# custom_response/tutorial006: a RedirectResponse returned as built.
@app.get("/typer")
async def redirect_typer() -> RedirectResponse:
    return RedirectResponse("https://typer.tiangolo.com")


# custom_response/tutorial006b: a URL wrapped in RedirectResponse (307).
@app.get("/fastapi", response_class=RedirectResponse)
async def redirect_fastapi():  # type: ignore[no-untyped-def]
    return "https://fastapi.tiangolo.com"


# custom_response/tutorial006c: with the decorator's status code.
@app.get("/pydantic", response_class=RedirectResponse, status_code=302)
async def redirect_pydantic():  # type: ignore[no-untyped-def]
    return "https://docs.pydantic.dev/"


# custom_response/tutorial007-008: a generator wrapped in StreamingResponse.
def fake_video_streamer() -> Iterator[bytes]:
    for i in range(3):
        yield b"some fake video bytes " + str(i).encode()


@app.get("/stream", response_class=StreamingResponse)
def stream():  # type: ignore[no-untyped-def]
    return fake_video_streamer()


# custom_response/tutorial009b: a path wrapped in FileResponse.
some_file_path = str(FilePath(__file__).with_name("video.txt"))


@app.get("/file", response_class=FileResponse)
async def file():  # type: ignore[no-untyped-def]
    return some_file_path


# security/tutorial003: the password flow's login form.
fake_users_db = {
    "johndoe": {
        "username": "johndoe",
        "full_name": "John Doe",
        "email": "johndoe@example.com",
        "hashed_password": "fakehashedsecret",
        "disabled": False,
    },
    "alice": {
        "username": "alice",
        "full_name": "Alice Wonderson",
        "email": "alice@example.com",
        "hashed_password": "fakehashedsecret2",
        "disabled": True,
    },
}


def fake_hash_password(password: str) -> str:
    return "fakehashed" + password


oauth2_scheme = OAuth2PasswordBearer(tokenUrl="token")


@dataclass
class Account:
    username: str
    email: str | None = None
    full_name: str | None = None
    disabled: bool | None = None


@dataclass
class AccountInDB(Account):
    hashed_password: str = ""


def get_user(db: dict[str, Any], username: str) -> AccountInDB | None:
    if username in db:
        user_dict = db[username]
        return AccountInDB(**user_dict)
    return None


def fake_decode_token(token: str) -> AccountInDB | None:
    return get_user(fake_users_db, token)


async def get_current_user(token: Annotated[str, Depends(oauth2_scheme)]) -> Account:
    user = fake_decode_token(token)
    if not user:
        raise HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED,
            detail="Not authenticated",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return user


async def get_current_active_user(
    current_user: Annotated[Account, Depends(get_current_user)],
) -> Account:
    if current_user.disabled:
        raise HTTPException(status_code=400, detail="Inactive user")
    return current_user


@app.post("/token")
async def login(form_data: Annotated[OAuth2PasswordRequestForm, Depends()]) -> dict[str, str]:
    user_dict = fake_users_db.get(form_data.username)
    if not user_dict:
        raise HTTPException(status_code=400, detail="Incorrect username or password")
    user = AccountInDB(**user_dict)
    hashed_password = fake_hash_password(form_data.password)
    if not hashed_password == user.hashed_password:
        raise HTTPException(status_code=400, detail="Incorrect username or password")
    return {"access_token": user.username, "token_type": "bearer"}


# Declared as the subclass the dependency returns: prebake's encoder takes a
# dataclass of exactly the declared class (FastAPI would filter the fields).
@app.get("/users/me")
async def read_users_me(
    current_user: Annotated[Account, Depends(get_current_active_user)],
) -> AccountInDB:
    assert isinstance(current_user, AccountInDB)
    return current_user


# Every field of the form, and the strict form.
@app.post("/form-echo")
def form_echo(form_data: Annotated[OAuth2PasswordRequestForm, Depends()]) -> dict[str, Any]:
    return {
        "grant_type": form_data.grant_type,
        "username": form_data.username,
        "password": form_data.password,
        "scopes": form_data.scopes,
        "client_id": form_data.client_id,
        "client_secret": form_data.client_secret,
    }


@app.post("/form-strict")
def form_strict(
    form_data: Annotated[OAuth2PasswordRequestFormStrict, Depends()],
) -> dict[str, Any]:
    return {"grant_type": form_data.grant_type, "username": form_data.username}


# encoder/tutorial001: a model made JSON-compatible to be stored.
fake_db: dict[str, Any] = {}


@dataclass
class Stamped:
    title: str
    timestamp: datetime
    description: str | None = None


@app.put("/enc/items/{id}")
def update_stamped(id: str, item: Stamped) -> dict[str, Any]:
    json_compatible_item_data = jsonable_encoder(item)
    fake_db[id] = json_compatible_item_data
    return {"stored": fake_db[id], "none_left_out": jsonable_encoder(item, exclude_none=True)}

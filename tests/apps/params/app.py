"""Query, header and cookie parameter models (`Annotated[Model, Query()]`,
FastAPI 0.115's): the app of tests/python/test_param_models.py, served by
prebake and, through tests/fastapi_shim with the pydantic twins of
`pydantic_twin/models.py`, by FastAPI."""

from typing import Annotated, Any

from models import (
    Auth,
    CommonHeaders,
    Cookies,
    FilterParams,
    Paging,
    Prefs,
    Range,
    RawHeaders,
    Search,
    StrictHeaders,
)

from prebake import App, Cookie, Depends, Header, Path, Query

app = App(title="params")


@app.get("/items")
def items(filter_query: Annotated[FilterParams, Query()]) -> FilterParams:
    return filter_query


@app.get("/paging")
def paging(page: Annotated[Paging, Query()]) -> Paging:
    return page


@app.get("/search")
def search(s: Annotated[Search, Query()]) -> dict[str, Any]:
    return {"q": s.q, "kind": s.kind.value, "exact": s.exact, "score": s.score}


@app.get("/range")
def range_(r: Annotated[Range, Query()]) -> dict[str, int]:
    return {"lo": r["lo"], "hi": r.get("hi", -1)}


@app.get("/headers")
def headers(h: Annotated[CommonHeaders, Header()]) -> CommonHeaders:
    return h


@app.get("/headers/strict")
def strict_headers(h: Annotated[StrictHeaders, Header()]) -> StrictHeaders:
    return h


@app.get("/headers/raw")
def raw_headers(h: Annotated[RawHeaders, Header(convert_underscores=False)]) -> RawHeaders:
    return h


@app.get("/cookies")
def cookies(c: Annotated[Cookies, Cookie()]) -> Cookies:
    return c


def paged(page: Annotated[Paging, Query()]) -> Paging:
    return page


@app.get("/mixed")
def mixed(
    auth: Annotated[Auth, Header()],
    prefs: Annotated[Prefs, Cookie()],
    page: Annotated[Paging, Depends(paged)],
    verbose: bool = False,
    accept_language: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    return {
        "token": auth.x_token,
        "request_id": auth.x_request_id,
        "theme": prefs.theme,
        "lang": prefs.lang,
        "visits": prefs.visits,
        "page": page.page,
        "page_size": page.page_size,
        "verbose": verbose,
        "accept_language": accept_language,
    }


@app.post("/notes")
def notes(body: dict[str, str], page: Annotated[Paging, Query()]) -> dict[str, Any]:
    return {"body": body, "page": page.page}


# Plain parameters' documentation keywords, in an order FastAPI regroups:
# path first, then query, header and cookie.
@app.get("/documented/{item_id}")
def documented(
    x_trace: Annotated[str | None, Header(description="A trace id")] = None,
    q: Annotated[str | None, Query(description="Search text", deprecated=True)] = None,
    *,
    item_id: Annotated[int, Path(description="The item")],
    session: Annotated[str | None, Cookie()] = None,
    internal: Annotated[str | None, Query(include_in_schema=False)] = None,
) -> dict[str, Any]:
    return {"item_id": item_id, "q": q, "trace": x_trace, "session": session, "internal": internal}


@app.get("/hidden-model")
def hidden_model(page: Annotated[Paging, Query(include_in_schema=False)], z: int = 0) -> dict[str, Any]:
    return {"page": page.page, "page_size": page.page_size, "z": z}

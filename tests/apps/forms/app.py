"""Forms, uploads and cookies: the app of tests/forms.rs and of the FastAPI
differential in tests/python/test_forms.py (the same source runs under
FastAPI through tests/fastapi_shim)."""

from datetime import datetime, timezone
from typing import Annotated, Any, Literal

from dataclasses import dataclass

from prebake import App, Cookie, Depends, File, Form, Header, Request, Response, UploadFile

app = App(title="forms")


@dataclass
class Login:
    username: str
    password: str
    remember: bool = False
    tags: list[str] | None = None


@app.post("/login")
def login(
    username: Annotated[str, Form(min_length=1, max_length=20)],
    password: Annotated[str, Form()],
    remember: Annotated[bool, Form()] = False,
) -> dict[str, str | bool]:
    return {"username": username, "password_length": str(len(password)), "remember": remember}


@app.post("/typed")
def typed(
    count: Annotated[int, Form(ge=0, le=100)],
    ratio: Annotated[float, Form()] = 1.0,
    mode: Annotated[Literal["a", "b"], Form()] = "a",
    note: Annotated[str | None, Form()] = None,
    the_tag: Annotated[str, Form(alias="tag")] = "none",
) -> dict[str, int | float | str | None]:
    return {"count": count, "ratio": ratio, "mode": mode, "note": note, "tag": the_tag}


@app.post("/lists")
def lists(
    names: Annotated[list[str], Form()],
    numbers: Annotated[list[int], Form()] = [],
) -> dict[str, list[str | int]]:
    return {"names": names, "numbers": numbers}


@app.post("/old-style")
def old_style(name: str = Form(...), greeting: str = Form("hello")) -> dict[str, str]:
    return {"greeting": f"{greeting} {name}"}


@app.post("/model")
def model(data: Annotated[Login, Form()]) -> Login:
    return data


@app.post("/bytes")
def raw_bytes(file: Annotated[bytes, File()]) -> dict[str, int]:
    return {"file_size": len(file)}


@app.post("/upload")
async def upload(file: UploadFile, note: Annotated[str, Form()] = "") -> dict[str, str | int | None]:
    content = await file.read()
    await file.close()
    return {
        "filename": file.filename,
        "content_type": file.content_type,
        "size": len(content),
        "head": content[:16].decode("utf-8", "replace"),
        "note": note,
    }


@app.post("/upload-sync")
def upload_sync(file: UploadFile) -> dict[str, str | int | None]:
    file.file.seek(0, 2)
    end = file.file.tell()
    file.file.seek(0)
    return {"filename": file.filename, "size": file.size, "end": end}


@app.post("/uploads")
async def uploads(files: list[UploadFile]) -> list[dict[str, str | int | None]]:
    out: list[dict[str, str | int | None]] = []
    for f in files:
        data = await f.read()
        out.append({"filename": f.filename, "size": len(data)})
    return out


@app.post("/maybe-upload")
def maybe_upload(file: UploadFile | None = None) -> dict[str, str | None]:
    return {"filename": None if file is None else file.filename}


@app.post("/headers")
def part_headers(file: UploadFile) -> dict[str, str | None]:
    return {"x-custom": file.headers.get("x-custom"), "type": file.content_type}


@app.post("/seek")
async def seek(file: UploadFile) -> dict[str, str]:
    first = await file.read(3)
    await file.seek(1)
    again = await file.read(3)
    await file.write(b"!")
    return {"first": first.decode(), "again": again.decode()}


def rss_anon_kb() -> int:
    """The process's anonymous memory now (its heap, not mapped files)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("RssAnon:"):
                return int(line.split()[1])
    return -1


@app.post("/big")
def big(file: UploadFile, note: Annotated[str, Form()] = "") -> dict[str, str | int | bool]:
    import hashlib

    digest = hashlib.sha256()
    while chunk := file.file.read(1 << 20):
        digest.update(chunk)
    return {
        "size": file.size or 0,
        "sha256": digest.hexdigest(),
        "on_disk": bool(getattr(file.file, "_rolled", False)),
        "rss_anon_kb": rss_anon_kb(),
        "note": note,
    }


@app.get("/header-params")
def header_params(
    x_tags: Annotated[list[str], Header()] = [],
    x_raw_name: Annotated[str | None, Header(convert_underscores=False)] = None,
    numbers: Annotated[list[int], Header(alias="x-num")] = [],
    session_id: Annotated[str | None, Cookie(alias="session-id")] = None,
) -> dict[str, Any]:
    return {"x_tags": x_tags, "x_raw_name": x_raw_name, "numbers": numbers, "session_id": session_id}


@app.post("/with-request")
def with_request(request: Request, name: Annotated[str, Form()]) -> dict[str, str | int]:
    return {"name": name, "body_length": len(request.body)}


@app.get("/cookies")
def cookies() -> Response:
    response = Response("cookies")
    response.set_cookie("plain", "v")
    response.set_cookie(
        "full",
        "a value",
        max_age=60,
        path="/p",
        domain="example.com",
        secure=True,
        httponly=True,
        samesite="strict",
    )
    response.set_cookie(
        "dated", "d", expires=datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone.utc), samesite=None
    )
    response.delete_cookie("gone", path="/p")
    return response


@app.get("/cookie-param")
def cookie_param(response: Response) -> dict[str, str]:
    response.set_cookie("session", "abc", httponly=True)
    response.delete_cookie("old")
    return {"ok": "yes"}


class PasswordForm:
    """A dependency class reading form fields (as FastAPI's
    `OAuth2PasswordRequestForm` does)."""

    def __init__(
        self,
        username: Annotated[str, Form()],
        password: Annotated[str, Form()],
        scope: Annotated[str, Form()] = "",
    ) -> None:
        self.username = username
        self.password = password
        self.scopes = scope.split()


def client_id(client: Annotated[str, Form(alias="client_id")] = "anonymous") -> str:
    return client


@app.post("/token")
def token(
    form: Annotated[PasswordForm, Depends()],
    client: Annotated[str, Depends(client_id)],
) -> dict[str, str | list[str]]:
    return {"access_token": form.username + ":" + client, "scopes": form.scopes}

"""Forms, uploads and cookies over real sockets: `tests/apps/forms` under
prebake and, for the differential, under FastAPI (through the shim package
`tests/fastapi_shim`, as in test_fastapi_differential.py).

Success answers must agree byte for byte (status, JSON body, `Set-Cookie`
headers). Validation errors differ by design: FastAPI answers 422 with
pydantic's `detail` list, prebake 400 with the Litestar shape of
docs/semantics.md; for those the status pair (400, 422) and the key of the
first error (`loc[-1]` against `extra[0].key`) are compared.

Malformed multipart bodies come from a seeded generator (the seed is
printed; `PREBAKE_SEED` replays it): each must be answered 400 or 413,
never a 500 or a hang, and the server must keep serving.
"""

from __future__ import annotations

import hashlib
import os
import random
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from servers import free_port, wait_ready

pytest.importorskip("fastapi")
pytest.importorskip("multipart")

ROOT = Path(__file__).resolve().parents[2]
APP_DIR = ROOT / "tests" / "apps" / "forms"
SHIM = ROOT / "tests" / "fastapi_shim"


def forms_binary() -> Path:
    bin_dir = os.environ.get("PREBAKE_E2E_BIN_DIR")
    if bin_dir and (Path(bin_dir) / "forms").exists():
        return Path(bin_dir) / "forms"
    out = ROOT / "target" / "e2e-bin" / "forms"
    if not out.exists():
        subprocess.run(
            ["cargo", "run", "-q", "-p", "xtask", "--", "build", str(APP_DIR / "app.py"),
             "--out", str(out)],
            cwd=ROOT,
            check=True,
        )
    return out


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, str]]:
    ports = {"prebake": free_port(), "fastapi": free_port()}
    procs = [
        subprocess.Popen(
            [str(forms_binary()), "--port", str(ports["prebake"])],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ),
        subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "app:app", "--port", str(ports["fastapi"]),
             "--log-level", "warning"],
            cwd=APP_DIR,
            env=dict(os.environ, PYTHONPATH=f"{SHIM}{os.pathsep}{APP_DIR}"),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ),
    ]
    try:
        for port, proc in zip(ports.values(), procs):
            wait_ready(port, proc)
        yield {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    finally:
        for p in procs:
            p.terminate()
            p.wait(timeout=10)


BIG = bytes(range(256)) * 12_000  # 3 MB: past the 1 MiB spool threshold.

# (method, path, httpx keyword arguments)
CASES: list[tuple[str, str, dict[str, Any]]] = [
    ("POST", "/login", {"data": {"username": "bob", "password": "secret"}}),
    ("POST", "/login", {"data": {"username": "bob", "password": "s", "remember": "true"}}),
    ("POST", "/login", {"data": {"username": "bob", "password": "s", "remember": "1"}}),
    ("POST", "/login", {"files": {"username": (None, "amy"), "password": (None, "pw")}}),
    ("POST", "/login", {"data": {"password": "x"}}),
    ("POST", "/login", {"data": {"username": "", "password": "x"}}),
    ("POST", "/login", {"data": {"username": "x" * 21, "password": "x"}}),
    ("POST", "/login", {"data": {"username": "bob", "password": "s", "remember": "maybe"}}),
    ("POST", "/login", {"json": {"username": "bob", "password": "s"}}),
    ("POST", "/login", {"content": b"username=a+b%21&password=%E2%82%AC",
                        "headers": {"content-type": "application/x-www-form-urlencoded"}}),
    ("POST", "/typed", {"data": {"count": "5", "ratio": "2.5", "mode": "b", "tag": "t"}}),
    ("POST", "/typed", {"data": {"count": "3.0"}}),
    ("POST", "/typed", {"data": {"count": "500"}}),
    ("POST", "/typed", {"data": {"count": "-1"}}),
    ("POST", "/typed", {"data": {"count": "x"}}),
    ("POST", "/typed", {"data": {"count": "1", "mode": "c"}}),
    ("POST", "/typed", {"data": {"count": "1", "note": ""}}),
    ("POST", "/typed", {"data": {"count": "1", "the_tag": "ignored"}}),
    ("POST", "/lists", {"data": {"names": ["a", "b"], "numbers": ["1", "2"]}}),
    ("POST", "/lists", {"data": {"names": ["a"]}}),
    ("POST", "/lists", {"data": {"numbers": ["1"]}}),
    ("POST", "/lists", {"data": {"names": ["a"], "numbers": ["1", "z"]}}),
    ("POST", "/old-style", {"data": {"name": "Al"}}),
    ("POST", "/old-style", {"data": {"name": "Al", "greeting": "hi"}}),
    ("POST", "/old-style", {"data": {}}),
    ("POST", "/bytes", {"files": {"file": ("a.bin", b"\x00\x01\x02", "application/octet-stream")}}),
    ("POST", "/bytes", {"files": {"file": (None, "text part")}}),
    ("POST", "/bytes", {"data": {}}),
    ("POST", "/upload", {"files": {"file": ("a.txt", b"hello", "text/plain")}, "data": {"note": "n"}}),
    ("POST", "/upload", {"files": {"file": ("", b"", "application/octet-stream")}}),
    ("POST", "/upload", {"files": {"file": ("ünï cödé.txt", "é".encode(), "text/plain")}}),
    ("POST", "/upload", {"files": {"file": ("big.bin", BIG, "application/octet-stream")}}),
    ("POST", "/upload", {"data": {"note": "no file"}}),
    ("POST", "/upload-sync", {"files": {"file": ("big.bin", BIG)}}),
    ("POST", "/upload-sync", {"files": {"file": ("small.bin", b"abc")}}),
    ("POST", "/uploads", {"files": [("files", ("a", b"1")), ("files", ("b", b"22"))]}),
    ("POST", "/uploads", {"files": [("files", ("only", b"1"))]}),
    ("POST", "/maybe-upload", {"data": {}}),
    ("POST", "/maybe-upload", {"files": {"file": ("x.txt", b"x")}}),
    ("POST", "/seek", {"files": {"file": ("x.txt", b"abcdef")}}),
    ("POST", "/token", {"data": {"username": "al", "password": "pw", "scope": "a b"}}),
    ("POST", "/token", {"data": {"username": "al", "password": "pw", "client_id": "web"}}),
    ("POST", "/token", {"data": {"username": "al"}}),
    ("GET", "/cookies", {}),
    ("GET", "/header-params", {}),
    ("GET", "/header-params", {"headers": [("x-tags", "a"), ("X-Tags", "b, c"), ("x-num", "1"), ("x-num", "2")]}),
    ("GET", "/header-params", {"headers": [("x-num", "1"), ("x-num", "two")]}),
    ("GET", "/header-params", {"headers": {"x_raw_name": "under", "x-raw-name": "dash"}}),
    ("GET", "/header-params", {"headers": {"x-raw-name": "dash"}}),
    ("GET", "/header-params", {"headers": {"cookie": "session-id=s1; session_id=s2"}}),
    ("POST", "/upload", {"files": {"file": ('q"uo\\te;d.txt', b"q", "text/plain")}}),
    ("POST", "/upload", {"files": {"file": ("日本語.txt", b"j")}}),
    ("POST", "/uploads", {"files": [("files", ("a", b"")), ("files", ("", b""))]}),
    ("GET", "/cookie-param", {}),
]


def answer(base: str, method: str, path: str, kwargs: dict[str, Any]) -> httpx.Response:
    return httpx.request(method, base + path, timeout=30, **kwargs)


def error_key(status: int, body: Any) -> Any:
    """The key of the first validation error, in either framework's shape
    (`["body", "numbers", 1]` is `numbers[1]`)."""
    if status == 422:
        loc = body["detail"][0]["loc"][1:]
        return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")
    if status == 400 and "extra" in body:
        return body["extra"][0]["key"]
    return None


def cookies(resp: httpx.Response) -> list[str]:
    # A deleted cookie expires "now": the second of each answer may differ.
    return [re.sub(r"expires=[^;]*GMT; Max-Age=0", "expires=<now>; Max-Age=0", v)
            for v in resp.headers.get_list("set-cookie")]


# Where prebake answers otherwise on purpose (docs/decisions.md, "Forms"):
# a JSON body sent to a form route is a 415, where FastAPI reads an empty
# form and reports the missing fields.
DIFFERENT = {("POST", "/login", "json")}


def test_same_answers_as_fastapi(servers: dict[str, str]) -> None:
    differences = []
    for method, path, kwargs in CASES:
        if any((method, path, k) in DIFFERENT for k in kwargs):
            continue
        got = answer(servers["prebake"], method, path, kwargs)
        want = answer(servers["fastapi"], method, path, kwargs)
        where = f"{method} {path} {str(kwargs)[:80]}"
        if (got.status_code, want.status_code) == (400, 422):
            if error_key(400, got.json()) != error_key(422, want.json()):
                differences.append(f"{where}: error key {got.json()} vs {want.json()}")
            continue
        if got.status_code != want.status_code:
            differences.append(
                f"{where}: status {got.status_code} {got.text[:200]} vs {want.status_code} {want.text[:200]}"
            )
            continue
        if got.status_code < 400 and got.content != want.content:
            differences.append(f"{where}: body {got.text[:200]!r} vs {want.text[:200]!r}")
        if cookies(got) != cookies(want):
            differences.append(f"{where}: set-cookie {cookies(got)} vs {cookies(want)}")
    assert not differences, "\n".join(differences)


def test_errors_in_the_litestar_shape(servers: dict[str, str]) -> None:
    base = servers["prebake"]
    r = answer(base, "POST", "/login", {"data": {"password": "x"}})
    assert r.status_code == 400
    assert r.json() == {
        "status_code": 400,
        "detail": "Validation failed for POST /login",
        "extra": [{"message": "Missing required form field `username`", "key": "username",
                   "source": "body"}],
    }
    r = answer(base, "POST", "/typed?x=1", {"data": {"count": "500"}})
    assert r.json()["detail"] == "Validation failed for POST /typed?x=1"
    assert r.json()["extra"] == [{"message": "Expected `int` <= 100", "key": "count", "source": "body"}]
    r = answer(base, "POST", "/lists", {"data": {"names": ["a"], "numbers": ["1", "z"]}})
    assert r.json()["extra"] == [{"message": "Expected `int`, got `str`", "key": "numbers[1]",
                                  "source": "body"}]
    r = answer(base, "POST", "/login", {"json": {"username": "a"}})
    assert (r.status_code, r.json()) == (415, {"status_code": 415, "detail": "Unsupported Media Type"})
    r = answer(base, "POST", "/upload", {"data": {"file": "text"}})
    assert r.json()["extra"] == [{"message": "Expected `UploadFile`, got `str`", "key": "file",
                                  "source": "body"}]


def test_form_model(servers: dict[str, str]) -> None:
    # FastAPI reads form models from pydantic models only: prebake alone.
    base = servers["prebake"]
    r = answer(base, "POST", "/model",
               {"data": {"username": "u", "password": "p", "remember": "on", "tags": ["x", "y"]}})
    assert r.status_code == 400, r.text
    assert r.json()["extra"][0]["key"] == "remember"
    r = answer(base, "POST", "/model",
               {"data": {"username": "u", "password": "p", "remember": "true", "tags": ["x", "y"]}})
    assert r.json() == {"username": "u", "password": "p", "remember": True, "tags": ["x", "y"]}
    r = answer(base, "POST", "/model", {"data": {"username": "u"}})
    assert r.status_code == 400
    assert r.json()["extra"] == [{"message": "Object missing required field `password`",
                                  "key": "data", "source": "body"}]


def test_the_request_keeps_its_body(servers: dict[str, str]) -> None:
    r = answer(servers["prebake"], "POST", "/with-request", {"data": {"name": "n"}})
    assert r.json() == {"name": "n", "body_length": len(b"name=n")}


def test_limits_as_starlette(servers: dict[str, str]) -> None:
    for name, base in servers.items():
        fields = "&".join(f"f{i}=v" for i in range(1001)) + "&username=a&password=b"
        r = httpx.post(base + "/login", content=fields,
                       headers={"content-type": "application/x-www-form-urlencoded"})
        if name == "prebake":
            assert r.status_code == 400, r.text
            assert r.json()["detail"] == "Too many fields. Maximum number of fields is 1000."
        files = [("files", (f"f{i}", b"x")) for i in range(1001)]
        r = httpx.post(base + "/uploads", files=files, timeout=30)
        assert r.status_code == 400, (name, r.text)
        assert "Too many files. Maximum number of files is 1000." in r.text
        big_field: dict[str, tuple[str | None, str | bytes]] = {
            "note": (None, "x" * (1024 * 1024 + 1)),
            "file": ("f", b"x"),
        }
        r = httpx.post(base + "/upload", files=big_field, timeout=30)
        assert r.status_code == 400, (name, r.text)
        assert "Part exceeded maximum size of 1024KB." in r.text


def test_upload_limit_is_413(servers: dict[str, str]) -> None:
    base = servers["prebake"]
    # Text-only form routes keep the 1 MiB body limit; upload routes take 64 MiB.
    r = httpx.post(base + "/login", data={"username": "a", "password": "x" * (2 << 20)})
    assert r.status_code == 413
    assert r.json() == {"status_code": 413, "detail": "Request Entity Too Large"}
    r = httpx.post(base + "/upload-sync", files={"file": ("f", b"x" * (65 << 20))}, timeout=60)
    assert r.status_code == 413
    r = httpx.post(base + "/upload-sync", files={"file": ("f", BIG)})
    assert r.json() == {"filename": "f", "size": len(BIG), "end": len(BIG)}


def test_a_large_upload_is_spooled_to_disk_not_held_in_memory(servers: dict[str, str]) -> None:
    base = servers["prebake"]
    small = httpx.post(base + "/big", files={"file": ("s", b"abc")}).json()
    assert small["size"] == 3
    assert small["on_disk"] is False
    data = random.Random(7).randbytes(50 << 20)
    r = httpx.post(base + "/big", files={"file": ("big.bin", data)}, data={"note": "n"}, timeout=120)
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["size"] == len(data)
    assert got["sha256"] == hashlib.sha256(data).hexdigest()
    assert got["note"] == "n"
    # Past 1 MiB the upload is on disk, as Starlette's SpooledTemporaryFile.
    assert got["on_disk"] is True
    # The body went to a temporary file and the upload's content to its
    # own: the heap grew by far less than the 50 MB (it held the body and a
    # copy of it before: about 70 MB more).
    assert got["rss_anon_kb"] - small["rss_anon_kb"] < 20_000, got


def test_curl_uploads(servers: dict[str, str], tmp_path: Path) -> None:
    curl = shutil.which("curl")
    if curl is None:
        pytest.skip("curl is not installed")
    f = tmp_path / "report.csv"
    f.write_bytes(b"a,b\n1,2\n")
    out = subprocess.run(
        [curl, "-s", "-F", f"file=@{f};type=text/csv", "-F", "note=from curl",
         servers["prebake"] + "/upload"],
        capture_output=True, check=True,
    ).stdout
    assert out == (b'{"filename":"report.csv","content_type":"text/csv","size":8,'
                   b'"head":"a,b\\n1,2\\n","note":"from curl"}')
    out = subprocess.run(
        [curl, "-s", "-F", f"file=@{f};type=text/csv;headers=\"X-Custom: 7\"",
             servers["prebake"] + "/headers"],
        capture_output=True, check=True,
    ).stdout
    assert out == b'{"x-custom":"7","type":"text/csv"}'


def malformed_bodies(rng: random.Random) -> Iterator[tuple[str, bytes]]:
    """`(content type, body)` pairs a multipart parser must refuse or read
    without failing: truncations, missing and wrong boundaries, bad part
    headers, missing names, huge parts, random bytes."""
    boundary = "b0undary"
    ct = f"multipart/form-data; boundary={boundary}"
    good = (
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n"
        f"Content-Type: text/plain\r\n\r\nhello\r\n--{boundary}--\r\n"
    ).encode()
    for cut in range(len(good) - 8):
        yield ct, good[:cut]
    yield "multipart/form-data", good
    yield "multipart/form-data; boundary=", good
    yield "multipart/form-data; boundary=other", good
    yield ct, good.replace(b"Content-Disposition: form-data; name=\"file\"; ", b"Content-Disposition: form-data; ")
    yield ct, good.replace(b"Content-Type: text/plain", b"no colon on this line")
    yield ct, good.replace(b"\r\n\r\n", b"\r\n")
    yield ct, good.replace(b"--\r\n", b"")
    yield ct, good.replace(b"\r\n", b"\n")
    yield ct, good.replace(b"filename=\"a.txt\"", b"filename=\"unterminated")
    yield ct, (f"--{boundary}\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n").encode() + b"x" * (2 << 20)
    for _ in range(150):
        body = bytearray(good)
        for _ in range(rng.randint(1, 6)):
            op = rng.randrange(3)
            i = rng.randrange(len(body) + 1)
            if op == 0 and body:
                del body[min(i, len(body) - 1)]
            elif op == 1:
                body[i:i] = bytes([rng.choice(b"\r\n-\";=:\x00\xff ab")])
            elif body:
                body[min(i, len(body) - 1)] = rng.randrange(256)
        yield ct, bytes(body)
    for _ in range(30):
        yield ct, rng.randbytes(rng.randrange(1, 400))


def test_malformed_multipart_is_never_a_500(servers: dict[str, str]) -> None:
    seed = int(os.environ.get("PREBAKE_SEED", random.randrange(1 << 32)))
    print(f"seed {seed} (PREBAKE_SEED={seed} replays it)")
    rng = random.Random(seed)
    base = servers["prebake"]
    with httpx.Client(base_url=base, timeout=10) as client:
        for ct, body in malformed_bodies(rng):
            r = client.post("/upload", content=body, headers={"content-type": ct})
            assert r.status_code in (200, 400, 413), (seed, ct, body[:200], r.status_code, r.text)
            if r.status_code == 400:
                assert r.json()["status_code"] == 400
        assert client.post("/upload", files={"file": ("a", b"ok")}).status_code == 200


def test_openapi_documents_form_bodies(servers: dict[str, str]) -> None:
    from openapi_spec_validator import validate

    doc = httpx.get(servers["prebake"] + "/openapi.json").json()
    validate(doc)
    components = doc["components"]["schemas"]

    def resolved(schema: dict[str, Any]) -> dict[str, Any]:
        # Several fields are one object, a component named as FastAPI names it.
        name: str = schema["$ref"].rsplit("/", 1)[1]
        assert name.startswith("Body_")
        found: dict[str, Any] = components[name]
        return found

    login = doc["paths"]["/login"]["post"]["requestBody"]
    schema = resolved(login["content"]["application/x-www-form-urlencoded"]["schema"])
    assert schema["required"] == ["username", "password"]
    assert schema["properties"]["remember"] == {"type": "boolean", "title": "Remember",
                                                "default": False}
    upload = doc["paths"]["/upload"]["post"]["requestBody"]["content"]["multipart/form-data"]
    assert resolved(upload["schema"])["properties"]["file"] == \
        {"type": "string", "format": "binary", "title": "File"}
    many = doc["paths"]["/uploads"]["post"]["requestBody"]["content"]["multipart/form-data"]
    assert resolved(many["schema"])["properties"]["files"]["items"] == \
        {"type": "string", "format": "binary"}
    model = doc["paths"]["/model"]["post"]["requestBody"]["content"]
    assert model["application/x-www-form-urlencoded"]["schema"] == {"$ref": "#/components/schemas/Login"}


def test_request_form_under_plain_cpython() -> None:
    from prebake import Request
    from prebake.datastructures import FormData, UploadFile

    sent = httpx.Request("POST", "http://h/", data={"n": "1", "m": ["a", "b"]},
                         files={"f": ("a.txt", b"hello", "text/plain")})
    body = sent.read()
    req = Request("POST", "/", "", [("content-type", sent.headers["content-type"])], body, None)
    form = req.form()
    assert isinstance(form, FormData)
    assert (form["n"], form.getlist("m"), form.keys()) == ("1", ["a", "b"], ["n", "m", "f"])
    upload = form["f"]
    assert isinstance(upload, UploadFile)
    assert (upload.filename, upload.content_type, upload.size) == ("a.txt", "text/plain", 5)
    assert upload.file.read() == b"hello"
    upload.file.close()
    plain = Request("POST", "/", "", [("content-type", "application/x-www-form-urlencoded")],
                    b"a=1&b=%20x+y&a=2&c", None).form()
    assert plain.items() == [("a", "2"), ("b", " x y"), ("c", "")]
    with pytest.raises(ValueError):
        Request("POST", "/", "", [("content-type", "application/json")], b"{}", None).form()
    # Starlette's limits, as its request.form() takes them: a 400.
    from prebake import HTTPException

    three = Request("POST", "/", "", [("content-type", "application/x-www-form-urlencoded")],
                    b"a=1&b=2&c=3", None)
    assert len(three.form(max_fields=3)) == 3
    with pytest.raises(HTTPException) as info:
        three.form(max_fields=2)
    assert (info.value.status_code, info.value.detail) == (400, "Too many fields. Maximum number of fields is 2.")
    with pytest.raises(HTTPException) as info:
        req.form(max_files=0)
    assert info.value.detail == "Too many files. Maximum number of files is 0."
    with pytest.raises(HTTPException) as info:
        req.form(max_part_size=0)
    assert info.value.detail == "Part exceeded maximum size of 0KB."
    with pytest.raises(HTTPException) as info:
        Request("POST", "/", "", [("content-type", "multipart/form-data")], body, None).form()
    assert info.value.detail == "Missing boundary in multipart."

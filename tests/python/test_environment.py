"""An app builds and runs against its own Python environment.

A project outside the repository, in a folder named `shop` holding a package
also named `shop`, imports `jwt` (installed by the package PyJWT: the import
name is not the package name). Without the package in its
`requirements.txt`, the build stops with PB150 at the import line, naming
the module and the environment, and `check` says the same; once it is
listed, the project's own `.venv` is filled (not the repository's) and the
binary answers with what the package computed.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx
import pytest
from prebake.testing import PrebakeError, build, serve

from conftest import ROOT, xtask

APP = '''\
import jwt
from prebake import App

from shop.models import Order

app = App()


@app.get("/token/{item}")
def token(item: str) -> Order:
    encoded = jwt.encode({"item": item}, "secret", algorithm="HS256")
    claims = jwt.decode(encoded, "secret", algorithms=["HS256"])
    return Order(item=claims["item"], token=encoded)
'''

MODELS = '''\
import msgspec


class Order(msgspec.Struct):
    item: str
    token: str
'''


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shop = tmp_path / "shop"
    (shop / "shop").mkdir(parents=True)
    (shop / "app.py").write_text(APP)
    (shop / "shop" / "__init__.py").write_text("")
    (shop / "shop" / "models.py").write_text(MODELS)
    (shop / "requirements.txt").write_text("# nothing yet\n")
    return shop


def test_missing_package_is_reported_then_the_apps_environment_serves_it(project: Path) -> None:
    assert not str(project).startswith(str(ROOT))
    with pytest.raises(PrebakeError) as failed:
        build(project / "app.py", project / "bin")
    message = str(failed.value)
    assert "error[PB150]: module `jwt` is not installed in the app's environment" in message
    assert f"{project}/.venv" in message
    assert "app.py:1:8" in message
    assert not (project / "bin").exists()

    # The environment now exists: `check` asks it too.
    checked = subprocess.run(
        [*xtask(), "check", str(project / "app.py")], cwd=ROOT, capture_output=True, text=True
    )
    assert checked.returncode == 1
    assert "PB150" in checked.stderr and "`jwt`" in checked.stderr

    (project / "requirements.txt").write_text("PyJWT==2.10.1\n")
    binary = build(project / "app.py", project / "bin")
    site = next((project / ".venv" / "lib").glob("python3*/site-packages"))
    assert (site / "jwt").is_dir() and (site / "msgspec").is_dir()

    with serve(binary=binary) as server:
        answer = httpx.get(server.url + "/token/book", timeout=10)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["item"] == "book"
    assert body["token"].count(".") == 2

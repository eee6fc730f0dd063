"""`prebake.testing` as a user's suite uses it: a project folder with its
own `pytest.ini` and tests, run by pytest in a subprocess (pytester).

The hello example's binary is served; the plugin finds it through the ini
option, the environment variable, or a fixture the suite overrides.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from prebake.testing import Server

from conftest import PACKAGE_DIR

USER_TESTS = '''
def test_hello(prebake_client):
    answer = prebake_client.get("/json")
    assert answer.status_code == 200
    assert answer.json() == {"message": "Hello, World!"}


def test_one_server_per_session(prebake_server, prebake_client):
    assert str(prebake_client.base_url).rstrip("/") == prebake_server.url
    assert prebake_server.process.poll() is None


def test_not_found(prebake_client):
    assert prebake_client.get("/nowhere").status_code == 404
'''


@pytest.fixture(scope="module")
def hello(e2e_server: Callable[..., Server]) -> Path:
    return e2e_server("hello", "examples/hello/app.py").binary


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    pytester.makepyfile(test_user=USER_TESTS)
    return pytester.runpytest_subprocess("-p", "prebake.testing", "-p", "no:cacheprovider", *args)


@pytest.fixture
def user(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    monkeypatch.setenv("PYTHONPATH", str(PACKAGE_DIR))
    for name in ("PREBAKE_APP", "PREBAKE_APP_BINARY", "PREBAKE_APP_ARGS"):
        monkeypatch.delenv(name, raising=False)
    return pytester


def test_the_ini_option(user: pytest.Pytester, hello: Path) -> None:
    user.makeini(f"[pytest]\nprebake_binary = {hello}\nprebake_args = --threads 2\n")
    run(user).assert_outcomes(passed=3)


def test_the_environment_variable(
    user: pytest.Pytester, hello: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PREBAKE_APP_BINARY", str(hello))
    run(user).assert_outcomes(passed=3)


def test_a_fixture_override(user: pytest.Pytester, hello: Path) -> None:
    user.makeconftest(
        "import pytest\n\n"
        "@pytest.fixture(scope='session')\n"
        f"def prebake_binary():\n    return {str(hello)!r}\n"
    )
    run(user).assert_outcomes(passed=3)


def test_no_app_is_a_clear_error(user: pytest.Pytester) -> None:
    result = run(user)
    result.stdout.fnmatch_lines(["*prebake: no app to serve*"])
    assert result.ret != 0

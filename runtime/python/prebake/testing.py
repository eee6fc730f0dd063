"""Testing a prebake app the way its users reach it: the app built once into
its binary, served on a free port, and called over real HTTP with httpx.

FastAPI's ``TestClient`` calls the app in-process; a prebake app is a native
binary, so the honest test is the binary itself. In a pytest suite::

    # pytest.ini (or [tool.pytest.ini_options] in pyproject.toml)
    [pytest]
    prebake_app = app.py

    # test_app.py
    def test_hello(prebake_client):
        assert prebake_client.get("/hello").json() == {"message": "hello"}

The plugin (``pytest -p prebake.testing``, or ``pytest_plugins =
["prebake.testing"]`` in the top ``conftest.py``; opt-in, so installing
prebake never changes a suite that does not ask for it) builds the app once
per session with ``cargo xtask build``, starts it on a free port, and stops
it when the session ends.

Where the app comes from, first found wins:

- the ``prebake_app`` fixture, if the suite defines its own;
- the ``PREBAKE_APP`` environment variable;
- the ``prebake_app`` ini option (relative to the ini file's folder).

A binary built beforehand is used instead of building when
``PREBAKE_APP_BINARY`` or the ``prebake_binary`` ini option names it. Server
flags (``--threads 4``) go in the ``prebake_args`` ini option or the
``prebake_server_args`` fixture.

Outside pytest, :func:`serve` does the same: ``with serve("app.py") as
server: httpx.get(server.url + "/hello")``.

This module is not embedded in the binaries: it needs pytest and httpx,
which a server does not.
"""

from __future__ import annotations

import os
import shlex
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO

import httpx
import pytest

__all__ = [
    "PrebakeError",
    "Server",
    "TestClient",
    "build",
    "free_port",
    "repository",
    "serve",
]


class PrebakeError(RuntimeError):
    """Building or starting the app failed; the message has the output."""


def repository() -> Path:
    """The prebake checkout whose ``cargo xtask build`` builds apps:
    ``PREBAKE_ROOT``, else the one this package lives in (a checkout, or an
    editable install of it)."""
    explicit = os.environ.get("PREBAKE_ROOT")
    if explicit:
        return Path(explicit).resolve()
    here = Path(__file__).resolve()
    for folder in here.parents:
        if (folder / "xtask").is_dir() and (folder / "Cargo.toml").is_file():
            return folder
    raise PrebakeError(
        "cannot find the prebake repository to build with: set PREBAKE_ROOT to its checkout"
    )


def build(app: str | os.PathLike[str], out: str | os.PathLike[str] | None = None) -> Path:
    """Builds the app (``cargo xtask build app.py --out out``, against the
    app's own environment) and returns its binary. The build checks the app
    first; its diagnostics are in the error."""
    app_path = Path(app).resolve()
    if not app_path.is_file():
        raise PrebakeError(f"{app_path}: no such app")
    if out is None:
        out = Path(tempfile.mkdtemp(prefix="prebake-")) / app_path.stem
    out_path = Path(out).resolve()
    # `PREBAKE_XTASK` names an xtask binary already built (`cargo xtask test`
    # sets it), else cargo builds and runs it.
    xtask = os.environ.get("PREBAKE_XTASK")
    command = [xtask] if xtask else ["cargo", "xtask"]
    result = subprocess.run(
        [*command, "build", str(app_path), "--out", str(out_path)],
        cwd=repository(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    if result.returncode != 0:
        raise PrebakeError(f"building {app_path} failed:\n{result.stdout}")
    return out_path


def free_port() -> int:
    """A TCP port nothing listens on (asked of the kernel)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Server:
    """A running app binary: ``url`` is where it answers, ``log`` its output
    so far. A context manager; :meth:`stop` ends it (SIGTERM, then SIGKILL)."""

    def __init__(self, binary: Path, port: int, process: subprocess.Popen[bytes], log: Path):
        self.binary = binary
        self.port = port
        self.process = process
        self.log_path = log
        self.url = f"http://127.0.0.1:{port}"

    @property
    def log(self) -> str:
        """Everything the server printed so far (its log goes to stderr)."""
        return self.log_path.read_text(errors="replace")

    def client(self, **kwargs: object) -> TestClient:
        """An httpx client bound to this server."""
        return TestClient(self, **kwargs)

    def stop(self, timeout: float = 10.0) -> int:
        """Stops the server gracefully; returns its exit status."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def __enter__(self) -> Server:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<prebake Server {self.binary.name} at {self.url}>"


def serve(
    app: str | os.PathLike[str] | None = None,
    *,
    binary: str | os.PathLike[str] | None = None,
    args: Sequence[str] = (),
    env: dict[str, str] | None = None,
    timeout: float = 30.0,
) -> Server:
    """Starts the app on a free port and waits until it accepts connections.

    Give the app (built first) or an already built ``binary``. ``args`` are
    server flags; ``env`` is added to the environment."""
    if binary is None:
        if app is None:
            raise PrebakeError("serve() needs an app or a binary")
        binary_path = build(app)
    else:
        binary_path = Path(binary).resolve()
    last = ""
    for _ in range(3):
        port = free_port()
        log = Path(tempfile.mkstemp(prefix=f"{binary_path.name}-", suffix=".log")[1])
        sink: IO[bytes] = log.open("wb")
        process = subprocess.Popen(
            [str(binary_path), *args, "--host", "127.0.0.1", "--port", str(port)],
            stdout=sink,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
        )
        sink.close()
        server = Server(binary_path, port, process, log)
        if _wait_ready(server, timeout):
            return server
        server.stop()
        last = server.log
        if "in use" not in last:
            break
    raise PrebakeError(f"{binary_path} did not start:\n{last}")


def _wait_ready(server: Server, timeout: float) -> bool:
    """Whether the server answered an HTTP request (any status) before
    `timeout`; false as soon as it exits (an app that fails to load)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            return False
        try:
            httpx.get(server.url + "/", timeout=1.0)
            return True
        except httpx.HTTPError:
            time.sleep(0.02)
    return False


class TestClient(httpx.Client):
    """An ``httpx.Client`` whose relative URLs go to a running server:
    ``client.get("/items/1")``. Named after FastAPI's, used the same way,
    but over a real socket."""

    __test__ = False  # Not a test class, though pytest would collect the name.

    def __init__(self, server: Server, **kwargs: object) -> None:
        self.server = server
        super().__init__(base_url=server.url, **kwargs)  # type: ignore[arg-type]


# --- the pytest plugin ---------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("prebake_app", "the prebake app the prebake_* fixtures serve (app.py)")
    parser.addini("prebake_binary", "an app binary built beforehand, served instead of building")
    parser.addini("prebake_args", "server flags for the app binary", type="args", default=[])


def _ini_path(config: pytest.Config, name: str) -> Path | None:
    value = str(config.getini(name) or "")
    if not value:
        return None
    base = config.inipath.parent if config.inipath else config.rootpath
    return (base / value).resolve()


@pytest.fixture(scope="session")
def prebake_app(pytestconfig: pytest.Config) -> Path | None:
    """The app to serve: ``PREBAKE_APP``, else the ``prebake_app`` ini option.
    Override this fixture to choose it in code."""
    explicit = os.environ.get("PREBAKE_APP")
    if explicit:
        return Path(explicit).resolve()
    return _ini_path(pytestconfig, "prebake_app")


@pytest.fixture(scope="session")
def prebake_binary(pytestconfig: pytest.Config) -> Path | None:
    """A binary built beforehand: ``PREBAKE_APP_BINARY``, else the
    ``prebake_binary`` ini option; ``None`` builds the app."""
    explicit = os.environ.get("PREBAKE_APP_BINARY")
    if explicit:
        return Path(explicit).resolve()
    return _ini_path(pytestconfig, "prebake_binary")


@pytest.fixture(scope="session")
def prebake_server_args(pytestconfig: pytest.Config) -> list[str]:
    """Server flags: the ``prebake_args`` ini option, or
    ``PREBAKE_APP_ARGS`` (split as a shell would)."""
    explicit = os.environ.get("PREBAKE_APP_ARGS")
    if explicit:
        return shlex.split(explicit)
    return [str(a) for a in pytestconfig.getini("prebake_args")]


@pytest.fixture(scope="session")
def prebake_serve(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[..., Server]]:
    """A factory for suites with several apps: ``prebake_serve(app, *flags,
    binary=None)`` builds (once per app) and starts a server (once per app
    and flags); every server it started stops when the session ends."""
    built: dict[Path, Path] = {}
    running: dict[tuple[str, tuple[str, ...]], Server] = {}

    def start(
        app: str | os.PathLike[str] | None = None,
        *args: str,
        binary: str | os.PathLike[str] | None = None,
    ) -> Server:
        if binary is None:
            if app is None:
                raise PrebakeError("prebake_serve needs an app or a binary")
            app_path = Path(app).resolve()
            if app_path not in built:
                out = tmp_path_factory.mktemp("prebake") / app_path.stem
                built[app_path] = build(app_path, out)
            binary = built[app_path]
        key = (str(Path(binary).resolve()), tuple(args))
        server = running.get(key)
        if server is None or server.process.poll() is not None:
            server = serve(binary=binary, args=args)
            running[key] = server
        return server

    yield start
    for server in running.values():
        server.stop()


@pytest.fixture(scope="session")
def prebake_server(
    prebake_serve: Callable[..., Server],
    prebake_app: Path | None,
    prebake_binary: Path | None,
    prebake_server_args: list[str],
) -> Server:
    """The app built once and served on a free port for the whole session."""
    if prebake_binary is None and prebake_app is None:
        raise pytest.UsageError(
            "prebake: no app to serve: set the prebake_app ini option, PREBAKE_APP, "
            "or define a prebake_app fixture"
        )
    server: Server = prebake_serve(prebake_app, *prebake_server_args, binary=prebake_binary)
    return server


@pytest.fixture
def prebake_client(prebake_server: Server) -> Iterator[TestClient]:
    """An httpx client bound to the session's server, new for each test (its
    cookies are the test's own)."""
    with TestClient(prebake_server) as client:
        yield client

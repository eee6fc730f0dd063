"""Shipping: the relocatable bundle, its Dockerfile, the Kubernetes manifests
and the probe endpoints they rely on.

`cargo xtask test` builds the bundles of the hello and todo examples (with
`--bundle` and `--k8s`) under `target/e2e-bundle/` and makes a minimal Debian
root (`debootstrap --variant=minbase bookworm`, cached under the target
directory); it passes both folders as `PREBAKE_BUNDLE_DIR` and
`PREBAKE_ROOTFS`. The bundle is then run where the build's Python cannot be
reached: under `env -i` from another folder, and in a `chroot` of the minimal
Debian (in a private mount namespace, the bundle mounted read-only), answering
real requests over a socket.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml  # type: ignore[import-untyped]  # PyYAML: kubernetes-validate's own dependency

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _dir(var: str, default: Path) -> Path:
    path = Path(os.environ.get(var, default))
    if not path.exists():
        pytest.skip(f"{path} is missing: run through `cargo xtask test` (it sets {var})")
    return path


@pytest.fixture(scope="module")
def bundles() -> Path:
    return _dir("PREBAKE_BUNDLE_DIR", ROOT / "target" / "e2e-bundle")


@pytest.fixture(scope="module")
def rootfs() -> Path:
    path = _dir("PREBAKE_ROOTFS", ROOT / "target" / "prebake" / "rootfs" / "bookworm-minbase")
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.skip("a chroot needs root and unshare")
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def request(
    port: int, method: str, path: str, body: object = None
) -> tuple[int, dict[str, str], bytes]:
    """One request on a fresh connection."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        data = None if body is None else json.dumps(body).encode()
        headers = {} if body is None else {"Content-Type": "application/json"}
        conn.request(method, path, body=data, headers=headers)
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def get_json(port: int, path: str) -> tuple[int, object]:
    status, _, body = request(port, "GET", path)
    return status, json.loads(body)


@contextmanager
def serving(
    cmd: list[str], port: int, *, env: dict[str, str] | None = None, cwd: Path | None = None
) -> Iterator[tuple[subprocess.Popen[bytes], float]]:
    """Starts `cmd`, waits for its first answer; yields the process and the
    seconds from the start to that answer. Stops it with SIGTERM."""
    started = time.monotonic()
    proc = subprocess.Popen(
        cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        deadline = started + 60
        while True:
            if proc.poll() is not None:
                err = proc.stderr.read().decode() if proc.stderr else ""
                raise AssertionError(f"{cmd[0]} exited with {proc.returncode}:\n{err}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2) as s:
                    s.sendall(b"GET /__none HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    if s.recv(16).startswith(b"HTTP/1.1"):
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"{cmd[0]} did not answer within 60 s")
            time.sleep(0.01)
        yield proc, time.monotonic() - started
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if proc.stderr:
            proc.stderr.close()


def check_hello(port: int) -> None:
    status, headers, body = request(port, "GET", "/plaintext")
    assert (status, body) == (200, b"Hello, World!")
    assert headers["content-type"].startswith("text/plain")
    assert get_json(port, "/json") == (200, {"message": "Hello, World!"})
    assert get_json(port, "/user/7") == (200, {"id": 7})
    status, error = get_json(port, "/user/x")
    assert status == 400 and "user_id" in json.dumps(error)


def check_todo(port: int) -> None:
    status, _, body = request(port, "POST", "/todos", {"title": "ship it", "tags": [{"name": "ops"}]})
    assert status == 201, body
    created = json.loads(body)
    assert created["title"] == "ship it" and created["id"] == 1
    assert get_json(port, "/todos/1")[1] == created
    assert get_json(port, "/todos?tags=ops")[1] == [created]
    assert get_json(port, "/todos/2")[0] == 404
    status, _, _ = request(port, "POST", "/todos", {"title": 5})
    assert status == 400
    # The probe paths the app sets with App(health_path=..., ready_path=...).
    assert get_json(port, "/healthz") == (200, {"status": "ok"})
    assert get_json(port, "/readyz") == (200, {"status": "ready"})


CHECKS = {"hello": check_hello, "todo": check_todo}


def test_the_bundle_holds_the_binary_libpython_the_stdlib_and_only_the_apps_packages(
    bundles: Path,
) -> None:
    hello = bundles / "hello"
    assert (hello / "hello").is_file() and os.access(hello / "hello", os.X_OK)
    lib = hello / "lib"
    version = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    assert (lib / f"lib{version}.so.1.0").is_file()
    stdlib = lib / version
    assert (stdlib / "os.py").is_file() and (stdlib / "lib-dynload").is_dir()
    # Compiled ahead: a read-only container compiles nothing at start-up.
    assert list((stdlib / "json" / "__pycache__").glob("__init__.*.pyc"))
    for unneeded in ("test", "idlelib", "tkinter", "ensurepip"):
        assert not (stdlib / unneeded).exists(), unneeded
    assert not list(stdlib.glob("config-*")), "the static library is left out"
    # hello imports msgspec only (prebake itself is inside the binary): none
    # of the project's test tools come along.
    site = {p.name for p in (stdlib / "site-packages").iterdir()}
    assert site and all(n.startswith("msgspec") for n in site), site
    # The binary finds libpython beside itself, through no absolute path.
    dynamic = subprocess.run(
        ["readelf", "-d", str(hello / "hello")], capture_output=True, text=True, check=True
    ).stdout
    paths = [line for line in dynamic.splitlines() if "RPATH" in line or "RUNPATH" in line]
    assert paths and all("[$ORIGIN/lib]" in line for line in paths), paths
    size = sum(p.stat().st_size for p in hello.rglob("*") if p.is_file())
    print(f"\nbundle size (hello): {size / 1e6:.1f} MB")


def test_the_bundle_runs_from_any_folder_under_env_i_and_through_a_link(
    bundles: Path, tmp_path: Path
) -> None:
    link = tmp_path / "bin" / "hello"
    link.parent.mkdir()
    link.symlink_to(bundles / "hello" / "hello")
    port = free_port()
    # No environment at all, another working directory, started by a link:
    # Python's home is found from the binary's real path.
    with serving([str(link), "--port", str(port)], port, env={}, cwd=tmp_path) as (_, took):
        check_hello(port)
    print(f"\nstart-up to the first answer (hello, env -i): {took * 1000:.0f} ms")


def test_a_bundle_without_its_lib_folder_says_so(bundles: Path, tmp_path: Path) -> None:
    lone = tmp_path / "hello"
    shutil.copy2(bundles / "hello" / "hello", lone)
    (tmp_path / "lib").mkdir()
    shutil.copy2(bundles / "hello" / "lib" / f"libpython{sys.version_info[0]}.{sys.version_info[1]}.so.1.0", tmp_path / "lib")
    out = subprocess.run([str(lone), "--port", "0"], capture_output=True, text=True, env={}, timeout=30)
    assert out.returncode != 0
    assert "copy the whole bundle folder" in out.stderr, out.stderr


@pytest.mark.parametrize("app", ["hello", "todo"])
def test_the_bundle_serves_in_a_minimal_debian_without_python(
    bundles: Path, rootfs: Path, app: str
) -> None:
    # The root has no Python at all, and the chroot hides the build's.
    assert not list((rootfs / "usr" / "bin").glob("python*"))
    assert not (rootfs / "usr" / "lib" / "x86_64-linux-gnu" / "libpython3.11.so.1.0").exists()
    port = free_port()
    # A private mount namespace: the bundle mounted read-only at /opt/app,
    # /proc for the binary to find itself; both vanish with the process.
    script = (
        'mount --bind "$1" "$2/opt/app" && mount -o remount,bind,ro "$2/opt/app" '
        '&& mount -t proc proc "$2/proc" '
        '&& exec chroot "$2" /usr/bin/env -i /opt/app/"$3" --host 127.0.0.1 --port "$4"'
    )
    cmd = ["unshare", "--mount", "sh", "-c", script, "sh", str(bundles / app), str(rootfs), app, str(port)]
    with serving(cmd, port) as (proc, took):
        CHECKS[app](port)
        # The process really runs from the minimal root.
        assert os.readlink(f"/proc/{proc.pid}/root") == str(rootfs)
    assert proc.returncode == 0
    print(f"\nstart-up to the first answer ({app}, minimal Debian): {took * 1000:.0f} ms")


def test_the_dockerfile_passes_hadolint(bundles: Path) -> None:
    for app in ("hello", "todo"):
        dockerfile = bundles / app / "Dockerfile"
        text = dockerfile.read_text()
        for directive in (
            "FROM debian:bookworm-slim",
            "USER 10001:10001",
            "STOPSIGNAL SIGTERM",
            f'HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=3 \\\n    CMD ["/opt/{app}/{app}", "--healthcheck"]',
            "EXPOSE 8000",
            f'ENTRYPOINT ["/opt/{app}/{app}"]',
        ):
            assert directive in text, directive
        out = subprocess.run(
            [str(BIN / "hadolint"), "--failure-threshold", "style", str(dockerfile)],
            capture_output=True,
            text=True,
        )
        assert (out.returncode, out.stdout, out.stderr) == (0, "", "")
    # The linter judges: a Dockerfile with a known fault fails.
    bad = bundles / "hello" / "Dockerfile.bad"
    try:
        bad.write_text("FROM debian:latest\nRUN apt-get install curl\n")
        out = subprocess.run([str(BIN / "hadolint"), str(bad)], capture_output=True, text=True)
        assert out.returncode != 0 and "DL3007" in out.stdout
    finally:
        bad.unlink()


def test_healthcheck_flag_probes_the_health_path(bundles: Path) -> None:
    binary = str(bundles / "todo" / "todo")
    port = free_port()

    def healthcheck(*args: str) -> int:
        return subprocess.run(
            [binary, "--healthcheck", "--port", str(port), *args], env={}, capture_output=True, timeout=30
        ).returncode

    with serving([binary, "--port", str(port)], port, env={}):
        assert healthcheck("--health-path", "/healthz") == 0
        assert healthcheck("--health-path", "/nothing-here") == 1
    assert healthcheck("--health-path", "/healthz") == 1  # nothing listens


def test_probe_paths_are_off_by_default_and_flags_override_the_app(bundles: Path) -> None:
    port = free_port()
    hello = str(bundles / "hello" / "hello")
    with serving([hello, "--port", str(port)], port, env={}):
        assert request(port, "GET", "/healthz")[0] == 404
    with serving([hello, "--port", str(port)], port, env={"PREBAKE_HEALTH_PATH": "/live"}):
        assert get_json(port, "/live") == (200, {"status": "ok"})
    todo = str(bundles / "todo" / "todo")
    with serving([todo, "--port", str(port), "--ready-path", "/ready"], port, env={}):
        assert get_json(port, "/ready") == (200, {"status": "ready"})
        assert request(port, "GET", "/readyz")[0] == 404
        assert get_json(port, "/healthz") == (200, {"status": "ok"})


def test_readiness_turns_503_on_sigterm_while_the_server_still_serves(bundles: Path) -> None:
    todo = str(bundles / "todo" / "todo")
    port = free_port()
    cmd = [todo, "--port", str(port), "--shutdown-delay", "1.5", "--graceful-timeout", "5"]
    with serving(cmd, port, env={}) as (proc, _):
        assert get_json(port, "/readyz") == (200, {"status": "ready"})
        signalled = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        time.sleep(0.2)
        # New connections are still accepted during the delay: readiness
        # fails so the endpoint leaves the Service, everything else serves.
        assert get_json(port, "/readyz") == (503, {"status": "stopping"})
        assert get_json(port, "/healthz") == (200, {"status": "ok"})
        assert get_json(port, "/todos")[0] == 200
        assert proc.poll() is None
        # Then the listener closes and the process exits cleanly.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                request(port, "GET", "/readyz")
            except OSError:
                break
            time.sleep(0.05)
        else:
            raise AssertionError("the listener stayed open")
        assert time.monotonic() - signalled >= 1.4
        assert proc.wait(timeout=10) == 0


def test_the_kubernetes_manifests_validate_and_agree_with_the_server(bundles: Path) -> None:
    manifest = bundles / "k8s" / "todo.yaml"
    out = subprocess.run(
        [str(BIN / "kubernetes-validate"), "--strict", "-k", "1.37.0", str(manifest)],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.count("passed") == 4, out.stdout
    docs = {d["kind"]: d for d in yaml.safe_load_all(manifest.read_text())}
    assert set(docs) == {"Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget"}
    pod = docs["Deployment"]["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert container["image"] == "registry.example/todo:1.0.0"
    env = {e["name"]: e["value"] for e in container["env"]}
    assert container["readinessProbe"]["httpGet"]["path"] == env["PREBAKE_READY_PATH"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == env["PREBAKE_HEALTH_PATH"] == "/healthz"
    server_worst = float(env["PREBAKE_SHUTDOWN_DELAY"]) + float(env["PREBAKE_GRACEFUL_TIMEOUT"])
    assert pod["terminationGracePeriodSeconds"] > server_worst
    # The delay outlasts the readiness probe's period (it must see the 503).
    probe = container["readinessProbe"]
    assert float(env["PREBAKE_SHUTDOWN_DELAY"]) > probe["periodSeconds"] * probe["failureThreshold"]
    assert container["resources"]["limits"]["cpu"] == "1" and env["WORKERS"] == "1"
    hpa = docs["HorizontalPodAutoscaler"]["spec"]
    assert hpa["metrics"][0]["resource"]["name"] == "cpu"
    assert docs["PodDisruptionBudget"]["spec"]["selector"] == docs["Deployment"]["spec"]["selector"]
    assert docs["Service"]["spec"]["selector"] == docs["Deployment"]["spec"]["selector"]["matchLabels"]
    # The validator judges: a broken manifest fails.
    broken = manifest.with_name("broken.yaml")
    try:
        broken.write_text(manifest.read_text().replace("containerPort: 8000", "containerPort: eight"))
        out = subprocess.run(
            [str(BIN / "kubernetes-validate"), "--strict", str(broken)], capture_output=True, text=True
        )
        assert out.returncode != 0
    finally:
        broken.unlink()


def depends_binary() -> Path:
    path = Path(os.environ.get("PREBAKE_E2E_BIN_DIR", ROOT / "target" / "e2e-bin")) / "depends"
    if not path.exists():
        pytest.skip(f"{path} is missing: run through `cargo xtask test`")
    return path


def test_readiness_comes_only_after_the_lifespan_started(tmp_path: Path) -> None:
    binary = str(depends_binary())
    port = free_port()
    log = tmp_path / "stderr.txt"

    def poll_ready(env: dict[str, str]) -> tuple[subprocess.Popen[bytes], bool]:
        """Starts the app and polls readiness from the first moment; whether
        a 200 came, checking the lifespan had logged its start by then."""
        with log.open("wb") as err:
            proc = subprocess.Popen(
                [binary, "--port", str(port), "--ready-path", "/readyz"],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=err,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                status, _, _ = request(port, "GET", "/readyz")
            except OSError:
                time.sleep(0.01)
                continue
            if status == 200:
                assert "lifespan start" in log.read_text()
                return proc, True
        return proc, False

    proc, ready = poll_ready({})
    try:
        assert ready
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    # A lifespan that raises: the process stops, never having been ready.
    proc, ready = poll_ready({"DEPENDS_FAIL_LIFESPAN": "1"})
    assert not ready
    assert proc.wait(timeout=30) != 0

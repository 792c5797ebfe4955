"""Start the whole portal as real processes for end-to-end tests (shared by tests/e2e).

`portal` (session scope): a fresh data dir, free ports, then `switchboard certs`, `migrate`,
`demo --load-only` and `serve` (as `python -m gateway.cli …`); waits for /healthz and stops the
server by pid at the end (terminate, kill after 10 s). The server log is in `portal.log_path`.
`fresh_portal` (module scope) is the same for a module that needs untouched demo data; the
helpers (free_port, portal_env, run_cli, start_server, wait_healthy, stop) serve split mode too.
"""

from __future__ import annotations

import os
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import httpx
import pytest
from playwright.sync_api import Browser, sync_playwright

pytest.register_assert_rewrite("spine_checks")  # shared checks (tests/e2e/spine_checks.py) explain failures

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "e2e"


CHROMIUM = Path("/usr/bin/chromium")  # Debian's package; never `playwright install`
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
    "--host-resolver-rules=MAP acme.localhost 127.0.0.1",
]
DEMO_PASSWORD = "switchboard-demo"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        message = "/usr/bin/chromium is missing (make test installs Debian's chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            yield b
        finally:
            b.close()


@dataclass(frozen=True)
class Portal:
    base_url: str  # https://127.0.0.1:<port>
    port: int
    network_port: int
    data_dir: Path
    log_path: Path
    env: dict[str, str]

    def url(self, path: str, *, host: str = "127.0.0.1") -> str:
        return f"https://{host}:{self.port}{path}"

    def log_tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


class HasLog(Protocol):
    def log_tail(self, lines: int = ...) -> str: ...


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def switchboard_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "gateway.cli", *args]


def run_cli(env: dict[str, str], *args: str, timeout: float = 180) -> str:
    """Run `switchboard ARGS` to completion (fails the test on a non-zero exit); returns stdout."""
    done = subprocess.run(
        switchboard_command(*args),
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        pytest.fail(
            f"`switchboard {' '.join(args)}` exited {done.returncode}\n"
            f"stdout:\n{done.stdout[-4000:]}\nstderr:\n{done.stderr[-4000:]}"
        )
    return done.stdout


def wait_healthy(
    url: str,
    proc: subprocess.Popen[bytes],
    portal: HasLog,
    *,
    timeout: float = 60,
    tls: ssl.SSLContext | None = None,
) -> None:
    """Poll `url` until it answers 200. `tls` (e.g. with a client certificate for an mTLS
    resource) replaces the default of not verifying the dev CA's certificate."""
    verify: ssl.SSLContext | bool = tls if tls is not None else False  # dev CA: not verified by default
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"`switchboard serve` exited with {proc.returncode}\n{portal.log_tail()}")
        try:
            r = httpx.get(url, verify=verify, timeout=2)
            if r.status_code == 200:
                return
            last = f"HTTP {r.status_code}"
        except httpx.HTTPError as exc:
            last = repr(exc)
        time.sleep(0.25)
    pytest.fail(f"portal not healthy after {timeout} s ({last})\n{portal.log_tail()}")


def start_server(env: dict[str, str], log_path: Path, *args: str) -> subprocess.Popen[bytes]:
    """`switchboard ARGS` in the background, stdout and stderr to `log_path`."""
    with log_path.open("wb") as log:
        return subprocess.Popen(
            switchboard_command(*args), cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT
        )


def portal_env(data: Path, *, port: int, network_port: int) -> dict[str, str]:
    """The environment of every `switchboard` process of one portal (no inherited SWITCHBOARD_*)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SWITCHBOARD_")}
    env.update(
        {
            "SWITCHBOARD_DATA": str(data),
            "SWITCHBOARD_PORT": str(port),
            "SWITCHBOARD_NETWORK_PORT": str(network_port),
            "SWITCHBOARD_DEMO": "1",
            "SWITCHBOARD_LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


@contextmanager
def launch_portal(data: Path) -> Iterator[Portal]:
    """`certs`, `migrate`, `demo --load-only` into `data`, then `serve` until the block ends."""
    if not (REPO / "gateway" / "cli.py").is_file():
        pytest.skip("gateway/cli.py does not exist yet: the end-to-end portal cannot be started")
    port, network_port = free_port(), free_port()
    env = portal_env(data, port=port, network_port=network_port)
    log_path = data / "serve.log"
    info = Portal(
        base_url=f"https://127.0.0.1:{port}",
        port=port,
        network_port=network_port,
        data_dir=data,
        log_path=log_path,
        env=env,
    )
    run_cli(env, "certs")
    run_cli(env, "migrate")
    run_cli(env, "demo", "--load-only")
    proc = start_server(env, log_path, "serve")
    try:
        wait_healthy(info.url("/healthz"), proc, info)
        yield info
    finally:
        stop(proc)


@pytest.fixture(scope="session")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    """One portal shared by the session's browser tests (they change its data: alice gets MFA)."""
    with launch_portal(tmp_path_factory.mktemp("portal")) as info:
        yield info


@pytest.fixture(scope="module")
def fresh_portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    """A portal of the module's own, its demo data exactly as `demo --load-only` left it."""
    with launch_portal(tmp_path_factory.mktemp("fresh-portal")) as info:
        yield info


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS

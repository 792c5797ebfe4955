"""bench/dispatch: an authenticated API call through gateway + dispatcher + assertion + resource,
versus the same resource app served directly (same TLS, same uvicorn), in one run on loopback.

Load generator: wrk (Debian) — 2 threads, 64 connections, keep-alive. Targets (issue 2):
throughput ratio ≥ 0.35 x direct, p99 ≤ 25 ms through the portal at 64 connections.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench import report

DURATION = int(os.environ.get("BENCH_SECONDS", "10"))
CONNECTIONS = 64
ROOT = Path(__file__).resolve().parent.parent
SWITCHBOARD = str(Path(sys.executable).parent / "switchboard")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(url: str, ca: Path, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, verify=str(ca), timeout=1.0).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


def wrk(url: str, headers: dict[str, str]) -> dict[str, float]:
    args = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{DURATION}s", "--latency"]
    for k, v in headers.items():
        args += ["-H", f"{k}: {v}"]
    out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]

    def pct(p: str) -> float:
        m = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)", out)
        if not m:
            return float("nan")
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors:.*", out)
    return {
        "rps": rps,
        "p50_ms": pct("50"),
        "p99_ms": pct("99"),
        "non_2xx": float(non2xx.group(1)) if non2xx else 0.0,
        "socket_errors": 1.0 if errors else 0.0,
    }


def main() -> None:
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (make bench installs it from Debian)")
    data = Path(tempfile.mkdtemp(prefix="sb-bench-"))
    port, net_port, direct_port = free_port(), free_port(), free_port()
    env = {
        **os.environ,
        "SWITCHBOARD_DATA": str(data),
        "SWITCHBOARD_PORT": str(port),
        "SWITCHBOARD_NETWORK_PORT": str(net_port),
        "SWITCHBOARD_DEMO": "1",
        "SWITCHBOARD_LOG_LEVEL": "WARNING",
    }
    env.pop("SWITCHBOARD_DATABASE_URL", None)
    env.pop("SWITCHBOARD_REDIS_URL", None)
    subprocess.run([SWITCHBOARD, "demo", "--load-only"], env=env, check=True, capture_output=True)
    token = (
        subprocess.run(
            [SWITCHBOARD, "token", "create", "--user", "alice@globex", "--name", "bench"],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    ca = data / "certs" / "ca.pem"
    procs = [
        subprocess.Popen([SWITCHBOARD, "serve"], env=env),
        subprocess.Popen([sys.executable, "-m", "bench.direct_server", str(direct_port)], env=env),
    ]
    try:
        wait_ready(f"https://127.0.0.1:{port}/healthz", ca)
        wait_ready(f"https://127.0.0.1:{direct_port}/healthz", ca)
        portal_url = f"https://127.0.0.1:{port}/api/directory/me"
        me = httpx.get(portal_url, headers={"Authorization": f"Bearer {token}"}, verify=str(ca))
        me.raise_for_status()
        assertion = subprocess.run(
            [sys.executable, "-m", "bench.direct_server", "--mint", json.dumps(me.json())],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        direct_url = f"https://127.0.0.1:{direct_port}/api/me"
        check = httpx.get(direct_url, headers={"X-Switchboard-Assertion": assertion}, verify=str(ca))
        check.raise_for_status()
        # warm up both paths, then measure direct first and the portal second, same load
        wrk_short = {"Authorization": f"Bearer {token}"}
        direct = wrk(direct_url, {"X-Switchboard-Assertion": assertion})
        portal = wrk(portal_url, wrk_short)
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(data, ignore_errors=True)
    ratio = portal["rps"] / direct["rps"] if direct["rps"] else 0.0
    rows = [
        {"path": "direct resource (TLS + assertion check)", **direct},
        {"path": "portal: gateway+dispatcher+assertion", **portal},
    ]
    report.write(
        "dispatch",
        rows,
        {
            "throughput_ratio": ratio,
            "target_ratio": 0.35,
            "portal_p99_ms": portal["p99_ms"],
            "target_p99_ms": 25.0,
            "connections": CONNECTIONS,
            "seconds_each": DURATION,
            "meets_targets": bool(ratio >= 0.35 and portal["p99_ms"] <= 25.0),
        },
    )

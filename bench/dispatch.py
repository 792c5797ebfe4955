"""bench/dispatch: an authenticated API call through gateway + dispatcher + assertion + resource,
next to the same resource app served directly and a bare Starlette hello-world (the ceiling:
same TLS, same uvicorn configuration, same wrk load), in one run on loopback, one table.

Load generator: wrk (Debian) — 2 threads, 64 connections, keep-alive. Targets (issue 11 §2):
portal ≥ 0.35 x bare, portal p99 ≤ 25 ms at 64 connections, direct ≥ 10 x the 107 rps baseline.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx

from bench import report
from bench.harness import cpu_seconds, free_port, portal_env, wait_ready, wrk

DURATION = int(os.environ.get("BENCH_SECONDS", "10"))
CONNECTIONS = 64
ROOT = Path(__file__).resolve().parent.parent
SWITCHBOARD = str(Path(sys.executable).parent / "switchboard")
DIRECT_BASELINE_RPS = 107.0  # issue 11: the direct resource path before this work


def _measured(pid: int, url: str, headers: dict[str, str]) -> dict[str, float]:
    """wrk's summary plus the server's CPU per request (user + system): the machine's load
    moves requests/s between runs, CPU per request much less."""
    before = cpu_seconds(pid)
    result = wrk(url, headers, seconds=DURATION, connections=CONNECTIONS)
    served = result["rps"] * DURATION
    result["server_cpu_us"] = (cpu_seconds(pid) - before) / served * 1e6 if served else float("nan")
    return result


def main() -> None:
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (make bench installs it from Debian)")
    data = Path(tempfile.mkdtemp(prefix="sb-bench-"))
    port, net_port, direct_port, bare_port = free_port(), free_port(), free_port(), free_port()
    env = portal_env(data, port=port, net_port=net_port)
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
        subprocess.Popen([sys.executable, "-m", "bench.bare_server", str(bare_port)], env=env),
    ]
    try:
        wait_ready(f"https://127.0.0.1:{port}/healthz", ca)
        wait_ready(f"https://127.0.0.1:{direct_port}/healthz", ca)
        wait_ready(f"https://127.0.0.1:{bare_port}/healthz", ca)
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
        # bare ceiling first, then direct, then the portal: same load, one after the other
        bare = _measured(procs[2].pid, f"https://127.0.0.1:{bare_port}/hello", {})
        direct = _measured(procs[1].pid, direct_url, {"X-Switchboard-Assertion": assertion})
        portal = _measured(procs[0].pid, portal_url, {"Authorization": f"Bearer {token}"})
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(data, ignore_errors=True)
    ratio = portal["rps"] / bare["rps"] if bare["rps"] else 0.0
    direct_x = direct["rps"] / DIRECT_BASELINE_RPS
    rows = [
        {"path": "bare Starlette+uvicorn TLS hello-world", **bare, "x_bare": 1.0},
        {"path": "direct resource (TLS + assertion check)", **direct, "x_bare": direct["rps"] / bare["rps"]},
        {"path": "portal: gateway+dispatcher+assertion", **portal, "x_bare": ratio},
    ]
    report.write(
        "dispatch",
        rows,
        {
            "portal_over_bare": ratio,
            "target_portal_over_bare": 0.35,
            "portal_p99_ms": portal["p99_ms"],
            "target_p99_ms": 25.0,
            "direct_over_baseline_107rps": direct_x,
            "target_direct_over_baseline": 10.0,
            "connections": CONNECTIONS,
            "seconds_each": DURATION,
            "meets_targets": bool(ratio >= 0.35 and portal["p99_ms"] <= 25.0 and direct_x >= 10.0),
        },
    )

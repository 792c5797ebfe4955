"""bench/scp_http: the per-call SCP route query over the network plane, end to end.

The real portal (`switchboard serve`, demo data) answers `POST /tollfree/route` on the network
port (TLS, element token): gateway network app → dispatcher (policy, ES256 assertion) → kit
middleware (verify) → `resources.tollfree.network` → `ScpStore.route`. wrk (Debian) drives it
with a Lua script that varies the number, the calling number and the call id. The ratio baseline
is the same compiled table (`ScpStore.route`, loaded from the same database) called in-process.

Targets (issue 3): ≥ 8,000 route queries/s and p99 ≤ 5 ms over HTTP.
Environment: BENCH_SECONDS (default 10), BENCH_SCP_CONNECTIONS (default 16), BENCH_SCP_THREADS (2).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench import report
from bench.harness import cpu_seconds, free_port, portal_env, wait_ready, wrk

DURATION = int(os.environ.get("BENCH_SECONDS", "10"))
CONNECTIONS = int(os.environ.get("BENCH_SCP_CONNECTIONS", "16"))
THREADS = int(os.environ.get("BENCH_SCP_THREADS", "2"))
SWITCHBOARD = str(Path(sys.executable).parent / "switchboard")
TARGET_RPS = 8000.0
TARGET_P99_MS = 5.0
ANIS = 1000  # distinct calling numbers in the rotation

LUA = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local numbers = {%(numbers)s}
local counter = 0
local prefix = tostring(math.random(100000, 999999))
request = function()
  counter = counter + 1
  local dnis = numbers[(counter %% #numbers) + 1]
  local ani = string.format("+1312555%%04d", counter %% %(anis)d)
  local body = string.format('{"dnis":"%%s","ani":"%%s","callid":"bench-%%s-%%d"}',
                             dnis, ani, prefix, counter)
  return wrk.format(nil, nil, nil, body)
end
"""


def _run(args: list[str], env: dict[str, str]) -> str:
    return subprocess.run(args, env=env, check=True, capture_output=True, text=True).stdout


async def _load_store(env: dict[str, str]) -> tuple[Any, list[str]]:
    """The compiled table exactly as the portal's SCP builds it, from the same database."""
    from gateway.config import Config
    from gateway.serve import resource_settings
    from resources.kit.events import InProcessBus
    from resources.tollfree.context import compile_settings, open_context
    from resources.tollfree.runtime import DbSource, reload_all
    from resources.tollfree.scp import ScpStore
    from resources.tollfree.settings import TollfreeSettings

    config = Config.load(env=env)
    settings = TollfreeSettings.from_resource(resource_settings(config, "tollfree", InProcessBus()), env)
    store = ScpStore(settings=compile_settings(settings))
    async with open_context(settings) as (ctx, _engine):
        await reload_all(store, DbSource(ctx))
    numbers = sorted(t for t in store.targets() if not t.startswith("*"))
    return store, numbers


def in_process(store: Any, numbers: list[str], seconds: float) -> dict[str, float]:
    """`ScpStore.route` called directly with the same kind of varying queries."""
    from resources.tollfree.compiler import Query

    queries = [
        Query(dnis=numbers[i % len(numbers)], ani=f"+1312555{i % ANIS:04d}", ts=time.time(), call_id=f"q-{i}")
        for i in range(10_000)
    ]
    route = store.route
    done = 0
    started = time.perf_counter()
    deadline = started + seconds
    while time.perf_counter() < deadline:
        for q in queries:
            route(q)
        done += len(queries)
    elapsed = time.perf_counter() - started
    return {
        "rps": done / elapsed,
        "p50_ms": elapsed / done * 1000,
        "p99_ms": float("nan"),
        "non_2xx": 0.0,
        "socket_errors": 0.0,
    }


def main() -> None:
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (make bench installs it from Debian)")
    data = Path(tempfile.mkdtemp(prefix="sb-bench-scp-"))
    port, net_port = free_port(), free_port()
    env = portal_env(data, port=port, net_port=net_port)
    _run([SWITCHBOARD, "demo", "--load-only"], env)
    token = _run([SWITCHBOARD, "element", "add", "bench", "--action", "tollfree:route-query"], env)
    token = token.strip().splitlines()[-1]
    store, numbers = asyncio.run(_load_store(env))
    if not numbers:
        raise SystemExit("the demo data has no number with an ACTIVE plan to route")
    ca = data / "certs" / "ca.pem"
    script = data / "scp.lua"
    script.write_text(LUA % {"numbers": ", ".join(json.dumps(n) for n in numbers), "anis": ANIS})
    proc = subprocess.Popen([SWITCHBOARD, "serve"], env=env)
    try:
        wait_ready(f"https://127.0.0.1:{port}/healthz", ca)
        url = f"https://127.0.0.1:{net_port}/tollfree/route"
        auth = {"Authorization": f"Bearer {token}"}
        probe = httpx.post(url, json={"dnis": numbers[0], "callid": "probe"}, headers=auth, verify=str(ca))
        probe.raise_for_status()
        if probe.json().get("outcome") != "route":
            print(f"note: {numbers[0]} answers {probe.json()}", file=sys.stderr)
        baseline = in_process(store, numbers, min(DURATION, 5))
        cpu_before = cpu_seconds(proc.pid)
        http = wrk(url, auth, seconds=DURATION, connections=CONNECTIONS, threads=THREADS, script=script)
        cpu = cpu_seconds(proc.pid) - cpu_before
        requests = http["rps"] * DURATION
        http["server_cpu_us_per_query"] = cpu / requests * 1e6 if requests else float("nan")
        status = httpx.get(
            f"https://127.0.0.1:{net_port}/tollfree/status", headers=auth, verify=str(ca)
        ).json()
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(data, ignore_errors=True)
    ratio = http["rps"] / baseline["rps"] if baseline["rps"] else 0.0
    rows = [
        {"path": "in-process ScpStore.route", **baseline},
        {"path": "portal network plane POST /tollfree/route", **http},
    ]
    report.write(
        "scp_http",
        rows,
        {
            "route_queries_per_s": http["rps"],
            "target_per_s": TARGET_RPS,
            "p50_ms": http["p50_ms"],
            "p99_ms": http["p99_ms"],
            "target_p99_ms": TARGET_P99_MS,
            "server_cpu_us_per_query": http["server_cpu_us_per_query"],
            "http_vs_in_process": ratio,
            "numbers": len(numbers),
            "targets_loaded": status.get("targets"),
            "connections": CONNECTIONS,
            "threads": THREADS,
            "seconds": DURATION,
            "meets_targets": bool(http["rps"] >= TARGET_RPS and http["p99_ms"] <= TARGET_P99_MS),
        },
    )


if __name__ == "__main__":
    main()

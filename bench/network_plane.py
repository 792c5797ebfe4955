"""bench/network_plane: the switch's three per-call questions over the network plane, in one run
of one portal (`switchboard serve`, demo data, TLS, element token), each loaded by wrk in turn:

* the toll-free SCP's route query (`POST /tollfree/route`, a site leaf: the static baseline),
* the call-center router (`POST /callcenter/route`, Globex's least-busy distribution `main`),
* the outbound decision (`POST /outbound/decide`, Globex's lines dialling local, long-distance,
  toll-free and international numbers).

Targets (issue 12): outbound ≥ 8,000 decisions/s over HTTPS like the SCP's, and the least-busy
router ≥ 0.8 times the static route query in the same run (ratios, not absolute numbers, carry over
between machines). The router's offers lapse at once here (SWITCHBOARD_CALLCENTER_PENDING_SECONDS)
so a long run does not fill every site and measure the cheaper all-busy answer.
Environment: BENCH_SECONDS (default 10), BENCH_NET_CONNECTIONS (16), BENCH_NET_THREADS (2).
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
CONNECTIONS = int(os.environ.get("BENCH_NET_CONNECTIONS", "16"))
THREADS = int(os.environ.get("BENCH_NET_THREADS", "2"))
SWITCHBOARD = str(Path(sys.executable).parent / "switchboard")
TARGET_OUTBOUND_RPS = 8000.0
TARGET_ROUTER_RATIO = 0.8
ACTIONS = ("tollfree:route-query", "callcenter:route-query", "outbound:decide")

LUA = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local bodies = {%(bodies)s}
local counter = 0
local prefix = tostring(math.random(100000, 999999))
request = function()
  counter = counter + 1
  local body = string.format(bodies[(counter %% #bodies) + 1], prefix .. "-" .. counter)
  return wrk.format(nil, nil, nil, body)
end
"""

# %s in each body is the call id
SCP = ['{"dnis":"+18005550100","ani":"+13125550100","callid":"%s"}']
ROUTER = ['{"customer":"globex","distribution":"main","dnis":"+18005550100","callid":"%s"}']
OUTBOUND = [
    '{"caller":"+13125550142","dialled":"3125550100","callid":"%s"}',
    '{"caller":"+13125550142","dialled":"2125550100","callid":"%s"}',
    '{"caller":"+13125550142","dialled":"8005550100","callid":"%s"}',
    '{"caller":"+13125550190","dialled":"3125550111","callid":"%s"}',
    '{"caller":"+13125550142","dialled":"011442079460000","callid":"%s"}',
]


def _run(args: list[str], env: dict[str, str]) -> str:
    return subprocess.run(args, env=env, check=True, capture_output=True, text=True).stdout


def _script(data: Path, name: str, bodies: list[str]) -> Path:
    path = data / f"{name}.lua"
    path.write_text(LUA % {"bodies": ", ".join(json.dumps(b) for b in bodies)})
    return path


def main() -> None:
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (make bench installs it from Debian)")
    data = Path(tempfile.mkdtemp(prefix="sb-bench-net-"))
    port, net_port = free_port(), free_port()
    env = portal_env(data, port=port, net_port=net_port)
    env["SWITCHBOARD_CALLCENTER_PENDING_SECONDS"] = "0.001"
    env["SWITCHBOARD_SIMULATOR_RATE"] = "0"
    _run([SWITCHBOARD, "demo", "--load-only"], env)
    add = [SWITCHBOARD, "element", "add", "bench", *(arg for a in ACTIONS for arg in ("--action", a))]
    token = _run(add, env).strip().splitlines()[-1]
    ca = data / "certs" / "ca.pem"
    auth = {"Authorization": f"Bearer {token}"}
    cases = [
        ("toll-free SCP route query (site leaf)", "/tollfree/route", SCP),
        ("call-center router, least-busy", "/callcenter/route", ROUTER),
        ("outbound decision", "/outbound/decide", OUTBOUND),
    ]
    proc = subprocess.Popen([SWITCHBOARD, "serve"], env=env)
    rows = []
    try:
        wait_ready(f"https://127.0.0.1:{port}/healthz", ca)
        for label, path, bodies in cases:
            url = f"https://127.0.0.1:{net_port}{path}"
            probe = httpx.post(
                url,
                content=bodies[0] % "probe",
                headers={**auth, "Content-Type": "application/json"},
                verify=str(ca),
            )
            probe.raise_for_status()
            before = cpu_seconds(proc.pid)
            result = wrk(
                url,
                auth,
                seconds=DURATION,
                connections=CONNECTIONS,
                threads=THREADS,
                script=_script(data, path.strip("/").replace("/", "-"), bodies),
            )
            cpu = cpu_seconds(proc.pid) - before
            done = result["rps"] * DURATION
            rows.append(
                {"path": label, **result, "server_cpu_us": cpu / done * 1e6 if done else float("nan")}
            )
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(data, ignore_errors=True)
    scp, router, outbound = rows
    router_ratio = router["rps"] / scp["rps"] if scp["rps"] else 0.0
    report.write(
        "network_plane",
        rows,
        {
            "scp_per_s": scp["rps"],
            "router_per_s": router["rps"],
            "outbound_per_s": outbound["rps"],
            "router_vs_scp": router_ratio,
            "target_router_vs_scp": TARGET_ROUTER_RATIO,
            "outbound_vs_scp": outbound["rps"] / scp["rps"] if scp["rps"] else 0.0,
            "target_outbound_per_s": TARGET_OUTBOUND_RPS,
            "connections": CONNECTIONS,
            "threads": THREADS,
            "seconds": DURATION,
            "meets_targets": bool(
                outbound["rps"] >= TARGET_OUTBOUND_RPS and router_ratio >= TARGET_ROUTER_RATIO
            ),
        },
    )


if __name__ == "__main__":
    main()

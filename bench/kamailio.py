"""bench/kamailio: calls/s through the real switch with the per-call SCP lookup, against the same
switch routing statically (WITH_STATIC_ROUTE), in one run on loopback.

Both runs use deploy/kamailio/kamailio.cfg, the same SIPp callers (uac.xml: INVITE, 200, ACK,
hold, BYE) and the same SIPp site (uas_answer.xml). The lookup run starts the real portal
(`switchboard demo --load-only` + `serve`), registers the switch as a network element (mTLS
client certificate), defines the site, assigns a number and activates a one-site plan for
alice@globex through the JSON API; every INVITE then costs one HTTPS route query (network plane →
dispatcher → tollfree SCP). The static run skips the query, everything else identical.

Measure: successful calls / wall-clock seconds of the SIPp run (completed INVITE transactions
per second), failed calls, mean INVITE → 200 OK. Target (issue 3): lookup ≥ 0.8 x static.
Environment: BENCH_CALLS (default 10000), BENCH_RATE offered calls/s (default 1000),
BENCH_OPEN_CALLS (default 200, calls in progress at most), BENCH_HOLD_MS (default 100).
Process helpers: tests/integration/kamailio_support.py (shared with the integration test).
"""

from __future__ import annotations

import os
import shutil
import ssl
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx

from bench import report
from bench.harness import free_port, portal_env, wait_ready

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "integration"))
import kamailio_support as ks  # noqa: E402

CALLS = int(os.environ.get("BENCH_CALLS", "10000"))
RATE = float(os.environ.get("BENCH_RATE", "1000"))
OPEN_CALLS = int(os.environ.get("BENCH_OPEN_CALLS", "200"))
HOLD_MS = int(os.environ.get("BENCH_HOLD_MS", "100"))
TARGET_RATIO = 0.8
SWITCHBOARD = str(Path(sys.executable).parent / "switchboard")
TFN = "+18885550177"


def cli(env: dict[str, str], *args: str) -> str:
    return subprocess.run([SWITCHBOARD, *args], env=env, check=True, capture_output=True, text=True).stdout


def token(env: dict[str, str], user: str) -> str:
    return cli(env, "token", "create", "--user", user, "--name", "bench-kamailio").strip().splitlines()[-1]


def _provision(base_url: str, ca: ssl.SSLContext, env: dict[str, str], site: ks.Site) -> None:
    """Provider admin: site + number; alice@globex: a plan sending every call to that site."""
    admin = {"Authorization": f"Bearer {token(env, 'admin')}"}
    alice = {"Authorization": f"Bearer {token(env, 'alice@globex')}"}
    with httpx.Client(base_url=base_url, verify=ca) as c:
        c.put("/api/tollfree/sites/globex/bench", json={"uri": site.uri}, headers=admin).raise_for_status()
        c.post(
            "/api/tollfree/numbers",
            json={"tfn": TFN, "customer_id": "globex", "reseller_chain": [], "description": "bench"},
            headers=admin,
        ).raise_for_status()
        document = {
            "format": 1,
            "timezone": "America/New_York",
            "aos": {"states": [], "npas": [], "latas": [], "npanxx": []},
            "carrier": None,
            "switches": {},
            "sections": {
                "M": {
                    "type": "tel",
                    "dest": "site:bench",
                    "alternates": [],
                    "carrier": None,
                    "ring_timeout": None,
                }
            },
        }
        path = f"/api/tollfree/numbers/{TFN}/versions"
        created = c.post(path, json={"document": document}, headers=alice)
        created.raise_for_status()
        c.post(f"{path}/{created.json()['number']}/activate", json={}, headers=alice).raise_for_status()


def measure(
    run_dir: Path,
    name: str,
    switch: ks.Switch,
    sites: Sequence[ks.Site],
    *,
    dnis: str = TFN,
    hold_ms: int = HOLD_MS,
    open_calls: int = OPEN_CALLS,
) -> dict[str, Any]:
    """A warm-up (connections to the SCP, caches), then BENCH_CALLS calls at BENCH_RATE; `at_site`
    counts the calls the sites answered in the measured run, `split` per site."""
    ks.run_callers(
        run_dir, switch_port=switch.port, dnis=dnis, calls=100, rate=100, name=f"{name}-warm", hold_ms=0
    )
    before = {site.name: len(site.calls()) for site in sites}
    run = ks.run_callers(
        run_dir,
        switch_port=switch.port,
        dnis=dnis,
        calls=CALLS,
        rate=RATE,
        name=name,
        hold_ms=hold_ms,
        max_open_calls=open_calls,
        max_seconds=600,
    )
    split = {site.name: len(site.calls()) - before[site.name] for site in sites}
    return {
        "calls_per_s": run.successful / run.seconds if run.seconds else 0.0,
        "successful": run.successful,
        "failed": run.failed,
        "at_site": sum(split.values()),
        "split": " / ".join(f"{n} {c}" for n, c in split.items()),
        "invite_to_200_ms": run.invite_ms if run.invite_ms is not None else float("nan"),
        "seconds": run.seconds,
    }


def main() -> None:
    ks.ensure_packages()
    data = Path(tempfile.mkdtemp(prefix="sb-bench-kamailio-"))
    run_dir = data / "switch"
    port, net_port = free_port(), free_port()
    env = portal_env(data, port=port, net_port=net_port)
    cli(env, "demo", "--load-only")
    cli(env, "element", "add", "switch", "--action", "tollfree:route-query")
    certs = data / "certs"
    ca = ssl.create_default_context(cafile=str(certs / "ca.pem"))
    with (data / "serve.log").open("wb") as serve_log:
        portal = subprocess.Popen([SWITCHBOARD, "serve"], env=env, stdout=serve_log, stderr=subprocess.STDOUT)
    site: ks.Site | None = None
    switch: ks.Switch | None = None
    try:
        wait_ready(f"https://127.0.0.1:{port}/healthz", certs / "ca.pem")
        site = ks.start_site(run_dir, name="bench")
        _provision(f"https://127.0.0.1:{port}", ca, env, site)
        access = ks.ScpAccess(
            base_url=f"https://127.0.0.1:{net_port}/tollfree",
            ca=certs / "ca.pem",
            cert=certs / "elements" / "switch.pem",
            key=certs / "elements" / "switch-key.pem",
        )
        switch = ks.start_switch(run_dir / "static", static_site=f"127.0.0.1:{site.port}")
        static = measure(run_dir, "static", switch, [site])
        ks.stop(switch.proc)
        switch = ks.start_switch(run_dir / "lookup", scp=access)
        lookup = measure(run_dir, "lookup", switch, [site])
    finally:
        ks.stop(switch.proc if switch else None)
        ks.stop(site.proc if site else None)
        ks.stop(portal)
        shutil.rmtree(data, ignore_errors=True)
    ratio = lookup["calls_per_s"] / static["calls_per_s"] if static["calls_per_s"] else 0.0
    rows = [
        {"path": "kamailio WITH_STATIC_ROUTE (no lookup)", **static},
        {"path": "kamailio + SCP lookup (mTLS network plane)", **lookup},
    ]
    report.write(
        "kamailio",
        rows,
        {
            "calls_per_s_ratio": ratio,
            "target_ratio": TARGET_RATIO,
            "offered_calls_per_s": RATE,
            "calls": CALLS,
            "max_open_calls": OPEN_CALLS,
            "hold_ms": HOLD_MS,
            "meets_targets": bool(ratio >= TARGET_RATIO and lookup["failed"] == 0),
        },
    )


if __name__ == "__main__":
    main()

"""bench/events: conditions in on the network plane, through the alarm engine (dedup, clear
hysteresis, flap correlation), alarm frames out to 200 websocket viewers.

One portal process (`switchboard serve`, SQLite, demo data, simulator off), an element `bench`
registered with `events:report` (its `sbe_…` token on the network plane, as bench/traffic posts).
A separate load process (bench/events_load.py `load`) POSTs BENCH_EVENTS_RATE conditions/s
(default 500) for BENCH_SECONDS (default 10) to `/events/conditions` as JSON arrays of
BENCH_EVENTS_BATCH (50) on BENCH_EVENTS_CLIENTS (4) keep-alive connections. The mix, per 20
conditions, customers globex and initech alternating:

* 4 raises: a fresh alarmed object (`site:bench-…`, siteUnreachable, severity critical / major /
  minor / warning in turn) — one in four re-raises an object whose alarm cleared a while ago
  instead (a flap: the engine correlates it to the cleared alarm);
* 13 repeats of an open alarm (dedup: occurrences + 1; one in ten changes the severity, which
  writes an `updated` row, the rest write none);
* 3 inactive observations of the oldest open alarm: its clear hysteresis starts and the sweep
  clears it BENCH_EVENTS_CLEAR_AFTER seconds later (the portal runs with
  SWITCHBOARD_EVENTS_CLEAR_AFTER set to it, default 2 s instead of 10 s, so the clears happen
  within the run and reach the viewers too).

Every condition's `at` is the scheduled send time of its batch. BENCH_EVENTS_VIEWERS (200)
websocket viewers in a separate process (events_load `view`) watch `WS /events/alarms/ws`, logged
in through the gateway with session cookies as alice@globex, carol@initech and admin (provider
staff: both customers) in turn. Latency = receive time - the condition's `at` (the raised frame's
alarmReportingTime) for every raised frame, pooled over viewers: p50 / p99. Completeness: after the
load (and the clear hysteresis) the bench's alarms are read back from the TMF642 API as admin; every
viewer must have had exactly one `raised` frame for each alarm of the customers it sees (none
missing, none twice, none it may not see) — and one `cleared` frame for each cleared one.

Comparison row: the same mix (RATE x SECONDS conditions) through resources.events.intake.report
in a process of its own on a fresh migrated, demo-seeded SQLite file, unpaced, the sweep beside it
(events_load `engine`). Target (issue 13): event -> browser p99 ≤ 1 s at the offered rate.
BENCH_EVENTS_PROFILE=FILE runs the portal under cProfile into FILE.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import sqlite3
import ssl
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from bench import report
from bench.events_load import PREFIX, SESSION_COOKIE, USER_CUSTOMERS, USER_HOSTS, percentile
from bench.harness import cpu_seconds, free_port, portal_env, wait_ready
from bench.traffic import PASSWORD

DURATION = int(os.environ.get("BENCH_SECONDS", "10"))
RATE = float(os.environ.get("BENCH_EVENTS_RATE", "500"))
BATCH = int(os.environ.get("BENCH_EVENTS_BATCH", "50"))
CLIENTS = int(os.environ.get("BENCH_EVENTS_CLIENTS", "4"))
VIEWERS = int(os.environ.get("BENCH_EVENTS_VIEWERS", "200"))
CLEAR_AFTER = float(os.environ.get("BENCH_EVENTS_CLEAR_AFTER", "2"))
SETTLE_SECONDS = 20.0
SWITCHBOARD = str(Path(sys.executable).parent / "switchboard")
TARGET_P99_MS = 1000.0
TMF = "/api/events/tmf-api/alarmManagement/v4/alarm"
_FORM_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def _run(args: list[str], env: dict[str, str]) -> str:
    return subprocess.run(args, env=env, check=True, capture_output=True, text=True).stdout


def _module(*args: str) -> list[str]:
    return [sys.executable, "-m", "bench.events_load", *args]


async def login(port: int, tls: ssl.SSLContext, username: str) -> str:
    """The session cookie of a fresh login on the host of the user's brand (bench/traffic's
    login, with the Host a browser would send: carol@initech signs in on acme.localhost)."""
    name = f"{USER_HOSTS.get(username, '127.0.0.1')}:{port}"
    async with httpx.AsyncClient(
        base_url=f"https://127.0.0.1:{port}",
        verify=tls,
        headers={"Host": name, "Origin": f"https://{name}"},
        follow_redirects=False,
    ) as client:
        form = await client.get("/login")
        match = _FORM_TOKEN.search(form.text)
        if form.status_code != 200 or match is None:
            raise RuntimeError(f"/login answered {form.status_code} without a csrf_token")
        done = await client.post(
            "/login", data={"username": username, "password": PASSWORD, "csrf_token": match.group(1)}
        )
        cookie = client.cookies.get(SESSION_COOKIE)
        if done.status_code != 303 or cookie is None:
            raise RuntimeError(f"login of {username} answered {done.status_code}: {done.text[:300]}")
        return cookie


def engine_row(env: dict[str, str], data: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    out = data / "engine.json"
    count = str(int(RATE * DURATION))
    args = ["engine", "--dir", str(data / "engine"), "--count", count, "--batch", str(BATCH)]
    subprocess.run(_module(*args, "--clear-after", str(CLEAR_AFTER), "--out", str(out)), env=env, check=True)
    result: dict[str, Any] = json.loads(out.read_text())
    row = {
        "path": "engine alone (intake.report, SQLite, in process)",
        "viewers": 0,
        "offered_per_s": float("nan"),
        "accepted_per_s": result["conditions_per_s"],
        "errors": 0,
        "post_p99_ms": float("nan"),
        "raised": result["mix"].get("new", 0) + result["mix"].get("flap", 0),
        "log_rows": result["log_rows"],
        "e2b_p50_ms": float("nan"),
        "e2b_p99_ms": float("nan"),
        "cpu_us_per_condition": result["cpu_s"] / result["conditions"] * 1e6,
    }
    return row, result


def bench_alarms(base_url: str, token: str, ca: Path) -> list[dict[str, Any]]:
    """Every alarm of the bench (its `site:bench-…` objects), from the TMF642 API as admin."""
    out: list[dict[str, Any]] = []
    fields = "alarmedObject,state,correlatedAlarm,alarmRaisedTime,occurrences"
    with httpx.Client(base_url=base_url, verify=str(ca), headers={"Authorization": f"Bearer {token}"}) as c:
        offset = 0
        while True:
            r = c.get(TMF, params={"limit": 1000, "offset": offset, "fields": fields}, timeout=60)
            r.raise_for_status()
            page = r.json()
            out += [a for a in page if a["alarmedObject"]["id"].startswith(PREFIX)]
            if len(page) < 1000:
                return out
            offset += 1000


def customer_of(obj: str) -> str:
    # site:bench-<tag>-<customer>-<n>
    return obj.rsplit("-", 2)[-2]


def log_counts(db: Path, since_seq: int) -> dict[str, Any]:
    """Straight from the portal's events.db (read-only): the run's log rows by kind and
    notification deliveries by state."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
        kinds = dict(
            con.execute("SELECT kind, count(*) FROM events_log WHERE seq > ? GROUP BY kind", (since_seq,))
        )
        deliveries = dict(
            con.execute(
                "SELECT state, count(*) FROM events_deliveries WHERE seq > ? GROUP BY state", (since_seq,)
            )
        )
    return {"log_rows_by_kind": kinds, "deliveries_by_status": deliveries}


def max_seq(db: Path) -> int:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
        return int(con.execute("SELECT coalesce(max(seq), 0) FROM events_log").fetchone()[0])


async def portal_phase(
    *, env: dict[str, str], port: int, net_port: int, element: str, admin: str, ca: Path, pid: int, data: Path
) -> tuple[dict[str, Any], dict[str, Any]]:
    tls = ssl.create_default_context(cafile=str(ca))
    base_url = f"https://127.0.0.1:{port}"
    cookies = {user: await login(port, tls, user) for user in USER_CUSTOMERS}
    view_out = data / "viewers.json"
    viewer_args = ["view", "--port", str(port), "--ca", str(ca), "--cookies", json.dumps(cookies)]
    viewer_args += ["--viewers", str(VIEWERS), "--settle", str(SETTLE_SECONDS), "--out", str(view_out)]
    viewers = await asyncio.create_subprocess_exec(
        *_module(*viewer_args), env=env, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE
    )
    if viewers.stdin is None or viewers.stdout is None:
        raise RuntimeError("the viewer process has no pipes")
    ready = (await asyncio.wait_for(viewers.stdout.readline(), 120)).decode()
    if not ready.startswith("ready "):
        raise RuntimeError(f"the viewers did not come up: {ready!r}")
    open_s = float(ready.split()[1])
    db = data / "events.db"
    seq0 = max_seq(db)
    cpu0 = cpu_seconds(pid)
    load_out = data / "load.json"
    load_args = ["load", "--url", f"https://127.0.0.1:{net_port}/events/conditions", "--ca", str(ca)]
    load_args += ["--token", element, "--rate", str(RATE), "--seconds", str(DURATION), "--batch", str(BATCH)]
    load_args += [
        "--clients",
        str(CLIENTS),
        "--clear-after",
        str(CLEAR_AFTER),
        "--tag",
        "gw",
        "--out",
        str(load_out),
    ]
    load_proc = await asyncio.create_subprocess_exec(*_module(*load_args), env=env)
    if await load_proc.wait() != 0:
        raise RuntimeError(f"the load process exited with {load_proc.returncode}")
    cpu_load = cpu_seconds(pid) - cpu0
    load: dict[str, Any] = json.loads(load_out.read_text())
    # the last inactive observations clear clear_after later, in the next sweep
    await asyncio.sleep(CLEAR_AFTER + 1.5)
    alarms = await asyncio.to_thread(bench_alarms, base_url, admin, ca)
    expected: dict[str, dict[str, list[str]]] = {"raised": {}, "cleared": {}}
    for a in alarms:
        c = customer_of(a["alarmedObject"]["id"])
        expected["raised"].setdefault(c, []).append(a["id"])
        if a["state"] == "cleared":
            expected["cleared"].setdefault(c, []).append(a["id"])
    (data / "expected.json").write_text(json.dumps(expected))
    viewers.stdin.write(f"expect {data / 'expected.json'}\n".encode())
    await viewers.stdin.drain()
    if await viewers.wait() != 0:
        raise RuntimeError(f"the viewer process exited with {viewers.returncode}")
    cpu_total = cpu_seconds(pid) - cpu0
    seen = json.loads(view_out.read_text())
    crowd = seen["viewers"]
    samples = sorted(x for v in crowd for x in v["latencies_ms"])

    def total(kind: str, what: str) -> int:
        return sum(v[kind][what] for v in crowd if kind in v)

    # what the load raised vs what the API shows (per object: how many alarms)
    sent = Counter(obj for _, obj, _ in load["raised"])
    shown = Counter(a["alarmedObject"]["id"] for a in alarms)
    dropped = [v for v in crowd if v["closed"] is not None]
    counts = log_counts(db, seq0)
    raised_frames = sum(v["frames_by_kind"].get("raised", 0) for v in crowd)
    row = {
        "path": f"portal network plane -> {len(crowd)} websocket viewers",
        "viewers": len(crowd),
        "offered_per_s": RATE,
        "accepted_per_s": load["accepted_per_s"],
        "errors": load["errors"],
        "post_p99_ms": load["post_p99_ms"],
        "raised": len(alarms),
        "log_rows": sum(counts["log_rows_by_kind"].values()),
        "e2b_p50_ms": percentile(samples, 0.50),
        "e2b_p99_ms": percentile(samples, 0.99),
        "cpu_us_per_condition": cpu_load / load["accepted"] * 1e6 if load["accepted"] else float("nan"),
    }
    extra = {
        "accepted": load["accepted"],
        "conditions_sent": load["sent"],
        "mix": load["mix"],
        "drain_lag_s": load["drain_lag_s"],
        "post_p50_ms": load["post_p50_ms"],
        "send_lag_p99_ms": load["send_lag_p99_ms"],
        "send_lag_max_ms": load["send_lag_max_ms"],
        "last_error": load["last_error"],
        "raises_sent": sum(sent.values()),
        "alarms_in_api": len(alarms),
        "raises_sent_not_in_api": sum((sent - shown).values()),
        "alarms_in_api_not_sent": sum((shown - sent).values()),
        "alarms_cleared_in_api": sum(1 for a in alarms if a["state"] == "cleared"),
        "alarms_correlated_in_api": sum(1 for a in alarms if a.get("correlatedAlarm")),
        **counts,
        "raised_frames": raised_frames,
        "latency_samples": len(samples),
        "e2b_max_ms": samples[-1] if samples else float("nan"),
        "viewers_dropped": len(dropped),
        "dropped_close_codes": sorted({str(v["closed"]) for v in dropped}),
        "raised_missing": total("raised", "missing"),
        "raised_duplicated": total("raised", "duplicated"),
        "raised_unexpected": total("raised", "unexpected"),
        "cleared_missing": total("cleared", "missing"),
        "cleared_duplicated": total("cleared", "duplicated"),
        "viewers_incomplete": sum(
            1
            for v in crowd
            if any(v[k]["missing"] or v[k]["duplicated"] or v[k]["unexpected"] for k in expected)
        ),
        "frames_per_viewer_mean": sum(v["frames"] for v in crowd) / max(1, len(crowd)),
        "frames_total": sum(v["frames"] for v in crowd),
        "viewers_open_s": open_s,
        "viewers_settle_s": seen["settle_s"],
        "cpu_s": {
            "portal during the load": cpu_load,
            "portal load + settle": cpu_total,
            "viewers process": seen["cpu_s"],
            "load process": load["cpu_s"],
        },
    }
    return row, extra


def main() -> None:
    data = Path(tempfile.mkdtemp(prefix="sb-bench-events-"))
    port, net_port = free_port(), free_port()
    env = portal_env(data, port=port, net_port=net_port) | {
        "SWITCHBOARD_SIMULATOR_RATE": "0",
        "SWITCHBOARD_EVENTS_CLEAR_AFTER": str(CLEAR_AFTER),
    }
    _run([SWITCHBOARD, "demo", "--load-only"], env)
    element = _run([SWITCHBOARD, "element", "add", "bench", "--action", "events:report"], env)
    element = element.strip().splitlines()[-1].strip()
    admin = _run([SWITCHBOARD, "token", "create", "--user", "admin", "--name", "bench-events"], env)
    admin = admin.strip().splitlines()[-1].strip()
    ca = data / "certs" / "ca.pem"
    rows: list[dict[str, Any]] = []
    engine_row_, engine = engine_row(env, data)
    rows.append(engine_row_)
    profile = os.environ.get("BENCH_EVENTS_PROFILE")  # a file: the portal runs under cProfile
    serve = (
        [sys.executable, "-m", "cProfile", "-o", profile, "-m", "gateway.cli"] if profile else [SWITCHBOARD]
    )
    proc = subprocess.Popen([*serve, "serve"], env=env)
    try:
        wait_ready(f"https://127.0.0.1:{port}/healthz", ca)
        time.sleep(1.0)  # the resources' runtimes (tenancy replica, sweep) settle in
        row, extra = asyncio.run(
            portal_phase(
                env=env,
                port=port,
                net_port=net_port,
                element=element,
                admin=admin,
                ca=ca,
                pid=proc.pid,
                data=data,
            )
        )
        rows.append(row)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(data, ignore_errors=True)
    meets = bool(
        row["e2b_p99_ms"] <= TARGET_P99_MS
        and row["accepted_per_s"] >= 0.98 * RATE
        and row["errors"] == 0
        and extra["viewers_incomplete"] == 0
        and extra["viewers_dropped"] == 0
    )
    report.write(
        "events",
        rows,
        {
            "offered_conditions_per_s": RATE,
            "accepted_conditions_per_s": row["accepted_per_s"],
            "engine_alone_conditions_per_s": engine_row_["accepted_per_s"],
            "event_to_browser_p50_ms": row["e2b_p50_ms"],
            "event_to_browser_p99_ms": row["e2b_p99_ms"],
            "targets": {"event_to_browser_p99_ms": TARGET_P99_MS, "accepted_vs_offered": 0.98},
            **extra,
            "engine": engine,
            "seconds": DURATION,
            "batch": BATCH,
            "clients": CLIENTS,
            "clear_after_s": CLEAR_AFTER,
            "meets_targets": meets,
        },
    )


if __name__ == "__main__":
    main()

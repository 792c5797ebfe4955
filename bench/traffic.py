"""bench/traffic: call events in on the network plane, live frames out to 200 websocket viewers.

One portal process (`switchboard serve`, SQLite, demo data, simulator off). A separate load
process (bench/traffic_load.py) POSTs JSON arrays of call events with an element token to the
network plane (`/traffic/events`) at BENCH_TRAFFIC_RATE events/s (default 5,000) for
BENCH_SECONDS (default 20) on BENCH_TRAFFIC_CLIENTS (4) keep-alive HTTP/1.1 connections, while
BENCH_TRAFFIC_VIEWERS (200) websocket viewers in this process watch `/traffic/live/ws`, logged in
as admin, alice@globex, bob@globex and rita@acme in turn (the gateway takes session cookies on
websockets, never tokens; permessage-deflate off).

Event → frame latency: each tick's `routed` events carry the tick's time T; a viewer that sees
second floor(T)'s `offered` reach the cumulative count including that tick at time R records
R - T for those calls (the last call of a tick to show, in first-in-first-out order: a
conservative per-call latency). Pooled over viewers: p50 / p99. Completeness: after the load, every
viewer's window summed must equal what was posted on the numbers it may see (viewers closed by
the server, e.g. 4408 for stalling, are counted as dropped).

Comparison row: the same load, no viewers, against the traffic resource served alone (TLS,
one long-lived assertion, no gateway or dispatcher; its own SQLite file), for BENCH_TRAFFIC_DIRECT
seconds (default 10; 0 skips it). Targets (issue 4): 5,000 events/s ingested, p99 ≤ 1 s.
BENCH_TRAFFIC_PROFILE=FILE runs the portal under cProfile (its event loop thread) into FILE.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import shutil
import ssl
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake
from websockets.typing import Origin

from bench import report
from bench.harness import cpu_seconds, free_port, portal_env, wait_ready
from bench.traffic_load import NCOUNTERS, NUMBERS, OFFERED

DURATION = int(os.environ.get("BENCH_SECONDS", "20"))
RATE = float(os.environ.get("BENCH_TRAFFIC_RATE", "5000"))
VIEWERS = int(os.environ.get("BENCH_TRAFFIC_VIEWERS", "200"))
CLIENTS = int(os.environ.get("BENCH_TRAFFIC_CLIENTS", "4"))
DIRECT_SECONDS = int(os.environ.get("BENCH_TRAFFIC_DIRECT", "10"))
SWITCHBOARD = str(Path(sys.executable).parent / "switchboard")
TARGET_RATE = 5000.0
TARGET_P99_MS = 1000.0
SETTLE_SECONDS = 15.0
PASSWORD = "switchboard-demo"  # noqa: S105 - the demo users' published password
SESSION_COOKIE = "__Host-sb_session"
# who watches, and which of the demo's numbers each may see (resources/directory/demo.py)
USERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("admin", NUMBERS),
    ("alice@globex", NUMBERS[:3]),
    ("bob@globex", NUMBERS[:2]),
    ("rita@acme", NUMBERS[3:]),
)
_FORM_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def _run(args: list[str], env: dict[str, str]) -> str:
    return subprocess.run(args, env=env, check=True, capture_output=True, text=True).stdout


@dataclass
class LiveViewer:
    """One websocket viewer: its window (second → absolute counters) and, per second, when each
    new `offered` value arrived."""

    user: str
    numbers: tuple[str, ...]
    window: dict[int, list[int]] = field(default_factory=dict)
    seen: dict[int, list[tuple[float, int]]] = field(default_factory=dict)  # second → [(epoch, offered)]
    frames: int = 0
    closed: str | None = None
    ready: asyncio.Event = field(default_factory=asyncio.Event)

    def totals(self) -> list[int]:
        sums = [0] * NCOUNTERS
        for values in self.window.values():
            for i in range(NCOUNTERS):
                sums[i] += values[i]
        return sums

    async def follow(self, ws: ClientConnection) -> None:
        try:
            async for raw in ws:
                now = time.time()
                message = json.loads(raw)
                if message.get("type") != "frame":
                    continue
                for point in message["points"]:
                    second, values = int(point[0]), point[1 : 1 + NCOUNTERS]
                    old = self.window.get(second)
                    if old is None or values[OFFERED] > old[OFFERED]:
                        self.seen.setdefault(second, []).append((now, values[OFFERED]))
                    self.window[second] = values
                self.frames += 1
                self.ready.set()
        except ConnectionClosed as exc:
            self.closed = str(exc.rcvd.code) if exc.rcvd else "no close frame"
        else:
            self.closed = self.closed or "closed"
        self.ready.set()


def visible(expected: dict[str, list[int]], numbers: tuple[str, ...]) -> list[int]:
    sums = [0] * NCOUNTERS
    for number in numbers:
        for i, v in enumerate(expected[number]):
            sums[i] += v
    return sums


def latencies(
    viewer: LiveViewer, arrivals: list[tuple[float, list[int]]]
) -> tuple[list[tuple[float, int]], int]:
    """(latency seconds, calls) per tick the viewer could see, and calls it never saw."""
    mask = [n in viewer.numbers for n in NUMBERS]
    by_second: dict[int, list[tuple[float, int]]] = {}
    for ts, per_number in arrivals:
        n = sum(c for c, m in zip(per_number, mask, strict=True) if m)
        if n:
            by_second.setdefault(int(ts // 1), []).append((ts, n))
    out: list[tuple[float, int]] = []
    unseen = 0
    for second, ticks in by_second.items():
        seen = viewer.seen.get(second, [])
        idx, cumulative = 0, 0
        for ts, n in ticks:
            cumulative += n
            while idx < len(seen) and seen[idx][1] < cumulative:
                idx += 1
            if idx == len(seen):
                unseen += n
            else:
                out.append((seen[idx][0] - ts, n))
    return out, unseen


def weighted_percentile(samples: list[tuple[float, int]], q: float) -> float:
    total = sum(w for _, w in samples)
    if not total:
        return float("nan")
    goal, acc = q * total, 0
    for value, weight in sorted(samples):
        acc += weight
        if acc >= goal:
            return value
    return sorted(samples)[-1][0]


async def login(base_url: str, tls: ssl.SSLContext, username: str) -> str:
    """The session cookie of a fresh login (the form's CSRF token with the pre-session cookie)."""
    async with httpx.AsyncClient(
        base_url=base_url, verify=tls, headers={"Origin": base_url}, follow_redirects=False
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


async def open_viewers(
    port: int, tls: ssl.SSLContext, cookies: dict[str, str], stack: contextlib.AsyncExitStack
) -> tuple[list[LiveViewer], list[asyncio.Task[None]]]:
    host = f"127.0.0.1:{port}"
    gate = asyncio.Semaphore(16)
    viewers = [
        LiveViewer(user=USERS[i % len(USERS)][0], numbers=USERS[i % len(USERS)][1]) for i in range(VIEWERS)
    ]
    tasks: list[asyncio.Task[None]] = []

    async def open_one(viewer: LiveViewer) -> None:
        async with gate:
            ws = await stack.enter_async_context(
                connect(
                    f"wss://{host}/traffic/live/ws",
                    ssl=tls,
                    origin=Origin(f"https://{host}"),
                    additional_headers={"Cookie": f"{SESSION_COOKIE}={cookies[viewer.user]}"},
                    compression=None,
                    proxy=None,
                    max_size=16 * 1024 * 1024,
                    max_queue=None,
                    open_timeout=30,
                )
            )
            tasks.append(asyncio.create_task(viewer.follow(ws)))
            await asyncio.wait_for(viewer.ready.wait(), 30)

    await asyncio.gather(*(open_one(v) for v in viewers))
    return viewers, tasks


async def run_load_process(
    url: str, headers: dict[str, str], ca: Path, *, seconds: float, out: Path, tag: str
) -> dict[str, Any]:
    args = [sys.executable, "-m", "bench.traffic_load", "load", "--url", url, "--out", str(out)]
    args += ["--ca", str(ca), "--rate", str(RATE), "--seconds", str(seconds), "--clients", str(CLIENTS)]
    args += ["--tag", tag]
    for k, v in headers.items():
        args += ["--header", f"{k}: {v}"]
    proc = await asyncio.create_subprocess_exec(*args)
    if await proc.wait() != 0:
        raise RuntimeError(f"the load process exited with {proc.returncode}")
    result: dict[str, Any] = json.loads(out.read_text())
    return result


async def gateway_phase(
    *, port: int, net_port: int, token: str, ca: Path, pid: int, work: Path
) -> tuple[dict[str, Any], dict[str, Any]]:
    tls = ssl.create_default_context(cafile=str(ca))
    base_url = f"https://127.0.0.1:{port}"
    cookies = {user: await login(base_url, tls, user) for user, _ in USERS}
    async with contextlib.AsyncExitStack() as stack:
        opened = time.perf_counter()
        viewers, tasks = await open_viewers(port, tls, cookies, stack)
        open_s = time.perf_counter() - opened
        baseline = {id(v): v.totals() for v in viewers}
        cpu_before, own_before = cpu_seconds(pid), time.process_time()
        load = await run_load_process(
            f"https://127.0.0.1:{net_port}/traffic/events",
            {"Authorization": f"Bearer {token}"},
            ca,
            seconds=DURATION,
            out=work / "gateway-load.json",
            tag="gw",
        )
        cpu, own = cpu_seconds(pid) - cpu_before, time.process_time() - own_before
        wanted = {
            id(v): [b + e for b, e in zip(baseline[id(v)], visible(load["expected"], v.numbers), strict=True)]
            for v in viewers
        }
        deadline = time.monotonic() + SETTLE_SECONDS
        while time.monotonic() < deadline and any(
            v.closed is None and v.totals() != wanted[id(v)] for v in viewers
        ):
            await asyncio.sleep(0.1)
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    samples: list[tuple[float, int]] = []
    unseen = 0
    arrivals = [(float(ts), list(n)) for ts, n in load["arrivals"]]
    for v in viewers:
        s, u = latencies(v, arrivals)
        samples += s
        unseen += u
    dropped = [v for v in viewers if v.closed is not None]
    mismatched = [v for v in viewers if v.closed is None and v.totals() != wanted[id(v)]]
    row = {
        "path": f"portal network plane, {len(viewers)} live viewers",
        "viewers": len(viewers),
        **_load_columns(load, cpu),
        "e2f_p50_ms": weighted_percentile(samples, 0.50) * 1000,
        "e2f_p99_ms": weighted_percentile(samples, 0.99) * 1000,
    }
    extra = {
        "viewers_dropped": len(dropped),
        "dropped_close_codes": sorted({str(v.closed) for v in dropped}),
        "viewers_mismatched": len(mismatched),
        "mismatch_example": (
            {"user": mismatched[0].user, "got": mismatched[0].totals(), "want": wanted[id(mismatched[0])]}
            if mismatched
            else None
        ),
        "calls_never_seen_by_a_viewer": unseen,
        "frames_per_viewer_mean": sum(v.frames for v in viewers) / max(1, len(viewers)),
        "viewers_open_s": open_s,
        # where the machine's CPU went during the load (the portal is one process: one core at most)
        "cpu_s": {"portal": cpu, "viewers (bench process)": own, "load process": load["cpu_s"]},
        "load": {k: v for k, v in load.items() if k not in ("expected", "arrivals")},
    }
    return row, extra


def _load_columns(load: dict[str, Any], cpu: float) -> dict[str, Any]:
    return {
        "events_per_s": load["steady_events_per_s"],
        "accepted": load["accepted"],
        "errors": load["errors"],
        "post_p50_ms": load["post_p50_ms"],
        "post_p99_ms": load["post_p99_ms"],
        "drain_lag_s": load["drain_lag_s"],
        "server_cpu_us_per_event": cpu / load["accepted"] * 1e6 if load["accepted"] else float("nan"),
    }


def direct_phase(env: dict[str, str], data: Path, ca: Path) -> dict[str, Any]:
    """The same load against the traffic app served alone, no viewers (the comparison row)."""
    from dispatcher.assertion import AssertionSigner, SigningKeys
    from gateway.elements import Element

    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.traffic_load", "serve-direct", str(port), str(data / "direct")], env=env
    )
    try:
        wait_ready(f"https://127.0.0.1:{port}/healthz", ca)
        signer = AssertionSigner(SigningKeys.load(data / "certs"), ttl=3600)
        element = Element(name="bench", token_sha256="", actions=("traffic:ingest",), created_at="")
        assertion = signer.mint(
            audience="traffic",
            principal=element.principal(),
            plane="network",
            session_ref=None,
            request_id=None,
        )
        headers = {"X-Switchboard-Assertion": assertion}
        _wait_numbers(f"https://127.0.0.1:{port}/network/status", headers, ca)
        cpu_before = cpu_seconds(proc.pid)
        load = asyncio.run(
            run_load_process(
                f"https://127.0.0.1:{port}/network/events",
                headers,
                ca,
                seconds=DIRECT_SECONDS,
                out=data / "direct-load.json",
                tag="direct",
            )
        )
        cpu = cpu_seconds(proc.pid) - cpu_before
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
    return {
        "path": "traffic app alone (TLS + assertion), no viewers",
        "viewers": 0,
        **_load_columns(load, cpu),
        "e2f_p50_ms": float("nan"),
        "e2f_p99_ms": float("nan"),
    }


def _wait_numbers(url: str, headers: dict[str, str], ca: Path, timeout: float = 30.0) -> dict[str, Any]:
    """Until traffic knows the demo's numbers (toll-free publishes them on the bus at start)."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        r = httpx.get(url, headers=headers, verify=str(ca), timeout=5)
        last = (r.status_code, r.text[:300])
        if r.status_code == 200 and r.json().get("numbers", 0) >= len(NUMBERS):
            status: dict[str, Any] = r.json()
            return status
        time.sleep(0.25)
    raise RuntimeError(f"traffic never learned the demo numbers at {url}: {last}")


def main() -> None:
    data = Path(tempfile.mkdtemp(prefix="sb-bench-traffic-"))
    port, net_port = free_port(), free_port()
    env = portal_env(data, port=port, net_port=net_port) | {"SWITCHBOARD_SIMULATOR_RATE": "0"}
    _run([SWITCHBOARD, "demo", "--load-only"], env)
    token = _run([SWITCHBOARD, "element", "add", "bench", "--action", "traffic:ingest"], env)
    token = token.strip().splitlines()[-1].strip()
    ca = data / "certs" / "ca.pem"
    profile = os.environ.get("BENCH_TRAFFIC_PROFILE")  # a file: the portal runs under cProfile
    serve = (
        [sys.executable, "-m", "cProfile", "-o", profile, "-m", "gateway.cli"] if profile else [SWITCHBOARD]
    )
    proc = subprocess.Popen([*serve, "serve"], env=env)
    rows: list[dict[str, Any]] = []
    try:
        wait_ready(f"https://127.0.0.1:{port}/healthz", ca)
        status_url = f"https://127.0.0.1:{net_port}/traffic/status"
        auth = {"Authorization": f"Bearer {token}"}
        _wait_numbers(status_url, auth, ca)
        if DIRECT_SECONDS > 0:
            rows.append(direct_phase(env, data, ca))
        row, extra = asyncio.run(
            gateway_phase(port=port, net_port=net_port, token=token, ca=ca, pid=proc.pid, work=data)
        )
        rows.append(row)
        status = httpx.get(status_url, headers=auth, verify=str(ca), timeout=10).json()
    except InvalidHandshake as exc:
        raise SystemExit(f"the live websocket refused the viewer: {exc!r}") from exc
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(data, ignore_errors=True)
    portal = rows[-1]
    meets = bool(
        portal["events_per_s"] >= 0.98 * TARGET_RATE
        and portal["drain_lag_s"] <= 1.0
        and portal["e2f_p99_ms"] <= TARGET_P99_MS
        and portal["errors"] == 0
        and extra["viewers_dropped"] == 0
        and extra["viewers_mismatched"] == 0
    )
    report.write(
        "traffic",
        rows,
        {
            "ingest_events_per_s": portal["events_per_s"],
            "target_events_per_s": TARGET_RATE,
            "accepted": portal["accepted"],
            "event_to_frame_p50_ms": portal["e2f_p50_ms"],
            "event_to_frame_p99_ms": portal["e2f_p99_ms"],
            "target_p99_ms": TARGET_P99_MS,
            **{k: v for k, v in extra.items() if k != "load"},
            "load": extra["load"],
            "server_status": {"ingest": status.get("ingest"), "live": status.get("live")},
            "seconds": DURATION,
            "clients": CLIENTS,
            "meets_targets": meets,
        },
    )


if __name__ == "__main__":
    main()

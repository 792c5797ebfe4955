"""bench/events' helper processes: the condition load, the websocket viewers, the engine alone.

`python -m bench.events_load load --url URL --ca CA --token TOKEN --rate R --seconds S --batch B
--clients C --clear-after X --tag T --out FILE` paces conditions in 100 ms ticks (R/10 a tick,
cut into POSTs of B) on C keep-alive HTTP/1.1 connections to the network plane. Every
condition's `at` is its tick's scheduled send time (ms precision): a load that falls behind
because the server answers late is charged as latency, never as a slower schedule (the actual
send lag per POST is reported too). It writes a JSON result: counts per kind, POST latency,
accepted vs offered, and every raise it sent (customer, object, at).

`python -m bench.events_load view --port P --ca CA --cookies JSON --viewers N --out FILE` opens N
websocket viewers on `WS /events/alarms/ws` (session cookies, users in turn), prints `ready
<seconds>` once every viewer had its hello, then reads one line `expect <file>` on stdin (the
alarm ids every customer must have shown, from the API), waits until every viewer saw them (or
`--settle` seconds), and writes per viewer: frames by kind, missing / duplicated raises and
clears, and the latency of each raised frame (receive time - the condition's `at`).

`python -m bench.events_load engine --dir DIR --count N --batch B --clear-after X --out FILE`
runs the same mix through `resources.events.intake.report` on a fresh, migrated, demo-seeded
SQLite file in DIR as fast as it goes (the runtime's sweep every second beside it).

The mix (class Mix), per 20 conditions, alternating customers globex and initech:
4 new alarms (a fresh `site:bench-…` object, siteUnreachable, severity critical / major / minor /
warning in turn; one in four of these re-raises an object whose inactive observation the server
accepted ≥ clear-after + 3 s ago instead, when there is one: a flap, which the engine correlates
to the cleared alarm), 13 repeats of an open
alarm (dedup: occurrences + 1; every tenth changes severity, the rest write no log row),
3 inactive observations of an open alarm (its clear hysteresis starts; the sweep clears it
clear-after seconds later).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import ssl
import sys
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
TICK = 0.1
PREFIX = "site:bench-"
CUSTOMERS: tuple[tuple[str, tuple[str, ...]], ...] = (("globex", ()), ("initech", ("acme",)))
SEVERITIES = ("critical", "major", "minor", "warning")
# one cycle of 20 conditions: n = new (raise), r = repeat (dedup), i = inactive (clear)
CYCLE = "nrrrirrnrrrrinrrnrir"
USER_CUSTOMERS: dict[str, tuple[str, ...]] = {
    "alice@globex": ("globex",),
    "carol@initech": ("initech",),
    "admin": ("globex", "initech"),
}
# the host a user's brand lives on (a session works on that host only: gateway/hosts.py)
USER_HOSTS = {"carol@initech": "acme.localhost"}
SESSION_COOKIE = "__Host-sb_session"


@dataclass
class _Open:
    obj: str
    severity: str
    problem: str


@dataclass
class Mix:
    """The conditions of one run, deterministic but for the flap eligibility (wall clock)."""

    tag: str
    clear_after: float
    n: int = 0
    objects: int = 0
    open: dict[str, list[_Open]] = field(default_factory=lambda: {c: [] for c, _ in CUSTOMERS})
    inactive: dict[str, deque[str]] = field(default_factory=lambda: {c: deque() for c, _ in CUSTOMERS})
    # object -> when the server accepted its inactive observation (its hysteresis started then)
    accepted_inactive: dict[str, float] = field(default_factory=dict)
    counts: Counter[str] = field(default_factory=Counter)
    raised: list[tuple[str, str, float]] = field(default_factory=list)  # (customer, object, at)

    def take(self, count: int, at: float) -> list[dict[str, Any]]:
        return [self._one(at) for _ in range(count)]

    def accepted(self, batch: list[dict[str, Any]]) -> None:
        """The server took `batch` (202): the inactive observations in it started clearing."""
        now = time.time()
        for c in batch:
            if not c["active"]:
                self.accepted_inactive[c["alarmed_object"]] = now

    def _one(self, at: float) -> dict[str, Any]:
        i = self.n
        self.n += 1
        customer, resellers = CUSTOMERS[i % len(CUSTOMERS)]
        slot = CYCLE[(i // len(CUSTOMERS)) % len(CYCLE)]
        pool = self.open[customer]
        if slot != "n" and not pool:
            slot = "n"
        if slot == "n":
            gone = self.inactive[customer]
            raises = self.counts["new"] + self.counts["flap"]
            since = self.accepted_inactive.get(gone[0]) if gone else None
            # only once its alarm has surely cleared (hysteresis + a sweep + margin) and not before:
            # else it would update the still-clearing alarm
            flap = raises % 4 == 3 and since is not None and time.time() - since >= self.clear_after + 3
            if flap:
                obj = gone.popleft()
                self.counts["flap"] += 1
            else:
                obj = f"{PREFIX}{self.tag}-{customer}-{self.objects}"
                self.objects += 1
                self.counts["new"] += 1
            alarm = _Open(obj, SEVERITIES[self.objects % len(SEVERITIES)], f"Site {obj[5:]} does not answer")
            pool.append(alarm)
            self.raised.append((customer, obj, at))
            active = True
        elif slot == "r":
            alarm = pool[(i * 7919) % len(pool)]
            self.counts["repeat"] += 1
            if self.counts["repeat"] % 10 == 0:
                alarm.severity = SEVERITIES[(SEVERITIES.index(alarm.severity) + 1) % len(SEVERITIES)]
                self.counts["repeat_changed"] += 1
            active = True
        else:
            alarm = pool.pop(0)  # the oldest open alarm ends; nothing repeats it any more
            self.inactive[customer].append(alarm.obj)
            self.counts["inactive"] += 1
            active = False
        return {
            "customer_id": customer,
            "resellers": list(resellers),
            "alarmed_object": alarm.obj,
            "probable_cause": "siteUnreachable",
            "alarm_type": "communicationsAlarm",
            "severity": alarm.severity,
            "specific_problem": alarm.problem,
            "active": active,
            "at": at,
            "source": "bench",
        }


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


# ---------------------------------------------------------------- load


@dataclass
class Stats:
    posts: int = 0
    sent: int = 0
    accepted: int = 0
    errors: int = 0
    last_error: str = ""
    latencies: list[float] = field(default_factory=list)
    send_lag: list[float] = field(default_factory=list)  # POST start - the batch's scheduled time
    last_ack: float = 0.0


async def _poster(
    client: httpx.AsyncClient,
    url: str,
    queue: asyncio.Queue[tuple[float, list[dict[str, Any]]]],
    stats: Stats,
    mix: Mix,
) -> None:
    while True:
        due, batch = await queue.get()
        try:
            body = json.dumps(batch, separators=(",", ":")).encode()
            stats.send_lag.append(time.time() - due)
            started = time.perf_counter()
            r = await client.post(url, content=body, headers={"content-type": "application/json"})
            stats.latencies.append(time.perf_counter() - started)
            stats.posts += 1
            stats.sent += len(batch)
            if r.status_code == 202:
                stats.accepted += int(r.json()["accepted"])
                stats.last_ack = time.time()
                mix.accepted(batch)
            else:
                stats.errors += 1
                stats.last_error = f"HTTP {r.status_code}: {r.text[:300]}"
        except (httpx.HTTPError, ValueError, KeyError) as exc:
            stats.errors += 1
            stats.last_error = repr(exc)
        finally:
            queue.task_done()


async def run_load(
    *,
    url: str,
    ca: str,
    token: str,
    rate: float,
    seconds: float,
    batch: int,
    clients: int,
    clear_after: float,
    tag: str,
) -> dict[str, Any]:
    mix, stats = Mix(tag=tag, clear_after=clear_after), Stats()
    queue: asyncio.Queue[tuple[float, list[dict[str, Any]]]] = asyncio.Queue()
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    tls = ssl.create_default_context(cafile=ca)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(verify=tls, limits=limits, timeout=120, headers=headers) as client:
        workers = [asyncio.create_task(_poster(client, url, queue, stats, mix)) for _ in range(clients)]
        ticks = round(seconds / TICK)
        start = math.ceil(time.time() / TICK) * TICK + TICK
        carry, max_queue = 0.0, 0
        for k in range(ticks):
            t = start + k * TICK
            delay = t - time.time()
            if delay > 0:
                await asyncio.sleep(delay)
            carry += rate * TICK
            n = int(carry)
            carry -= n
            conditions = mix.take(n, round(t, 3))
            for i in range(0, len(conditions), batch):
                queue.put_nowait((t, conditions[i : i + batch]))
            max_queue = max(max_queue, queue.qsize())
        end = start + ticks * TICK
        await queue.join()
        for w in workers:
            w.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
    lat, lag = sorted(stats.latencies), sorted(stats.send_lag)
    done = max(stats.last_ack, end)
    return {
        "start": start,
        "end": end,
        "seconds": ticks * TICK,
        "offered_per_s": rate,
        "batch": batch,
        "clients": clients,
        "conditions": mix.n,
        "mix": dict(mix.counts),
        "posts": stats.posts,
        "sent": stats.sent,
        "accepted": stats.accepted,
        "errors": stats.errors,
        "last_error": stats.last_error,
        "accepted_per_s": stats.accepted / (done - start),
        "drain_lag_s": max(0.0, stats.last_ack - end),
        "post_p50_ms": percentile(lat, 0.50) * 1000,
        "post_p99_ms": percentile(lat, 0.99) * 1000,
        "send_lag_p99_ms": percentile(lag, 0.99) * 1000,
        "send_lag_max_ms": (lag[-1] if lag else float("nan")) * 1000,
        "max_queued_posts": max_queue,
        "cpu_s": time.process_time(),
        "raised": mix.raised,
    }


# ---------------------------------------------------------------- viewers


@dataclass
class Viewer:
    user: str
    customers: tuple[str, ...]
    kinds: dict[str, Counter[str]] = field(default_factory=dict)  # kind -> alarm id -> frames
    latencies: list[float] = field(default_factory=list)  # seconds, raised frames
    frames: int = 0
    other_frames: int = 0  # alarms that are not the bench's (demo, …)
    closed: str | None = None
    hello: asyncio.Event = field(default_factory=asyncio.Event)

    async def follow(self, ws: Any) -> None:
        from websockets.exceptions import ConnectionClosed

        try:
            async for raw in ws:
                now = time.time()
                message = json.loads(raw)
                kind = message.get("kind")
                if message.get("type") == "hello":
                    self.hello.set()
                    continue
                if message.get("type") != "alarm":
                    continue
                self.frames += 1
                alarm = message["alarm"]
                if not alarm["alarmedObject"]["id"].startswith(PREFIX):
                    self.other_frames += 1
                    continue
                self.kinds.setdefault(kind, Counter())[message["alarm_id"]] += 1
                if kind == "raised":
                    at = datetime.fromisoformat(alarm["alarmReportingTime"]).timestamp()
                    self.latencies.append(now - at)
        except ConnectionClosed as exc:
            self.closed = str(exc.rcvd.code) if exc.rcvd else "no close frame"
        else:
            self.closed = self.closed or "closed"
        self.hello.set()

    def raised(self) -> Counter[str]:
        return self.kinds.get("raised", Counter())


async def run_viewers(
    *, port: int, ca: str, cookies: dict[str, str], viewers: int, settle: float, out: Path
) -> None:
    from websockets.asyncio.client import connect
    from websockets.typing import Origin

    tls = ssl.create_default_context(cafile=ca)
    users = list(USER_CUSTOMERS)
    crowd = [
        Viewer(user=users[i % len(users)], customers=USER_CUSTOMERS[users[i % len(users)]])
        for i in range(viewers)
    ]
    gate = asyncio.Semaphore(16)
    tasks: list[asyncio.Task[None]] = []
    async with contextlib.AsyncExitStack() as stack:

        async def open_one(v: Viewer) -> None:
            async with gate:
                name = f"{USER_HOSTS.get(v.user, '127.0.0.1')}:{port}"
                ws = await stack.enter_async_context(
                    connect(
                        f"wss://{name}/events/alarms/ws",
                        host="127.0.0.1",
                        port=port,
                        ssl=tls,
                        origin=Origin(f"https://{name}"),
                        additional_headers={"Cookie": f"{SESSION_COOKIE}={cookies[v.user]}"},
                        compression=None,
                        proxy=None,
                        max_size=16 * 1024 * 1024,
                        max_queue=None,
                        open_timeout=30,
                    )
                )
                tasks.append(asyncio.create_task(v.follow(ws)))
                await asyncio.wait_for(v.hello.wait(), 30)

        opened = time.perf_counter()
        await asyncio.gather(*(open_one(v) for v in crowd))
        print(f"ready {time.perf_counter() - opened:.3f}", flush=True)
        line = await asyncio.to_thread(sys.stdin.readline)
        if not line.startswith("expect "):
            raise SystemExit(f"viewers: expected 'expect <file>', got {line!r}")
        expected: dict[str, dict[str, list[str]]] = json.loads(
            Path(line.split(" ", 1)[1].strip()).read_text()
        )
        wanted = {
            id(v): {k: {a for c in v.customers for a in expected[k].get(c, [])} for k in expected}
            for v in crowd
        }

        def complete(v: Viewer) -> bool:
            return v.closed is not None or all(
                ids <= v.kinds.get(k, Counter()).keys() for k, ids in wanted[id(v)].items()
            )

        settled = time.perf_counter()
        deadline = time.monotonic() + settle
        while time.monotonic() < deadline and not all(complete(v) for v in crowd):
            await asyncio.sleep(0.1)
        settle_s = time.perf_counter() - settled
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    rows = []
    for v in crowd:
        row: dict[str, Any] = {
            "user": v.user,
            "frames": v.frames,
            "other_frames": v.other_frames,
            "closed": v.closed,
        }
        for kind, ids in wanted[id(v)].items():
            got = v.kinds.get(kind, Counter())
            row[kind] = {
                "expected": len(ids),
                "missing": len(ids - got.keys()),
                "duplicated": sum(1 for a in ids if got[a] > 1),
                "unexpected": len(got.keys() - ids),
            }
        row["frames_by_kind"] = {k: sum(c.values()) for k, c in v.kinds.items()}
        row["latencies_ms"] = [round(x * 1000, 2) for x in v.latencies]
        rows.append(row)
    out.write_text(json.dumps({"viewers": rows, "settle_s": settle_s, "cpu_s": time.process_time()}))


# ---------------------------------------------------------------- the engine alone


async def run_engine(*, data: Path, count: int, batch: int, clear_after: float) -> dict[str, Any]:
    """The mix through intake.report on its own SQLite file (migrated, demo seed: thresholds and
    the two e-mail subscriptions, so notify.enqueue does the portal's work), unpaced."""
    from sqlalchemy import func, select

    from resources.events.context import Context, transaction
    from resources.events.demo import seed
    from resources.events.intake import parse_condition, report, sweep
    from resources.events.models import DeliveryRow, LogRow
    from resources.kit.db import create_engine, create_sessionmaker
    from resources.kit.events import InProcessBus
    from resources.kit.migrate import upgrade
    from resources.kit.settings import ResourceSettings

    data.mkdir(parents=True, exist_ok=True)
    url = ResourceSettings.sqlite_url(data, "events")
    await upgrade(migrations_dir=ROOT / "resources" / "events" / "migrations", url=url, schema=None)
    settings = ResourceSettings(
        name="events",
        data_dir=data,
        database_url=url,
        db_schema=None,
        jwks_path=data / "jwks.json",
        bus=InProcessBus(),
        demo=True,
    )
    await seed(settings)
    engine = create_engine(url=url, schema=None)
    ctx = Context(maker=create_sessionmaker(engine), bus=InProcessBus(), clear_after=clear_after)
    mix = Mix(tag="engine", clear_after=clear_after)
    busy = 0.0
    sweep_s, cleared = 0.0, 0

    async def sweeper() -> None:
        nonlocal sweep_s, cleared
        while True:
            await asyncio.sleep(ctx.sweep_interval)
            t = time.perf_counter()
            cleared += await sweep(ctx)
            sweep_s += time.perf_counter() - t

    task = asyncio.create_task(sweeper())
    cpu0, wall0 = time.process_time(), time.perf_counter()
    try:
        while mix.n < count:
            raw = mix.take(min(batch, count - mix.n), round(time.time(), 3))
            conditions = [parse_condition(c) for c in raw]
            t = time.perf_counter()
            await report(ctx, conditions)
            busy += time.perf_counter() - t
            mix.accepted(raw)
            await asyncio.sleep(0)  # let the sweep in, as the server's loop would
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    async with transaction(ctx, write=False) as tx:
        log_rows = int((await tx.session.execute(select(func.count()).select_from(LogRow))).scalar_one())
        deliveries = int(
            (await tx.session.execute(select(func.count()).select_from(DeliveryRow))).scalar_one()
        )
    await engine.dispose()
    return {
        "conditions": mix.n,
        "mix": dict(mix.counts),
        "report_s": busy,
        "wall_s": wall,
        "cpu_s": cpu,
        "sweep_s": sweep_s,
        "cleared_by_sweep": cleared,
        "conditions_per_s": mix.n / busy if busy else float("nan"),
        "conditions_per_s_wall": mix.n / wall if wall else float("nan"),
        "log_rows": log_rows,
        "deliveries": deliveries,
    }


# ---------------------------------------------------------------- command line


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench.events_load")
    sub = p.add_subparsers(dest="command", required=True)
    load = sub.add_parser("load")
    load.add_argument("--url", required=True)
    load.add_argument("--ca", required=True)
    load.add_argument("--token", required=True)
    load.add_argument("--rate", type=float, default=500)
    load.add_argument("--seconds", type=float, default=10)
    load.add_argument("--batch", type=int, default=50)
    load.add_argument("--clients", type=int, default=4)
    load.add_argument("--clear-after", type=float, default=10)
    load.add_argument("--tag", default="run")
    load.add_argument("--out", required=True, type=Path)
    view = sub.add_parser("view")
    view.add_argument("--port", type=int, required=True)
    view.add_argument("--ca", required=True)
    view.add_argument("--cookies", required=True, help="JSON: user -> session cookie")
    view.add_argument("--viewers", type=int, default=200)
    view.add_argument("--settle", type=float, default=15)
    view.add_argument("--out", required=True, type=Path)
    eng = sub.add_parser("engine")
    eng.add_argument("--dir", required=True, type=Path)
    eng.add_argument("--count", type=int, required=True)
    eng.add_argument("--batch", type=int, default=50)
    eng.add_argument("--clear-after", type=float, default=10)
    eng.add_argument("--out", required=True, type=Path)
    return p


def _loop() -> asyncio.AbstractEventLoop:
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a declared dependency on Linux
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    with asyncio.Runner(loop_factory=_loop) as runner:
        if args.command == "view":
            runner.run(
                run_viewers(
                    port=args.port,
                    ca=args.ca,
                    cookies=json.loads(args.cookies),
                    viewers=args.viewers,
                    settle=args.settle,
                    out=args.out,
                )
            )
            return 0
        if args.command == "engine":
            result = runner.run(
                run_engine(data=args.dir, count=args.count, batch=args.batch, clear_after=args.clear_after)
            )
        else:
            result = runner.run(
                run_load(
                    url=args.url,
                    ca=args.ca,
                    token=args.token,
                    rate=args.rate,
                    seconds=args.seconds,
                    batch=args.batch,
                    clients=args.clients,
                    clear_after=args.clear_after,
                    tag=args.tag,
                )
            )
    args.out.write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("SWITCHBOARD_LOG_LEVEL", "WARNING")
    raise SystemExit(main(sys.argv[1:]))

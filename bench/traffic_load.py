"""bench/traffic's helper processes: the event load generator and the direct traffic server.

`python -m bench.traffic_load load --url URL --out FILE --ca CA [--header 'K: V'] --rate R
--seconds S --clients C --tag T` paces calls in 100 ms ticks for S seconds at R events/s
(2.5 events per call: half answered — routed, answered +0.3 s, ended +2.7 s — a quarter busy —
routed, failed 486 at +0.6 s — a quarter short — routed, ended 487 at +1.4 s), round robin over
the demo's five toll-free numbers, and POSTs them as JSON arrays on C keep-alive HTTP/1.1
connections; a connection that finds several arrays waiting sends them as one (up to 2,000
events), as the switch's reporter drains its queue. Every event's `ts` is the moment it was
scheduled (ms precision), so a viewer can tell how long a `routed` event took to show in a
frame; a late server shows up as latency, never as a slower schedule. The follow-up events of
the last calls are sent when due (up to 2.7 s after the last tick). It writes a JSON result:
counts, POST latency, the counters every number must end up with, and the schedule of `routed`
events per tick and number.

`python -m bench.traffic_load serve-direct PORT DIR` serves the traffic resource app alone
(TLS, no gateway, its own SQLite database in DIR; the toll-free app in-process on the same bus
so traffic learns the numbers), for the "direct" comparison row.
"""

from __future__ import annotations

import argparse
import asyncio
import heapq
import json
import math
import ssl
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx

NUMBERS = ("+18005550100", "+18005550101", "+18885550102", "+18775550103", "+18665550104")
TICK = 0.1
EVENTS_PER_CALL = 2.5
# counter positions in a frame point (after the second): FIELDS[0..10]
OFFERED, ANSWERED, SHORT, BUSY, TALK, TTA = 0, 1, 2, 5, 9, 10
NCOUNTERS = 11
MAX_POST = 2000  # events in one POST at most (the resource takes up to max_records = 10,000)


@dataclass
class Plan:
    """The calls of one run: events to send, what every number must add up to, and when each
    tick's `routed` events were scheduled (per number)."""

    tag: str
    calls: int = 0
    expected: dict[str, list[int]] = field(default_factory=lambda: {n: [0] * NCOUNTERS for n in NUMBERS})
    arrivals: list[tuple[float, list[int]]] = field(default_factory=list)  # (ts, calls per number)
    pending: list[tuple[float, int, dict[str, Any]]] = field(default_factory=list)  # heap by due time
    scheduled: int = 0  # tie-breaker for the heap

    def _later(self, due: float, event: dict[str, Any]) -> None:
        self.scheduled += 1
        heapq.heappush(self.pending, (due, self.scheduled, event))

    def new_calls(self, ts: float, n: int) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        per_number = [0] * len(NUMBERS)
        for _ in range(n):
            i = self.calls
            self.calls += 1
            number = NUMBERS[i % len(NUMBERS)]
            per_number[i % len(NUMBERS)] += 1
            cid = f"bench-{self.tag}-{i}"
            vec = self.expected[number]
            vec[OFFERED] += 1
            out.append({"type": "routed", "callid": cid, "dnis": number, "ts": ts, "dest": "site:east"})
            kind = i % 4  # 5 numbers, 4 kinds: every number gets every kind
            if kind < 2:
                answer, end = round(ts + 0.3, 3), round(ts + 2.7, 3)
                vec[ANSWERED] += 1
                vec[TTA] += round((answer - ts) * 1000)
                vec[TALK] += math.ceil(end - answer)
                self._later(answer, {"type": "answered", "callid": cid, "dnis": number, "ts": answer})
                self._later(end, {"type": "ended", "callid": cid, "dnis": number, "ts": end, "sip_code": 200})
            elif kind == 2:
                end = round(ts + 0.6, 3)
                vec[BUSY] += 1
                self._later(
                    end, {"type": "failed", "callid": cid, "dnis": number, "ts": end, "sip_code": 486}
                )
            else:
                end = round(ts + 1.4, 3)
                vec[SHORT] += 1
                self._later(end, {"type": "ended", "callid": cid, "dnis": number, "ts": end, "sip_code": 487})
        self.arrivals.append((ts, per_number))
        return out

    def due(self, now: float) -> list[dict[str, Any]]:
        out = []
        while self.pending and self.pending[0][0] <= now:
            out.append(heapq.heappop(self.pending)[2])
        return out


@dataclass
class Stats:
    posts: int = 0
    sent: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    errors: int = 0
    last_error: str = ""
    latencies: list[float] = field(default_factory=list)  # seconds per POST
    # per answered POST: (epoch answered, accepted, the `ts` of its events)
    acks: list[tuple[float, int, list[float]]] = field(default_factory=list)


async def _worker(
    client: httpx.AsyncClient, url: str, queue: asyncio.Queue[list[dict[str, Any]]], stats: Stats
) -> None:
    while True:
        batch = await queue.get()
        taken = 1
        # like the switch's reporter (mqueue drained by a timer): whatever is waiting goes in one POST
        while not queue.empty() and len(batch) < MAX_POST:
            batch = batch + queue.get_nowait()
            taken += 1
        try:
            body = json.dumps(batch, separators=(",", ":")).encode()
            started = time.perf_counter()
            r = await client.post(url, content=body, headers={"content-type": "application/json"})
            stats.latencies.append(time.perf_counter() - started)
            stats.posts += 1
            stats.sent += len(batch)
            if r.status_code == 200:
                answer = r.json()
                stats.accepted += int(answer["accepted"])
                stats.duplicates += int(answer["duplicates"])
                stats.rejected += len(answer["rejected"])
                stats.acks.append((time.time(), int(answer["accepted"]), [e["ts"] for e in batch]))
            else:
                stats.errors += 1
                stats.last_error = f"HTTP {r.status_code}: {r.text[:300]}"
        except (httpx.HTTPError, ValueError, KeyError) as exc:
            stats.errors += 1
            stats.last_error = repr(exc)
        finally:
            for _ in range(taken):
                queue.task_done()


def _chunks(events: list[dict[str, Any]], parts: int) -> list[list[dict[str, Any]]]:
    if not events:
        return []
    size = max(1, math.ceil(len(events) / parts))
    return [events[i : i + size] for i in range(0, len(events), size)]


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


async def run_load(
    *, url: str, headers: dict[str, str], ca: str, rate: float, seconds: float, clients: int, tag: str
) -> dict[str, Any]:
    plan, stats = Plan(tag=tag), Stats()
    queue: asyncio.Queue[list[dict[str, Any]]] = asyncio.Queue()
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    tls = ssl.create_default_context(cafile=ca)
    async with httpx.AsyncClient(verify=tls, limits=limits, timeout=120, headers=headers) as client:
        workers = [asyncio.create_task(_worker(client, url, queue, stats)) for _ in range(clients)]
        ticks = round(seconds / TICK)
        calls_per_tick = rate / EVENTS_PER_CALL * TICK
        start = math.ceil(time.time() / TICK) * TICK + TICK
        carry, k, max_queue, last_sent = 0.0, 0, 0, start
        while True:
            t = start + k * TICK
            delay = t - time.time()
            if delay > 0:
                await asyncio.sleep(delay)
            ts = round(t, 3)
            events: list[dict[str, Any]] = []
            if k < ticks:
                carry += calls_per_tick
                n = int(carry)
                carry -= n
                events += plan.new_calls(ts, n)
            events += plan.due(ts)
            if k >= ticks and not plan.pending and not events:
                break
            for chunk in _chunks(events, clients):
                queue.put_nowait(chunk)
            if events:
                last_sent = t
            max_queue = max(max_queue, queue.qsize())
            k += 1
        await queue.join()
        for w in workers:
            w.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
    # from when every kind of event is flowing (the longest follow-up is 2.7 s) to the last tick
    # Steady state: events scheduled from when every kind is flowing (the longest follow-up is
    # 2.7 s) to the last tick, over the time from the window's start until the last of them was
    # answered (a server that falls behind is charged its lag).
    steady_from, steady_to = start + 3.0, start + ticks * TICK
    steady, done = 0, steady_to
    for at, _, stamps in stats.acks:
        inside = sum(1 for ts in stamps if steady_from <= ts < steady_to)
        if inside:
            steady += inside
            done = max(done, at)
    lat = sorted(stats.latencies)
    return {
        "start": start,
        "seconds": ticks * TICK,
        "rate": rate,
        "calls": plan.calls,
        "posts": stats.posts,
        "sent": stats.sent,
        "accepted": stats.accepted,
        "duplicates": stats.duplicates,
        "rejected": stats.rejected,
        "errors": stats.errors,
        "last_error": stats.last_error,
        "steady_events_per_s": steady / (done - steady_from),
        "post_p50_ms": percentile(lat, 0.50) * 1000,
        "post_p99_ms": percentile(lat, 0.99) * 1000,
        "max_queued_chunks": max_queue,
        "cpu_s": time.process_time(),
        # from the last scheduled tick to the last answer: how far behind the server ended up
        "drain_lag_s": max((at for at, _, _ in stats.acks), default=last_sent) - last_sent,
        "expected": plan.expected,
        "arrivals": plan.arrivals,
    }


async def serve_direct(port: int, own_dir: Path) -> None:
    """The traffic app alone on `port` (TLS with the gateway's certificate), its database in
    `own_dir`; the toll-free app runs beside it on the same in-process bus (numbers)."""
    from dispatcher.backends import InProcessBackend
    from dispatcher.registry import load_manifests
    from gateway.config import Config
    from gateway.serve import REPO_ROOT, _uvicorn_config, resource_settings, run_servers
    from gateway.tlsproto import tls_server_kwargs
    from resources.kit.events import InProcessBus
    from resources.kit.migrate import upgrade
    from resources.kit.settings import ResourceSettings

    config = Config.load()
    manifests = load_manifests()
    bus = InProcessBus()
    own_dir.mkdir(parents=True, exist_ok=True)
    url = ResourceSettings.sqlite_url(own_dir, "traffic")
    await upgrade(migrations_dir=REPO_ROOT / "resources" / "traffic" / "migrations", url=url, schema=None)
    settings = replace(resource_settings(config, "traffic", bus), data_dir=own_dir, database_url=url)
    tollfree = InProcessBackend(
        manifests["tollfree"].create_app(resource_settings(config, "tollfree", bus)), resource="tollfree"
    )
    certs = config.certs_dir
    cfg = _uvicorn_config(
        manifests["traffic"].create_app(settings),
        host="127.0.0.1",
        port=port,
        lifespan="on",
        tls=tls_server_kwargs(
            certfile=certs / "gateway.pem",
            keyfile=certs / "gateway-key.pem",
            ca_file=None,
            require_client_cert=False,
        ),
    )
    await tollfree.start()
    try:
        await run_servers([cfg])
    finally:
        await tollfree.stop()


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench.traffic_load")
    sub = p.add_subparsers(dest="command", required=True)
    load = sub.add_parser("load")
    load.add_argument("--url", required=True)
    load.add_argument("--out", required=True, type=Path)
    load.add_argument("--ca", required=True)
    load.add_argument("--header", action="append", default=[])
    load.add_argument("--rate", type=float, default=5000)
    load.add_argument("--seconds", type=float, default=20)
    load.add_argument("--clients", type=int, default=4)
    load.add_argument("--tag", default="run")
    direct = sub.add_parser("serve-direct")
    direct.add_argument("port", type=int)
    direct.add_argument("dir", type=Path)
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
        if args.command == "serve-direct":
            runner.run(serve_direct(args.port, args.dir))
            return 0
        headers = dict(h.split(": ", 1) for h in args.header)
        result = runner.run(
            run_load(
                url=args.url,
                headers=headers,
                ca=args.ca,
                rate=args.rate,
                seconds=args.seconds,
                clients=args.clients,
                tag=args.tag,
            )
        )
    args.out.write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

"""The simulator on the wire, against a fake SCP and a fake ingest (an ASGI app through
httpx.ASGITransport): the SCP query is Kamailio's, the reported records are exactly the switch's,
failed POSTs are retried, and a seeded run reproduces its calls."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from resources.traffic.simulator.centers import Centers
from resources.traffic.simulator.client import EventSender, NetworkClient
from resources.traffic.simulator.model import Attempt, Behaviour, CallSpec, Destination, ScpAnswer
from resources.traffic.simulator.runner import SimulatorSettings, run_simulator
from resources.traffic.simulator.switch import Switch

NET = "https://net.test:8450"
ROUTE_ANSWER = {
    "number": "+18005550100",
    "call_id": "c1",
    "ts": 1000.0,
    "version": 4,
    "version_id": "v-4",
    "outcome": "route",
    "destinations": [
        {"dest": "site:east", "uri": "sip:127.0.0.1:5071", "carrier": None, "ring_timeout": 20},
        {"dest": "site:west", "uri": "sip:127.0.0.1:5072", "carrier": None, "ring_timeout": 20},
    ],
    "treatment": None,
    "code": None,
    "reason": None,
    "carrier": None,
    "path": [{"node": "M", "type": "tod", "took": 0}, {"node": "M.b0", "type": "tel", "took": None}],
}


@dataclass
class FakeNetwork:
    """The network plane's two resources as the simulator sees them."""

    answer: Callable[[dict[str, Any]], tuple[int, Any]] = lambda _q: (200, ROUTE_ANSWER)
    ingest_status: list[int] = field(default_factory=list)  # statuses to answer first, then 200
    status: dict[str, Any] = field(default_factory=lambda: {"targets": 3, "compiled": 4})
    queries: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    batches: list[list[dict[str, Any]]] = field(default_factory=list)  # accepted POSTs only
    posts: int = 0

    def app(self) -> Starlette:
        async def route(request: Request) -> JSONResponse:
            body = json.loads(await request.body())
            self.queries.append((request.url.query, body))
            status, payload = self.answer(body)
            return JSONResponse(payload, status_code=status)

        async def scp_status(_request: Request) -> JSONResponse:
            return JSONResponse(self.status)

        async def events(request: Request) -> JSONResponse:
            self.posts += 1
            records = json.loads(await request.body())
            if self.ingest_status:
                status = self.ingest_status.pop(0)
                if status == 422:
                    rejected = [{"index": i, "reason": "invalid", "field": "ts", "message": "bad"}
                                for i in range(len(records))]  # fmt: skip
                    return JSONResponse({"title": "invalid", "rejected": rejected}, status_code=422)
                return JSONResponse({"title": "unavailable"}, status_code=status)
            self.batches.append(records)
            return JSONResponse({"accepted": len(records), "duplicates": 0, "rejected": []})

        return Starlette(
            routes=[
                Route("/tollfree/route", route, methods=["POST"]),
                Route("/tollfree/status", scp_status, methods=["GET"]),
                Route("/traffic/events", events, methods=["POST"]),
            ]
        )

    def client(self) -> NetworkClient:
        return NetworkClient(base_url=NET, transport=httpx.ASGITransport(app=self.app()))


def call(call_id: str, seized: float) -> CallSpec:
    return CallSpec(
        call_id=call_id,
        number="+18005550100",
        ani="+12125550123",
        state="NY",
        seized=seized,
        patience=None,
        holding=30.0,
        attempts=(Attempt(True, 4.0), Attempt(True, 6.0)),
    )


async def test_scp_query_and_reported_records_are_exactly_the_switchs() -> None:
    net = FakeNetwork()
    switch = Switch(centers=Centers(default_capacity=None, capacities={"east": 0}), behaviour=Behaviour())
    async with net.client() as client:
        sender = EventSender(client)
        spec = call("sim-1", 1000.25)
        answer = await client.route(dnis=spec.number, ani=spec.ani, ts=int(spec.seized), callid=spec.call_id)
        sender.emit(switch.offer(spec, answer, now=1000.5))
        sender.emit(switch.advance(1100.0))
        assert await sender.flush() is True
    assert net.queries == [
        ("format=json", {"dnis": "+18005550100", "ani": "+12125550123", "ts": 1000, "callid": "sim-1"})
    ]
    head = {"callid": "sim-1", "dnis": "+18005550100", "ani": "+12125550123"}
    east = {
        "dest": "site:east",
        "site": "east",
        "uri": "sip:127.0.0.1:5071",
        "version": 4,
        "path": ["M", "M.b0"],
    }
    west = east | {"dest": "site:west", "site": "west", "uri": "sip:127.0.0.1:5072"}
    times = {"start": 1000.25, "answer": 1006.5, "end": 1036.5, "sip_code": 200}
    assert net.batches == [
        [
            {"type": "routed", **head, "ts": 1000.25, **east},
            {"type": "answered", "ts": 1006.5, **head, **west},
            {"type": "ended", "ts": 1036.5, **head, **west, **times},
            {"type": "cdr", "ts": 1036.5, **head, **west, **times, "state": "NY"},
        ]
    ]
    assert next(list(r) for r in net.batches[0]) == ["type", "callid", "ts", "dnis", "ani", *east]
    assert sender.stats.accepted == 4
    assert sender.stats.sent == 4
    assert sender.stats.batches == 1
    assert sender.pending == 0


async def test_scp_errors_become_none() -> None:
    answers: list[tuple[int, Any]] = [(503, {"title": "down"}), (200, {"outcome": "maybe"}), (200, [1])]
    net = FakeNetwork(answer=lambda _q: answers.pop(0))
    async with net.client() as client:
        for _ in range(3):
            assert await client.route(dnis="+18005550100", ani=None, ts=1, callid="x") is None
        assert client.scp_failures == 3
    unreachable = NetworkClient(base_url="https://127.0.0.1:1")
    async with unreachable:
        assert await unreachable.route(dnis="+18005550100", ani=None, ts=1, callid="x") is None


async def test_failed_posts_are_retried_and_refusals_dropped() -> None:
    net = FakeNetwork(ingest_status=[503])
    records = [{"type": "routed", "callid": f"c{i}", "ts": 1.0, "dnis": "+18005550100"} for i in range(3)]
    async with net.client() as client:
        sender = EventSender(client, max_batch=2)
        sender.emit(records)
        assert await sender.flush() is False
        assert sender.pending == 3
        assert await sender.flush() is True
        assert net.batches == [records[:2], records[2:]]
        assert (sender.stats.failures, sender.stats.accepted, sender.stats.batches) == (1, 3, 2)

        net.ingest_status = [422, 403]
        sender.emit(records[:1])
        sender.emit(records[1:2])
        sender.max_batch = 1
        assert await sender.flush() is True
        assert sender.pending == 0
        assert (sender.stats.rejected, sender.stats.dropped) == (1, 1)
        assert sender.stats.reasons == Counter({"invalid": 1})
    assert net.posts == 5  # 503, two batches, 422, 403


def test_buffer_overflow_drops_the_oldest() -> None:
    sender = EventSender(NetworkClient(base_url=NET), max_buffer=2)
    sender.emit([{"n": 1}, {"n": 2}, {"n": 3}])
    assert sender.pending == 2
    assert sender.stats.dropped == 1


def settings(seed: int) -> SimulatorSettings:
    return SimulatorSettings(
        network_url=NET,
        rate=40.0,
        duration=0.6,
        seed=seed,
        numbers=(("+18005550100", 1.0), ("+18775550103", 1.0)),
        profile="flat",
        site_capacity=3,
        behaviour=Behaviour(holding_mean=0.3, answer_delay_mean=0.05, patience_mean=0.1, ring_timeout=1),
        batch_interval=0.05,
    )


def fixed_clock() -> Callable[[], float]:
    t0 = time.monotonic()
    return lambda: 1_700_000_000.0 + (time.monotonic() - t0)


async def test_seeded_run_reports_every_call_once_and_repeats_itself() -> None:
    runs = []
    for _ in range(2):
        net = FakeNetwork()
        report = await run_simulator(
            settings(5), transport=httpx.ASGITransport(app=net.app()), clock=fixed_clock()
        )
        runs.append((net, report))
    (net, report), (again, _) = runs
    assert [(q, b["dnis"], b["ani"], b["callid"]) for q, b in net.queries] == [
        (q, b["dnis"], b["ani"], b["callid"]) for q, b in again.queries
    ]
    records = [r for batch in net.batches for r in batch]
    by_call: dict[str, list[str]] = {}
    for r in records:
        by_call.setdefault(r["callid"], []).append(r["type"])
    calls = [b["callid"] for _q, b in net.queries]
    assert len(calls) == report.calls > 10
    assert len(set(calls)) == len(calls)
    assert sorted(by_call) == sorted(calls)
    for kinds in by_call.values():
        assert kinds[0] == "routed"
        assert kinds.count("cdr") == 1
        assert kinds[-1] == "cdr"
        assert kinds[-2] in ("ended", "failed")
    assert report.events.accepted == len(records)
    assert sum(report.outcomes.values()) == report.calls
    assert report.numbers == ("+18005550100", "+18775550103")
    assert report.centers["east"]["peak"] == 3
    assert report.centers["east"]["busy"] == 0


async def test_stop_hangs_up_and_reports_the_calls_in_progress() -> None:
    net = FakeNetwork()
    stop = asyncio.Event()
    forever = dataclasses.replace(
        settings(9), duration=None, behaviour=Behaviour(holding_mean=600.0, answer_delay_mean=0.05)
    )
    asyncio.get_running_loop().call_later(0.4, stop.set)
    report = await asyncio.wait_for(
        run_simulator(forever, transport=httpx.ASGITransport(app=net.app()), stop=stop), 5
    )
    records = [r for batch in net.batches for r in batch]
    cdrs = [r for r in records if r["type"] == "cdr"]
    assert report.calls == len(net.queries) == len(cdrs) > 0
    answered = {r["callid"] for r in records if r["type"] == "answered"}
    assert answered  # 600-s calls: every answered call was still talking, then hung up 200
    assert {r["callid"] for r in cdrs if r["sip_code"] == 200} == answered
    assert report.centers["east"]["busy"] == 0


async def test_zero_rate_does_nothing() -> None:
    net = FakeNetwork()
    report = await run_simulator(
        SimulatorSettings(network_url=NET, rate=0.0), transport=httpx.ASGITransport(app=net.app())
    )
    assert (report.calls, net.queries, net.posts) == (0, [], 0)


async def test_overlapping_flushes_send_each_record_once() -> None:
    """The periodic flush and the final flush at the end of a run may overlap."""
    posted: list[list[dict[str, Any]]] = []
    gate = asyncio.Event()

    class SlowClient:
        async def post_events(self, batch: list[dict[str, Any]]) -> httpx.Response:
            posted.append(list(batch))
            await gate.wait()
            return httpx.Response(200, json={"accepted": len(batch), "duplicates": 0, "rejected": []})

    sender = EventSender(SlowClient(), max_batch=2)  # type: ignore[arg-type]
    sender.emit([{"callid": "a"}, {"callid": "b"}, {"callid": "c"}])
    first = asyncio.create_task(sender.flush())
    second = asyncio.create_task(sender.flush())
    await asyncio.sleep(0.01)
    gate.set()
    assert list(await asyncio.gather(first, second)) == [True, True]
    assert posted == [[{"callid": "a"}, {"callid": "b"}], [{"callid": "c"}]]
    assert (sender.pending, sender.stats.sent, sender.stats.accepted) == (0, 3, 3)


async def test_a_distribution_is_asked_of_the_call_center_router_like_the_switch_does() -> None:
    request = {
        "customer": "globex",
        "distribution": "main",
        "dnis": "+18005550100",
        "callid": "c1",
        "ts": 1000,
        "ring_timeout": 20,
        "number": "+18005550100",
        "version": 4,
        "path": "M",
        "carrier": None,
    }
    scp = ROUTE_ANSWER | {
        "destinations": [{"dest": "distribution:main", "uri": "", "carrier": None, "ring_timeout": 20}],
        "path": [{"node": "M", "type": "tel", "took": "distribution:main"}],
        "callcenter": request,
    }
    routed: list[tuple[str, dict[str, Any]]] = []

    def rt(uri: str, dest: str) -> dict[str, Any]:
        return {"uri": uri, "headers": {"extra": f"X-Switchboard-Route: x;dest={dest}\r\n"}, "fr_timer": 3000,
                "fr_inv_timer": 20000}  # fmt: skip

    async def tollfree(_request: Request) -> JSONResponse:
        return JSONResponse(scp)

    async def router(request: Request) -> JSONResponse:
        routed.append((request.url.query, json.loads(await request.body())))
        return JSONResponse(
            {
                "version": "1.0",
                "routing": "serial",
                "routes": [
                    rt("sip:+18005550100@127.0.0.1:5072", "site:west"),
                    rt("sip:+18005550100@127.0.0.1:5071", "site:east"),
                ],
                "switchboard": {
                    "outcome": "route",
                    "code": None,
                    "reason": None,
                    "dests": ["site:west", "site:east"],
                },
            }
        )

    async def closed(_request: Request) -> JSONResponse:
        extras = {"outcome": "after-hours", "code": 480, "reason": "Call centers closed", "dests": []}
        return JSONResponse({"version": "1.0", "routing": "serial", "routes": [], "switchboard": extras})

    for endpoint, expected in (
        (
            router,
            ScpAnswer(
                outcome="route",
                destinations=(
                    Destination("site:west", "sip:+18005550100@127.0.0.1:5072", None, 20),
                    Destination("site:east", "sip:+18005550100@127.0.0.1:5071", None, 20),
                ),
                code=None,
                reason=None,
                version=4,
                path=("M",),
            ),
        ),
        (
            closed,
            ScpAnswer(
                outcome="reject",
                destinations=(),
                code=480,
                reason="Call centers closed",
                version=4,
                path=("M",),
            ),
        ),
    ):
        app = Starlette(
            routes=[
                Route("/tollfree/route", tollfree, methods=["POST"]),
                Route("/callcenter/route", endpoint, methods=["POST"]),
            ]
        )
        async with NetworkClient(base_url=NET, transport=httpx.ASGITransport(app=app)) as client:
            answer = await client.route(dnis="+18005550100", ani=None, ts=1000, callid="c1")
        assert answer == expected
    assert routed == [("format=rtjson", request)]

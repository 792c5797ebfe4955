"""`WS /live/ws` over a real socket: uvicorn on 127.0.0.1 (random port), the `websockets` client,
the kit's assertion middleware (its verifier is the boundary: a table of callers by token)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
import uvicorn
from live_support import (
    ALICE,
    BOB,
    EAST1,
    EAST2,
    EAST3,
    G1,
    G2,
    HQ,
    I1,
    RITA,
    STRANGER,
    T0,
    Clock,
    answered,
    call,
    directory,
    ended,
    live_state,
    point,
    seized,
    settings,
)
from starlette.applications import Starlette
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from resources.kit.assertion import InvalidAssertion
from resources.kit.caller import Caller
from resources.kit.middleware import AssertionMiddleware
from resources.traffic import ws
from resources.traffic.hub import Hub
from resources.traffic.live import LiveState
from resources.traffic.numbers import NumberDirectory
from resources.traffic.settings import TrafficSettings

CALLERS = {c.subject: c for c in (ALICE, BOB, RITA, STRANGER)}
FIELDS = [
    "offered",
    "answered",
    "short",
    "abandoned",
    "no_answer",
    "busy",
    "all_trunks_busy",
    "blocked",
    "failed",
    "talk_seconds",
    "tta_ms",
    "concurrent",
]


class TableVerifier:
    def verify(self, token: str, *, now: float | None = None) -> Caller:
        if token not in CALLERS:
            raise InvalidAssertion("unknown token")
        return CALLERS[token]


@dataclass
class Ctx:
    settings: TrafficSettings
    numbers: NumberDirectory
    live: LiveState
    hub: Hub
    clock: Clock


@dataclass
class Server:
    url: str
    ctx: Ctx

    def open(self, who: str, query: str = "") -> Any:
        """`query` as the browser's URLSearchParams sends it ("+" percent-encoded)."""
        return connect(
            f"{self.url}/live/ws{query.replace('+', '%2B')}",
            additional_headers={"x-switchboard-assertion": who},
        )


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    clock = Clock()
    numbers = directory()
    config = settings(flush_interval=0.02)
    live = live_state(clock)
    ctx = Ctx(config, numbers, live, Hub(live=live, numbers=numbers, settings=config, clock=clock), clock)
    app = Starlette(routes=ws.routes())
    app.state.ctx = ctx
    app.add_middleware(AssertionMiddleware, verifier=TableVerifier())
    srv = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=0,
            ws="websockets-sansio",
            lifespan="off",
            log_level="critical",
            access_log=False,
            timeout_graceful_shutdown=1,
        )
    )
    async with ctx.hub.running():
        task = asyncio.create_task(srv.serve())
        for _ in range(500):
            if srv.started:
                break
            await asyncio.sleep(0.01)
        assert srv.started
        port = srv.servers[0].sockets[0].getsockname()[1]
        yield Server(f"ws://127.0.0.1:{port}", ctx)
        srv.should_exit = True
        await asyncio.wait_for(task, 10)


async def receive(conn: ClientConnection) -> dict[str, Any]:
    message: Any = json.loads(await asyncio.wait_for(conn.recv(), 2))
    assert isinstance(message, dict)
    return message


async def next_frame(conn: ClientConnection) -> dict[str, Any]:
    while True:
        message = await receive(conn)
        if message["type"] == "frame":
            return message


async def read_on(conn: ClientConnection) -> None:
    while True:
        await asyncio.wait_for(conn.recv(), 2)


async def closed_with(conn: ClientConnection) -> tuple[int, str]:
    with pytest.raises(ConnectionClosed) as info:
        await read_on(conn)
    assert info.value.rcvd is not None
    return info.value.rcvd.code, info.value.rcvd.reason


def seed(ctx: Ctx) -> dict[str, Any]:
    """Traffic before anyone watches (flushed: the next frames carry only what is new)."""
    summary = call("c1", G1, T0 + 0.1)
    ctx.live.apply(
        [*seized(EAST1, T0 - 5), *seized(HQ, T0 - 5), *answered(EAST1, T0 - 2, 3000)],
        [summary, call("c2", I1, T0 + 0.2, site="hq")],
        stamp_ms=ctx.clock.ms(),
    )
    ctx.hub.flush()
    return summary


async def test_hello_and_the_whole_window_then_live_frames(server: Server) -> None:
    ctx = server.ctx
    summary = seed(ctx)
    async with server.open("u-bob") as conn:
        hello = await receive(conn)
        assert hello == {
            "type": "hello",
            "now": ctx.clock.ms(),
            "window": 900,
            "selection": {"value": "all", "label": "All your numbers"},
            "choices": [
                {"value": "all", "label": "All your numbers"},
                {"value": f"number:{G1}", "label": f"Number {G1}"},
                {"value": f"number:{G2}", "label": f"Number {G2}"},
                {"value": "site:globex/east", "label": "Site east"},
                {"value": "site:globex/west", "label": "Site west"},
            ],
            "resumed": False,
            "fields": FIELDS,
        }
        assert await receive(conn) == {
            "type": "frame",
            "stamp": ctx.clock.ms(),
            "points": [
                point(T0 - 899, 0),
                point(T0 - 5, 1, offered=1),
                point(T0 - 2, 1, answered=1, tta_ms=3000),
                point(T0, 1),
            ],
            "calls": [summary],
        }
        ctx.clock.now += 1
        later = call("c1", G1, ctx.clock.now, answer=T0 - 2)
        ctx.live.apply([*seized(EAST2, T0 + 1), *seized(EAST3, T0 + 1)], [later], stamp_ms=ctx.clock.ms())
        assert await next_frame(conn) == {
            "type": "frame",
            "stamp": ctx.clock.ms(),
            "points": [point(T0 + 1, 2, offered=1)],  # EAST3 is not one of bob's numbers
            "calls": [later],
        }


async def test_a_selection_narrows_the_first_frame(server: Server) -> None:
    ctx = server.ctx
    seed(ctx)
    async with server.open("u-rita", f"?select=number:{I1}") as conn:
        hello = await receive(conn)
        assert hello["selection"] == {"value": f"number:{I1}", "label": f"Number {I1}"}
        first = await receive(conn)
        assert first["points"] == [point(T0 - 899, 0), point(T0 - 5, 1, offered=1), point(T0, 1)]
        assert [c["call_id"] for c in first["calls"]] == ["c2"]


@pytest.mark.parametrize(
    ("who", "query", "expected"),
    [
        ("u-alice", f"?select=number:{I1}", (4404, f"no such selection: number:{I1}")),
        ("u-bob", "?select=number:+18005550102", (4404, "no such selection: number:+18005550102")),
        ("u-rita", "?select=site:globex/east", (4404, "no such selection: site:globex/east")),
        ("u-alice", "?select=everything", (4404, "no such selection: everything")),
        ("u-mallory", "", (4404, "you may not watch live traffic")),
        (
            "u-alice",
            "?since=yesterday",
            (4400, "since must be the stamp of the last frame (whole epoch milliseconds)"),
        ),
    ],
)
async def test_refusals_close_after_accept_with_a_reason(
    server: Server, who: str, query: str, expected: tuple[int, str]
) -> None:
    async with server.open(who, query) as conn:
        assert await closed_with(conn) == expected


async def test_resume_sends_what_changed_and_the_union_is_the_truth(server: Server) -> None:
    ctx = server.ctx
    seed(ctx)
    window: dict[int, list[int]] = {}
    async with server.open("u-alice") as conn:
        await receive(conn)
        first = await receive(conn)
        ctx.clock.now += 3
        ctx.live.apply(seized(EAST2, T0 + 3), [], stamp_ms=ctx.clock.ms())
        second = await next_frame(conn)
    for frame in (first, second):
        window.update({p[0]: p for p in frame["points"]})
    since = second["stamp"]

    ctx.clock.now += 4  # while away: an end, and a late report of a call seized 4 s ago
    ctx.live.apply([*ended(EAST1, T0 + 6, talk=8), *seized(EAST3, T0 + 2)], [], stamp_ms=ctx.clock.ms())
    await asyncio.sleep(0.1)  # the hub drains these for nobody

    async with server.open("u-alice", f"?since={since}") as conn:
        hello = await receive(conn)
        assert hello["resumed"] is True
        resumed = await receive(conn)
    assert [p[0] for p in resumed["points"]] == [T0 + 2, T0 + 3, T0 + 6]
    window.update({p[0]: p for p in resumed["points"]})

    async with server.open("u-alice") as conn:
        assert (await receive(conn))["resumed"] is False
        truth = {p[0]: p for p in (await receive(conn))["points"]}
    assert {s: p for s, p in window.items() if any(p[1:12])} == {
        s: p for s, p in truth.items() if any(p[1:12])
    }
    assert truth[T0 + 6] == point(T0 + 6, 2, talk_seconds=8)
    assert truth[T0 + 7] == point(T0 + 7, 2)  # the current second


async def test_a_stamp_older_than_the_window_gets_the_whole_window(server: Server) -> None:
    ctx = server.ctx
    seed(ctx)
    since = ctx.clock.ms() + 2000
    ctx.clock.now += 1000
    ctx.live.apply(seized(EAST1, T0 + 999), [], stamp_ms=ctx.clock.ms())
    async with server.open("u-alice", f"?since={since}") as conn:
        assert (await receive(conn))["resumed"] is False
        first = await receive(conn)
    # the window starts at T0 + 101; the call seized at T0 - 5 is still in progress
    assert first["points"] == [point(T0 + 101, 1), point(T0 + 999, 2, offered=1), point(T0 + 1000, 2)]


async def test_changed_credentials_close_that_users_sockets_with_4401(server: Server) -> None:
    async with server.open("u-bob") as bob, server.open("u-alice") as alice:
        for conn in (bob, alice):
            await receive(conn)
            await receive(conn)
        assert server.ctx.hub.disconnect_users(["u-bob"]) == 1
        assert await closed_with(bob) == (4401, "your access changed: reconnect")
        server.ctx.live.apply(seized(EAST1, T0), [], stamp_ms=server.ctx.clock.ms())
        assert (await next_frame(alice))["points"] == [point(T0, 1, offered=1)]
    for _ in range(100):
        if not server.ctx.hub.views:
            break
        await asyncio.sleep(0.01)
    assert server.ctx.hub.views == {}  # both sockets gone: nothing left to build frames for

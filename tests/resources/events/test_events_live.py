"""`WS /alarms/ws` over a real socket (uvicorn on 127.0.0.1, the `websockets` client, the kit's
assertion middleware with the fake verifier), and the runtime: conditions from the bus, the clear
sweep, `events.thresholds` at start and on request."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from assertion_fakes import NamedVerifier
from events_support import CALLERS, TREE, Clock, RecordingBus, condition, make_context, settings
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from resources.events.app import create_app
from resources.events.context import Context
from resources.events.intake import condition_json, report
from resources.events.runtime import run_events
from resources.kit.migrate import upgrade


@dataclass
class Server:
    url: str
    ctx: Context
    bus: RecordingBus
    clock: Clock

    def open(self, who: str, query: str = "") -> Any:
        return connect(f"{self.url}/alarms/ws{query}", additional_headers={"x-switchboard-assertion": who})


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[Server]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'events.db'}"
    await upgrade(migrations_dir=TREE, url=url, schema=None)
    bus, clock = RecordingBus(), Clock()
    ctx, engine = make_context(url, bus, clock)
    app = create_app(settings(tmp_path), verifier=NamedVerifier(CALLERS), context=ctx)
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
    task = asyncio.create_task(srv.serve())
    try:
        for _ in range(500):
            if srv.started:
                break
            await asyncio.sleep(0.01)
        assert srv.started
        port = srv.servers[0].sockets[0].getsockname()[1]
        yield Server(f"ws://127.0.0.1:{port}", ctx, bus, clock)
    finally:
        srv.should_exit = True
        await asyncio.wait_for(task, 10)
        await engine.dispose()


async def receive(conn: ClientConnection) -> dict[str, Any]:
    message: Any = json.loads(await asyncio.wait_for(conn.recv(), 2))
    assert isinstance(message, dict)
    return message


async def test_replays_from_the_cursor_then_streams_what_the_viewer_may_see(server: Server) -> None:
    await report(server.ctx, [condition(obj=f"number:+1800555000{i}") for i in range(3)])
    await report(server.ctx, [condition(customer="initech")])
    async with server.open("alice", "?after=1") as conn:
        assert await receive(conn) == {"type": "hello"}
        backlog = [await receive(conn), await receive(conn)]
        assert [(m["type"], m["seq"], m["kind"]) for m in backlog] == [
            ("alarm", 2, "raised"),
            ("alarm", 3, "raised"),
        ]
        await report(server.ctx, [condition(customer="initech", obj="site:x", cause="siteUnreachable")])
        await report(server.ctx, [condition(severity="critical", obj="number:+18005550000")])
        live = await receive(conn)
        assert (live["type"], live["seq"], live["kind"], live["customer_id"]) == (
            "alarm",
            6,
            "updated",
            "globex",
        )
        assert live["alarm"]["perceivedSeverity"] == "critical"
    async with server.open("rita") as conn:  # no cursor: only what happens from now on
        assert await receive(conn) == {"type": "hello"}
        await report(server.ctx, [condition(), condition(customer="initech", severity="minor")])
        message = await receive(conn)
        assert (message["seq"], message["customer_id"]) == (8, "initech")


async def test_refusals_close_with_a_reason(server: Server) -> None:
    for who, query, code in (
        ("nobody", "", 4404),
        ("alice", "?customer=initech", 4404),
        ("alice", "?after=x", 4400),
    ):
        async with server.open(who, query) as conn:
            with pytest.raises(ConnectionClosed) as info:
                await receive(conn)
            assert info.value.rcvd is not None
            assert info.value.rcvd.code == code, (who, query)


async def test_the_runtime_follows_conditions_sweeps_and_publishes_thresholds(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'events.db'}"
    await upgrade(migrations_dir=TREE, url=url, schema=None)
    bus, clock = RecordingBus(), Clock()
    ctx, engine = make_context(url, bus, clock)
    ctx = replace(ctx, sweep_interval=0.01)
    try:
        async with run_events(ctx):
            # at start, then for the detectors, which ask once subscribed
            for _ in range(200):
                if len(bus.topic("events.thresholds")) == 2:
                    break
                await asyncio.sleep(0.01)
            assert bus.topic("events.thresholds") == [{"thresholds": []}] * 2
            assert "tollfree.numbers-wanted" in [t for t, _ in bus.published]
            await bus.publish("events.thresholds-wanted", {})
            await bus.publish("events.condition", condition_json(condition()))
            await bus.publish("events.condition", {"nonsense": True})
            for _ in range(200):
                if len(bus.topic("events.thresholds")) == 3 and bus.topic("events.alarm"):
                    break
                await asyncio.sleep(0.01)
            assert bus.topic("events.thresholds") == [{"thresholds": []}] * 3
            assert [p["kind"] for p in bus.topic("events.alarm")] == ["raised"]
            await bus.publish("events.condition", condition_json(condition(active=False)))
            await asyncio.sleep(0.05)
            clock.advance(10)
            for _ in range(200):
                if len(bus.topic("events.alarm")) == 2:
                    break
                await asyncio.sleep(0.01)
            assert [p["kind"] for p in bus.topic("events.alarm")] == ["raised", "cleared"]
            assert "directory.tenancy-wanted" in [t for t, _ in bus.published]
    finally:
        await engine.dispose()

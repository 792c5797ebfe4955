"""What the chat tests share: the real tickets app served by uvicorn on 127.0.0.1 (a random port,
so the `websockets` client talks to it over a real socket; Starlette's TestClient warns with
httpx), the fake assertion verifier (the header names the caller), each app's own hub following
the bus, an httpx client on the same app, and helpers to read frames."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
import uvicorn
from assertion_fakes import NamedVerifier
from tickets_support import (
    CALLERS,
    PROBLEM,
    TENANCY,
    TMF,
    TREE,
    Clock,
    RecordingBus,
    as_,
    person,
    settings_for,
)
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from resources.kit.db import create_engine, create_sessionmaker
from resources.kit.events import EventBus
from resources.kit.migrate import upgrade
from resources.tickets.app import create_app
from resources.tickets.context import Context

CHAT_CALLERS = {
    **CALLERS,
    "nova": person("nova@globex", org="globex", actions=()),  # a globex user without tickets:view
}
AT = "2026-12-14T09:00:00Z"


@dataclass
class Node:
    """One process's worth of the tickets resource: its Context (and hub), served."""

    url: str
    ctx: Context
    client: httpx.AsyncClient

    def open(self, who: str, ticket_id: str = "T-000001") -> Any:
        return connect(f"{self.url}/{ticket_id}/chat/ws", additional_headers={"x-switchboard-assertion": who})

    async def ticket(self, who: str = "alice", **body: Any) -> str:
        r = await self.client.post(TMF, json={**PROBLEM, **body}, headers=as_(who))
        assert r.status_code == 201, r.text
        return str(r.json()["id"])


@dataclass
class Chat:
    nodes: list[Node]
    bus: RecordingBus
    clock: Clock

    @property
    def node(self) -> Node:
        return self.nodes[0]


@asynccontextmanager
async def serving(ctx: Context, tmp_path: Path) -> AsyncIterator[Node]:
    app = create_app(settings_for(tmp_path), verifier=NamedVerifier(CHAT_CALLERS), context=ctx)
    server = uvicorn.Server(
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
    task = asyncio.create_task(server.serve())
    try:
        for _ in range(500):
            if server.started:
                break
            await asyncio.sleep(0.01)
        assert server.started
        port = server.servers[0].sockets[0].getsockname()[1]
        async with (
            ctx.chat.running(ctx.bus),
            httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://tickets") as client,
        ):
            yield Node(f"ws://127.0.0.1:{port}", ctx, client)
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)


@asynccontextmanager
async def chat_rig(tmp_path: Path, *, nodes: int = 1) -> AsyncIterator[Chat]:
    """`nodes` apps over one database and one bus, each with its own hub (split mode in small)."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'tickets.db'}"
    await upgrade(migrations_dir=TREE, url=url, schema=None)
    engine = create_engine(url=url, schema=None)
    bus, clock = RecordingBus(), Clock()
    try:
        async with AsyncExitStack() as stack:
            served = []
            for _ in range(nodes):
                ctx = Context(maker=create_sessionmaker(engine), bus=cast(EventBus, bus), clock=clock)
                ctx.tenancy.apply(TENANCY, log=logging.getLogger("tests.tickets"))
                served.append(await stack.enter_async_context(serving(ctx, tmp_path)))
            yield Chat(served, bus, clock)
    finally:
        await engine.dispose()


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Chat]:
    async with chat_rig(tmp_path) as chat:
        yield chat


async def receive(conn: ClientConnection, timeout: float = 2.0) -> dict[str, Any]:
    message: Any = json.loads(await asyncio.wait_for(conn.recv(), timeout))
    assert isinstance(message, dict)
    return message


async def quiet(conn: ClientConnection, seconds: float = 0.2) -> bool:
    """True when nothing arrives within `seconds`."""
    try:
        await asyncio.wait_for(conn.recv(), seconds)
    except TimeoutError:
        return True
    return False


async def closed_with(conn: ClientConnection) -> tuple[int, str] | None:
    """The close frame the server sent (the socket is read until it closes)."""
    try:
        while True:
            await asyncio.wait_for(conn.recv(), 2)
    except ConnectionClosed as exc:
        closing = exc.rcvd
    return (closing.code, closing.reason) if closing is not None else None


async def say(conn: ClientConnection, text: Any) -> None:
    await conn.send(json.dumps({"type": "say", "text": text}))


def message(ident: int, who: str, kind: str, text: str, at: str = AT) -> dict[str, Any]:
    return {
        "type": "message",
        "id": ident,
        "author": who,
        "author_kind": kind,
        "name": who,
        "text": text,
        "at": at,
    }


def presence(staff: bool, customers: int) -> dict[str, Any]:
    return {"type": "presence", "staff_online": staff, "customers_online": customers}


def stored(frame: dict[str, Any]) -> dict[str, Any]:
    """A message frame as the history and the transcript carry it (no `type`)."""
    return {k: v for k, v in frame.items() if k != "type"}

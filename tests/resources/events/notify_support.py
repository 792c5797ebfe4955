"""What the notification tests share: subscriptions made through the service, a real asyncio
HTTP endpoint on 127.0.0.1 for webhooks (answers a scripted status per request), the deliveries
as rows, and a sender over the rig's context."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from events_support import Rig, person
from sqlalchemy import select

from resources.events import subscriptions
from resources.events.deliver import Sender
from resources.events.models import DeliveryRow, MailRow, SubscriptionRow


async def subscribe(rig: Rig, customer: str = "globex", **body: Any) -> tuple[SubscriptionRow, str | None]:
    async with rig.tx() as tx:
        return await subscriptions.create(
            tx, caller=person(customer, name=f"admin@{customer}"), customer_id=customer, body=body
        )


async def deliveries(rig: Rig) -> list[DeliveryRow]:
    async with rig.tx(write=False) as tx:
        return list((await tx.session.execute(select(DeliveryRow).order_by(DeliveryRow.id))).scalars())


async def mails(rig: Rig) -> list[MailRow]:
    async with rig.tx(write=False) as tx:
        return list((await tx.session.execute(select(MailRow).order_by(MailRow.id))).scalars())


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Endpoint:
    """A webhook receiver: answers `statuses` in turn (the last one forever after)."""

    statuses: list[int] = field(default_factory=lambda: [200])
    delay: float = 0.0
    received: list[Received] = field(default_factory=list)
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request_line = (await reader.readline()).decode()
            headers: dict[str, str] = {}
            while (line := (await reader.readline()).decode()) not in ("\r\n", "\n", ""):
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            method, path, _ = request_line.split(" ", 2)
            self.received.append(Received(method, path, headers, body))
            status = self.statuses[min(len(self.received) - 1, len(self.statuses) - 1)]
            if self.delay:
                await asyncio.sleep(self.delay)
            writer.write(f"HTTP/1.1 {status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".encode())
            await writer.drain()
        finally:
            writer.close()
            await writer.wait_closed()


@asynccontextmanager
async def endpoint(**kw: Any) -> AsyncIterator[Endpoint]:
    ep = Endpoint(**kw)
    server = await asyncio.start_server(ep._serve, "127.0.0.1", 0)
    ep.port = int(server.sockets[0].getsockname()[1])
    try:
        yield ep
    finally:
        server.close()
        await server.wait_closed()


@asynccontextmanager
async def sender(rig: Rig, **kw: Any) -> AsyncIterator[Sender]:
    async with httpx.AsyncClient() as http:
        yield Sender(rig.ctx, http=http, **kw)

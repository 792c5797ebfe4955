"""On PostgreSQL two senders (two engines, as two processes would have) share one outbox: every
delivery is sent exactly once (`FOR UPDATE SKIP LOCKED` plus the claim's lease) and each
subscription hears its rows in seq order."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Sequence
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest
from events_support import Clock, RecordingBus, condition, make_context, person
from sqlalchemy import select, text

from resources.events import subscriptions
from resources.events.context import Context, transaction
from resources.events.deliver import Sender
from resources.events.intake import report
from resources.events.models import DeliveryRow
from resources.kit.db import create_engine
from resources.kit.migrate import upgrade

TREE = Path(__file__).resolve().parents[3] / "resources" / "events" / "migrations"
PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
CUSTOMERS = ("globex", "initech", "hooli")
ADDRESSES = 4
ALARMS = 5


@pytest.fixture
async def pg_schema() -> AsyncIterator[str]:
    schema = f"events_{uuid.uuid4().hex[:10]}"
    engine = create_engine(url=PG_URL, schema=schema)
    try:
        await upgrade(migrations_dir=TREE, url=PG_URL, schema=schema)
        yield schema
    finally:
        async with engine.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        await engine.dispose()


async def test_two_senders_never_send_one_row_twice(pg_schema: str) -> None:
    clock = Clock()
    one, engine_one = make_context(PG_URL, RecordingBus(), clock, schema=pg_schema)
    two, engine_two = make_context(PG_URL, RecordingBus(), clock, schema=pg_schema)
    try:
        async with transaction(one, write=True) as tx:
            for customer in CUSTOMERS:
                for n in range(ADDRESSES):
                    await subscriptions.create(
                        tx, caller=person(customer), customer_id=customer,
                        body={"kind": "email", "address": f"noc{n}@{customer}.example", "kinds": ["raised"]},
                    )  # fmt: skip
        for i in range(ALARMS):
            await report(one, [condition(customer=c, obj=f"site:s{i}") for c in CUSTOMERS])
        sent: list[tuple[str, str]] = []  # (sender, delivery id)

        def recorder(name: str, ctx: Context) -> object:
            async def mail_send(message: EmailMessage, sender: str, to: Sequence[str]) -> None:
                await asyncio.sleep(0.005)  # the send takes a while: the other sender runs meanwhile
                sent.append((name, str(message["X-Switchboard-Delivery"])))

            return mail_send

        async def drain(name: str, ctx: Context) -> None:
            async with httpx.AsyncClient() as http:
                s = Sender(ctx, http=http, mail_send=recorder(name, ctx), batch=3)  # type: ignore[arg-type]
                idle = 0
                while idle < 3:
                    idle = idle + 1 if await s.run_once() == 0 else 0
                    await asyncio.sleep(0)

        await asyncio.gather(drain("one", one), drain("two", two))
        async with transaction(one, write=False) as tx:
            rows = list((await tx.session.execute(select(DeliveryRow).order_by(DeliveryRow.id))).scalars())
        ids = [d for _, d in sent]
        total = len(CUSTOMERS) * ADDRESSES * ALARMS
        assert len(rows) == total
        assert sorted(ids, key=int) == [str(r.id) for r in rows]  # each exactly once
        assert {r.state for r in rows} == {"sent"}
        assert {r.attempts for r in rows} == {1}
        assert {name for name, _ in sent} == {"one", "two"}  # both took part
        seq_of = {str(r.id): (r.subscription_id, r.seq) for r in rows}
        heard: dict[str, list[int]] = {}
        for _, delivery in sent:
            sub, seq = seq_of[delivery]
            heard.setdefault(sub, []).append(seq)
        assert all(seqs == sorted(seqs) for seqs in heard.values())
    finally:
        await engine_one.dispose()
        await engine_two.dispose()

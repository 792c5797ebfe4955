"""Ticket numbers: T-000001, T-000002, … per issuer, without gaps — two creates at once get
consecutive numbers, a rolled-back create gives its number back (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import uuid
from typing import cast

import pytest
from sqlalchemy import text
from tickets_support import CALLERS, PROBLEM, TMF, TREE, RecordingBus, Rig, as_, rig

from resources.kit.db import create_engine, create_sessionmaker
from resources.kit.events import EventBus
from resources.kit.migrate import upgrade
from resources.tickets import service
from resources.tickets.context import Context, Tx, transaction
from resources.tickets.models import TicketRow

__all__ = ["rig"]
PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


async def create(tx: Tx) -> TicketRow:
    return await service.create(tx, caller=CALLERS["alice"], raw=dict(PROBLEM), channel="api", customer=None)


async def test_two_concurrent_creates_get_consecutive_numbers(rig: Rig) -> None:
    first, second = await asyncio.gather(
        rig.client.post(TMF, json=PROBLEM, headers=as_("alice")),
        rig.client.post(TMF, json=PROBLEM, headers=as_("carol")),
    )
    assert sorted([first.json()["id"], second.json()["id"]]) == ["T-000001", "T-000002"]


async def test_a_rolled_back_create_leaves_no_gap(rig: Rig) -> None:
    await rig.open()
    taken: list[str] = []

    async def create_then_fail() -> None:
        async with transaction(rig.ctx, write=True) as tx:
            taken.append((await create(tx)).id)
            raise RuntimeError("after the number was taken")

    with pytest.raises(RuntimeError):
        await create_then_fail()
    assert taken == ["T-000002"]
    r = await rig.client.post(TMF, json={**PROBLEM, "severity": "bad"}, headers=as_("alice"))
    assert r.status_code == 422
    assert (await rig.open())["id"] == "T-000002"


async def test_another_issuer_counts_on_its_own(rig: Rig) -> None:
    await rig.open()
    other = Context(
        maker=rig.ctx.maker, bus=rig.ctx.bus, clock=rig.clock, number_prefix="R", tenancy=rig.ctx.tenancy
    )
    async with transaction(other, write=True) as tx:
        made = await create(tx)
    assert (made.id, (await rig.open())["id"]) == ("R-000001", "T-000002")


async def test_postgresql_concurrent_creates_have_no_gaps() -> None:
    schema = f"tickets_{uuid.uuid4().hex[:10]}"
    await upgrade(migrations_dir=TREE, url=PG_URL, schema=schema)
    engine = create_engine(url=PG_URL, schema=schema)
    ctx = Context(maker=create_sessionmaker(engine), bus=cast(EventBus, RecordingBus()))

    async def make(fail: bool) -> str:
        async with transaction(ctx, write=True) as tx:
            made = await create(tx)
            await asyncio.sleep(0.05)  # hold the counter's row lock while the others wait
            if fail:
                raise RuntimeError("rolled back")
            return made.id

    try:
        results = await asyncio.gather(*(make(i == 2) for i in range(5)), return_exceptions=True)
        made = sorted(r for r in results if isinstance(r, str))
        assert made == ["T-000001", "T-000002", "T-000003", "T-000004"]
    finally:
        async with engine.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        await engine.dispose()

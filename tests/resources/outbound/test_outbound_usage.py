"""Usage for the minute caps: ended calls of ours from `traffic.delta` recorded once each
(`outbound_usage`), counted in memory per line per day and month in the zone of the line's
policy, the caps' reasons through the real switch question, emergency calls still allowed, the
reload reading the sums from the table again, and the line's page showing it."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from outbound_support import BOB, LOBBY, T0, TREE, Rig, rig
from sqlalchemy import select, text

from resources.kit.db import create_engine, create_sessionmaker, unit_of_work
from resources.kit.events import Event
from resources.kit.migrate import upgrade
from resources.outbound.context import transaction
from resources.outbound.models import UsageRow
from resources.outbound.policy import Usage
from resources.outbound.runtime import handle
from resources.outbound.usage import ended_calls, insert_new, read_tallies

__all__ = ["rig"]

EVERY_DAY = {
    "zone": "America/Chicago",
    "weekly": {d: ["00:00-24:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
}
CAPPED = {
    "name": "capped",
    "classes": ["local"],
    "hours": EVERY_DAY,
    "caps": {"minutes_per_day": 2, "minutes_per_month": 4},
}
TOLL_FREE = "+18005550100"
PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


def summary(call_id: str, number: str = BOB, **fields: Any) -> dict[str, Any]:
    """A CallSummary of an outbound call from `number` that ended at T0 - 10 minutes after 150 s."""
    end = (T0 - timedelta(minutes=10)).timestamp()
    return {
        "call_id": call_id, "number": number, "customer_id": "globex", "ani": number, "site": None,
        "destination": "+13125550100", "carrier": "carrier-a", "version": 3, "start": end - 160,
        "answer": end - 150, "end": end, "disposition": "answered", "sip_code": 200, "q850": 16,
        "billable": 150, "updated": end, "call_class": "local", "account_code": None, **fields,
    }  # fmt: skip


async def delta(rig: Rig, *calls: dict[str, Any]) -> None:
    await handle(rig.ctx, Event("traffic.delta", {"c": [], "calls": list(calls)}))


async def stored(rig: Rig) -> list[tuple[Any, ...]]:
    async with transaction(rig.ctx, write=False) as tx:
        rows = (await tx.session.execute(select(UsageRow).order_by(UsageRow.call_id))).scalars()
        return [
            (r.call_id, r.customer_id, r.line_number, r.ended_at, r.seconds, r.minutes, r.call_class,
             r.account_code)
            for r in rows
        ]  # fmt: skip


async def capped(rig: Rig) -> None:
    await rig.setup()
    r = await rig.client.put("/api/policies/capped", json=CAPPED, headers=rig.as_("alice"))
    assert r.status_code == 201, r.text
    body = {"number": BOB, "label": "Bob", "policy": "capped", "elevated": "international"}
    r = await rig.client.put(f"/api/lines/{BOB}", json=body, headers=rig.as_("alice"))
    assert r.status_code == 200, r.text


async def ask(rig: Rig, dialled: str = "3125550100") -> tuple[str, str]:
    r = await rig.client.post(
        "/network/decide", json={"caller": BOB, "dialled": dialled}, headers=rig.as_("switch")
    )
    assert r.status_code == 200, r.text
    return r.json()["outcome"], r.json()["reason"]


def test_only_ended_calls_are_read_and_call_class_and_account_code_are_optional() -> None:
    old = summary("c-old")
    del old["call_class"], old["account_code"]
    calls = ended_calls(
        {
            "calls": [
                summary("c-up", end=None, disposition=None, billable=None),  # still up
                summary("c-ending", disposition=None),  # no disposition yet
                summary("c-short", billable=0, disposition="short", account_code="1001"),
                old,
                {"call_id": 7},
                "junk",
            ]
        }
    )
    assert [(c.call_id, c.seconds, c.minutes, c.call_class, c.account_code) for c in calls] == [
        ("c-short", 0, 0, "local", "1001"),
        ("c-old", 150, 3, None, None),
    ]
    assert ended_calls({"c": []}) == []


async def test_a_call_is_recorded_once_and_counted_once(rig: Rig) -> None:
    await capped(rig)
    call = summary("call-1", account_code="1001")
    await delta(rig, call)
    await delta(rig, call, dict(call, updated=call["updated"] + 1))  # the same call again
    ended = T0 - timedelta(minutes=10)
    assert await stored(rig) == [("call-1", "globex", BOB, ended, 150, 3, "local", "1001")]
    assert rig.ctx.decider.meter.usage(BOB, T0) == Usage(minutes_today=3, minutes_month=3)


async def test_calls_still_up_toll_free_and_other_customers_calls_are_not_recorded(rig: Rig) -> None:
    await capped(rig)
    await delta(
        rig,
        summary("up", end=None, disposition=None, billable=None),
        summary("answered", end=None, disposition=None),  # answered, not ended
        summary("inbound-tf", TOLL_FREE, call_class=None),  # toll-free to one of ours: not a line
        summary("other", "+14155550100", customer_id="initech"),  # not ours
        summary("tf-from-bob", BOB, call_class=None, destination=TOLL_FREE, billable=30),
        summary("deleted-line", "+13125550111", billable=61),  # ours, with a class: recorded
    )
    assert [(r[0], r[2], r[5], r[6]) for r in await stored(rig)] == [
        ("deleted-line", "+13125550111", 2, "local"),
        ("tf-from-bob", BOB, 1, None),
    ]
    assert rig.ctx.decider.meter.usage(BOB, T0) == Usage(minutes_today=1, minutes_month=1)


async def test_the_daily_cap_denies_until_the_next_day_in_the_policys_zone(rig: Rig) -> None:
    await capped(rig)
    assert await ask(rig) == ("allow", "Allowed")
    await delta(rig, summary("call-1"))  # 150 s: 3 minutes
    assert await ask(rig) == ("deny", "Daily minute limit reached")
    assert await ask(rig, "911") == ("allow", "Emergency calls are always allowed")
    # 05:30 UTC on Tuesday is still Monday (23:30) in Chicago
    rig.clock.now = datetime(2026, 12, 8, 5, 30, tzinfo=UTC)
    assert await ask(rig) == ("deny", "Daily minute limit reached")
    rig.clock.now = datetime(2026, 12, 8, 6, 30, tzinfo=UTC)  # 00:30 on Tuesday in Chicago
    assert await ask(rig) == ("allow", "Allowed")
    # 30 s on Tuesday: 1 minute today, 4 this month
    tuesday = rig.clock.now.timestamp()
    await delta(rig, summary("call-2", end=tuesday, billable=30))
    assert rig.ctx.decider.meter.usage(BOB, rig.clock.now) == Usage(minutes_today=1, minutes_month=4)
    assert await ask(rig) == ("deny", "Monthly minute limit reached")
    assert await ask(rig, "911") == ("allow", "Emergency calls are always allowed")
    rig.clock.now = datetime(2027, 1, 1, 6, 0, tzinfo=UTC)  # 00:00 on 1 January in Chicago
    assert await ask(rig) == ("allow", "Allowed")


async def test_the_reload_reads_the_sums_from_the_table_again(rig: Rig) -> None:
    await capped(rig)
    await delta(rig, summary("ours"))  # counted here: 3 minutes
    async with transaction(rig.ctx, write=True) as tx:  # what another outbound process recorded
        for call_id, ended, minutes in (
            ("theirs-today", T0 - timedelta(hours=1), 2),
            ("theirs-sunday", datetime(2026, 12, 6, 12, 0, tzinfo=UTC), 5),
            ("theirs-november", datetime(2026, 11, 30, 12, 0, tzinfo=UTC), 50),
            ("lobby", T0, 7),
        ):
            number = LOBBY if call_id == "lobby" else BOB
            tx.session.add(UsageRow(call_id=call_id, customer_id="globex", line_number=number,
                                    ended_at=ended, seconds=minutes * 60, minutes=minutes,
                                    call_class="local", account_code=None))  # fmt: skip
    decider = rig.ctx.decider
    assert decider.meter.usage(BOB, T0) == Usage(minutes_today=3, minutes_month=3)
    await decider.reload()
    assert decider.meter.usage(BOB, T0) == Usage(minutes_today=5, minutes_month=10)
    assert decider.meter.usage(LOBBY, T0) == Usage(minutes_today=7, minutes_month=7)
    await delta(rig, summary("ours"))  # already stored: nothing more
    await decider.reload("globex")
    assert decider.meter.usage(BOB, T0) == Usage(minutes_today=5, minutes_month=10)


async def test_the_lines_page_shows_the_minutes_against_the_caps(rig: Rig) -> None:
    await capped(rig)
    await delta(rig, summary("call-1"), summary("lobby", LOBBY, billable=59))
    r = await rig.client.get("/lines", headers=rig.as_("viewer"))
    assert r.status_code == 200
    used = re.findall(r'<tr data-line="([^"]+)".*?<td data-usage>(.*?)</td>', r.text, re.S)
    assert used == [(BOB, "today 3 of 2 / this month 3 of 4"), (LOBBY, "today 1 / this month 1")]


async def test_recording_is_idempotent_and_summed_on_postgresql() -> None:
    schema = f"outbound_{uuid.uuid4().hex[:10]}"
    engine = create_engine(url=PG_URL, schema=schema)
    try:
        await upgrade(migrations_dir=TREE, url=PG_URL, schema=schema)
        maker = create_sessionmaker(engine)
        calls = ended_calls({"calls": [summary("a"), summary("b", billable=61)]})
        async with unit_of_work(maker, write=True) as session:
            assert [c.call_id for c in await insert_new(session, [(calls[0], "globex")])] == ["a"]
        async with unit_of_work(maker, write=True) as session:
            inserted = await insert_new(session, [(c, "globex") for c in calls])
            assert [c.call_id for c in inserted] == ["b"]
        async with unit_of_work(maker, write=False) as session:
            tallies = await read_tallies(session, {BOB: "America/Chicago", LOBBY: "UTC"}, now=T0)
        assert {n: t.usage(T0) for n, t in tallies.items()} == {
            BOB: Usage(minutes_today=5, minutes_month=5),
            LOBBY: Usage(),
        }
    finally:
        async with engine.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        await engine.dispose()

"""Which log rows become deliveries: by severity (a clear by the severity it cleared from), by
kind, never for a disabled subscription or another customer; written in the alarm change's own
transaction (a rollback leaves none; a raise that loses its race to another writer leaves only
the winner's)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from events_support import T0, Rig, condition, rig
from notify_support import deliveries, subscribe
from sqlalchemy import select

from resources.events import engine
from resources.events.models import DeliveryRow, LogRow, SubscriptionRow

__all__ = ["rig"]


async def test_a_major_raise_reaches_the_major_subscription_not_the_critical_one(rig: Rig) -> None:
    major, _ = await subscribe(rig, kind="email", address="major@globex.example", min_severity="major")
    await subscribe(rig, kind="email", address="critical@globex.example", min_severity="critical")
    minor, _ = await subscribe(rig, kind="email", address="minor@globex.example", min_severity="minor")
    await subscribe(rig, "initech", kind="email", address="carol@initech.example", min_severity="warning")
    [alarm] = await rig.observe(condition(severity="major"))
    found = await deliveries(rig)
    async with rig.tx(write=False) as tx:
        [log] = list((await tx.session.execute(select(LogRow))).scalars())
    assert [(d.subscription_id, d.customer_id, d.seq, d.channel, d.state, d.attempts, d.next_attempt_at)
            for d in found] == [
        (major.id, "globex", log.seq, "email", "pending", 0, T0),
        (minor.id, "globex", log.seq, "email", "pending", 0, T0),
    ]  # fmt: skip
    assert found[0].payload == {
        "kind": "raised",
        "customer_id": "globex",
        "alarm_id": alarm.id,
        "at": "2026-12-14T09:00:00Z",
        "actor": None,
        "alarm": log.alarm,
        "severity": "major",
        "resellers": [],
    }


async def test_a_clear_is_judged_by_the_severity_it_cleared_from(rig: Rig) -> None:
    sub, _ = await subscribe(rig, kind="email", address="noc@globex.example", min_severity="critical")
    [alarm] = await rig.observe(condition(severity="critical"))
    async with rig.tx() as tx:
        row = await tx.session.get(type(alarm), alarm.id)
        assert row is not None
        await engine.transition(tx, row, "clear")
    found = await deliveries(rig)
    assert [
        (d.payload["kind"], d.payload["severity"], d.payload["alarm"]["perceivedSeverity"]) for d in found
    ] == [
        ("raised", "critical", "critical"),
        ("cleared", "critical", "cleared"),
    ]
    assert {d.subscription_id for d in found} == {sub.id}


async def test_only_the_kinds_asked_for(rig: Rig) -> None:
    await subscribe(rig, kind="email", address="all@globex.example", min_severity="warning",
                    kinds=["updated", "acknowledged", "commented"])  # fmt: skip
    await subscribe(rig, kind="email", address="default@globex.example", min_severity="warning")
    [alarm] = await rig.observe(condition(severity="minor"))
    await rig.observe(condition(severity="major"))  # visible change: an update
    async with rig.tx() as tx:
        row = await tx.session.get(type(alarm), alarm.id)
        assert row is not None
        await engine.acknowledge(tx, row, actor="alice@globex")
        await engine.comment(tx, row, actor="alice@globex", text="on it")
    got = [(d.payload["kind"], d.payload["severity"]) for d in await deliveries(rig)]
    assert got == [
        ("raised", "minor"),
        ("updated", "major"),
        ("acknowledged", "major"),
        ("commented", "major"),
    ]


async def test_indeterminate_counts_as_warning_and_disabled_subscriptions_hear_nothing(rig: Rig) -> None:
    warn, _ = await subscribe(rig, kind="email", address="w@globex.example", min_severity="warning")
    await subscribe(rig, kind="email", address="m@globex.example", min_severity="minor")
    gone, _ = await subscribe(rig, kind="webhook", url="https://hooks.example.com/", min_severity="warning")
    async with rig.tx() as tx:
        row = await tx.session.get(SubscriptionRow, gone.id)
        assert row is not None
        row.disabled_at = T0
    await rig.observe(condition(severity="indeterminate"))
    assert [d.subscription_id for d in await deliveries(rig)] == [warn.id]


async def test_deliveries_are_written_in_the_alarms_transaction(rig: Rig) -> None:
    await subscribe(rig, kind="email", address="noc@globex.example")

    class Boom(Exception):
        pass

    seen: list[tuple[str, int]] = []

    async def change_then_fail() -> None:
        async with rig.tx() as tx:
            await engine.observe(tx, condition())
            await tx.session.flush()
            pending = (await tx.session.execute(select(DeliveryRow))).scalars().all()
            seen.extend((d.state, d.seq) for d in pending)
            seen.append(("logged", tx.logged[0].seq))
            raise Boom

    with pytest.raises(Boom):
        await change_then_fail()
    assert seen == [("pending", seen[1][1]), ("logged", seen[1][1])]
    assert await deliveries(rig) == []
    assert rig.bus.topic("events.alarm") == []


async def test_a_raise_that_loses_its_race_leaves_only_the_winners_deliveries(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    sub, _ = await subscribe(rig, kind="email", address="noc@globex.example", min_severity="warning",
                             kinds=["raised", "updated"])  # fmt: skip
    [winner] = await rig.observe(condition())
    real = engine.repo.open_alarm
    calls = 0

    async def blind_once(session: object, **key: str) -> object:
        nonlocal calls
        calls += 1
        return None if calls == 1 else await real(session, **key)  # type: ignore[arg-type]

    monkeypatch.setattr(engine.repo, "open_alarm", blind_once)
    rig.clock.advance(1)
    [again] = await rig.observe(condition(severity="critical"))
    assert again.id == winner.id
    got = [(d.subscription_id, d.payload["kind"], d.payload["alarm"]["id"]) for d in await deliveries(rig)]
    assert got == [(sub.id, "raised", winner.id), (sub.id, "updated", winner.id)]
    assert [d.seq for d in await deliveries(rig)] == [p["seq"] for p in rig.bus.topic("events.alarm")]
    assert rig.clock.now == T0 + timedelta(seconds=1)

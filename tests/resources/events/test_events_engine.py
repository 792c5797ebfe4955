"""The alarm engine on a migrated SQLite file with a settable clock: raise, update throttling, clear
after the hysteresis (observation and sweep), flap correlation, ack/unack/comment, the log rows
and their publication after commit, and one open alarm per key."""

from __future__ import annotations

from typing import Any

import pytest
from events_support import NUMBER, T0, Rig, condition, rig
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from resources.events import engine
from resources.events import repository as repo
from resources.events.engine import TRANSITIONS, InvalidTransition
from resources.events.intake import sweep
from resources.events.models import AlarmRow, LogRow

__all__ = ["rig"]


async def log_rows(rig: Rig) -> list[tuple[int, str, str]]:
    async with rig.tx(write=False) as tx:
        rows = (await tx.session.execute(select(LogRow).order_by(LogRow.seq))).scalars()
        return [(r.seq, r.kind, r.alarm_id) for r in rows]


async def alarm_rows(rig: Rig) -> list[AlarmRow]:
    async with rig.tx(write=False) as tx:
        return list((await tx.session.execute(select(AlarmRow).order_by(AlarmRow.raised_time))).scalars())


def published(rig: Rig) -> list[tuple[int, str]]:
    return [(p["seq"], p["kind"]) for p in rig.bus.topic("events.alarm")]


def test_the_transitions_table() -> None:
    assert TRANSITIONS[(None, "raise")] == "raised"
    assert TRANSITIONS[("raised", "update")] == "updated"
    assert TRANSITIONS[("updated", "clear")] == "cleared"
    assert TRANSITIONS[("cleared", "acknowledge")] == "cleared"
    assert ("cleared", "update") not in TRANSITIONS
    assert ("cleared", "raise") not in TRANSITIONS
    assert (None, "clear") not in TRANSITIONS


async def test_raise_writes_the_alarm_its_log_row_and_publishes_after_commit(rig: Rig) -> None:
    [alarm] = await rig.observe(condition(at=T0.timestamp() - 2))
    assert alarm is not None
    [row] = await alarm_rows(rig)
    assert (row.id, row.state, row.ack_state, row.occurrences, row.version) == (
        alarm.id,
        "raised",
        "unacknowledged",
        1,
        1,
    )
    assert (row.customer_id, row.alarmed_object, row.probable_cause, row.perceived_severity) == (
        "globex",
        NUMBER,
        "lowAnswerSeizureRatio",
        "major",
    )
    assert (row.raised_time, row.updated_time, row.event_time.timestamp()) == (T0, T0, T0.timestamp() - 2)
    assert (row.correlated, row.comments, row.resellers, row.source) == ([], [], [], "detector:asr")
    assert await log_rows(rig) == [(1, "raised", alarm.id)]
    [payload] = rig.bus.topic("events.alarm")
    assert payload == {
        "seq": 1,
        "kind": "raised",
        "customer_id": "globex",
        "alarm_id": alarm.id,
        "at": "2026-12-14T09:00:00Z",
        "actor": None,
        "alarm": {
            "id": alarm.id,
            "href": f"/api/events/tmf-api/alarmManagement/v4/alarm/{alarm.id}",
            "@type": "Alarm",
            "alarmType": "qualityOfServiceAlarm",
            "perceivedSeverity": "major",
            "probableCause": "lowAnswerSeizureRatio",
            "specificProblem": "ASR 31 % over 5 min (threshold 50 %)",
            "alarmedObject": {"id": NUMBER, "@referredType": "TelephoneNumber"},
            "state": "raised",
            "ackState": "unacknowledged",
            "alarmRaisedTime": "2026-12-14T09:00:00Z",
            "alarmChangedTime": "2026-12-14T09:00:00Z",
            "alarmReportingTime": "2026-12-14T08:59:58Z",
            "sourceSystemId": "detector:asr",
            "isRootCause": True,
            "correlatedAlarm": [],
            "comment": [],
            "occurrences": 1,
        },
    }


async def test_a_rolled_back_transaction_publishes_nothing(rig: Rig) -> None:
    async def fail() -> None:
        async with rig.tx() as tx:
            await engine.observe(tx, condition())
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        await fail()
    assert (await alarm_rows(rig), await log_rows(rig), rig.bus.published) == ([], [], [])


async def test_repeats_are_throttled_until_something_visible_changes_or_the_interval_passed(rig: Rig) -> None:
    [alarm] = await rig.observe(condition())
    for _ in range(30):  # a detector repeating itself every second
        rig.clock.advance(1)
        await rig.observe(condition())
    [row] = await alarm_rows(rig)
    assert (row.state, row.occurrences, row.version, row.updated_time) == ("raised", 31, 1, T0)
    assert await log_rows(rig) == [(1, "raised", alarm.id)]
    rig.clock.advance(1)  # visible: the severity
    await rig.observe(condition(severity="critical"))
    rig.clock.advance(1)  # visible: the problem
    await rig.observe(condition(severity="critical", problem="ASR 12 % over 5 min (threshold 50 %)"))
    assert [k for _, k, _ in await log_rows(rig)] == ["raised", "updated", "updated"]
    for _ in range(58):
        rig.clock.advance(1)
        await rig.observe(condition(severity="critical", problem="ASR 12 % over 5 min (threshold 50 %)"))
    assert len(await log_rows(rig)) == 3  # 58 s after the last row: still quiet
    rig.clock.advance(2)  # 60 s: the interval
    await rig.observe(condition(severity="critical", problem="ASR 12 % over 5 min (threshold 50 %)"))
    [row] = await alarm_rows(rig)
    assert (row.state, row.perceived_severity, row.occurrences, row.version) == ("updated", "critical", 92, 4)
    assert await log_rows(rig) == [
        (1, "raised", alarm.id),
        (2, "updated", alarm.id),
        (3, "updated", alarm.id),
        (4, "updated", alarm.id),
    ]
    assert published(rig) == [(1, "raised"), (2, "updated"), (3, "updated"), (4, "updated")]


async def test_clears_only_after_staying_inactive_for_clear_after(rig: Rig) -> None:
    [alarm] = await rig.observe(condition())
    rig.clock.advance(5)
    await rig.observe(condition(active=False))  # clearing from T0+5
    rig.clock.advance(9)
    await rig.observe(condition(active=False))  # 9 s inactive: not yet
    [row] = await alarm_rows(rig)
    assert (row.state, row.clearing_since) == ("raised", T0.replace(second=5))
    rig.clock.advance(0.5)
    await rig.observe(condition())  # active again: the hysteresis starts over
    rig.clock.advance(1)
    await rig.observe(condition(active=False))
    rig.clock.advance(9.9)
    assert await sweep(rig.ctx) == 0
    [row] = await alarm_rows(rig)
    assert row.state == "raised"
    rig.clock.advance(0.1)  # 10 s since the last inactive start
    assert await sweep(rig.ctx) == 1
    [row] = await alarm_rows(rig)
    assert (row.state, row.perceived_severity, row.cleared_time, row.version) == (
        "cleared",
        "cleared",
        T0.replace(second=25, microsecond=500000),
        2,
    )
    assert [k for _, k, _ in await log_rows(rig)] == ["raised", "cleared"]
    assert rig.bus.topic("events.alarm")[-1]["alarm"]["alarmClearedTime"] == "2026-12-14T09:00:25.500000Z"
    assert await sweep(rig.ctx) == 0  # final
    await rig.observe(condition(active=False))
    assert len(await log_rows(rig)) == 2
    assert alarm.id == row.id


async def test_an_inactive_observation_after_the_hysteresis_clears_at_once(rig: Rig) -> None:
    await rig.observe(condition())
    await rig.observe(condition(active=False))
    rig.clock.advance(10)
    await rig.observe(condition(active=False))
    [row] = await alarm_rows(rig)
    assert row.state == "cleared"


async def test_inactive_without_an_open_alarm_does_nothing(rig: Rig) -> None:
    assert await rig.observe(condition(active=False)) == [None]
    assert (await alarm_rows(rig), rig.bus.published) == ([], [])


async def test_a_condition_back_soon_after_clearing_raises_a_new_alarm_correlated_to_the_old(
    rig: Rig,
) -> None:
    [first] = await rig.observe(condition())
    await rig.observe(condition(active=False))
    rig.clock.advance(10)
    await sweep(rig.ctx)  # cleared at T0+10
    rig.clock.advance(119)
    [second] = await rig.observe(condition())  # 119 s later: flapping
    assert second.id != first.id
    assert (second.state, second.correlated, second.occurrences) == ("raised", [first.id], 1)
    assert rig.bus.topic("events.alarm")[-1]["alarm"]["correlatedAlarm"] == [{"id": first.id}]
    assert rig.bus.topic("events.alarm")[-1]["alarm"]["isRootCause"] is False
    await rig.observe(condition(active=False))
    rig.clock.advance(10)
    await sweep(rig.ctx)  # cleared at T0+139
    rig.clock.advance(120)
    [third] = await rig.observe(condition())  # 120 s later: a fresh problem
    assert third.correlated == []
    assert [a.state for a in await alarm_rows(rig)] == ["cleared", "cleared", "raised"]


async def test_ack_unack_comment_are_logged_and_version_bumped(rig: Rig) -> None:
    [alarm] = await rig.observe(condition())
    rig.clock.advance(3)
    async with rig.tx() as tx:
        row = await repo.alarm(tx.session, alarm.id)
        assert row is not None
        assert (await engine.acknowledge(tx, row, actor="alice@globex")) is not None
        assert await engine.acknowledge(tx, row, actor="bob@globex") is None  # already
        await engine.comment(tx, row, actor="alice@globex", text="Carrier ticket 4711 opened")
    async with rig.tx() as tx:
        row = await repo.alarm(tx.session, alarm.id)
        assert row is not None
        assert (row.ack_state, row.ack_by, row.ack_at, row.version, row.state) == (
            "acknowledged",
            "alice@globex",
            T0.replace(second=3),
            3,
            "raised",
        )
        assert row.comments == [
            {"time": "2026-12-14T09:00:03Z", "author": "alice@globex", "text": "Carrier ticket 4711 opened"}
        ]
        await engine.unacknowledge(tx, row, actor="alice@globex")
        assert await engine.unacknowledge(tx, row, actor="alice@globex") is None
    assert [k for _, k, _ in await log_rows(rig)] == ["raised", "acknowledged", "commented", "unacknowledged"]
    last = rig.bus.topic("events.alarm")[-1]
    assert (last["actor"], last["alarm"]["ackState"]) == ("alice@globex", "unacknowledged")
    # unacknowledged again: no ack user or system, so both are left out (not null)
    assert {"ackUserId", "ackSystemId"} & set(last["alarm"]) == set()


async def test_a_cleared_alarm_can_still_be_acknowledged_but_never_updated(rig: Rig) -> None:
    [alarm] = await rig.observe(condition())
    await rig.observe(condition(active=False))
    rig.clock.advance(10)
    await sweep(rig.ctx)
    async with rig.tx() as tx:
        row = await repo.alarm(tx.session, alarm.id)
        assert row is not None
        await engine.acknowledge(tx, row, actor="alice@globex")
        assert row.state == "cleared"
        with pytest.raises(InvalidTransition, match="a cleared alarm cannot take 'update'"):
            await engine.transition(tx, row, "update")


async def test_the_unique_index_allows_one_open_alarm_per_key(rig: Rig) -> None:
    [alarm] = await rig.observe(condition())
    async with rig.tx(write=False) as tx:
        row = await repo.alarm(tx.session, alarm.id)
    assert row is not None
    twin: dict[str, Any] = {c.key: getattr(row, c.key) for c in AlarmRow.__table__.columns}
    with pytest.raises(IntegrityError):
        async with rig.tx() as tx:
            tx.session.add(AlarmRow(**{**twin, "id": "f" * 32}))
    async with rig.tx() as tx:  # a cleared twin is fine: only open alarms are unique
        tx.session.add(AlarmRow(**{**twin, "id": "e" * 32, "state": "cleared"}))
    async with rig.tx(write=False) as tx:
        assert (await tx.session.execute(select(func.count()).select_from(AlarmRow))).scalar_one() == 2


async def test_two_concurrent_observes_of_a_new_key_make_one_alarm(rig: Rig) -> None:
    import asyncio

    results = await asyncio.gather(rig.observe(condition()), rig.observe(condition(severity="critical")))
    [a], [b] = results
    assert a.id == b.id
    [row] = await alarm_rows(rig)
    assert (row.occurrences, row.perceived_severity) == (2, "critical")
    assert [k for _, k, _ in await log_rows(rig)] == ["raised", "updated"]


async def test_a_lost_raise_race_is_handled_by_updating_the_winner(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The race as PostgreSQL sees it: the loser read no open alarm before the winner committed."""
    [winner] = await rig.observe(condition())
    reads = 0
    real = repo.open_alarm

    async def stale_once(session: Any, **key: Any) -> Any:
        nonlocal reads
        reads += 1
        return None if reads == 1 else await real(session, **key)

    monkeypatch.setattr(repo, "open_alarm", stale_once)
    rig.clock.advance(1)
    [got] = await rig.observe(condition(severity="critical"))
    assert got.id == winner.id
    [row] = await alarm_rows(rig)
    assert (row.occurrences, row.perceived_severity, row.version) == (2, "critical", 2)
    assert [k for _, k, _ in await log_rows(rig)] == ["raised", "updated"]
    assert published(rig) == [(1, "raised"), (2, "updated")]

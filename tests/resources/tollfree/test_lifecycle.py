"""The routing-record lifecycle: the table, every move and refusal, effective dating, rollback,
and two activations racing on one SQLite file."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from tollfree_fixtures import START, Env, caller

from resources.kit.errors import ProblemError, ValidationFailed
from resources.tollfree import lifecycle, service
from resources.tollfree.demo import split_70_30, tel
from resources.tollfree.lifecycle import TRANSITIONS, transition
from resources.tollfree.models import AuditRow, Event, Version

NUMBER = "+18005550101"  # demo: v1 ACTIVE (70/30)
ALICE = caller("alice@globex", session="sess-alice")


def east_only() -> dict[str, Any]:
    doc = split_70_30()
    doc["sections"]["M"]["branches"] = [
        {"percent": 50, "then": tel("east")},
        {"percent": 50, "then": tel("east", "west")},
    ]
    return doc


def broken() -> dict[str, Any]:
    doc = split_70_30()
    doc["sections"]["M"]["branches"] = [
        {"percent": 60, "then": None},
        {"percent": 30, "then": tel("nowhere")},
    ]
    return doc


async def states(env: Env, target: str = NUMBER) -> list[tuple[int, str]]:
    async with env.tx(write=False) as tx:
        rows = await tx.session.execute(
            select(Version.number, Version.state).where(Version.target == target).order_by(Version.number)
        )
        return [(n, s) for n, s in rows.all()]


async def events(env: Env, number: int, target: str = NUMBER) -> list[tuple[str | None, str, str]]:
    async with env.tx(write=False) as tx:
        rows = await tx.session.execute(
            select(Event.from_state, Event.to_state, Event.actor)
            .join(Version, Version.id == Event.version_id)
            .where(Version.target == target, Version.number == number)
            .order_by(Event.id)
        )
        return [(a, b, c) for a, b, c in rows.all()]


async def draft(env: Env, document: dict[str, Any] | None = None) -> int:
    async with env.tx() as tx:
        view = await service.create_version(tx, caller=ALICE, target=NUMBER, document=document or east_only())
    return view.number


def test_the_table_is_the_contract() -> None:
    assert TRANSITIONS == {
        ("SAVED", "schedule"): "PENDING",
        ("PENDING", "hold"): "HOLD",
        ("HOLD", "release"): "PENDING",
        ("PENDING", "cancel"): "SAVED",
        ("HOLD", "cancel"): "SAVED",
        ("PENDING", "activate"): "ACTIVE",
        ("PENDING", "fail"): "FAILED",
        ("ACTIVE", "supersede"): "OLD",
        ("SAVED", "invalidate"): "INVALID",
        ("INVALID", "revalidate"): "SAVED",
    }
    assert lifecycle.allowed("PENDING") == ["hold", "cancel", "activate", "fail"]
    assert lifecycle.allowed("OLD") == []


CASES = [(state, verb) for state in lifecycle.STATES for verb in sorted(lifecycle.VERBS)]


@pytest.mark.parametrize(("state", "verb"), CASES)
async def test_every_move_and_refusal(demo: Env, state: str, verb: str) -> None:
    number = await draft(demo)
    async with demo.tx() as tx:
        v = (
            await tx.session.execute(
                select(Version).where(Version.target == NUMBER, Version.number == number)
            )
        ).scalar_one()
        old = (
            await tx.session.execute(select(Version).where(Version.target == NUMBER, Version.number == 1))
        ).scalar_one()
        old.state = "OLD"  # free the one ACTIVE slot the demo's v1 holds
        await tx.session.flush()
        v.state = state
        await tx.session.flush()
        expected = TRANSITIONS.get((state, verb))
        if expected is None:
            with pytest.raises(ProblemError) as caught:
                await transition(tx.session, v, verb, actor="t", session_ref="s", at=START, detail=None)
            assert caught.value.status == 409
            assert caught.value.detail == f"a {state} version cannot {verb}"
            assert caught.value.extra["allowed"] == lifecycle.allowed(state)
            return
        await transition(tx.session, v, verb, actor="tester", session_ref="s-9", at=START, detail={"why": 1})
        assert v.state == expected
        row = (
            (
                await tx.session.execute(
                    select(Event).where(Event.version_id == v.id).order_by(Event.id.desc())
                )
            )
            .scalars()
            .first()
        )
        assert row is not None
        assert (row.from_state, row.to_state, row.actor, row.session, row.detail) == (
            state, expected, "tester", "s-9", {"verb": verb, "why": 1},
        )  # fmt: skip
        assert v.activated_at == (START if expected == "ACTIVE" else None)
        assert v.superseded_at == (START if expected == "OLD" else None)


async def test_now_passes_through_pending(demo: Env) -> None:
    number = await draft(demo)
    async with demo.tx() as tx:
        view = await service.activate(tx, caller=ALICE, target=NUMBER, number=number, effective_at=None)
    assert (view.state, view.effective_at, view.activated_at) == ("ACTIVE", START, START)
    assert await events(demo, number) == [
        (None, "SAVED", "alice@globex"),
        ("SAVED", "PENDING", "alice@globex"),
        ("PENDING", "ACTIVE", "alice@globex"),
    ]
    assert (await events(demo, 1))[-1] == ("ACTIVE", "OLD", "alice@globex")
    assert await states(demo) == [(1, "OLD"), (2, "ACTIVE")]
    assert demo.topics() == [("tollfree.plans-changed", {"targets": [NUMBER]})]
    assert view.snapshot == {
        "labels": [],
        "sites": [
            {"name": "east", "uri": "sip:127.0.0.1:5071"},
            {"name": "west", "uri": "sip:127.0.0.1:5072"},
        ],
        "templates": [],
        "distributions": [],
    }


async def test_effective_dated_activation(demo: Env) -> None:
    number = await draft(demo)
    later = START + timedelta(hours=2)
    async with demo.tx() as tx:
        view = await service.activate(tx, caller=ALICE, target=NUMBER, number=number, effective_at=later)
    assert (view.state, view.effective_at, view.activated_at) == ("PENDING", later, None)
    async with demo.tx() as tx:
        assert await service.activate_due(tx, now=START + timedelta(hours=1)) == []
    assert await states(demo) == [(1, "ACTIVE"), (2, "PENDING")]
    demo.clock.advance(hours=2)
    async with demo.tx() as tx:
        assert await service.activate_due(tx, now=demo.clock.now) == [NUMBER]
    assert await states(demo) == [(1, "OLD"), (2, "ACTIVE")]
    assert (await events(demo, number))[-1] == ("PENDING", "ACTIVE", "scheduler")
    async with demo.tx(write=False) as tx:
        rows = await service.audit(tx, caller=ALICE, target=NUMBER)
    assert [(r.action, r.version, r.actor_id, r.session) for r in rows[:3]] == [
        ("version.activate", 2, "service:scheduler", None),
        ("version.supersede", 1, "service:scheduler", None),
        ("version.activate", 2, "u-alice", "sess-alice"),
    ]
    assert rows[0].before == {"state": "PENDING", "effective_at": later.isoformat()}
    assert rows[0].after == {"state": "ACTIVE", "effective_at": later.isoformat()}


async def test_a_due_version_that_no_longer_compiles_fails(demo: Env) -> None:
    number = await draft(demo)
    async with demo.tx() as tx:
        await service.activate(
            tx, caller=ALICE, target=NUMBER, number=number, effective_at=START + timedelta(hours=1)
        )
        v = (
            await tx.session.execute(
                select(Version).where(Version.target == NUMBER, Version.number == number)
            )
        ).scalar_one()
        v.snapshot = {"labels": [], "sites": [], "templates": []}  # the sites it froze are gone
    async with demo.tx() as tx:
        assert await service.activate_due(tx, now=START + timedelta(hours=1)) == [NUMBER]
    assert await states(demo) == [(1, "ACTIVE"), (2, "FAILED")]


async def test_invalid_draft_is_saved_but_not_activated(demo: Env) -> None:
    async with demo.tx() as tx:
        view = await service.create_version(tx, caller=ALICE, target=NUMBER, document=broken())
    assert view.state == "INVALID"
    assert [(i.node, i.field) for i in view.issues] == [("M", "branches"), ("M.0", "type"), ("M.1", "dest")]
    with pytest.raises(ValidationFailed) as caught:
        async with demo.tx() as tx:
            await service.activate(tx, caller=ALICE, target=NUMBER, number=view.number, effective_at=None)
    assert caught.value.status == 422
    assert [e["field"] for e in caught.value.errors] == ["M:branches", "M.0:type", "M.1:dest"]
    assert caught.value.errors[0]["message"] == "The percentages add up to 90, not 100."
    assert caught.value.errors[2]["message"] == "Site 'nowhere' does not exist."
    assert await states(demo) == [(1, "ACTIVE"), (2, "INVALID")]
    # fixing it in place: INVALID → SAVED (and back), each an event row
    async with demo.tx() as tx:
        fixed = await service.save_version(tx, caller=ALICE, target=NUMBER, number=2, document=east_only())
        assert fixed.state == "SAVED"
        again = await service.save_version(tx, caller=ALICE, target=NUMBER, number=2, document=broken())
        assert again.state == "INVALID"
    assert [(a, b) for a, b, _ in await events(demo, 2)] == [
        (None, "INVALID"), ("INVALID", "SAVED"), ("SAVED", "INVALID"),
    ]  # fmt: skip


async def test_past_effective_time_is_refused(demo: Env) -> None:
    number = await draft(demo)
    with pytest.raises(ValidationFailed) as caught:
        async with demo.tx() as tx:
            await service.activate(
                tx, caller=ALICE, target=NUMBER, number=number, effective_at=START - timedelta(seconds=1)
            )
    assert caught.value.errors == [
        {
            "field": "effective_at",
            "message": "The effective time is in the past; leave it empty to activate now.",
        }
    ]


async def test_hold_release_cancel(demo: Env) -> None:
    number = await draft(demo)
    later = START + timedelta(days=1)
    async with demo.tx() as tx:
        await service.activate(tx, caller=ALICE, target=NUMBER, number=number, effective_at=later)
        assert (await service.hold(tx, caller=ALICE, target=NUMBER, number=number)).state == "HOLD"
        # a held change does not take effect at its time
        assert await service.activate_due(tx, now=later + timedelta(hours=1)) == []
        with pytest.raises(ProblemError) as caught:
            await service.activate(tx, caller=ALICE, target=NUMBER, number=number, effective_at=None)
        assert (caught.value.status, caught.value.detail) == (409, "a HOLD version cannot activate")
        assert (await service.release(tx, caller=ALICE, target=NUMBER, number=number)).state == "PENDING"
        cancelled = await service.cancel(tx, caller=ALICE, target=NUMBER, number=number)
        assert (cancelled.state, cancelled.effective_at, cancelled.snapshot) == ("SAVED", None, None)
        with pytest.raises(ProblemError) as caught:
            await service.hold(tx, caller=ALICE, target=NUMBER, number=number)
        assert (caught.value.status, caught.value.detail) == (409, "a SAVED version cannot hold")
        with pytest.raises(ProblemError) as caught:
            await service.save_version(tx, caller=ALICE, target=NUMBER, number=1, document=east_only())
        assert caught.value.status == 409
    assert [(a, b) for a, b, _ in await events(demo, number)] == [
        (None, "SAVED"), ("SAVED", "PENDING"), ("PENDING", "HOLD"), ("HOLD", "PENDING"), ("PENDING", "SAVED"),
    ]  # fmt: skip


async def test_release_after_the_time_passed_activates(demo: Env) -> None:
    number = await draft(demo)
    async with demo.tx() as tx:
        await service.activate(
            tx, caller=ALICE, target=NUMBER, number=number, effective_at=START + timedelta(hours=1)
        )
        await service.hold(tx, caller=ALICE, target=NUMBER, number=number)
    demo.clock.advance(hours=2)
    async with demo.tx() as tx:
        view = await service.release(tx, caller=ALICE, target=NUMBER, number=number)
    assert view.state == "ACTIVE"
    assert await states(demo) == [(1, "OLD"), (2, "ACTIVE")]


async def test_rollback_creates_a_new_active_version(demo: Env) -> None:
    number = await draft(demo)
    async with demo.tx() as tx:
        await service.activate(tx, caller=ALICE, target=NUMBER, number=number, effective_at=None)
        with pytest.raises(ProblemError) as caught:
            await service.rollback(tx, caller=ALICE, target=NUMBER, number=number)
        assert caught.value.status == 409
    async with demo.tx() as tx:
        view = await service.rollback(tx, caller=ALICE, target=NUMBER, number=1)
    assert (view.number, view.state, view.rolled_back_from, view.note) == (
        3,
        "ACTIVE",
        1,
        "Rollback to version 1",
    )
    assert view.document == split_70_30()
    assert await states(demo) == [(1, "OLD"), (2, "OLD"), (3, "ACTIVE")]
    assert [(a, b) for a, b, _ in await events(demo, 3)] == [
        (None, "SAVED"), ("SAVED", "PENDING"), ("PENDING", "ACTIVE"),
    ]  # fmt: skip


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def store(request: pytest.FixtureRequest) -> Env:
    env: Env = request.getfixturevalue("demo" if request.param == "sqlite" else "pg_demo")
    return env


async def test_two_activations_racing(store: Env) -> None:
    """Two transactions on two connections activate two drafts of the same number at once.
    SQLite: the writers queue on BEGIN IMMEDIATE; PostgreSQL: on the number's row lock. One
    wins, the other is superseded, both are audited."""
    demo = store
    first, second = await draft(demo), await draft(demo)
    bob_like = caller("alice@globex", session="sess-other")

    async def go(number: int, who: Any) -> str:
        async with demo.tx() as tx:
            view = await service.activate(tx, caller=who, target=NUMBER, number=number, effective_at=None)
            await asyncio.sleep(0)  # let the other task reach its BEGIN while this one holds the lock
            return view.state

    results = await asyncio.gather(go(first, ALICE), go(second, bob_like))
    assert list(results) == ["ACTIVE", "ACTIVE"]  # each was ACTIVE when its transaction committed
    final = dict(await states(demo))
    assert final[1] == "OLD"
    assert sorted([final[first], final[second]]) == ["ACTIVE", "OLD"]
    async with demo.tx(write=False) as tx:
        rows = (
            await tx.session.execute(
                select(AuditRow.action, AuditRow.version, AuditRow.session)
                .where(AuditRow.target == NUMBER, AuditRow.version.in_([first, second]))
                .order_by(AuditRow.version)
            )
        ).all()
    activations = [tuple(r) for r in rows if r.action == "version.activate"]
    assert activations == [
        ("version.activate", first, "sess-alice"),
        ("version.activate", second, "sess-other"),
    ]
    # whichever committed second superseded the first: exactly one supersede row between them
    assert [r.action for r in rows].count("version.supersede") == 1


async def test_the_database_refuses_a_second_active_version(store: Env) -> None:
    demo = store
    async with demo.tx() as tx:
        v1 = (
            await tx.session.execute(select(Version).where(Version.target == NUMBER, Version.number == 1))
        ).scalar_one()
        copy = {c.name: getattr(v1, c.name) for c in Version.__table__.columns}
        tx.session.add(Version(**(copy | {"id": "x" * 32, "number": 9, "state": "OLD"})))
        await tx.session.flush()  # many OLD versions are fine

    async def second_active() -> None:
        async with demo.tx() as tx:
            tx.session.add(Version(**(copy | {"id": "y" * 32, "number": 10, "state": "ACTIVE"})))
            await tx.session.flush()

    with pytest.raises(IntegrityError):
        await second_active()
    assert await states(demo) == [(1, "ACTIVE"), (9, "OLD")]

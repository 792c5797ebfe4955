"""The lifecycle table through the real app: every move from every status, by the customer and
by staff — allowed (200), the other side's (403) or not in the table (409) — and what moving
writes: history, version, resolution and closing dates, the reopen window."""

from __future__ import annotations

from datetime import timedelta

import pytest
from tickets_support import T0, Rig, rig

__all__ = ["rig"]

STATUSES = ("acknowledged", "inProgress", "pending", "held", "resolved", "closed", "rejected", "cancelled")
# the table as the issue states it, written out independently of lifecycle.TRANSITIONS
ALLOWED = {
    ("acknowledged", "inProgress"): "staff",
    ("acknowledged", "rejected"): "staff",
    ("acknowledged", "cancelled"): "customer",
    ("inProgress", "pending"): "staff",
    ("inProgress", "held"): "staff",
    ("inProgress", "resolved"): "staff",
    ("inProgress", "cancelled"): "customer",
    ("pending", "inProgress"): "staff",
    ("pending", "cancelled"): "customer",
    ("held", "inProgress"): "staff",
    ("held", "cancelled"): "customer",
    ("resolved", "inProgress"): "customer",
    ("resolved", "closed"): "customer",
}
# how a new ticket gets to each status: (who, status) steps
PATHS: dict[str, list[tuple[str, str]]] = {
    "acknowledged": [],
    "inProgress": [("admin", "inProgress")],
    "pending": [("admin", "inProgress"), ("admin", "pending")],
    "held": [("admin", "inProgress"), ("admin", "held")],
    "resolved": [("admin", "inProgress"), ("admin", "resolved")],
    "closed": [("admin", "inProgress"), ("admin", "resolved"), ("alice", "closed")],
    "rejected": [("admin", "rejected")],
    "cancelled": [("alice", "cancelled")],
}
ACTOR = {"customer": "alice", "staff": "admin"}


async def ticket_in(rig: Rig, status: str) -> str:
    ticket_id = str((await rig.open())["id"])
    for who, step in PATHS[status]:
        await rig.move(who, ticket_id, step)
    return ticket_id


@pytest.mark.parametrize("role", ["customer", "staff"])
@pytest.mark.parametrize("start", STATUSES)
async def test_every_move_from_every_status(rig: Rig, start: str, role: str) -> None:
    got: dict[str, tuple[int, str]] = {}
    for to in STATUSES:
        ticket_id = await ticket_in(rig, start)
        r = await rig.patch(ACTOR[role], ticket_id, {"status": to})
        got[to] = (r.status_code, r.json()["status"] if r.status_code == 200 else r.json()["detail"])
    expected: dict[str, tuple[int, str]] = {}
    for to in STATUSES:
        who = ALLOWED.get((start, to))
        if who == role:
            expected[to] = (200, to)
        elif who is not None:
            side = "the customer" if who == "customer" else "staff"
            expected[to] = (403, f"only {side} may move a ticket from {start} to {to}")
        else:
            expected[to] = (409, f"a ticket cannot go from {start} to {to}")
    assert got == expected


async def test_a_viewer_moves_nothing_and_an_unknown_status_is_invalid(rig: Rig) -> None:
    ticket_id = await ticket_in(rig, "acknowledged")
    r = await rig.patch("vic", ticket_id, {"status": "cancelled"})
    assert (r.status_code, r.json()["detail"]) == (403, "you may view tickets but not change them")
    r = await rig.patch("sam", ticket_id, {"status": "inProgress"})
    assert (r.status_code, r.json()["detail"]) == (403, "you may view tickets but not change them")
    r = await rig.patch("admin", ticket_id, {"status": "done"})
    assert (r.status_code, r.json()["errors"]) == (
        422,
        [
            {
                "field": "status",
                "message": "must be one of "
                + ", ".join(
                    (
                        "acknowledged",
                        "inProgress",
                        "pending",
                        "held",
                        "resolved",
                        "closed",
                        "rejected",
                        "cancelled",
                    )
                ),
            }
        ],
    )


async def test_moving_writes_history_version_and_dates(rig: Rig) -> None:
    ticket = await rig.open()
    tid = ticket["id"]
    rig.clock.now = T0 + timedelta(minutes=5)
    await rig.move("admin", tid, "inProgress")
    rig.clock.now = T0 + timedelta(hours=2)
    r = await rig.patch("admin", tid, {"status": "resolved", "statusChangeReason": "Trunk 2 fixed"})
    body = r.json()
    assert (body["status"], body["statusChangeReason"], body["resolutionDate"], "closedDate" in body) == (
        "resolved",
        "Trunk 2 fixed",
        "2026-12-14T11:00:00Z",
        False,
    )
    assert r.headers["ETag"] == '"3"'
    rig.clock.now = T0 + timedelta(hours=3)
    await rig.move("alice", tid, "closed")
    body = (await rig.get("alice", tid)).json()
    assert (body["resolutionDate"], body["closedDate"]) == ("2026-12-14T11:00:00Z", "2026-12-14T12:00:00Z")
    assert body["statusChange"] == [
        {"status": "acknowledged", "changeDate": "2026-12-14T09:00:00Z"},
        {"status": "inProgress", "changeDate": "2026-12-14T09:05:00Z"},
        {"status": "resolved", "changeDate": "2026-12-14T11:00:00Z", "changeReason": "Trunk 2 fixed"},
        {"status": "closed", "changeDate": "2026-12-14T12:00:00Z"},
    ]
    from resources.tickets import repository as repo
    from resources.tickets.context import transaction

    async with transaction(rig.ctx, write=False) as tx:
        rows = await repo.history(tx.session, tid)
        stored = await repo.get(tx.session, tid)
    assert [(h.actor, h.kind, h.before, h.after) for h in rows[1:]] == [
        (
            "admin",
            "status",
            {"status": "acknowledged", "statusChangeReason": None},
            {"status": "inProgress", "statusChangeReason": None},
        ),
        (
            "admin",
            "status",
            {"status": "inProgress", "statusChangeReason": None},
            {"status": "resolved", "statusChangeReason": "Trunk 2 fixed"},
        ),
        (
            "alice@globex",
            "status",
            {"status": "resolved", "statusChangeReason": "Trunk 2 fixed"},
            {"status": "closed", "statusChangeReason": None},
        ),
    ]
    assert stored is not None
    assert stored.version == 4
    assert [p["status"] for p in rig.bus.topic("tickets.changed")] == [
        "acknowledged",
        "inProgress",
        "resolved",
        "closed",
    ]


@pytest.mark.parametrize(("after", "status"), [(timedelta(days=7), 200), (timedelta(days=7, seconds=1), 409)])
async def test_the_customer_reopens_within_seven_days(rig: Rig, after: timedelta, status: int) -> None:
    tid = await ticket_in(rig, "resolved")
    rig.clock.now = T0 + after
    r = await rig.patch("alice", tid, {"status": "inProgress", "statusChangeReason": "Still failing"})
    assert r.status_code == status
    if status == 200:
        assert (r.json()["status"], "resolutionDate" in r.json()) == ("inProgress", False)
    else:
        assert r.json()["detail"] == "a ticket can be reopened only within 7 days of its resolution"

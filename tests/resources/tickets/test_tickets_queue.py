"""The staff queue: open tickets soonest due first, the filters and text search, and the bulk
update — all or nothing."""

from __future__ import annotations

from datetime import timedelta

from tickets_support import T0, Rig, as_, rig

__all__ = ["rig"]


async def seed(rig: Rig) -> None:
    await rig.open("alice", name="Slow PBX", severity="low", description="Calls ring forever")  # due +72h
    await rig.open("alice", name="No audio", severity="critical", description="One-way audio on trunk")  # +4h
    await rig.open(
        "carol",
        name="Billing question",
        severity="minor",
        ticketType="inquiry",
        description="Why two invoices?",
    )
    rig.clock.now = T0 + timedelta(minutes=1)
    await rig.open("alice", name="Old one", severity="major", description="x")  # T-000004
    await rig.move("admin", "T-000004", "inProgress", "resolved")


async def queue(rig: Rig, query: str = "", who: str = "admin") -> tuple[list[str], str]:
    r = await rig.client.get(f"/api/queue{query}", headers=as_(who))
    assert r.status_code == 200, r.text
    return [t["id"] for t in r.json()], r.headers["X-Total-Count"]


async def test_the_queue_filters_and_searches(rig: Rig) -> None:
    await seed(rig)
    assert await queue(rig) == (["T-000002", "T-000003", "T-000001"], "3")
    assert await queue(rig, "?status=resolved") == (["T-000004"], "1")
    assert await queue(rig, "?customer=initech") == (["T-000003"], "1")
    assert await queue(rig, "?q=AUDIO") == (["T-000002"], "1")
    assert await queue(rig, "?q=invoices") == (["T-000003"], "1")  # the description
    assert await queue(rig, "?q=100%25") == ([], "0")  # % is a character, not a wildcard
    await rig.patch("admin", "T-000001", {"assignedTo": "rita@acme"})
    assert await queue(rig, "?assignedTo=rita@acme") == (["T-000001"], "1")
    assert await queue(rig, "?assignedTo=none") == (["T-000002", "T-000003"], "2")
    assert await queue(rig, who="rita") == (["T-000003"], "1")
    for who in ("alice", "sam"):
        r = await rig.client.get("/api/queue", headers=as_(who))
        assert (r.status_code, r.json()["detail"]) == (
            403,
            "only staff working tickets (tickets:work) may do this",
        )


async def test_bulk_assigns_and_moves_all_or_nothing(rig: Rig) -> None:
    await seed(rig)
    rig.bus.published.clear()
    r = await rig.client.post(
        "/api/queue/bulk",
        json={"ids": ["T-000001", "T-000002"], "assignedTo": "admin", "status": "inProgress"},
        headers=as_("admin"),
    )
    assert r.status_code == 200
    assert [(t["id"], t["status"], t["assignedTo"]) for t in r.json()["items"]] == [
        ("T-000001", "inProgress", "admin"),
        ("T-000002", "inProgress", "admin"),
    ]
    assert [(p["id"], p["status"]) for p in rig.bus.topic("tickets.changed")] == [
        ("T-000001", "inProgress"),
        ("T-000002", "inProgress"),
    ]
    rig.bus.published.clear()
    # T-000004 is resolved: it cannot go on hold, so nobody is assigned or moved
    r = await rig.client.post(
        "/api/queue/bulk",
        json={"ids": ["T-000001", "T-000004"], "assignedTo": "rita@acme", "status": "held"},
        headers=as_("admin"),
    )
    assert (r.status_code, r.json()["detail"], r.json()["ticket"]) == (
        409,
        "T-000004: a ticket cannot go from resolved to held; nothing was changed",
        "T-000004",
    )
    one = (await rig.get("admin", "T-000001")).json()
    assert (one["status"], one["assignedTo"]) == ("inProgress", "admin")
    assert rig.bus.published == []
    r = await rig.client.post(
        "/api/queue/bulk",
        json={"ids": ["T-000003", "T-000001"], "assignedTo": "rita@acme"},
        headers=as_("rita"),
    )
    assert (r.status_code, r.json()["detail"]) == (
        404,
        "T-000001: no such ticket: T-000001; nothing was changed",
    )
    assert "assignedTo" not in (await rig.get("admin", "T-000003")).json()  # still nobody's
    r = await rig.client.post("/api/queue/bulk", json={"ids": ["T-000003", "T-000003"]}, headers=as_("admin"))
    assert r.json()["errors"] == [{"field": "ids", "message": "must list 1 to 100 different ticket ids"}]
    r = await rig.client.post("/api/queue/bulk", json={"ids": ["T-000003"]}, headers=as_("admin"))
    assert r.json()["errors"] == [{"field": "body", "message": "give assignedTo, status or both"}]
    r = await rig.client.post(
        "/api/queue/bulk", json={"ids": ["T-000003"], "status": "held"}, headers=as_("alice")
    )
    assert r.status_code == 403

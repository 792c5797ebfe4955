"""Who sees which tickets: a customer its own company's only, reseller staff their customers',
provider staff all; internal notes never reach customers (API and page)."""

from __future__ import annotations

from tickets_support import TMF, Rig, as_, rig

__all__ = ["rig"]


async def seed(rig: Rig) -> None:
    await rig.open("alice", name="Globex problem")  # T-000001
    await rig.open("carol", name="Initech problem")  # T-000002
    await rig.open("hank", name="Hooli problem")  # T-000003


async def listed(rig: Rig, who: str, query: str = "") -> list[str]:
    r = await rig.client.get(f"{TMF}{query}", headers=as_(who))
    assert r.status_code == 200, r.text
    return [t["id"] for t in r.json()]


async def test_each_sees_only_what_it_reaches(rig: Rig) -> None:
    await seed(rig)
    assert await listed(rig, "alice") == ["T-000001"]
    assert await listed(rig, "vic") == ["T-000001"]
    assert await listed(rig, "carol") == ["T-000002"]
    assert await listed(rig, "rita") == ["T-000002"]
    assert await listed(rig, "zed") == ["T-000003"]
    assert await listed(rig, "admin") == ["T-000003", "T-000002", "T-000001"]
    assert await listed(rig, "alice", "?customer=initech") == []
    assert await listed(rig, "rita", "?customer=globex") == []
    for who, hidden in (
        ("alice", "T-000002"),
        ("carol", "T-000001"),
        ("rita", "T-000001"),
        ("zed", "T-000002"),
    ):
        assert (await rig.get(who, hidden)).json() == {
            "type": "about:blank",
            "title": "Not found",
            "status": 404,
            "detail": f"no such ticket: {hidden}",
        }
        r = await rig.patch(who, hidden, {"note": {"text": "hello"}})
        assert r.status_code == 404
    assert (await rig.get("rita", "T-000002")).status_code == 200


async def test_the_stored_reseller_chain_and_a_reseller_before_the_tree_is_known(rig: Rig) -> None:
    await seed(rig)
    from resources.tickets import repository as repo
    from resources.tickets.context import transaction

    async with transaction(rig.ctx, write=False) as tx:
        rows = [await repo.get(tx.session, f"T-00000{i}") for i in (1, 2, 3)]
    assert [(r.customer_id, r.resellers) for r in rows if r] == [
        ("globex", []),
        ("initech", ["acme"]),
        ("hooli", ["zenith"]),
    ]
    rig.ctx.tenancy.current = type(rig.ctx.tenancy.current)(())  # no picture yet
    assert await listed(rig, "rita") == []
    assert (await rig.get("rita", "T-000002")).status_code == 404


async def test_internal_notes_are_for_staff_only(rig: Rig) -> None:
    await seed(rig)
    r = await rig.patch(
        "rita",
        "T-000002",
        {"note": [{"text": "Customer says hi"}, {"text": "Blame the carrier", "internal": True}]},
    )
    assert r.status_code == 200
    staff = [n["text"] for n in (await rig.get("admin", "T-000002")).json()["note"]]
    customer = [n["text"] for n in (await rig.get("carol", "T-000002")).json()["note"]]
    assert (staff, customer) == (["Customer says hi", "Blame the carrier"], ["Customer says hi"])
    r = await rig.patch("carol", "T-000002", {"note": {"text": "Any news?"}})
    assert [n["text"] for n in r.json()["note"]] == ["Customer says hi", "Any news?"]
    page = (await rig.client.get("/ticket/T-000002", headers=as_("carol"))).text
    assert ("Customer says hi" in page, "Blame the carrier" in page, "(internal)" in page) == (
        True,
        False,
        False,
    )
    page = (await rig.client.get("/ticket/T-000002", headers=as_("rita"))).text
    assert "Blame the carrier" in page

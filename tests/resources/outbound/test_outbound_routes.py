"""The outbound JSON API through the real app and kit middleware: objects with their
references, authorization codes (hashed, never shown), the audit, and who may do what."""

from __future__ import annotations

import pytest
from outbound_support import BOB, LOBBY, Rig, rig

__all__ = ["rig"]


async def test_the_configuration_as_set_up(rig: Rig) -> None:
    await rig.setup()
    r = await rig.client.put(
        f"/api/lines/{BOB}/authorization-code", json={"code": "4829"}, headers=rig.as_("alice")
    )
    assert r.status_code == 204
    config = (await rig.client.get("/api/config", headers=rig.as_("alice"))).json()
    assert [p["name"] for p in config["policies"]] == ["default", "international", "lobby"]
    assert config["policies"][1] == {
        "name": "international",
        "classes": ["emergency", "toll-free", "local", "long-distance", "international"],  # emergency: always
        "countries": {"allow": [], "deny": ["CU"]},
        "hours": None,
        "caps": {
            "minutes_per_day": None,
            "minutes_per_month": None,
            "spend_per_day": None,
            "spend_per_month": None,
        },
        "account_code": "forced",
    }
    assert config["lines"] == [
        {
            "number": BOB,
            "label": "Bob",
            "user_id": None,
            "group": None,
            "policy": None,
            "elevated": "international",
            "effective_policy": "default",
            "authorization_code": {"set": True, "failures": 0, "locked_until": None},
        },
        {
            "number": LOBBY,
            "label": "Lobby",
            "user_id": None,
            "group": "lobby",
            "policy": None,
            "elevated": None,
            "effective_policy": "lobby",
            "authorization_code": {"set": False, "failures": 0, "locked_until": None},
        },
    ]
    assert "4829" not in r.text + str(config)
    audit = (await rig.client.get("/api/audit", headers=rig.as_("alice"))).json()["items"]
    assert [(a["action"], a["kind"], a["name"], a["actor"]) for a in audit[:2]] == [
        ("code.set", "line", BOB, "alice@globex"),
        ("create", "account-code", "1001", "alice@globex"),
    ]
    assert (audit[0]["before"], audit[0]["after"]) == (None, {"code": "set"})
    assert rig.bus.published[-1] == ("outbound.changed", {"customer_id": "globex"})


async def test_references_and_in_use_are_checked(rig: Rig) -> None:
    await rig.setup()
    r = await rig.client.put(
        "/api/lines/+13125550111", json={"number": "+13125550111", "group": "nope"}, headers=rig.as_("alice")
    )
    assert (r.status_code, r.json()["errors"]) == (
        422,
        [{"field": "group", "message": "there is no group 'nope'; create it first"}],
    )
    r = await rig.client.delete("/api/policies/lobby", headers=rig.as_("alice"))
    assert (r.status_code, r.json()["detail"]) == (
        409,
        "policy lobby is used by group lobby; change that first",
    )
    r = await rig.client.delete("/api/groups/lobby", headers=rig.as_("alice"))
    assert (r.status_code, r.json()["detail"]) == (
        409,
        f"group lobby is used by line {LOBBY}; change that first",
    )
    r = await rig.client.put(f"/api/lines/{BOB}", json={"number": "+13125550100"}, headers=rig.as_("alice"))
    assert (r.status_code, r.json()["errors"][0]["field"]) == (422, "name")
    r = await rig.client.put(
        "/api/policies/default",
        json={"name": "default", "classes": ["local", "long-distance", "toll-free"]},
        headers=rig.as_("alice"),
    )
    assert (r.status_code, r.json()["errors"]) == (
        422,
        [{"field": "policy", "message": "policy default is already configured like that"}],
    )
    r = await rig.client.delete(f"/api/lines/{LOBBY}", headers=rig.as_("alice"))
    assert r.status_code == 204
    r = await rig.client.delete("/api/groups/lobby", headers=rig.as_("alice"))
    assert r.status_code == 204


@pytest.mark.parametrize(
    ("path", "body", "field", "message"),
    [
        ("/api/policies/x", {"name": "x", "classes": ["moon"]}, "classes[0]", None),
        (
            "/api/lines/12",
            {"number": "12"},
            "number",
            "must be the line's number in E.164 form, like +13125550142",
        ),
        ("/api/account-codes/12", {"code": "12"}, "code", None),
        ("/api/groups/Sales", {"name": "Sales", "policy": "default"}, "name", None),
    ],
)
async def test_bad_documents_name_the_field(
    rig: Rig, path: str, body: dict[str, object], field: str, message: str | None
) -> None:
    await rig.setup()
    r = await rig.client.put(path, json=body, headers=rig.as_("alice"))
    assert (r.status_code, r.json()["errors"][0]["field"]) == (422, field)
    if message is not None:
        assert r.json()["errors"][0]["message"] == message


async def test_authorization_codes_refuse_guessable_ones_and_clear(rig: Rig) -> None:
    await rig.setup()
    for code, message in (
        ("1234", "is too easy to guess (one digit repeated or a straight run); choose another"),
        ("12a4", None),
    ):
        r = await rig.client.put(
            f"/api/lines/{BOB}/authorization-code", json={"code": code}, headers=rig.as_("alice")
        )
        assert (r.status_code, r.json()["errors"][0]["field"]) == (422, "code")
        if message:
            assert r.json()["errors"][0]["message"] == message
    r = await rig.client.delete(f"/api/lines/{BOB}/authorization-code", headers=rig.as_("alice"))
    assert (r.status_code, r.json()["detail"]) == (404, f"line {BOB} has no authorization code")
    r = await rig.client.put(
        "/api/lines/+13125550111/authorization-code", json={"code": "4829"}, headers=rig.as_("alice")
    )
    assert r.status_code == 404


async def test_who_may_do_what(rig: Rig) -> None:
    await rig.setup()
    assert (await rig.client.get("/api/config", headers=rig.as_("wendy"))).json()["lines"] == []
    r = await rig.client.get("/api/config?customer=globex", headers=rig.as_("wendy"))
    assert r.status_code == 404
    r = await rig.client.put(f"/api/lines/{BOB}", json={"number": BOB}, headers=rig.as_("viewer"))
    assert (r.status_code, r.json()["detail"]) == (403, "you may view outbound calling but not change it")
    r = await rig.client.put(
        f"/api/lines/{BOB}", json={"number": BOB, "label": "Bob"}, headers=rig.as_("wendy")
    )
    assert (r.status_code, r.json()["detail"]) == (409, f"{BOB} cannot be used: it is not a free number")
    r = await rig.client.get("/api/config", headers=rig.as_("pat"))
    assert (r.status_code, r.json()["errors"][0]["field"]) == (422, "customer")
    r = await rig.client.get("/api/config?customer=globex", headers=rig.as_("pat"))
    assert [line["number"] for line in r.json()["lines"]] == [BOB, LOBBY]
    r = await rig.client.post(
        "/network/decide", json={"caller": BOB, "dialled": "911"}, headers=rig.as_("alice")
    )
    assert r.status_code == 403


async def test_reseller_staff_reach_their_customers_once_the_tree_arrived(rig: Rig) -> None:
    import logging

    await rig.setup()
    r = await rig.client.get("/api/config?customer=globex", headers=rig.as_("zed"))
    assert (r.status_code, r.json()["detail"]) == (404, "no such customer")
    tree = {
        "orgs": [
            {"id": "zenith", "kind": "reseller", "parent_id": None, "chain": ["zenith"], "suspended": False},
            {
                "id": "globex",
                "kind": "customer",
                "parent_id": "zenith",
                "chain": ["zenith"],
                "suspended": False,
            },
            {"id": "initech", "kind": "customer", "parent_id": None, "chain": [], "suspended": False},
        ]
    }
    assert rig.ctx.tenancy.apply(tree, log=logging.getLogger("test")) is True
    r = await rig.client.get("/api/config?customer=globex", headers=rig.as_("zed"))
    assert [line["number"] for line in r.json()["lines"]] == [BOB, LOBBY]
    r = await rig.client.get("/api/config?customer=initech", headers=rig.as_("zed"))
    assert r.status_code == 404

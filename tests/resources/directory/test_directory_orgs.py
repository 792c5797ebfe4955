"""Delegated administration of orgs through the real app + kit middleware (fake assertion verifier,
the boundary, as in test_directory_routes): tenancy isolation, creation rules, suspension and its
enforcement in authn, the org's administrator, audit rows and bus events."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from directory_fixtures import START, Env

from resources.directory import account, authn
from resources.directory.app import create_app
from resources.directory.demo import DEMO_PASSWORD
from resources.directory.repository import get_org, list_audit, role_ids_of


@pytest.fixture
async def client(env: Env) -> AsyncIterator[httpx.AsyncClient]:
    verifier = await env.verifier()
    app = create_app(env.ctx.settings, verifier=verifier, context=env.ctx)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://directory") as c:
        yield c


def as_(user: str, **extra: str) -> dict[str, str]:
    return {"X-Switchboard-Assertion": user, **extra}


async def _ids(client: httpx.AsyncClient, user: str) -> list[str]:
    r = await client.get("/api/orgs", headers=as_(user))
    assert r.status_code == 200, r.text
    return [o["id"] for o in r.json()["items"]]


async def test_each_admin_lists_its_own_org_and_below(client: httpx.AsyncClient) -> None:
    assert await _ids(client, "admin") == [
        "acme", "acme-west", "globex", "hooli", "initech", "switchboard", "vandelay", "zenith",
    ]  # fmt: skip
    assert await _ids(client, "rita@acme") == ["acme", "acme-west", "initech", "vandelay"]
    assert await _ids(client, "zed@zenith") == ["hooli", "zenith"]
    r = await client.get("/api/orgs", headers=as_("alice@globex"))  # customers never hold manage-orgs
    assert (r.status_code, r.json()["detail"]) == (403, "you lack directory:manage-orgs")


async def test_org_json(client: httpx.AsyncClient, env: Env) -> None:
    r = await client.get("/api/orgs/initech", headers=as_("rita@acme"))
    assert r.status_code == 200
    out = r.json()
    async with env.tx(write=False) as tx:
        seeded = await get_org(tx.session, "initech")
    assert seeded is not None
    assert out.pop("created_at") == seeded.created_at.isoformat()  # the demo seed's wall clock
    assert out == {
        "id": "initech",
        "name": "Initech",
        "kind": "customer",
        "parent_id": "acme",
        "contact_name": "Carol Admin",
        "contact_email": "carol@initech.example",
        "contact_phone": "+441632960300",
        "suspended": False,
        "suspended_at": None,
        "suspended_by": None,
        "users": 1,
    }


@pytest.mark.parametrize(
    ("user", "org_id"),
    [
        ("rita@acme", "hooli"),  # another reseller's customer
        ("rita@acme", "zenith"),  # another reseller
        ("rita@acme", "globex"),  # the provider's direct customer
        ("rita@acme", "switchboard"),  # the provider itself
        ("zed@zenith", "initech"),
        ("zed@zenith", "vandelay"),  # below a sub-reseller of acme
        ("rita@acme", "umbrella"),  # unknown: the same answer
    ],
)
async def test_foreign_orgs_are_404(client: httpx.AsyncClient, env: Env, user: str, org_id: str) -> None:
    for method, path, body in (
        ("GET", f"/api/orgs/{org_id}", None),
        ("PATCH", f"/api/orgs/{org_id}", {"name": "Mine now"}),
        ("POST", f"/api/orgs/{org_id}/suspend", None),
        ("POST", f"/api/orgs/{org_id}/resume", None),
        ("POST", f"/api/orgs/{org_id}/admin", {"username": "mole@x"}),
    ):
        r = await client.request(method, path, json=body, headers=as_(user))
        assert (r.status_code, r.json()["detail"]) == (404, "no such organisation"), (method, path)
    assert env.bus.published == []
    async with env.tx(write=False) as tx:
        rows, _ = await list_audit(tx.session, org_ids=None, event=None, limit=10, offset=0)
    assert rows == []


async def test_own_org_is_visible_but_not_changeable(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/orgs/acme", headers=as_("rita@acme"))).status_code == 200
    r = await client.post("/api/orgs/acme/suspend", headers=as_("rita@acme"))
    assert (r.status_code, r.json()["detail"]) == (409, "you cannot suspend your own organisation")
    r = await client.post("/api/orgs/acme/admin", json={"username": "x@acme"}, headers=as_("rita@acme"))
    assert (r.status_code, r.json()["detail"]) == (
        409,
        "you cannot set the administrator of your own organisation",
    )


async def test_reseller_creates_below_itself(client: httpx.AsyncClient, env: Env) -> None:
    body = {"id": "stark", "name": "Stark Industries", "kind": "customer", "parent_id": "acme-west",
            "contact_email": "tony@stark.example"}  # fmt: skip
    r = await client.post("/api/orgs", json=body, headers=as_("rita@acme"))
    assert r.status_code == 201, r.text
    assert r.json() == {
        "id": "stark",
        "name": "Stark Industries",
        "kind": "customer",
        "parent_id": "acme-west",
        "contact_name": None,
        "contact_email": "tony@stark.example",
        "contact_phone": None,
        "created_at": START.isoformat(),
        "suspended": False,
        "suspended_at": None,
        "suspended_by": None,
        "users": 0,
    }
    # a sub-reseller directly below acme (parent defaults to the caller's org)
    r = await client.post(
        "/api/orgs",
        json={"id": "acme-east", "name": "Acme East", "kind": "reseller"},
        headers=as_("rita@acme"),
    )
    assert (r.status_code, r.json()["parent_id"]) == (201, "acme")
    assert await _ids(client, "rita@acme") == [
        "acme",
        "acme-east",
        "acme-west",
        "initech",
        "stark",
        "vandelay",
    ]
    assert [(e.topic, e.payload) for e in env.bus.published] == [
        ("directory.tenancy-wanted", {}),
        ("directory.tenancy-wanted", {}),
    ]
    async with env.tx(write=False) as tx:
        rows, total = await list_audit(tx.session, org_ids=None, event="org.create", limit=10, offset=0)
    assert total == 2
    row = rows[-1]
    assert (row.event, row.actor_username, row.org_id, row.subject) == (
        "org.create",
        "rita@acme",
        "stark",
        "stark",
    )
    assert row.detail == {
        "after": {
            "name": "Stark Industries",
            "kind": "customer",
            "parent_id": "acme-west",
            "contact_name": None,
            "contact_email": "tony@stark.example",
            "contact_phone": None,
            "suspended": False,
        },
        "request_id": "req-1",
    }


async def test_provider_creates_anywhere(client: httpx.AsyncClient) -> None:
    for body in (
        {"id": "wayne", "name": "Wayne Enterprises", "kind": "customer"},  # a direct customer
        {"id": "pied-piper", "name": "Pied Piper", "kind": "customer", "parent_id": "zenith"},
        {"id": "zenith-north", "name": "Zenith North", "kind": "reseller", "parent_id": "zenith"},
    ):
        r = await client.post("/api/orgs", json=body, headers=as_("admin"))
        assert r.status_code == 201, r.text
    assert await _ids(client, "zed@zenith") == ["hooli", "pied-piper", "zenith", "zenith-north"]


@pytest.mark.parametrize(
    ("user", "body", "errors"),
    [
        (
            "rita@acme",
            {"id": "Acme_West", "name": "X", "kind": "customer"},
            [{"field": "id", "message": "Use 2 to 40 characters: lowercase letters, digits and "
                "hyphens, starting with a letter and not ending with a hyphen (e.g. acme-west)."}],
        ),
        ("rita@acme", {"id": "new", "name": "X", "kind": "customer"},
         [{"field": "id", "message": "'new' is reserved; choose another id."}]),
        ("rita@acme", {"id": "stark", "name": "X", "kind": "provider"},
         [{"field": "kind", "message": "Choose reseller or customer."}]),
        ("rita@acme", {"id": "stark", "kind": "customer", "colour": "red"},
         [{"field": "colour", "message": "Unknown field."},
          {"field": "name", "message": "This field is required."}]),
        ("rita@acme", {"id": "stark", "name": "X", "kind": "customer", "parent_id": "globex"},
         [{"field": "parent_id", "message": "No such organisation."}]),
        ("rita@acme", {"id": "stark", "name": "X", "kind": "customer", "parent_id": "zenith"},
         [{"field": "parent_id", "message": "No such organisation."}]),
        ("rita@acme", {"id": "stark", "name": "X", "kind": "customer", "parent_id": "initech"},
         [{"field": "parent_id",
           "message": "initech is a customer: organisations cannot be created below it."}]),
        ("rita@acme", {"id": "initech", "name": "X", "kind": "customer"},
         [{"field": "id", "message": "An organisation with the id initech already exists."}]),
        ("admin", {"id": "stark", "name": "X", "kind": "customer", "contact_phone": "555"},
         [{"field": "contact_phone", "message": "Enter the number in E.164 form, e.g. +441632960001."}]),
    ],
)  # fmt: skip
async def test_create_refusals(
    client: httpx.AsyncClient, env: Env, user: str, body: dict[str, Any], errors: list[dict[str, str]]
) -> None:
    r = await client.post("/api/orgs", json=body, headers=as_(user))
    assert (r.status_code, r.json()["errors"]) == (422, errors)
    assert env.bus.published == []


async def test_cannot_create_below_a_suspended_org(client: httpx.AsyncClient) -> None:
    assert (await client.post("/api/orgs/acme-west/suspend", headers=as_("rita@acme"))).status_code == 200
    r = await client.post(
        "/api/orgs", json={"id": "stark", "name": "X", "kind": "customer", "parent_id": "acme-west"},
        headers=as_("rita@acme"),
    )  # fmt: skip
    assert r.json()["errors"] == [
        {"field": "parent_id", "message": "acme-west is suspended: resume it first."}
    ]


async def _login(env: Env, username: str) -> authn.AuthResult:
    async with env.tx() as tx:
        return await authn.authenticate(tx=tx, username=username, password=DEMO_PASSWORD, ip="192.0.2.1")


async def test_suspending_initech_blocks_carol(client: httpx.AsyncClient, env: Env) -> None:
    carol = env.ids["carol@initech"]
    env.clock.advance(minutes=5)
    r = await client.post("/api/orgs/initech/suspend", headers=as_("rita@acme"))
    assert r.status_code == 200
    assert {k: r.json()[k] for k in ("suspended", "suspended_at", "suspended_by")} == {
        "suspended": True,
        "suspended_at": env.clock.now.isoformat(),
        "suspended_by": "rita@acme",
    }
    assert [(e.topic, e.payload) for e in env.bus.published] == [
        ("directory.changed", {"user_ids": [carol]}),
        ("directory.tenancy-wanted", {}),
    ]
    result = await _login(env, "carol@initech")
    assert result.to_json() == {"ok": False, "reason": "suspended"}
    r = await client.get(f"/internal/principals/{carol}", headers=as_("gateway"))
    assert (r.status_code, r.json()["detail"]) == (404, "no such active user")
    r = await client.post(
        "/internal/authenticate",
        json={"username": "carol@initech", "password": DEMO_PASSWORD, "ip": "192.0.2.1"},
        headers=as_("gateway"),
    )
    assert r.json() == {"ok": False, "reason": "suspended"}
    # a wrong password still says only "invalid": the suspension is told after a correct one
    r = await client.post(
        "/internal/authenticate",
        json={"username": "carol@initech", "password": "nope"},
        headers=as_("gateway"),
    )
    assert r.json() == {"ok": False, "reason": "invalid"}
    async with env.tx(write=False) as tx:
        rows, _ = await list_audit(tx.session, org_ids=["initech"], event=None, limit=10, offset=0)
    assert [(r.event, r.detail.get("reason")) for r in rows] == [
        ("login.failure", None),
        ("login.failure", "suspended"),
        ("login.failure", "suspended"),
        ("org.suspend", None),
    ]
    assert rows[-1].detail == {
        "before": {"name": "Initech", "kind": "customer", "parent_id": "acme", "contact_name": "Carol Admin",
                   "contact_email": "carol@initech.example", "contact_phone": "+441632960300",
                   "suspended": False, "suspended_by": None},
        "after": {"name": "Initech", "kind": "customer", "parent_id": "acme", "contact_name": "Carol Admin",
                  "contact_email": "carol@initech.example", "contact_phone": "+441632960300",
                  "suspended": True, "suspended_by": "rita@acme"},
        "orgs": ["initech"],
        "users": 1,
        "request_id": "req-1",
    }  # fmt: skip
    # suspending again changes nothing and tells nobody
    assert (await client.post("/api/orgs/initech/suspend", headers=as_("rita@acme"))).status_code == 200
    assert len(env.bus.published) == 2
    # resume: carol is back
    env.bus.published.clear()
    r = await client.post("/api/orgs/initech/resume", headers=as_("rita@acme"))
    assert (r.status_code, r.json()["suspended"], r.json()["suspended_by"]) == (200, False, None)
    assert [(e.topic, e.payload) for e in env.bus.published] == [
        ("directory.changed", {"user_ids": [carol]}),
        ("directory.tenancy-wanted", {}),
    ]
    assert (await _login(env, "carol@initech")).to_json() == {
        "ok": True,
        "user_id": carol,
        "mfa_required": False,
    }
    r = await client.get(f"/internal/principals/{carol}", headers=as_("gateway"))
    assert r.status_code == 200


async def test_suspension_stops_api_tokens_too(client: httpx.AsyncClient, env: Env) -> None:
    carol = await env.caller("carol@initech")
    async with env.tx() as tx:
        _row, token = await account.create_token(tx=tx, caller=carol, name="ci")
    assert (
        await client.post("/internal/tokens/verify", json={"token": token}, headers=as_("gateway"))
    ).json()["ok"] is True
    assert (await client.post("/api/orgs/initech/suspend", headers=as_("rita@acme"))).status_code == 200
    r = await client.post("/internal/tokens/verify", json={"token": token}, headers=as_("gateway"))
    assert r.json() == {"ok": False}


async def test_suspending_a_reseller_blocks_everything_below(client: httpx.AsyncClient, env: Env) -> None:
    r = await client.post("/api/orgs/acme/suspend", headers=as_("admin"))
    assert r.status_code == 200
    rita, carol = env.ids["rita@acme"], env.ids["carol@initech"]
    assert env.bus.published[0].payload == {"user_ids": sorted([rita, carol])}
    assert (await _login(env, "rita@acme")).reason == "suspended"
    assert (await _login(env, "carol@initech")).reason == "suspended"
    assert (await _login(env, "alice@globex")).ok is True
    # initech is not suspended itself, but shows as suspended (an org above it is)
    r = await client.get("/api/orgs/initech", headers=as_("admin"))
    assert (r.json()["suspended"], r.json()["suspended_at"]) == (True, None)
    async with env.tx(write=False) as tx:
        assert await authn.resolve_principal(tx=tx, user_id=carol) is None
        assert await authn.resolve_principal(tx=tx, user_id=env.ids["alice@globex"]) is not None
        rows, _ = await list_audit(tx.session, org_ids=["acme"], event="org.suspend", limit=1, offset=0)
    assert (rows[0].detail["orgs"], rows[0].detail["users"]) == (
        ["acme", "acme-west", "initech", "vandelay"],
        2,
    )


async def test_set_admin_creates_then_promotes(client: httpx.AsyncClient, env: Env) -> None:
    r = await client.post(
        "/api/orgs",
        json={"id": "stark", "name": "Stark Industries", "kind": "customer"},
        headers=as_("rita@acme"),
    )
    assert r.status_code == 201
    env.bus.published.clear()
    r = await client.post(
        "/api/orgs/stark/admin",
        json={"username": "tony@stark", "display_name": "Tony"},
        headers=as_("rita@acme"),
    )
    assert r.status_code == 201, r.text
    assert r.headers["cache-control"] == "no-store"
    out = r.json()
    assert (out["username"], out["created"], len(out["temporary_password"])) == ("tony@stark", True, 16)
    assert [(e.topic, e.payload) for e in env.bus.published] == [
        ("directory.changed", {"user_ids": [out["user_id"]]})
    ]
    async with env.tx(write=False) as tx:
        assert await role_ids_of(tx.session, out["user_id"]) == ["customer-admin"]
    async with env.tx() as tx:
        result = await authn.authenticate(
            tx=tx, username="tony@stark", password=out["temporary_password"], ip=None
        )
    assert result.ok is True
    # an existing user of that org is promoted (no password, 200)
    r = await client.post(
        "/api/users", json={"username": "pepper@stark", "org_id": "stark"}, headers=as_("rita@acme")
    )
    assert r.status_code == 201, r.text
    pepper = r.json()["id"]
    r = await client.post(
        "/api/orgs/stark/admin", json={"username": "pepper@stark"}, headers=as_("rita@acme")
    )
    assert (r.status_code, r.json()) == (
        200,
        {"user_id": pepper, "username": "pepper@stark", "created": False},
    )
    async with env.tx(write=False) as tx:
        assert await role_ids_of(tx.session, pepper) == ["customer-admin"]
        rows, total = await list_audit(tx.session, org_ids=["stark"], event="org.admin", limit=10, offset=0)
    assert total == 2
    assert [(r.subject, r.detail["created"], r.detail["role"]) for r in rows] == [
        ("pepper@stark", False, "customer-admin"),
        ("tony@stark", True, "customer-admin"),
    ]
    # a second time: nothing changes, nothing audited
    r = await client.post(
        "/api/orgs/stark/admin", json={"username": "pepper@stark"}, headers=as_("rita@acme")
    )
    assert r.status_code == 200
    async with env.tx(write=False) as tx:
        assert (await list_audit(tx.session, org_ids=["stark"], event="org.admin", limit=10, offset=0))[
            1
        ] == 2


async def test_set_admin_refusals(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/api/orgs/initech/admin", json={"username": "bob@globex"}, headers=as_("rita@acme")
    )
    assert (r.status_code, r.json()["errors"]) == (
        422,
        [{"field": "username", "message": "This username is taken."}],
    )
    r = await client.post("/api/orgs/initech/admin", json={"username": "Bad Name"}, headers=as_("rita@acme"))
    assert r.json()["errors"] == [
        {"field": "username", "message": "Use 2 to 64 characters: lowercase letters, digits and . _ @ -"}
    ]
    r = await client.post("/api/orgs/initech/admin", json={"user": "x"}, headers=as_("rita@acme"))
    assert r.json()["errors"] == [{"field": "user", "message": "Unknown field."}]
    # a sub-reseller's administrator is a reseller-admin
    r = await client.post(
        "/api/orgs/acme-west/admin", json={"username": "wes@acme-west"}, headers=as_("rita@acme")
    )
    assert r.status_code == 201


async def test_patch_org(client: httpx.AsyncClient, env: Env) -> None:
    r = await client.patch(
        "/api/orgs/initech", json={"name": "Initech Inc.", "contact_phone": None}, headers=as_("rita@acme")
    )
    assert (r.status_code, r.json()["name"], r.json()["contact_phone"]) == (200, "Initech Inc.", None)
    r = await client.patch("/api/orgs/initech", json={"kind": "reseller"}, headers=as_("rita@acme"))
    assert r.json()["errors"] == [{"field": "kind", "message": "Unknown field."}]
    async with env.tx(write=False) as tx:
        rows, _ = await list_audit(tx.session, org_ids=["initech"], event="org.update", limit=1, offset=0)
    before, after = rows[0].detail["before"], rows[0].detail["after"]
    assert {k: (before[k], after[k]) for k in before if before[k] != after[k]} == {
        "name": ("Initech", "Initech Inc."),
        "contact_phone": ("+441632960300", None),
    }

"""Custom roles through the real app (fake assertion verifier, the boundary): the ⊆-what-you-hold
rule, built-in roles immutable, roles in use not deletable, per-org visibility, audit and events."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from assertion_fakes import NamedVerifier
from directory_fixtures import Env
from test_directory_orgs import as_

from resources.directory.app import create_app
from resources.directory.repository import effective_entitlements, list_audit
from resources.kit.caller import Entitlement

BOB_NUMBERS = ["+18005550100", "+18005550101"]


@pytest.fixture
async def client(env: Env) -> AsyncIterator[httpx.AsyncClient]:
    verifier = await env.verifier()
    app = create_app(env.ctx.settings, verifier=verifier, context=env.ctx)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://directory") as c:
        yield c


def role(slug: str, *ents: tuple[str, list[str] | None], name: str = "Billing clerk") -> dict[str, Any]:
    return {
        "id": slug,
        "name": name,
        "description": "Reads numbers",
        "entitlements": [{"action": a, "scope": s} for a, s in ents],
    }


async def test_customer_admin_creates_a_role_of_its_org(client: httpx.AsyncClient, env: Env) -> None:
    body = role("viewer", ("tollfree:view", None), ("traffic:view", ["site:east"]))
    r = await client.post("/api/roles", json=body, headers=as_("alice@globex"))
    assert r.status_code == 201, r.text
    assert r.json() == {
        "id": "globex.viewer",
        "name": "Billing clerk",
        "org_id": "globex",
        "description": "Reads numbers",
        "builtin": False,
        "entitlements": [
            {"action": "tollfree:view", "scope": None},
            {"action": "traffic:view", "scope": ["site:east"]},
        ],
        "holders": 0,
    }
    async with env.tx(write=False) as tx:
        rows, _ = await list_audit(tx.session, org_ids=["globex"], event="role.create", limit=1, offset=0)
    assert (rows[0].actor_username, rows[0].subject, rows[0].detail["after"]["entitlements"]) == (
        "alice@globex",
        "globex.viewer",
        [{"action": "tollfree:view", "scope": None}, {"action": "traffic:view", "scope": ["site:east"]}],
    )
    # visible (and assignable) in globex, not elsewhere
    listed = (await client.get("/api/roles", headers=as_("alice@globex"))).json()["items"]
    assert [r["id"] for r in listed] == [
        "customer-admin", "customer-user", "globex.viewer", "provider-admin", "reseller-admin",
    ]  # fmt: skip
    r = await client.get("/api/roles/globex.viewer", headers=as_("carol@initech"))
    assert (r.status_code, r.json()["detail"]) == (404, "no such role")
    r = await client.get("/api/roles/globex.viewer", headers=as_("rita@acme"))
    assert r.status_code == 404
    # and it can be given to a user of globex
    bob = env.ids["bob@globex"]
    r = await client.put(
        f"/api/users/{bob}/entitlements", json={"roles": ["customer-user", "globex.viewer"]},
        headers=as_("alice@globex"),
    )  # fmt: skip
    assert r.status_code == 200, r.text


async def test_a_role_cannot_hold_what_its_author_lacks(client: httpx.AsyncClient, env: Env) -> None:
    body = role("boss", ("directory:manage-orgs", None), ("tollfree:view", None))
    r = await client.post("/api/roles", json=body, headers=as_("alice@globex"))
    assert r.status_code == 422
    assert r.json()["errors"] == [
        {
            "field": "entitlements[0].action",
            "message": "You do not hold directory:manage-orgs, so your roles cannot include it.",
        }
    ]
    r = await client.post(
        "/api/roles", json=role("svc", ("directory:authenticate", None)), headers=as_("admin")
    )
    assert r.json()["errors"] == [
        {
            "field": "entitlements[0].action",
            "message": "directory:authenticate is for platform services only.",
        }
    ]
    async with env.tx(write=False) as tx:
        assert (await list_audit(tx.session, org_ids=None, event="role.create", limit=1, offset=0))[1] == 0


async def test_a_scoped_grant_can_only_be_narrowed(client: httpx.AsyncClient, env: Env) -> None:
    # bob holds traffic:view on two numbers; give him manage-roles to define roles of globex
    bob = env.ids["bob@globex"]
    r = await client.put(
        f"/api/users/{bob}/entitlements",
        json={"roles": ["customer-user"], "entitlements": [
            {"action": "directory:manage-roles", "scope": None},
            {"action": "directory:view-users", "scope": None},
            {"action": "traffic:view", "scope": BOB_NUMBERS},
        ]},
        headers=as_("alice@globex"),
    )  # fmt: skip
    assert r.status_code == 200, r.text
    fresh = NamedVerifier({"bob@globex": await env.caller("bob@globex")})  # his new assertion
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(create_app(env.ctx.settings, verifier=fresh, context=env.ctx)),
        base_url="http://directory",
    ) as c:
        r = await c.post("/api/roles", json=role("wide", ("traffic:view", None)), headers=as_("bob@globex"))
        assert r.json()["errors"] == [
            {
                "field": "entitlements[0].action",
                "message": "You hold traffic:view only on +18005550100, +18005550101: limit the role's "
                "scope to those.",
            }
        ]
        r = await c.post(
            "/api/roles", json=role("narrow", ("traffic:view", ["+18005550101"])), headers=as_("bob@globex")
        )
        assert (r.status_code, r.json()["entitlements"]) == (
            201,
            [{"action": "traffic:view", "scope": ["+18005550101"]}],
        )


async def test_builtin_roles_are_immutable(client: httpx.AsyncClient) -> None:
    update = {"name": "Everything", "entitlements": [{"action": "directory:self"}]}
    for method, body in (("PUT", update), ("DELETE", None)):
        r = await client.request(method, "/api/roles/customer-admin", json=body, headers=as_("admin"))
        assert (r.status_code, r.json()["detail"]) == (
            409,
            "customer-admin is a built-in role: it cannot be changed or deleted",
        )
    r = await client.get("/api/roles/customer-user", headers=as_("alice@globex"))
    assert r.json() == {
        "id": "customer-user",
        "name": "Customer user",
        "org_id": "switchboard",
        "description": "Own account only",
        "builtin": True,
        "entitlements": [{"action": "directory:self", "scope": None}],
        "holders": 1,
    }


async def test_update_and_delete(client: httpx.AsyncClient, env: Env) -> None:
    r = await client.post(
        "/api/roles", json=role("viewer", ("tollfree:view", None)), headers=as_("alice@globex")
    )
    assert r.status_code == 201
    bob = env.ids["bob@globex"]
    r = await client.put(
        f"/api/users/{bob}/entitlements", json={"roles": ["globex.viewer"]}, headers=as_("alice@globex")
    )
    assert r.status_code == 200
    env.bus.published.clear()
    update = {
        "name": "Viewer",
        "description": "",
        "entitlements": [{"action": "traffic:view", "scope": None}],
    }
    r = await client.put("/api/roles/globex.viewer", json=update, headers=as_("alice@globex"))
    assert (r.status_code, r.json()["name"], r.json()["holders"]) == (200, "Viewer", 1)
    assert [(e.topic, e.payload) for e in env.bus.published] == [("directory.changed", {"user_ids": [bob]})]
    async with env.tx(write=False) as tx:
        assert await effective_entitlements(tx.session, bob) == (Entitlement(action="traffic:view"),)
    r = await client.put(
        "/api/roles/globex.viewer", json=role("x", ("traffic:view", None)), headers=as_("alice@globex")
    )
    assert r.json()["errors"] == [{"field": "id", "message": "Unknown field."}]
    # another org's admin: not visible; a customer admin cannot change the provider's roles
    r = await client.delete("/api/roles/globex.viewer", headers=as_("carol@initech"))
    assert (r.status_code, r.json()["detail"]) == (404, "no such role")
    # in use → 409; once nobody holds it, deleted
    r = await client.delete("/api/roles/globex.viewer", headers=as_("alice@globex"))
    assert (r.status_code, r.json()["detail"]) == (
        409,
        "globex.viewer is held by 1 user: take it away from them first",
    )
    r = await client.put(f"/api/users/{bob}/entitlements", json={"roles": []}, headers=as_("alice@globex"))
    assert r.status_code == 200
    r = await client.delete("/api/roles/globex.viewer", headers=as_("alice@globex"))
    assert r.status_code == 204
    assert (await client.get("/api/roles/globex.viewer", headers=as_("alice@globex"))).status_code == 404
    async with env.tx(write=False) as tx:
        rows, _ = await list_audit(tx.session, org_ids=["globex"], event=None, limit=50, offset=0)
    assert [r.event for r in rows if r.event.startswith("role.")] == [
        "role.delete",
        "role.update",
        "role.create",
    ]


async def test_role_of_an_org_above_is_not_changeable(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/api/roles", json=role("support", ("tollfree:view", None)), headers=as_("rita@acme")
    )
    assert r.status_code == 201
    # carol (initech, below acme) sees acme's role and may assign it, but cannot change it
    r = await client.get("/api/roles/acme.support", headers=as_("carol@initech"))
    assert r.status_code == 200
    r = await client.delete("/api/roles/acme.support", headers=as_("carol@initech"))
    assert (r.status_code, r.json()["detail"]) == (
        403,
        "acme.support belongs to acme: you can change your own roles only",
    )


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"id": "Bad Id", "name": "x", "entitlements": [{"action": "tollfree:view"}]},
         [{"field": "id", "message": "Use 2 to 24 characters: lowercase letters, digits and hyphens, "
                "starting with a letter (e.g. billing-clerk)."}]),
        ({"id": "empty", "name": "x", "entitlements": []},
         [{"field": "entitlements", "message": "A role needs at least one entitlement."}]),
        ({"id": "dup", "name": "x", "entitlements": [{"action": "tollfree:view"}] * 2},
         [{"field": "entitlements[1].action", "message": "tollfree:view is listed twice."}]),
        ({"id": "nested", "name": "x", "roles": ["customer-admin"],
          "entitlements": [{"action": "tollfree:view"}]},
         [{"field": "roles", "message": "Unknown field."}]),
    ],
)  # fmt: skip
async def test_role_validation(client: httpx.AsyncClient, body: dict[str, Any], errors: list[Any]) -> None:
    r = await client.post("/api/roles", json=body, headers=as_("alice@globex"))
    assert (r.status_code, r.json()["errors"]) == (422, errors)


async def test_duplicate_role_id(client: httpx.AsyncClient) -> None:
    body = role("viewer", ("tollfree:view", None))
    assert (await client.post("/api/roles", json=body, headers=as_("alice@globex"))).status_code == 201
    r = await client.post("/api/roles", json=body, headers=as_("alice@globex"))
    assert r.json()["errors"] == [
        {"field": "id", "message": "Your organisation already has a role globex.viewer."}
    ]
    # the same slug in another org is another role
    assert (await client.post("/api/roles", json=body, headers=as_("carol@initech"))).status_code == 201

"""Enterprise sign-in in the directory through the real app (fake assertion verifier, the
boundary): `/api/sso` tenancy, validation and audit; `/internal/sso/*` sign-in rules; the password
login of a passwords-off org."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from cryptography.exceptions import InvalidTag
from directory_fixtures import Env
from sqlalchemy import select
from test_directory_orgs import as_

from resources.directory import authn
from resources.directory.app import create_app
from resources.directory.models import AuditRow, SsoConfig, User
from resources.directory.repository import list_audit, role_ids_of
from resources.directory.service import set_disabled, system_caller

ISSUER = "https://login.globex.example"
SECRET = "globex-client-secret-0123456789"


@pytest.fixture
async def client(env: Env) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(env.ctx.settings, verifier=await env.verifier(), context=env.ctx)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://directory") as c:
        yield c


def config(**extra: Any) -> dict[str, Any]:
    return {
        "issuer": ISSUER,
        "client_id": "globex-portal",
        "client_secret": SECRET,
        "domains": ["Globex.example", "@globex.co.uk"],
        "default_roles": ["customer-user"],
        "role_mapping": [{"claim": "groups", "value": "telecom-admins", "roles": ["customer-admin"]}],
        **extra,
    }


async def put(
    client: httpx.AsyncClient, user: str, body: dict[str, Any], org: str | None = None
) -> httpx.Response:
    params = {"org": org} if org else None
    return await client.put("/api/sso", json=body, headers=as_(user), params=params)


async def test_an_admin_registers_its_orgs_idp_with_the_secret_sealed(
    client: httpx.AsyncClient, env: Env
) -> None:
    r = await put(client, "alice@globex", config())
    assert r.status_code == 200, r.text
    body = r.json()
    del body["updated_at"]
    assert body == {
        "org_id": "globex",
        "issuer": ISSUER,
        "client_id": "globex-portal",
        "domains": ["globex.example", "globex.co.uk"],
        "default_roles": ["customer-user"],
        "role_mapping": [{"claim": "groups", "value": "telecom-admins", "roles": ["customer-admin"]}],
        "passwords_disabled": False,
        "enabled": True,
        "client_secret_set": True,
        "updated_by": "alice@globex",
    }
    async with env.tx(write=False) as tx:
        row = await tx.session.get(SsoConfig, "globex")
        assert row is not None
        assert SECRET not in row.client_secret
        assert env.ctx.box.open(row.client_secret, aad="sso:globex").decode() == SECRET
        audit, _ = await list_audit(tx.session, org_ids=["globex"], event="sso.create", limit=5, offset=0)
        everything = [str(a.detail) for a in (await tx.session.execute(select(AuditRow))).scalars()]
    assert [(a.actor_username, a.subject, a.detail["client_secret_changed"]) for a in audit] == [
        ("alice@globex", "globex", True)
    ]
    assert audit[0].detail["after"]["domains"] == ["globex.example", "globex.co.uk"]
    assert "before" not in audit[0].detail
    assert not any(SECRET in d for d in everything)
    # an update without a secret keeps it; the audit row has before and after
    r = await put(client, "alice@globex", config(client_secret=None, passwords_disabled=True))
    assert r.status_code == 200, r.text
    async with env.tx(write=False) as tx:
        row = await tx.session.get(SsoConfig, "globex")
        assert row is not None
        assert env.ctx.box.open(row.client_secret, aad="sso:globex").decode() == SECRET
        audit, _ = await list_audit(tx.session, org_ids=["globex"], event="sso.update", limit=5, offset=0)
    assert [
        (a.detail["before"]["passwords_disabled"], a.detail["after"]["passwords_disabled"]) for a in audit
    ] == [(False, True)]
    assert audit[0].detail["client_secret_changed"] is False
    # the sealed secret does not open for another org's row
    with pytest.raises(InvalidTag):
        env.ctx.box.open(row.client_secret, aad="sso:initech")


async def test_tenancy_an_admin_never_reaches_another_orgs_config(
    client: httpx.AsyncClient, env: Env
) -> None:
    assert (await put(client, "alice@globex", config())).status_code == 200
    # carol (initech) neither reads nor changes globex's
    for method in ("GET", "PUT", "DELETE"):
        r = await client.request(
            method, "/api/sso", params={"org": "globex"}, headers=as_("carol@initech"),
            json=config(domains=["initech.example"]) if method == "PUT" else None,
        )  # fmt: skip
        assert (r.status_code, r.json()["detail"]) == (404, "no such organisation"), method
    r = await client.get("/api/sso", headers=as_("carol@initech"))
    assert (r.status_code, r.json()["detail"]) == (404, "this organisation has no identity provider")
    # a reseller admin manages the orgs of its subtree only
    r = await put(client, "rita@acme", config(domains=["initech.example"]), org="initech")
    assert (r.status_code, r.json()["org_id"]) == (200, "initech")
    r = await client.get("/api/sso", params={"org": "globex"}, headers=as_("rita@acme"))
    assert r.status_code == 404
    # a plain user has no manage-sso at all
    r = await client.get("/api/sso", headers=as_("bob@globex"))
    assert (r.status_code, r.json()["detail"]) == (403, "you lack directory:manage-sso")
    async with env.tx(write=False) as tx:
        row = await tx.session.get(SsoConfig, "globex")
    assert row is not None
    assert row.domains == ["globex.example", "globex.co.uk"]


async def test_validation_problems(client: httpx.AsyncClient) -> None:
    r = await put(client, "alice@globex", config(issuer="http://login.globex.example", domains=[]))
    assert (r.status_code, r.json()["errors"]) == (422, [
        {"field": "issuer",
         "message": "The issuer must use https:// (plain http:// is allowed for http://127.0.0.1 only)."},
        {"field": "domains", "message": "List at least one e-mail domain whose users sign in here."},
    ])  # fmt: skip
    r = await put(
        client, "alice@globex", config(issuer="ftp://x", domains=["not a domain"], client_secret=None)
    )
    assert r.json()["errors"] == [
        {"field": "issuer", "message": "Enter the issuer URL, e.g. https://login.example.com."},
        {"field": "client_secret", "message": "This field is required."},
        {"field": "domains[0]", "message": "not a domain is not a domain name such as example.com."},
    ]
    r = await put(client, "alice@globex", config(
        default_roles=["no-such-role"],
        role_mapping=[{"claim": "groups", "value": "x", "roles": ["provider-admin"]}],
    ))  # fmt: skip
    assert r.status_code == 422
    assert r.json()["errors"][0] == {"field": "default_roles[0]", "message": "Unknown role: no-such-role."}
    assert r.json()["errors"][1]["field"] == "role_mapping[0].roles[0]"
    assert r.json()["errors"][1]["message"].startswith(
        "You cannot map to provider-admin: you lack directory:manage-brand"
    )
    # the loopback http issuer is accepted (tests), and a domain belongs to one org only
    assert (await put(client, "alice@globex", config(issuer="http://127.0.0.1:9000"))).status_code == 200
    r = await put(client, "carol@initech", config(domains=["initech.example", "globex.example"]))
    assert r.json()["errors"] == [
        {
            "field": "domains[1]",
            "message": "globex.example already signs in with another organisation's provider.",
        }
    ]


async def test_delete_is_audited(client: httpx.AsyncClient, env: Env) -> None:
    assert (await put(client, "alice@globex", config())).status_code == 200
    assert (await client.delete("/api/sso", headers=as_("alice@globex"))).status_code == 204
    assert (await client.get("/api/sso", headers=as_("alice@globex"))).status_code == 404
    async with env.tx(write=False) as tx:
        audit, _ = await list_audit(tx.session, org_ids=["globex"], event="sso.delete", limit=5, offset=0)
    assert [(a.actor_username, a.detail["before"]["client_id"]) for a in audit] == [
        ("alice@globex", "globex-portal")
    ]


# --- the gateway's sign-in -----------------------------------------------------------------


def claims(sub: str, email: str, **extra: Any) -> dict[str, Any]:
    return {"sub": sub, "email": email, "email_verified": True, "name": "Dana Driver", **extra}


async def signin(
    client: httpx.AsyncClient, org: str, c: dict[str, Any], issuer: str = ISSUER
) -> dict[str, Any]:
    body = {"org_id": org, "issuer": issuer, "claims": c, "ip": "192.0.2.1"}
    r = await client.post("/internal/sso/signin", json=body, headers=as_("gateway"))
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    return data


async def test_discovery_by_domain(client: httpx.AsyncClient) -> None:
    assert (await put(client, "alice@globex", config())).status_code == 200
    r = await client.post(
        "/internal/sso/discover", json={"email": "Dana@GLOBEX.example"}, headers=as_("gateway")
    )
    assert r.json() == {
        "org_id": "globex",
        "issuer": ISSUER,
        "client_id": "globex-portal",
        "client_secret": SECRET,
    }
    r = await client.post(
        "/internal/sso/discover", json={"email": "x@initech.example"}, headers=as_("gateway")
    )
    assert r.status_code == 404
    r = await client.post(
        "/internal/sso/discover", json={"email": "x@globex.example"}, headers=as_("alice@globex")
    )
    assert r.status_code == 403


async def test_first_signin_creates_inside_the_org_then_links(client: httpx.AsyncClient, env: Env) -> None:
    assert (await put(client, "alice@globex", config())).status_code == 200
    first = await signin(client, "globex", claims("idp-1", "Dana@Globex.example", groups=["telecom-admins"]))
    assert (first["ok"], first["created"]) == (True, True)
    async with env.tx(write=False) as tx:
        user = await tx.session.get(User, first["user_id"])
        assert user is not None
        assert (user.username, user.org_id, user.display_name) == (
            "dana@globex.example",
            "globex",
            "Dana Driver",
        )
        assert await role_ids_of(tx.session, user.id) == ["customer-admin", "customer-user"]
        created, _ = await list_audit(
            tx.session, org_ids=["globex"], event="sso.user-created", limit=5, offset=0
        )
    assert [a.subject for a in created] == ["dana@globex.example"]
    again = await signin(client, "globex", claims("idp-1", "dana@globex.example"))
    assert again == {"ok": True, "user_id": first["user_id"], "created": False}
    # an unlinked local user of the org with that e-mail is linked, not duplicated
    alice = await signin(client, "globex", claims("idp-2", "alice@globex.example"))
    assert alice == {"ok": True, "user_id": env.ids["alice@globex"], "created": False}


async def test_signin_refusals(client: httpx.AsyncClient, env: Env) -> None:
    assert (await put(client, "alice@globex", config())).status_code == 200
    assert (
        await put(client, "carol@initech", config(domains=["initech.example"], client_id="initech"))
    ).status_code == 200
    # an address outside the allowed domains (e.g. another org's)
    assert await signin(client, "globex", claims("idp-9", "carol@initech.example")) == {
        "ok": False,
        "reason": "domain",
    }
    assert await signin(client, "globex", claims("idp-9", "x@globex.example", email_verified=False)) == {
        "ok": False, "reason": "unverified",
    }  # fmt: skip
    assert await signin(client, "globex", claims("idp-9", "x@globex.example"), issuer="https://other") == {
        "ok": False, "reason": "invalid",
    }  # fmt: skip
    # an identity linked in initech is never attached to (or moved into) globex
    ivy = await signin(client, "initech", claims("shared-sub", "ivy@initech.example"))
    assert ivy["ok"] is True
    assert await signin(client, "globex", claims("shared-sub", "ivy@globex.example")) == {
        "ok": False,
        "reason": "foreign",
    }
    async with env.tx(write=False) as tx:
        user = await tx.session.get(User, ivy["user_id"])
        assert user is not None
        assert user.org_id == "initech"
        n = len(
            (await tx.session.execute(select(User).where(User.email == "ivy@globex.example"))).scalars().all()
        )
    assert n == 0
    # disabled user, suspended org
    async with env.tx() as tx:
        await set_disabled(tx=tx, caller=system_caller(), user_id=ivy["user_id"], disabled=True)
    assert await signin(client, "initech", claims("shared-sub", "ivy@initech.example")) == {
        "ok": False, "reason": "disabled",
    }  # fmt: skip
    r = await client.post("/api/orgs/globex/suspend", headers=as_("admin"))
    assert r.status_code == 200, r.text
    assert await signin(client, "globex", claims("idp-5", "new@globex.example")) == {
        "ok": False,
        "reason": "suspended",
    }
    async with env.tx(write=False) as tx:
        refused, _ = await list_audit(tx.session, org_ids=["globex"], event="sso.failure", limit=10, offset=0)
    assert sorted(a.detail["reason"] for a in refused) == [
        "domain",
        "foreign",
        "invalid",
        "suspended",
        "unverified",
    ]


async def test_passwords_off_refuses_a_correct_password_only(client: httpx.AsyncClient, env: Env) -> None:
    assert (await put(client, "alice@globex", config(passwords_disabled=True))).status_code == 200
    async with env.tx() as tx:
        right = await authn.authenticate(tx=tx, username="bob@globex", password="switchboard-demo", ip=None)
        wrong = await authn.authenticate(tx=tx, username="bob@globex", password="nope", ip=None)
        other = await authn.authenticate(
            tx=tx, username="carol@initech", password="switchboard-demo", ip=None
        )
    assert (right.ok, right.reason) == (False, "sso")
    assert (wrong.ok, wrong.reason) == (False, "invalid")
    assert other.ok is True

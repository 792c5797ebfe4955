"""Routes through the real app + kit middleware, with a fake assertion verifier (the boundary):
the assertion header value names the demo user whose Caller it stands for."""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import unquote

import httpx
import pytest
from assertion_fakes import NamedVerifier
from directory_fixtures import USERS, Env

from resources.directory.app import create_app


@pytest.fixture
async def verifier(env: Env) -> NamedVerifier:
    return await env.verifier()


@pytest.fixture
async def client(env: Env, verifier: NamedVerifier) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(env.ctx.settings, verifier=verifier, context=env.ctx)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://directory") as c:
        yield c


def as_(user: str, **extra: str) -> dict[str, str]:
    return {"X-Switchboard-Assertion": user, **extra}


async def _usernames(client: httpx.AsyncClient, user: str) -> list[str]:
    r = await client.get("/api/users", headers=as_(user))
    assert r.status_code == 200, r.text
    return [u["username"] for u in r.json()["items"]]


async def test_tenancy_lists(client: httpx.AsyncClient) -> None:
    assert await _usernames(client, "admin") == list(sorted(USERS))
    assert await _usernames(client, "rita@acme") == ["carol@initech", "rita@acme"]
    assert await _usernames(client, "alice@globex") == ["alice@globex", "bob@globex"]
    assert await _usernames(client, "carol@initech") == ["carol@initech"]


async def test_foreign_users_are_404(client: httpx.AsyncClient, env: Env) -> None:
    carol, alice = env.ids["carol@initech"], env.ids["alice@globex"]
    for method, path, body in (
        ("GET", f"/api/users/{carol}", None),
        ("PATCH", f"/api/users/{carol}", {"display_name": "Hacked"}),
        ("POST", f"/api/users/{carol}/password-reset", None),
        ("POST", f"/api/users/{carol}/mfa-reset", None),
        ("PUT", f"/api/users/{carol}/entitlements", {"roles": []}),
        ("GET", "/api/users/no-such-user", None),
    ):
        r = await client.request(method, path, json=body, headers=as_("alice@globex"))
        assert (r.status_code, r.json()["detail"]) == (404, "no such user"), (method, path)
    assert (await client.get(f"/api/users/{alice}", headers=as_("carol@initech"))).status_code == 404
    assert (await client.get(f"/api/users/{alice}", headers=as_("rita@acme"))).status_code == 404
    r = await client.get(f"/api/users/{carol}", headers=as_("rita@acme"))
    assert (r.status_code, r.json()["username"], r.json()["roles"]) == (
        200,
        "carol@initech",
        ["customer-admin"],
    )


async def test_bob_is_refused_admin_api(client: httpx.AsyncClient, env: Env) -> None:
    for method, path in (
        ("GET", "/api/users"),
        ("GET", "/api/audit"),
        ("GET", "/api/roles"),
        ("POST", f"/api/users/{env.ids['alice@globex']}/password-reset"),
    ):
        r = await client.request(method, path, headers=as_("bob@globex"))
        assert r.status_code == 403, path
    r = await client.get("/api/me", headers=as_("bob@globex"))
    assert (r.status_code, r.json()["username"], r.json()["roles"]) == (200, "bob@globex", ["customer-user"])


async def test_escalation_refused(client: httpx.AsyncClient, env: Env, verifier: NamedVerifier) -> None:
    bob, alice = env.ids["bob@globex"], env.ids["alice@globex"]
    r = await client.put(f"/api/users/{alice}/entitlements", json={"roles": []}, headers=as_("alice@globex"))
    assert (r.status_code, r.json()["detail"]) == (409, "you cannot change your own entitlements")
    r = await client.put(
        f"/api/users/{bob}/entitlements",
        json={
            "roles": ["customer-user"],
            "entitlements": [
                {"action": "directory:authenticate", "scope": None},
                {"action": "tollfree:manage-numbers", "scope": None},
            ],
        },
        headers=as_("alice@globex"),
    )
    assert r.status_code == 422
    assert r.json()["errors"] == [
        {
            "field": "entitlements[0].action",
            "message": "directory:authenticate is for platform services only.",
        },
        {
            "field": "entitlements[1].action",
            "message": "You cannot grant tollfree:manage-numbers: you do not hold it on that scope.",
        },
    ]
    # bob may grant entitlements but does not manage users: he cannot hand out manage-users
    grant = {
        "roles": ["customer-user"],
        "entitlements": [
            {"action": "directory:manage-entitlements", "scope": None},
            {"action": "directory:view-users", "scope": None},
        ],
    }
    r = await client.put(f"/api/users/{bob}/entitlements", json=grant, headers=as_("admin"))
    assert r.status_code == 200, r.text
    assert [e["action"] for e in r.json()["entitlements"]] == [
        "directory:manage-entitlements",
        "directory:self",
        "directory:view-users",
    ]
    r = await client.post("/api/users", json={"username": "dave@globex"}, headers=as_("alice@globex"))
    assert r.status_code == 201
    assert len(r.json()["temporary_password"]) == 16
    dave = r.json()["id"]
    verifier.callers["bob@globex"] = await env.caller("bob@globex")  # his new assertion
    r = await client.put(
        f"/api/users/{dave}/entitlements",
        json={"entitlements": [{"action": "directory:manage-users", "scope": None}]},
        headers=as_("bob@globex"),
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["message"] == (
        "You cannot grant directory:manage-users: you do not hold it on that scope."
    )
    r = await client.put(f"/api/users/{alice}/entitlements", json={"roles": []}, headers=as_("bob@globex"))
    assert r.status_code == 403
    assert r.json()["detail"].startswith(
        "alice@globex holds entitlements you lack: "
        "callcenter:edit, callcenter:view, "
        "directory:manage-roles, directory:manage-sso, directory:manage-users"
    )


async def test_audit_rows_and_events(client: httpx.AsyncClient, env: Env) -> None:
    bob = env.ids["bob@globex"]
    r = await client.patch(
        f"/api/users/{bob}", json={"phone": "+441632960999", "disabled": True}, headers=as_("alice@globex")
    )
    assert (r.status_code, r.json()["phone"], r.json()["disabled"]) == (200, "+441632960999", True)
    assert [e.payload for e in env.bus.published] == [{"user_ids": [bob]}]
    r = await client.get("/api/audit", headers=as_("alice@globex"))
    items = r.json()["items"]
    assert [(i["event"], i["actor_username"], i["subject"], i["session"]) for i in items] == [
        ("user.disabled", "alice@globex", "bob@globex", "sess-1"),
        ("user.updated", "alice@globex", "bob@globex", "sess-1"),
    ]
    assert items[1]["detail"]["before"]["phone"] is None
    assert items[1]["detail"]["after"]["phone"] == "+441632960999"
    assert (items[0]["detail"]["before"]["disabled"], items[0]["detail"]["after"]["disabled"]) == (
        False,
        True,
    )
    assert (await client.get("/api/audit", headers=as_("carol@initech"))).json()["total"] == 0
    assert (await client.get("/api/audit?event=user.disabled", headers=as_("admin"))).json()["total"] == 1


async def test_validation_problem_json(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/api/users", json={"username": "X", "phone": "0161", "email": "nope"}, headers=as_("alice@globex")
    )
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in r.json()["errors"]] == ["username", "email", "phone"]


async def test_html_form_errors_inline(client: httpx.AsyncClient) -> None:
    form = {"username": "", "phone": "12345"}
    r = await client.post("/users", data=form, headers=as_("alice@globex"))
    assert r.status_code == 422
    assert unquote(r.headers["x-switchboard-page"]) == "Add user"
    assert 'id="field-username-error">This field is required.</p>' in r.text
    assert "Enter the number in E.164 form, e.g. +441632960001." in r.text
    assert 'aria-invalid="true"' in r.text
    assert "<html" not in r.text
    r = await client.post("/users", data=form, headers=as_("alice@globex", **{"HX-Request": "true"}))
    assert r.status_code == 200
    assert "This field is required." in r.text


async def test_html_pages(client: httpx.AsyncClient, env: Env) -> None:
    r = await client.get("/users", headers=as_("alice@globex"))
    assert (r.status_code, unquote(r.headers["x-switchboard-page"])) == (200, "Users")
    assert "bob@globex" in r.text
    assert "carol@initech" not in r.text
    r = await client.post(f"/users/{env.ids['bob@globex']}/password-reset", headers=as_("alice@globex"))
    assert r.status_code == 200
    assert r.headers["cache-control"] == "no-store"
    assert "Temporary password (shown once)" in r.text
    r = await client.get("/audit", headers=as_("alice@globex"))
    assert "password.reset" in r.text
    r = await client.post("/me/mfa/enrol", headers=as_("carol@initech"))
    assert r.status_code == 200
    assert "<svg" in r.text
    assert "style=" not in r.text
    assert "<script" not in r.text
    assert "otpauth://totp/Acme%20Telecom:carol@initech?secret=" in r.text
    assert "&amp;issuer=Acme%20Telecom" in r.text
    r = await client.post(
        "/me/password",
        data={"current_password": "wrong", "new_password": "short", "confirm_password": "short"},
        headers=as_("bob@globex"),
    )
    assert r.status_code == 422
    assert "The current password is not correct." in r.text
    assert "Use at least 12 characters." in r.text
    r = await client.post("/me/tokens", data={"name": "ci"}, headers=as_("bob@globex"))
    assert r.status_code == 200
    assert 'Your new token (shown once): <code class="secret">sbt_' in r.text


async def test_internal_api(client: httpx.AsyncClient, env: Env) -> None:
    body = {"username": "alice@globex", "password": "switchboard-demo", "ip": "192.0.2.1"}
    r = await client.post("/internal/authenticate", json=body, headers=as_("gateway"))
    assert r.json() == {"ok": True, "user_id": env.ids["alice@globex"], "mfa_required": False}
    r = await client.post("/internal/authenticate", json=body, headers=as_("alice@globex"))
    assert r.status_code == 403  # customer plane cannot reach /internal
    r = await client.get(f"/internal/principals/{env.ids['carol@initech']}", headers=as_("gateway"))
    assert (r.json()["reseller_chain"], r.json()["brand"], r.json()["customer_id"]) == (
        ["acme"],
        "acme",
        "initech",
    )
    assert (await client.get("/internal/principals/nope", headers=as_("gateway"))).status_code == 404
    r = await client.post(
        "/api/me/tokens", json={"name": "t", "actions": ["directory:self"]}, headers=as_("bob@globex")
    )
    token = r.json()["token"]
    r = await client.post("/internal/tokens/verify", json={"token": token}, headers=as_("gateway"))
    assert r.json()["ok"] is True
    assert r.json()["principal"]["entitlements"] == [{"a": "directory:self", "s": None}]
    r = await client.post(
        "/internal/audit",
        json={
            "event": "logout",
            "user_id": env.ids["bob@globex"],
            "ip": "192.0.2.9",
            "session": "abc",
            "detail": {},
        },
        headers=as_("gateway"),
    )
    assert r.status_code == 204
    rows = (await client.get("/api/audit?event=logout", headers=as_("alice@globex"))).json()["items"]
    assert [(x["subject"], x["org_id"], x["session"]) for x in rows] == [("bob@globex", "globex", "abc")]
    assert (await client.get("/api/users", headers={})).status_code == 401


async def test_lifespan_owns_the_engine(env: Env, verifier: NamedVerifier) -> None:
    app = create_app(env.ctx.settings, verifier=verifier)
    async with app.router.lifespan_context(app):
        assert app.state.engine.url.database == str(env.ctx.settings.data_dir / "directory.db")
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://d") as c:
            r = await c.get("/api/me", headers=as_("carol@initech"))
            assert (r.status_code, r.json()["org_id"]) == (200, "initech")

"""The /orgs and /roles pages: content only, inline errors (422 plain, 200 htmx), notices, the
temporary password shown once with no-store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import unquote

import httpx
import pytest
from directory_fixtures import Env
from test_directory_orgs import as_

from resources.directory.app import create_app
from resources.directory.repository import load_tree

HTMX = {"HX-Request": "true"}


@pytest.fixture
async def client(env: Env) -> AsyncIterator[httpx.AsyncClient]:
    verifier = await env.verifier()
    app = create_app(env.ctx.settings, verifier=verifier, context=env.ctx)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://directory") as c:
        yield c


def page(r: httpx.Response) -> tuple[int, str]:
    return r.status_code, unquote(r.headers["x-switchboard-page"])


async def test_orgs_list_and_detail(client: httpx.AsyncClient) -> None:
    r = await client.get("/orgs", headers=as_("rita@acme"))
    assert page(r) == (200, "Organisations")
    assert [line.split('"')[1] for line in r.text.splitlines() if "data-org=" in line] == [
        "acme", "acme-west", "initech", "vandelay",
    ]  # fmt: skip
    assert "<html" not in r.text
    r = await client.get("/orgs/initech", headers=as_("rita@acme"))
    assert page(r) == (200, "Organisation Initech")
    assert '<a href="/directory/users/' in r.text  # carol, its administrator
    assert 'action="/directory/orgs/initech/suspend"' in r.text
    r = await client.get("/orgs/acme", headers=as_("rita@acme"))  # own org: no buttons
    assert "/suspend" not in r.text
    r = await client.get("/orgs/hooli", headers=as_("rita@acme"))
    assert r.status_code == 404


async def test_new_org_form_errors_inline(client: httpx.AsyncClient) -> None:
    r = await client.get("/orgs/new", headers=as_("rita@acme"))
    assert page(r) == (200, "New organisation")
    assert '<option value="acme-west">Acme West (acme-west)</option>' in r.text
    assert 'value="initech"' not in r.text  # a customer cannot be a parent
    form = {"id": "Bad!", "name": "", "kind": "customer", "parent_id": "acme"}
    r = await client.post("/orgs", data=form, headers=as_("rita@acme"))
    assert page(r) == (422, "New organisation")
    assert 'id="field-name-error">This field is required.</p>' in r.text
    assert "Use 2 to 40 characters" in r.text
    assert 'value="Bad!"' in r.text
    r = await client.post("/orgs", data=form, headers=as_("rita@acme", **HTMX))
    assert r.status_code == 200


async def test_create_suspend_and_admin_pages(client: httpx.AsyncClient, env: Env) -> None:
    form = {"id": "stark", "name": "Stark Industries", "kind": "customer", "parent_id": "acme-west"}
    r = await client.post("/orgs", data=form, headers=as_("rita@acme", **HTMX))
    assert page(r) == (200, "Organisation Stark Industries")
    assert r.headers["hx-push-url"] == "/directory/orgs/stark"
    assert "Stark Industries was created. Now give it a customer administrator." in r.text
    r = await client.post("/orgs/stark/admin", data={"username": "tony@stark"}, headers=as_("rita@acme"))
    assert r.status_code == 200
    assert r.headers["cache-control"] == "no-store"
    assert "Temporary password (shown once)" in r.text
    r = await client.post("/orgs/stark/admin", data={"username": "bob@globex"}, headers=as_("rita@acme"))
    assert r.status_code == 422
    assert 'id="field-username-error">This username is taken.</p>' in r.text
    r = await client.post("/orgs/stark/suspend", headers=as_("rita@acme"))
    assert "Stark Industries is suspended" in r.text
    assert 'action="/directory/orgs/stark/resume"' in r.text
    async with env.tx(write=False) as tx:
        assert (await load_tree(tx.session)).suspended("stark") is True
    r = await client.post("/orgs/stark/resume", headers=as_("rita@acme"))
    assert "Stark Industries is no longer suspended." in r.text


async def test_roles_pages(client: httpx.AsyncClient) -> None:
    r = await client.get("/roles", headers=as_("alice@globex"))
    assert page(r) == (200, "Roles")
    assert 'data-role="customer-admin"' in r.text
    assert 'action="/directory/roles"' in r.text  # alice may define roles
    form = {"id": "boss", "name": "Boss", "action": ["directory:manage-orgs", "tollfree:view"]}
    r = await client.post("/roles", data=form, headers=as_("alice@globex"))
    assert page(r) == (422, "Roles")
    assert "You do not hold directory:manage-orgs, so your roles cannot include it." in r.text
    form = {"id": "viewer", "name": "Viewer", "action": "traffic:view", "scope:traffic:view": "site:east"}
    r = await client.post("/roles", data=form, headers=as_("alice@globex", **HTMX))
    assert page(r) == (200, "Role Viewer")
    assert r.headers["hx-push-url"] == "/directory/roles/globex.viewer"
    assert 'value="site:east"' in r.text
    r = await client.post(
        "/roles/globex.viewer",
        data={"name": "Viewer 2", "action": "tollfree:view"},
        headers=as_("alice@globex"),
    )
    assert "The role was saved." in r.text
    r = await client.post("/roles/customer-user/delete", headers=as_("admin"))
    assert r.status_code == 422
    assert "customer-user is a built-in role: it cannot be changed or deleted" in r.text
    r = await client.post("/roles/globex.viewer/delete", headers=as_("alice@globex"))
    assert page(r) == (200, "Roles")
    assert "The role globex.viewer was deleted." in r.text
    r = await client.get("/roles/customer-admin", headers=as_("bob@globex"))
    assert r.status_code == 403  # bob does not view users

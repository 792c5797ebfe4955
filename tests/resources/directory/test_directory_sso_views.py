"""The /sso page: the form, inline errors (422 plain, 200 htmx), save and remove, the secret
never echoed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import unquote

import httpx
import pytest
from directory_fixtures import Env
from test_directory_orgs import as_

from resources.directory.app import create_app
from resources.directory.models import SsoConfig

HTMX = {"HX-Request": "true"}
FORM = {
    "issuer": "https://login.globex.example",
    "client_id": "globex-portal",
    "client_secret": "page-secret-0123456789",
    "domains": "globex.example, globex.co.uk",
    "default_roles": "customer-user",
    "role_mapping": "groups=telecom-admins: customer-admin",
    "enabled": "on",
}


@pytest.fixture
async def client(env: Env) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(env.ctx.settings, verifier=await env.verifier(), context=env.ctx)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://directory") as c:
        yield c


def page(r: httpx.Response) -> tuple[int, str]:
    return r.status_code, unquote(r.headers["x-switchboard-page"])


async def test_the_page_saves_and_removes_the_idp(client: httpx.AsyncClient, env: Env) -> None:
    r = await client.get("/sso", headers=as_("alice@globex"))
    assert page(r) == (200, "Enterprise sign-in")
    assert 'action="/directory/sso"' in r.text
    assert "Remove identity provider" not in r.text
    r = await client.post("/sso", data=FORM, headers=as_("alice@globex", **HTMX))
    assert page(r) == (200, "Enterprise sign-in")
    assert "The identity provider was saved." in r.text
    assert 'value="globex.example, globex.co.uk"' in r.text
    assert "groups=telecom-admins: customer-admin</textarea>" in r.text
    assert "page-secret-0123456789" not in r.text
    async with env.tx(write=False) as tx:
        row = await tx.session.get(SsoConfig, "globex")
    assert row is not None
    assert (row.domains, row.role_mapping, row.passwords_disabled) == (
        ["globex.example", "globex.co.uk"],
        [{"claim": "groups", "value": "telecom-admins", "roles": ["customer-admin"]}],
        False,
    )
    r = await client.post("/sso/delete", headers=as_("alice@globex", **HTMX))
    assert "The identity provider was removed: passwords work again." in r.text
    async with env.tx(write=False) as tx:
        assert await tx.session.get(SsoConfig, "globex") is None


async def test_errors_are_inline(client: httpx.AsyncClient) -> None:
    form = FORM | {"issuer": "http://login.globex.example", "domains": "", "role_mapping": "groups: x"}
    r = await client.post("/sso", data=form, headers=as_("alice@globex"))
    assert page(r) == (422, "Enterprise sign-in")
    assert (
        'id="field-issuer-error">The issuer must use https:// (plain http:// is allowed for '
        "http://127.0.0.1 only).</p>"
    ) in r.text
    assert 'id="field-domains-error">List at least one e-mail domain whose users sign in here.</p>' in r.text
    assert 'id="field-role_mapping-error">Each rule is an object with claim, value and roles.</p>' in r.text
    assert 'value="http://login.globex.example"' in r.text
    r = await client.post("/sso", data=form, headers=as_("alice@globex", **HTMX))
    assert r.status_code == 200
    r = await client.get("/sso", params={"org": "initech"}, headers=as_("alice@globex"))
    assert r.status_code == 404

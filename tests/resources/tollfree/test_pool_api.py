"""Number pools through the real app (kit middleware, real ES256 assertions): the JSON API,
the admin page's pool section, and the lifespan keeping the tenancy replica."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from pool_support import PICTURE, USERS, with_tenancy
from tollfree_fixtures import Env

from dispatcher.assertion import AssertionSigner, SigningKeys, new_signing_jwk, public_jwks
from resources.kit.tenancy import TENANCY, TENANCY_WANTED
from resources.tollfree.app import create_app
from resources.tollfree.tenancy import load_tenancy

Headers = Callable[..., dict[str, str]]
PROBLEM = "application/problem+json"
ACME_1, ZENITH_1 = "+18335550201", "+18445550301"


def problem(status: int, title: str, detail: str, **extra: Any) -> dict[str, Any]:
    return {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}


@pytest.fixture
def as_(demo: Env) -> Headers:
    keys = SigningKeys.from_jwks(new_signing_jwk())
    path: Path = demo.ctx.settings.jwks_path
    path.write_text(json.dumps(public_jwks(keys)))
    signer = AssertionSigner(keys)

    def headers(user: str, *, htmx: bool = False) -> dict[str, str]:
        token = signer.mint(
            audience="tollfree", principal=USERS[user], plane="customer", session_ref="sess-api",
            request_id="req-api",
        )  # fmt: skip
        return {"X-Switchboard-Assertion": token, **({"HX-Request": "true"} if htmx else {})}

    return headers


@pytest.fixture
async def client(demo: Env, as_: Headers) -> AsyncIterator[httpx.AsyncClient]:
    await with_tenancy(demo)
    app = create_app(demo.ctx.settings, context=demo.ctx, run_runtime=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://tollfree") as c:
        admin = as_("admin")
        for tfn, reseller in ((ACME_1, "acme"), (ZENITH_1, "zenith")):
            r = await c.post("/api/pool", json={"tfn": tfn, "reseller": reseller}, headers=admin)
            assert r.status_code == 201
        yield c


def pooled(tfn: str, holder: str) -> dict[str, Any]:
    return {
        "tfn": tfn,
        "holder": holder,
        "chain": [holder],
        "added_at": "2026-03-02T15:00:00Z",
        "added_by": "admin",
    }


async def test_the_api_shows_each_reseller_its_own_pool(client: httpx.AsyncClient, as_: Headers) -> None:
    r = await client.get("/api/pool", headers=as_("admin"))
    assert (r.status_code, r.json()) == (200, {"items": [pooled(ACME_1, "acme"), pooled(ZENITH_1, "zenith")]})
    r = await client.get("/api/pool", headers=as_("rita@acme"))
    assert r.json() == {"items": [pooled(ACME_1, "acme")]}
    r = await client.get("/api/pool", headers=as_("zed@zenith"))
    assert r.json() == {"items": [pooled(ZENITH_1, "zenith")]}
    r = await client.get("/api/pool?reseller=zenith", headers=as_("rita@acme"))
    assert (r.status_code, r.headers["content-type"], r.json()) == (
        404, PROBLEM, problem(404, "Not found", "no such pool"),
    )  # fmt: skip


async def test_the_api_adds_and_removes_for_the_provider_only(
    client: httpx.AsyncClient, as_: Headers
) -> None:
    r = await client.post("/api/pool", json={"tfn": "8775550500", "reseller": "zenith"}, headers=as_("admin"))
    assert (r.status_code, r.json()) == (201, pooled("+18775550500", "zenith"))
    r = await client.post(
        "/api/pool", json={"tfn": "+18775550501", "reseller": "acme"}, headers=as_("rita@acme")
    )
    assert (r.status_code, r.json()) == (403, problem(403, "Forbidden", "only provider staff may do this"))
    r = await client.post("/api/pool", json={"tfn": "+18775550501", "holder": "acme"}, headers=as_("admin"))
    assert (r.status_code, r.json()["errors"]) == (422, [{"field": "holder", "message": "Unknown field."}])
    r = await client.post("/api/pool", json={"tfn": "+18775550501"}, headers=as_("admin"))
    assert (r.status_code, r.json()["errors"]) == (
        422, [{"field": "reseller", "message": "Name the reseller, like acme."}],
    )  # fmt: skip
    r = await client.delete("/api/pool/+18775550500", headers=as_("zed@zenith"))
    assert (r.status_code, r.json()) == (403, problem(403, "Forbidden", "only provider staff may do this"))
    r = await client.delete("/api/pool/%2B18775550500", headers=as_("admin"))
    assert r.status_code == 204
    r = await client.delete("/api/pool/+18775550500", headers=as_("admin"))
    assert (r.status_code, r.json()) == (404, problem(404, "Not found", "no such number in any pool"))


async def test_rita_assigns_through_the_api_and_zed_cannot(client: httpx.AsyncClient, as_: Headers) -> None:
    r = await client.post(
        f"/api/pool/{ACME_1}/assign", json={"customer_id": "initech"}, headers=as_("zed@zenith")
    )
    assert (r.status_code, r.json()) == (404, problem(404, "Not found", "no such number in your pool"))
    r = await client.post(
        f"/api/pool/{ACME_1}/assign", json={"customer_id": "hooli"}, headers=as_("rita@acme")
    )
    assert (r.status_code, r.json()) == (404, problem(404, "Not found", "no customer hooli below acme"))
    r = await client.post(
        f"/api/pool/{ACME_1}/assign", json={"customer_id": "soylent"}, headers=as_("rita@acme")
    )
    assert (r.status_code, r.json()) == (409, problem(409, "Conflict", "soylent is suspended"))
    r = await client.post(
        f"/api/pool/{ACME_1}/assign",
        json={"customer_id": "initech", "description": "Sales"},
        headers=as_("rita@acme"),
    )
    assert (r.status_code, r.json()) == (201, {
        "tfn": ACME_1, "customer_id": "initech", "reseller_chain": ["acme"], "description": "Sales",
        "active": None, "pending": [], "drafts": [],
    })  # fmt: skip
    r = await client.get("/api/numbers", headers=as_("rita@acme"))
    assert [i["tfn"] for i in r.json()["items"]] == ["+18335550201", "+18665550104", "+18775550103"]
    r = await client.get("/api/numbers", headers=as_("zed@zenith"))
    assert r.json() == {"items": []}
    r = await client.get("/api/pool", headers=as_("rita@acme"))
    assert r.json() == {"items": []}


def rows(html: str) -> list[str]:
    return re.findall(r'<tr data-tfn="([^"]+)">', html)


def options(html: str) -> list[str]:
    return re.findall(r'<option value="([^"]+)"', html)


async def test_the_pool_section_of_the_admin_page(client: httpx.AsyncClient, as_: Headers) -> None:
    r = await client.get("/admin", headers=as_("rita@acme"))
    assert 'hx-get="/tollfree/admin/pool" hx-trigger="load"' in r.text
    r = await client.get("/admin/pool", headers=as_("rita@acme"))  # no htmx: a page of its own
    assert (r.status_code, r.headers["x-switchboard-page"]) == (200, "Number%20pool")
    assert '<h1 id="pool-heading">Number pool</h1>' in r.text
    assert (rows(r.text), options(r.text)) == ([ACME_1], ["initech", "vandelay"])
    assert "Put a number into a reseller's pool" not in r.text
    r = await client.get("/admin/pool", headers=as_("zed@zenith", htmx=True))
    assert '<h2 id="pool-heading">Number pool</h2>' in r.text
    assert (rows(r.text), options(r.text)) == ([ZENITH_1], ["hooli"])
    r = await client.get("/admin/pool", headers=as_("admin", htmx=True))
    assert (rows(r.text), options(r.text)) == ([ACME_1, ZENITH_1], ["initech", "vandelay", "hooli"])
    assert "Put a number into a reseller's pool" in r.text


async def test_the_pool_forms(client: httpx.AsyncClient, as_: Headers) -> None:
    rita = as_("rita@acme", htmx=True)
    r = await client.post(f"/admin/pool/{ACME_1}/assign", data={"customer_id": "hooli"}, headers=rita)
    assert r.status_code == 422
    assert '<p class="field-error" role="alert">No customer hooli below acme.</p>' in r.text
    r = await client.post(f"/admin/pool/{ZENITH_1}/assign", data={"customer_id": "initech"}, headers=rita)
    assert (r.status_code, r.json()) == (404, problem(404, "Not found", "no such number in your pool"))
    r = await client.post(f"/admin/pool/{ACME_1}/assign", data={"customer_id": "vandelay"}, headers=rita)
    assert r.status_code == 200
    assert (
        f'<p class="alert alert--success" role="status" data-notice>{ACME_1} was assigned to vandelay.</p>'
        in r.text
    )
    assert rows(r.text) == []
    admin = as_("admin", htmx=True)
    r = await client.post("/admin/pool", data={"tfn": "+18335550299", "reseller": "hooli"}, headers=admin)
    assert r.status_code == 422
    assert '<p class="field-error" id="pool-reseller-error">hooli is not a reseller.</p>' in r.text
    r = await client.post("/admin/pool", data={"tfn": ZENITH_1, "reseller": "acme"}, headers=admin)
    assert r.status_code == 422
    assert (
        '<p class="alert alert--error" role="alert">+18445550301 is already in the pool of zenith.</p>'
        in r.text
    )
    r = await client.post("/admin/pool", data={"tfn": "+18335550299", "reseller": "acme"}, headers=admin)
    assert "+18335550299 is in the pool of acme." in r.text
    assert rows(r.text) == ["+18335550299", ZENITH_1]
    r = await client.post(f"/admin/pool/{ZENITH_1}/delete", headers=admin)
    assert (r.status_code, rows(r.text)) == (200, ["+18335550299"])
    assert f"{ZENITH_1} was taken out of its pool." in r.text


async def test_the_lifespan_keeps_the_tenancy_replica(env: Env) -> None:
    env.ctx.settings.jwks_path.write_text(json.dumps(public_jwks(SigningKeys.from_jwks(new_signing_jwk()))))
    app = create_app(env.ctx.settings, context=env.ctx)
    async with app.router.lifespan_context(app):
        assert (TENANCY_WANTED, {}) in env.topics()
        await env.bus.publish(TENANCY, PICTURE)
        for _ in range(200):  # the bus delivers asynchronously; no timing is asserted
            async with env.tx(write=False) as tx:
                if len(tree := await load_tenancy(tx.session)):
                    break
            await asyncio.sleep(0.01)
    assert tree.customers_below("acme") == ["initech", "vandelay"]

"""The JSON API through the real app, the kit middleware and real assertions: the dispatcher's
signer mints ES256 tokens for the demo principals and the app verifies them with the JWKS file."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from pool_support import with_tenancy
from tollfree_fixtures import PRINCIPALS, START, Env

from dispatcher.assertion import AssertionSigner, SigningKeys, new_signing_jwk, public_jwks
from resources.kit.caller import Entitlement, Principal
from resources.tollfree.app import create_app
from resources.tollfree.demo import split_70_30, tel

Headers = Callable[..., dict[str, str]]
PROBLEM = "application/problem+json"


@pytest.fixture
def as_(demo: Env) -> Headers:
    keys = SigningKeys.from_jwks(new_signing_jwk())
    path: Path = demo.ctx.settings.jwks_path
    path.write_text(json.dumps(public_jwks(keys)))
    signer = AssertionSigner(keys)

    def headers(user: str, *, plane: str = "customer", session: str = "sess-api") -> dict[str, str]:
        token = signer.mint(
            audience="tollfree", principal=PRINCIPALS[user], plane=plane,  # type: ignore[arg-type]
            session_ref=session, request_id="req-api",
        )  # fmt: skip
        return {"X-Switchboard-Assertion": token}

    return headers


@pytest.fixture
async def client(demo: Env, as_: Headers) -> AsyncIterator[httpx.AsyncClient]:
    await with_tenancy(demo)
    app = create_app(demo.ctx.settings, context=demo.ctx, run_runtime=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://tollfree") as c:
        yield c


def problem(status: int, title: str, detail: str, **extra: Any) -> dict[str, Any]:
    return {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}


async def test_numbers_list_exact(client: httpx.AsyncClient, as_: Headers) -> None:
    r = await client.get("/api/numbers", headers=as_("bob@globex"))
    assert r.status_code == 200
    items = r.json()["items"]
    assert [i["tfn"] for i in items] == ["+18005550100", "+18005550101"]
    assert items[1] == {
        "tfn": "+18005550101",
        "customer_id": "globex",
        "reseller_chain": [],
        "description": "Globex support",
        "active": {
            "id": items[1]["active"]["id"],
            "target": "+18005550101",
            "number": 1,
            "state": "ACTIVE",
            "effective_at": "2026-03-02T15:00:00Z",
            "created_at": "2026-03-02T15:00:00Z",
            "created_by": "demo",
            "activated_at": "2026-03-02T15:00:00Z",
            "superseded_at": None,
            "rolled_back_from": None,
            "note": "70/30 east/west",
            "issues": [],
        },
        "pending": [],
        "drafts": [],
    }
    assert len(items[1]["active"]["id"]) == 32


async def test_not_visible_is_404_and_bad_assertions(client: httpx.AsyncClient, as_: Headers) -> None:
    r = await client.get("/api/numbers/+18885550102", headers=as_("bob@globex"))
    assert (r.status_code, r.headers["content-type"], r.json()) == (
        404, PROBLEM, problem(404, "Not found", "no such target"),
    )  # fmt: skip
    r = await client.get("/api/numbers/%2B18885550102", headers=as_("alice@globex"))
    assert (r.status_code, r.json()["target"]) == (200, "+18885550102")
    assert (await client.get("/api/numbers")).status_code == 401
    r = await client.get("/api/numbers", headers=as_("alice@globex", plane="network"))
    assert r.status_code == 403
    assert (await client.get("/healthz")).json() == {"status": "ok"}


async def test_draft_validate_activate_flow(client: httpx.AsyncClient, as_: Headers) -> None:
    alice = as_("alice@globex")
    bad = split_70_30()
    bad["sections"]["M"]["branches"][1]["then"] = tel("nowhere")
    r = await client.post(
        "/api/numbers/+18005550101/versions", json={"document": bad, "note": "n"}, headers=alice
    )
    assert r.status_code == 201
    created = r.json()
    assert (created["number"], created["state"], created["issues"]) == (
        2, "INVALID", [{"node": "M.1", "field": "dest", "message": "Site 'nowhere' does not exist."}],
    )  # fmt: skip
    assert [e["to"] for e in created["events"]] == ["INVALID"]
    r = await client.post("/api/numbers/+18005550101/versions/2/activate", json={}, headers=alice)
    assert (r.status_code, r.headers["content-type"]) == (422, PROBLEM)
    assert r.json() == problem(
        422, "Invalid input", "version 2 has 1 problem(s)",
        errors=[{"field": "M.1:dest", "message": "Site 'nowhere' does not exist."}],
    )  # fmt: skip
    r = await client.put(
        "/api/numbers/+18005550101/versions/2", json={"document": split_70_30()}, headers=alice
    )
    assert (r.status_code, r.json()["state"]) == (200, "SAVED")
    r = await client.post(
        "/api/numbers/+18005550101/versions/2/activate",
        json={"effective_at": "2026-03-02T09:00:00-05:00"},  # 14:00Z: an hour ago
        headers=alice,
    )
    assert r.json()["errors"] == [
        {
            "field": "effective_at",
            "message": "The effective time is in the past; leave it empty to activate now.",
        }
    ]
    r = await client.post(
        "/api/numbers/+18005550101/versions/2/activate",
        json={"effective_at": "2026-03-03T12:00:00+00:00"},
        headers=alice,
    )
    assert (r.status_code, r.json()["state"], r.json()["effective_at"]) == (
        200,
        "PENDING",
        "2026-03-03T12:00:00Z",
    )
    r = await client.post("/api/numbers/+18005550101/versions/2/hold", headers=alice)
    assert (r.status_code, r.json()["state"]) == (200, "HOLD")
    r = await client.post("/api/numbers/+18005550101/versions/2/hold", headers=alice)
    assert r.json() == problem(
        409,
        "Conflict",
        "a HOLD version cannot hold",
        state="HOLD",
        verb="hold",
        allowed=["release", "cancel"],
    )
    r = await client.get("/api/numbers/+18005550101/audit", headers=alice)
    top = r.json()["items"][0]
    assert {
        k: top[k] for k in ("actor_id", "actor_name", "session", "action", "version", "before", "after")
    } == {
        "actor_id": "u-alice",
        "actor_name": "alice@globex",
        "session": "sess-api",
        "action": "version.hold",
        "version": 2,
        "before": {"state": "PENDING", "effective_at": "2026-03-03T12:00:00+00:00"},
        "after": {"state": "HOLD", "effective_at": "2026-03-03T12:00:00+00:00"},
    }


async def test_bodies_are_checked(client: httpx.AsyncClient, as_: Headers) -> None:
    alice = as_("alice@globex")
    r = await client.post("/api/numbers/+18005550101/versions", content=b"{nope", headers=alice)
    assert r.json()["errors"] == [{"field": "body", "message": "The body is not valid JSON."}]
    r = await client.post("/api/numbers/+18005550101/versions", json={"doc": {}}, headers=alice)
    assert r.json()["errors"] == [{"field": "doc", "message": "Unknown field."}]
    deep = b'{"document": ' + b'{"a": [' * 150 + b"1" + b"]}" * 150 + b"}"
    too_deep = {"field": "body", "message": "The body is nested more than 200 levels deep."}
    r = await client.post("/api/numbers/+18005550101/versions", content=deep, headers=alice)
    assert (r.status_code, r.json()["errors"]) == (422, [too_deep])
    hostile = b"[" * 200_000 + b"]" * 200_000  # beyond what json.loads itself can recurse into
    r = await client.post(
        "/api/numbers/+18005550101/versions", content=b'{"document": ' + hostile + b"}", headers=alice
    )
    assert (r.status_code, r.json()["errors"]) == (422, [too_deep])
    r = await client.post("/api/numbers/+18005550101/versions", json={"document": [1]}, headers=alice)
    assert r.json()["errors"] == [{"field": "document", "message": "The plan must be a JSON object."}]
    r = await client.get("/api/numbers/+18005550101/versions/x", headers=alice)
    assert r.status_code == 404


async def test_simulate_and_diff(client: httpx.AsyncClient, as_: Headers) -> None:
    alice = as_("alice@globex")
    r = await client.post(
        "/api/numbers/+18005550100/simulate",
        json={"ani": "3125550100", "at": "2026-03-03T01:00:00Z"},
        headers=alice,
    )
    body = r.json()
    assert (r.status_code, body["target"], body["version"], body["outcome"]) == (
        200,
        "+18005550100",
        1,
        "route",
    )
    assert [d["dest"] for d in body["destinations"]] == ["site:west", "site:east"]
    assert body["path"] == [
        {"node": "M", "type": "date", "took": "OTHER"},
        {"node": "M.o", "type": "tod", "took": "OTHER"},
        {"node": "M.o.o", "type": "tel", "took": "site:west"},
    ]
    r = await client.get("/api/numbers/+18005550100/versions/2/diff", headers=alice)
    assert r.json() == {
        "changes": [
            {"node": "M.o", "field": "branches[0].match", "before": "@BIZHOURS", "after": "07:00-19:00"}
        ]
    }


async def test_whatif(client: httpx.AsyncClient, as_: Headers) -> None:
    calls = [
        {"ani": "3125550100", "at": "2026-03-02T12:30:00Z"},  # 07:30 New York: only the new hours
        {"ani": "3125550100", "at": "2026-03-02T15:00:00Z"},  # 10:00: both east
    ]
    r = await client.post(
        "/api/numbers/+18005550100/whatif", json={"version": 2, "calls": calls}, headers=as_("alice@globex")
    )
    assert r.status_code == 200
    assert r.json() == {
        "target": "+18005550100",
        "version": 2,
        "calls": 2,
        "changed": 1,
        "rows": [
            {
                "key": "site:east",
                "before": 1,
                "after": 2,
                "before_share": 50.0,
                "after_share": 100.0,
                "delta": 50.0,
            },
            {
                "key": "site:west",
                "before": 1,
                "after": 0,
                "before_share": 50.0,
                "after_share": 0.0,
                "delta": -50.0,
            },
        ],
    }


async def test_templates_labels_sites_numbers_origin(client: httpx.AsyncClient, as_: Headers) -> None:
    bob, alice, rita, admin = as_("bob@globex"), as_("alice@globex"), as_("rita@acme"), as_("admin")
    assert (await client.get("/api/templates/GLOBEX-STD", headers=bob)).json()["can_edit"] is False
    r = await client.post("/api/templates/GLOBEX-STD/versions", json={}, headers=bob)
    assert r.json() == problem(
        403, "Forbidden", "changing a template needs tollfree:edit-routing on all of your numbers"
    )
    r = await client.post("/api/templates", json={"name": "east-only"}, headers=alice)
    assert (r.status_code, r.json()) == (
        201,
        {
            "name": "*EAST-ONLY",
            "customer_id": "globex",
            "description": "",
            "active_version": None,
            "can_edit": True,
        },
    )
    r = await client.put("/api/labels/NIGHT", json={"kind": "tod", "values": ["18:00-24:00"]}, headers=alice)
    assert r.json() == {"customer_id": "globex", "name": "NIGHT", "kind": "tod", "values": ["18:00-24:00"]}
    assert (await client.delete("/api/labels/NIGHT", headers=alice)).status_code == 204
    r = await client.put("/api/sites/initech/north", json={"uri": "sip:10.0.0.9:5060"}, headers=rita)
    assert r.json() == {
        "customer_id": "initech",
        "name": "north",
        "uri": "sip:10.0.0.9:5060",
        "description": "",
    }
    r = await client.put("/api/sites/globex/north", json={"uri": "sip:10.0.0.9:5060"}, headers=rita)
    assert r.status_code == 404
    new = {"tfn": "8445550105", "customer_id": "initech", "reseller_chain": ["acme"]}
    assert (await client.post("/api/numbers", json=new, headers=rita)).status_code == 403
    r = await client.post("/api/numbers", json=new, headers=admin)
    assert (r.status_code, r.json()) == (
        201,
        {"tfn": "+18445550105", "customer_id": "initech", "reseller_chain": ["acme"], "description": "",
         "active": None, "pending": [], "drafts": []},
    )  # fmt: skip
    assert (await client.post("/api/numbers", json=new, headers=admin)).status_code == 409
    assert (await client.delete("/api/numbers/+18445550105", headers=admin)).status_code == 204
    r = await client.post(
        "/api/origin/import",
        content=b"npanxx,lata,state,rate_center\n312555,358,IL,CHICAGO\n",
        headers={**admin, "content-type": "text/csv"},
    )
    assert r.json() == {"rows": 1}


async def test_the_lifespan_runs_the_scp(demo: Env, as_: Headers) -> None:
    """The composed app: lifespan loads the SCP from the store; an activation through the API
    reaches the SCP over the bus; the network plane answers from it."""
    PRINCIPALS["element:sbc"] = Principal(
        user_id="element:sbc", username="sbc", display_name="sbc", kind="element", org_id="switchboard",
        customer_id=None, reseller_chain=(), brand="default",
        entitlements=(Entitlement(action="tollfree:route-query"),),
    )  # fmt: skip
    try:
        app = create_app(demo.ctx.settings, context=demo.ctx)
        query = {"dnis": "8005550101", "ani": "3125550100", "ts": START.timestamp(), "callid": "c-1"}
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://tollfree") as client,
        ):
            element = as_("element:sbc", plane="network")
            r = await client.post("/network/route", json=query, headers=element)
            assert (r.status_code, r.json()["version"]) == (200, 1)
            doc = split_70_30()
            doc["sections"]["M"]["branches"] = [
                {"percent": 50, "then": tel("west")},
                {"percent": 50, "then": tel("west")},
            ]
            alice = as_("alice@globex")
            r = await client.post("/api/numbers/+18005550101/versions", json={"document": doc}, headers=alice)
            assert r.json()["state"] == "SAVED"
            r = await client.post("/api/numbers/+18005550101/versions/2/activate", json={}, headers=alice)
            assert r.json()["state"] == "ACTIVE"
            r_version_id = r.json()["id"]
            for _ in range(200):  # the bus delivers asynchronously; no timing is asserted
                r = await client.post("/network/route", json=query, headers=element)
                if r.json()["version"] == 2:
                    break
                await asyncio.sleep(0.01)
            body = r.json()
            west = {
                "dest": "site:west",
                "uri": "sip:+18005550101@127.0.0.1:5072",
                "carrier": None,
                "ring_timeout": 20,
            }
            assert (body["version"], body["outcome"], body["destinations"]) == (2, "route", [west])
            assert body["version_id"] == r_version_id
    finally:
        del PRINCIPALS["element:sbc"]

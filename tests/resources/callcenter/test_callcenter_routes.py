"""The JSON API through the real app and kit middleware, with a fake assertion verifier (the
assertion header names the caller it stands for)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from assertion_fakes import NamedVerifier
from callcenter_support import ALICE, MAIN, Rig, person, rig, site

from resources.callcenter.app import create_app
from resources.kit.events import InProcessBus
from resources.kit.settings import ResourceSettings

__all__ = ["rig"]

CALLERS = {
    "alice": ALICE,
    "wendy": person("initech", name="wendy@initech"),
    "pat": person(None, kind="provider", name="pat@provider"),
}


@pytest.fixture
async def client(rig: Rig, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = ResourceSettings(
        name="callcenter",
        data_dir=tmp_path,
        database_url="sqlite+aiosqlite:///unused.db",
        db_schema=None,
        jwks_path=tmp_path / "jwks.json",
        bus=InProcessBus(),
    )
    app = create_app(settings, verifier=NamedVerifier(CALLERS), context=rig.ctx)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://callcenter") as c:
        yield c


def as_(name: str) -> dict[str, str]:
    return {"X-Switchboard-Assertion": name}


async def test_sites_and_a_distribution_from_create_to_rollback(client: httpx.AsyncClient) -> None:
    for raw in (site("east", 5, 5071), site("west", 10, 5072), site("south", 3, 5073)):
        r = await client.put(f"/api/sites/{raw['name']}", json=raw, headers=as_("alice"))
        assert (r.status_code, r.json()["number"], r.json()["created_by"]) == (201, 1, "alice@globex")
    r = await client.put("/api/distributions/main", json=MAIN, headers=as_("alice"))
    assert r.status_code == 201
    later = "2026-12-07T20:00:00+00:00"
    r = await client.put(
        "/api/sites/west", json=site("west", 40, 5072) | {"effective_at": later}, headers=as_("alice")
    )
    assert (r.status_code, r.json()["number"], r.json()["effective_at"]) == (200, 2, later)
    now = (await client.get("/api/sites", headers=as_("alice"))).json()
    then = (
        await client.get("/api/sites", params={"at": "2026-12-07T21:00:00Z"}, headers=as_("alice"))
    ).json()
    assert [(s["name"], s["capacity"]) for s in now["items"]] == [("east", 5), ("south", 3), ("west", 10)]
    assert [(s["name"], s["capacity"]) for s in then["items"]] == [("east", 5), ("south", 3), ("west", 40)]
    assert (now["customer"], now["at"]) == ("globex", "2026-12-07T15:00:00+00:00")
    dists = (await client.get("/api/distributions", headers=as_("alice"))).json()["items"]
    assert dists == [MAIN | {"after_hours": None, "all_busy": None}]
    r = await client.post("/api/sites/west/revisions/2/cancel", headers=as_("alice"))
    assert (r.status_code, r.json()["cancelled"]) == (200, True)
    revisions = (await client.get("/api/sites/west/revisions", headers=as_("alice"))).json()["items"]
    assert [(x["number"], x["cancelled"]) for x in revisions] == [(1, False), (2, True)]
    r = await client.post("/api/sites/west/revisions/1/rollback", headers=as_("alice"))
    assert (r.status_code, r.json()["detail"]) == (422, "revision 1 is what is in effect now")
    audit = (await client.get("/api/audit", params={"limit": 2}, headers=as_("alice"))).json()["items"]
    assert [(a["action"], a["name"], a["actor"]) for a in audit] == [
        ("site.cancel", "west", "alice@globex"),
        ("site.change", "west", "alice@globex"),
    ]


async def test_bad_requests_get_specific_problems(client: httpx.AsyncClient) -> None:
    await client.put("/api/sites/south", json=site("south", 3, 5073), headers=as_("alice"))
    await client.put("/api/sites/east", json=site("east", 3, 5071), headers=as_("alice"))
    await client.put(
        "/api/distributions/main",
        json=MAIN | {"members": [{"site": "east", "share": 100}]},
        headers=as_("alice"),
    )
    cases = [
        (
            client.put("/api/sites/east", content=b"{", headers=as_("alice")),
            422,
            "body",
            "The body is not valid JSON.",
        ),
        (client.put("/api/sites/east", json=[1], headers=as_("alice")), 422, "body", "Send a JSON object."),
        (
            client.put("/api/sites/east", json=site("west", 3, 5072), headers=as_("alice")),
            422,
            "name",
            "the body names 'west' but the address names 'east'",
        ),
        (
            client.put(
                "/api/sites/east",
                json=site("east", 4, 5071) | {"effective_at": "tomorrow"},
                headers=as_("alice"),
            ),
            422,
            "effective_at",
            "must be an ISO 8601 date and time with an offset, e.g. 2026-12-24T15:00:00Z",
        ),
        (
            client.put(
                "/api/sites/east",
                json=site("east", 4, 5071) | {"effective_at": "9999-12-31T23:59:59-14:00"},
                headers=as_("alice"),
            ),
            422,
            "effective_at",
            "must be an ISO 8601 date and time with an offset, e.g. 2026-12-24T15:00:00Z",
        ),
        (
            client.get("/api/audit", params={"limit": "0"}, headers=as_("alice")),
            422,
            "limit",
            "must be a whole number from 1 to 100",
        ),
        (client.get("/api/sites", headers=as_("pat")), 422, "customer", "name the customer: ?customer=<id>"),
    ]
    for request, status, field, message in cases:
        r = await request
        assert (r.status_code, r.headers["content-type"], r.json()["errors"]) == (
            status,
            "application/problem+json",
            [{"field": field, "message": message}],
        ), r.text
    r = await client.delete("/api/sites/east", headers=as_("alice"))
    assert (r.status_code, r.json()["detail"]) == (
        409,
        "site east is used by distribution main; change that first",
    )
    r = await client.post("/api/sites/east/revisions/x1/cancel", headers=as_("alice"))
    assert (r.status_code, r.json()["detail"]) == (404, "no such revision: x1")


async def test_tenancy(client: httpx.AsyncClient) -> None:
    await client.put("/api/sites/east", json=site("east", 5, 5071), headers=as_("alice"))
    r = await client.get("/api/sites", headers=as_("wendy"))
    assert (r.status_code, r.json()["items"]) == (200, [])  # her own customer has none
    r = await client.get("/api/sites", params={"customer": "globex"}, headers=as_("wendy"))
    assert (r.status_code, r.json()["detail"]) == (404, "no such customer")
    r = await client.get("/api/sites/east/revisions", params={"customer": "globex"}, headers=as_("wendy"))
    assert r.status_code == 404
    r = await client.get("/api/sites", params={"customer": "globex"}, headers=as_("pat"))
    assert [s["name"] for s in r.json()["items"]] == ["east"]
    r = await client.get("/api/sites", headers=as_("mallory"))
    assert r.status_code == 401

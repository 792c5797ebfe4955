"""The JSON API through the real app and kit middleware, with a fake assertion verifier (the
boundary: the assertion header names the demo user whose Caller it stands for)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from assertion_fakes import NamedVerifier
from traffic_store_support import db
from traffic_web_support import G1, G2, T0, Web, caller, web

from resources.traffic.app import create_app

__all__ = ["db", "web"]


@pytest.fixture
async def client(web: Web) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(web.ctx.settings, verifier=NamedVerifier(caller), context=web.ctx, run_runtime=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://traffic") as c:
        yield c


def as_(user: str) -> dict[str, str]:
    return {"X-Switchboard-Assertion": user}


async def test_buckets(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/buckets?day=2026-03-02", headers=as_("bob@globex"))
    assert r.status_code == 200
    body = r.json()
    assert (body["selection"], body["from"], body["to"], body["bucket_seconds"]) == (
        {"value": "all", "label": "All your numbers"},
        "2026-03-02T00:00:00+00:00",
        "2026-03-03T00:00:00+00:00",
        300,
    )
    assert body["items"][0] == {
        "start": "2026-03-02T15:00:00+00:00", "offered": 2, "answered": 1, "short": 0, "abandoned": 0,
        "no_answer": 0, "busy": 1, "all_trunks_busy": 0, "blocked": 0, "failed": 0, "talk_seconds": 60,
        "tta_ms": 5000, "starts": 2, "ends": 2, "asr": 0.5, "ner": 1.0, "acd": 60.0, "tta": 5.0,
        "peak_concurrent": 0,
    }  # fmt: skip
    assert [i["start"] for i in body["items"]] == ["2026-03-02T15:00:00+00:00", "2026-03-02T15:10:00+00:00"]
    assert (body["totals"]["offered"], body["totals"]["asr"]) == (3, 1 / 3)
    # epoch seconds work in the API; the end is exclusive
    r = await client.get(f"/api/buckets?from={int(T0)}&to={int(T0) + 300}", headers=as_("admin"))
    assert [(i["start"], i["offered"]) for i in r.json()["items"]] == [("2026-03-02T15:00:00+00:00", 4)]
    r = await client.get(
        "/api/buckets?day=2026-03-02&format=csv&select=site:globex/west", headers=as_("alice@globex")
    )
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    assert r.headers["content-disposition"] == 'attachment; filename="traffic-20260302.csv"'
    assert r.text.splitlines()[1].startswith("2026-03-02T15:00:00Z,1,0,0,0,0,1,")


async def test_bucket_errors(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/buckets?day=03/02/2026&select=planet:mars", headers=as_("alice@globex"))
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["errors"] == [
        {"field": "select", "message": "Choose what to show: all, customer:<id>, number:<+1800…> or "
         "site:<customer>/<site>."},
        {"field": "day", "message": "Give the day as YYYY-MM-DD."},
    ]  # fmt: skip
    r = await client.get("/api/buckets?from=2026-01-01&to=2026-03-01", headers=as_("alice@globex"))
    assert (r.status_code, r.json()["errors"]) == (
        422, [{"field": "to", "message": "Show at most 31 days at a time."}],
    )  # fmt: skip
    r = await client.get("/api/buckets?from=2026-01-01", headers=as_("alice@globex"))
    assert r.json()["errors"] == [{"field": "to", "message": "Give the end of the range too."}]
    r = await client.get(f"/api/buckets?select=number:{G2}", headers=as_("bob@globex"))
    assert (r.status_code, r.json()["detail"]) == (404, "+18005550101 is not among what you can see")


async def test_calls_list_detail_and_csv(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/calls?limit=1", headers=as_("bob@globex"))
    body = r.json()
    assert [i["call_id"] for i in body["items"]] == ["g4"]
    assert body["items"][0] == {
        "call_id": "g4", "number": G1, "customer_id": "globex", "ani": None, "site": "east",
        "destination": "site:east", "carrier": None, "version": None, "start": T0 + 600, "answer": None,
        "end": None, "disposition": None, "sip_code": None, "q850": None, "billable": None,
        "call_class": None, "account_code": None, "updated": T0 + 620,
    }  # fmt: skip
    r = await client.get(
        "/api/calls", params={"limit": "1", "before": body["next"]}, headers=as_("bob@globex")
    )
    assert [i["call_id"] for i in r.json()["items"]] == ["g2"]
    r = await client.get("/api/calls/g1", headers=as_("alice@globex"))
    assert r.status_code == 200
    detail = r.json()
    assert (detail["path"], detail["version"], detail["duration"], detail["billable"], detail["element"]) == (
        ["M", "M.0"], 1, 65.0, 60, "kam1",
    )  # fmt: skip
    assert (await client.get("/api/calls/g3", headers=as_("bob@globex"))).status_code == 404
    assert (await client.get("/api/calls/i1", headers=as_("alice@globex"))).status_code == 404
    r = await client.get("/api/calls?disposition=lost", headers=as_("alice@globex"))
    assert (r.status_code, r.json()["errors"][0]["field"]) == (422, "disposition")
    r = await client.get("/api/calls?format=csv&disposition=busy", headers=as_("alice@globex"))
    assert r.headers["content-disposition"] == 'attachment; filename="calls.csv"'
    assert [line.split(",")[0] for line in r.text.splitlines()] == ["call_id", "g2"]


async def test_live_and_ingest(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/live?select=site:globex/east", headers=as_("alice@globex"))
    body = r.json()
    assert body["selection"] == {"value": "site:globex/east", "label": "Site east"}
    assert (body["totals"]["offered"], body["totals"]["answered"], body["totals"]["concurrent"]) == (2, 1, 1)
    assert body["now"] == T0 + 620
    r = await client.get("/api/live?select=bogus", headers=as_("alice@globex"))
    assert r.status_code == 422
    r = await client.get("/api/ingest", headers=as_("admin"))
    assert r.status_code == 200
    assert (r.json()["accepted"], r.json()["elements"]) == (0, {})
    assert (await client.get("/api/ingest")).status_code == 401  # no assertion: default deny

"""Outbound calls on the read side: a calling line is a number for scoping (a user scoped to a line
sees only its calls, a reseller only its customers' lines), the calls API and pages show the
calling class and account code, the calls list filters by class, history and live work for a line.

On top of traffic_web_support's calls: Globex owns line L1 (+13125550142), Initech (under Acme)
owns line L2 (+442079460000); calls (T0 = 2026-03-02 15:00:00 UTC):
* o1  L1 international, acct 1001: seized T0+100, answered T0+100, ended T0+160.5
* o2  L1 international, acct 1001: refused by the calling policy (403) at T0+200
* o3  L2 local: seized T0+300, answered T0+300, ended T0+330
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator

import httpx
import pytest
from assertion_fakes import NamedVerifier
from traffic_store_support import db
from traffic_web_support import DAY, G1, T0, Web, summaries, web
from traffic_web_support import caller as demo_caller

from resources.kit.caller import Caller, Entitlement
from resources.kit.db import unit_of_work
from resources.traffic import service
from resources.traffic.app import create_app
from resources.traffic.manifest import VIEW
from resources.traffic.model import CallEvent, Key, NumberInfo
from resources.traffic.schemas import CallQuery
from resources.traffic.scope import ViewScope
from resources.traffic.store import apply_batch
from resources.traffic.wire import parse_record

__all__ = ["db", "web"]

L1, L2 = "+13125550142", "+442079460000"
LINES = (
    NumberInfo(number=L1, customer_id="globex"),
    NumberInfo(number=L2, customer_id="initech", resellers=("acme",)),
)
RECORDS = [
    {"start_time": T0 + 100, "end_time": T0 + 160.5, "duration": "60.5", "callid": "o1", "line": "3125550142",
     "class": "international", "account": "1001", "dest": "+442079460000", "sip_code": "200"},
    {"time": T0 + 200, "method": "INVITE", "callid": "o2", "sip_code": "403", "block": "policy",
     "sip_reason": "International calls not allowed", "line": L1, "class": "international",
     "account": "1001", "dest": "+4930123456"},
    {"start_time": T0 + 300, "end_time": T0 + 330, "callid": "o3", "line": L2, "class": "local",
     "dest": "+442079460001", "sip_code": 200},
]  # fmt: skip
DAVE = dataclasses.replace(
    demo_caller("bob@globex"), username="dave@globex", entitlements=(Entitlement(action=VIEW, scope=(L1,)),)
)


def caller(username: str) -> Caller:
    return DAVE if username == "dave@globex" else demo_caller(username)


def events() -> list[CallEvent]:
    out = []
    for record in RECORDS:
        event = parse_record(record, element="kam1", now=T0 + 620)
        assert isinstance(event, CallEvent), event
        out.append(event)
    return out


@pytest.fixture
async def outbound(web: Web) -> Web:
    web.ctx.numbers.replace_lines(LINES)
    async with unit_of_work(web.ctx.maker, write=True) as session:
        result = await apply_batch(session, events(), web.ctx.numbers, now=T0 + 620)
    assert (result.accepted, result.outcomes) == (3, ["accepted"] * 3)
    web.ctx.live.apply(result.contributions, summaries(result), stamp_ms=int(web.clock.now * 1000))
    return web


@pytest.fixture
async def client(outbound: Web) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(
        outbound.ctx.settings, verifier=NamedVerifier(caller), context=outbound.ctx, run_runtime=False
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://traffic") as c:
        yield c


def as_(user: str) -> dict[str, str]:
    return {"X-Switchboard-Assertion": user}


async def ids(client: httpx.AsyncClient, user: str, **params: str) -> list[str]:
    r = await client.get("/api/calls", params=params, headers=as_(user))
    assert r.status_code == 200, r.text
    return [item["call_id"] for item in r.json()["items"]]


def test_a_line_is_a_number_to_the_scope(outbound: Web) -> None:
    d = outbound.ctx.numbers
    dave = ViewScope.for_caller(DAVE, d)
    assert dave is not None
    assert [(s.value, s.label) for s in dave.choices()] == [
        ("all", "All your numbers"),
        (f"number:{L1}", f"Line {L1}"),
        ("site:globex/east", "Site east"),  # like any number-scoped user's (bob's too)
        ("site:globex/west", "Site west"),
    ]
    assert (dave.contains(Key("globex", L1, "", "")), dave.contains(Key("globex", G1, "", ""))) == (
        True,
        False,
    )
    assert dave.customers() == ["globex"]
    assert dave.selection(f"number:{L1}") is not None
    assert dave.selection(f"number:{L2}") is None
    rita = ViewScope.for_caller(demo_caller("rita@acme"), d)
    assert rita is not None
    assert (rita.contains(Key("initech", L2, "", "")), rita.contains(Key("globex", L1, "", ""))) == (
        True,
        False,
    )
    assert [s.value for s in rita.choices() if s.number] == ["number:+18665550104", f"number:{L2}"]
    assert rita.selection(f"number:{L1}") is None
    bob = ViewScope.for_caller(demo_caller("bob@globex"), d)
    assert bob is not None
    assert bob.selection(f"number:{L1}") is None


async def test_who_sees_which_outbound_calls(client: httpx.AsyncClient) -> None:
    assert await ids(client, "dave@globex") == ["o2", "o1"]
    assert [i for i in await ids(client, "alice@globex") if i.startswith("o")] == ["o2", "o1"]
    assert [i for i in await ids(client, "bob@globex") if i.startswith("o")] == []
    assert [i for i in await ids(client, "rita@acme") if i.startswith("o")] == ["o3"]
    assert [i for i in await ids(client, "carol@initech") if i.startswith("o")] == ["o3"]
    assert await ids(client, "admin", number="3125550142") == ["o2", "o1"]
    r = await client.get("/api/calls", params={"number": L1}, headers=as_("bob@globex"))
    assert (r.status_code, r.json()["detail"]) == (404, f"{L1} is not one of your numbers")
    for user, visible in (("dave@globex", True), ("bob@globex", False), ("rita@acme", False)):
        r = await client.get("/api/calls/o1", headers=as_(user))
        assert r.status_code == (200 if visible else 404)


async def test_the_calls_api_carries_class_and_account_code(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/calls", params={"number": L1}, headers=as_("dave@globex"))
    assert r.json()["items"][1] == {
        "call_id": "o1", "number": L1, "customer_id": "globex", "ani": None, "site": None,
        "destination": "+442079460000", "carrier": None, "version": None, "start": T0 + 100,
        "answer": T0 + 100, "end": T0 + 160.5, "disposition": "answered", "sip_code": 200, "q850": 16,
        "billable": 61, "call_class": "international", "account_code": "1001", "updated": T0 + 620,
    }  # fmt: skip
    detail = (await client.get("/api/calls/o2", headers=as_("dave@globex"))).json()
    assert (
        detail["disposition"], detail["block"], detail["sip_code"], detail["reason"], detail["call_class"],
        detail["account_code"],
    ) == ("blocked", "policy", 403, "International calls not allowed", "international", "1001")  # fmt: skip
    assert await ids(client, "admin", **{"class": "international"}) == ["o2", "o1"]
    assert await ids(client, "admin", **{"class": "local"}) == ["o3"]
    assert await ids(client, "admin", **{"class": "premium"}) == []
    assert await ids(client, "admin", **{"class": "international", "disposition": "blocked"}) == ["o2"]
    r = await client.get("/api/calls", params={"class": "Intl!"}, headers=as_("admin"))
    assert (r.status_code, r.json()["errors"]) == (
        422,
        [{"field": "class", "message": "Give a calling class like local, long-distance, international."}],
    )
    csv = (
        await client.get("/api/calls", params={"format": "csv", "class": "local"}, headers=as_("admin"))
    ).text
    assert csv.splitlines()[0].endswith(",element,call_class")
    assert csv.splitlines()[1].startswith("o3,+442079460000,initech,,,+442079460001,")
    assert csv.splitlines()[1].endswith(",kam1,local")


async def test_the_pages_show_class_and_account_code(client: httpx.AsyncClient) -> None:
    r = await client.get("/calls", params={"class": "international"}, headers=as_("dave@globex"))
    assert r.status_code == 200
    html = r.text
    assert html.count("<tr data-call=") == 2
    assert '<span class="muted" data-class="international">international · acct 1001</span>' in html
    assert '<option value="international" selected>international</option>' in html
    assert f"Your numbers: {L1}" in html
    r = await client.get("/calls", params={"class": "Intl!"}, headers=as_("dave@globex"))
    assert r.status_code == 422
    assert "Give a calling class like local, long-distance, international." in r.text
    r = await client.get("/calls/o2", headers=as_("dave@globex"))
    html = r.text
    assert f"<div><dt>Calling line</dt><dd data-line>{L1}</dd></div>" in html
    assert "<div><dt>Calling class</dt><dd data-class>international</dd></div>" in html
    assert "<div><dt>Account code</dt><dd data-account>1001</dd></div>" in html
    assert "Blocked (blocked by the calling policy)" in html
    assert "/tollfree/numbers/" not in html
    r = await client.get("/calls/g1", headers=as_("alice@globex"))
    assert f'<a href="/tollfree/numbers/{G1}">{G1}</a>' in r.text
    assert "data-class" not in r.text


async def test_history_and_live_of_a_line(client: httpx.AsyncClient, outbound: Web) -> None:
    r = await client.get(
        "/api/buckets", params={"select": f"number:{L1}", "day": DAY}, headers=as_("dave@globex")
    )
    assert r.status_code == 200
    totals = r.json()["totals"]
    assert (totals["offered"], totals["answered"], totals["blocked"], totals["talk_seconds"]) == (2, 1, 1, 61)
    r = await client.get(
        "/api/buckets", params={"select": f"number:{L2}", "day": DAY}, headers=as_("dave@globex")
    )
    assert r.status_code == 404
    live = service.live_totals(
        caller=DAVE, numbers=outbound.ctx.numbers, live=outbound.ctx.live, value=f"number:{L1}"
    )
    assert (live["selection"], live["totals"]["offered"], live["totals"]["blocked"]) == (
        {"value": f"number:{L1}", "label": f"Line {L1}"},
        2,
        1,
    )
    async with unit_of_work(outbound.ctx.maker, write=False) as s:
        page = await service.search_calls(
            s, caller=DAVE, numbers=outbound.ctx.numbers, query=CallQuery(call_class="international")
        )
    assert [c.call_id for c in page.items] == ["o2", "o1"]

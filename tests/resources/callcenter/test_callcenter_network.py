"""The router on the network plane through the real app: the ordered sites for a call, live
occupancy from traffic's events and from the router's own offers, hours at the call's instant,
treatments, the echo of the SCP's fields, and bad input."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from assertion_fakes import NamedVerifier
from callcenter_support import ALICE, T0, Rig, rig, site

from resources.callcenter.app import create_app
from resources.callcenter.runtime import DISTRIBUTIONS, handle, publish_names
from resources.kit.caller import Caller, Entitlement
from resources.kit.events import Event, InProcessBus
from resources.kit.settings import ResourceSettings

__all__ = ["rig"]

SWITCH = Caller(
    subject="element:switch",
    username="switch",
    kind="element",
    plane="network",
    org_id="provider",
    customer_id=None,
    reseller_chain=(),
    brand="default",
    entitlements=(Entitlement(action="callcenter:route-query"),),
    session=None,
    request_id="rid-n",
    jti="jn",
)
LEAST_BUSY = {
    "name": "main",
    "method": "least-busy",
    "members": [{"site": "east", "share": 1}, {"site": "west", "share": 1}],
    "overflow": ["south"],
    "after_hours": {"kind": "ring-to", "target": "+13125550199"},
    "all_busy": None,
}
ALWAYS = {
    "zone": "UTC",
    "weekly": {d: ["00:00-24:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
}
CALL = {"customer": "globex", "distribution": "main", "dnis": "+18005550100", "callid": "c1"}
EAST, WEST, SOUTH = (
    "sip:+18005550100@10.0.0.71:5071",
    "sip:+18005550100@10.0.0.72:5072",
    "sip:+18005550100@10.0.0.73:5073",
)


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
    app = create_app(settings, verifier=NamedVerifier({"alice": ALICE, "switch": SWITCH}), context=rig.ctx)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://callcenter") as c:
        for raw in (
            site("east", 5, 5071),
            site("west", 10, 5072),
            {**site("south", 3, 5073), "hours": ALWAYS},
        ):
            r = await c.put(
                f"/api/sites/{raw['name']}", json=raw, headers={"X-Switchboard-Assertion": "alice"}
            )
            assert r.status_code == 201
        r = await c.put(
            "/api/distributions/main", json=LEAST_BUSY, headers={"X-Switchboard-Assertion": "alice"}
        )
        assert r.status_code == 201
        yield c


async def ask(client: httpx.AsyncClient, fmt: str = "json", **body: Any) -> httpx.Response:
    return await client.post(
        f"/network/route?format={fmt}", json={**CALL, **body}, headers={"X-Switchboard-Assertion": "switch"}
    )


def live(rig: Rig, site_name: str, calls: int, *, end: float | None = None, prefix: str = "x") -> None:
    rig.ctx.router.occupancy.reported(
        {"call_id": f"{prefix}{i}", "customer_id": "globex", "site": site_name, "end": end}
        for i in range(calls)
    )


async def test_least_busy_follows_live_calls_and_the_routers_own_offers(
    client: httpx.AsyncClient, rig: Rig
) -> None:
    r = await ask(client)
    # nobody busy: tie on occupancy 0 → the larger site (west, 10) first
    assert r.json() == {
        "distribution": "main",
        "outcome": "route",
        "sites": ["west", "east", "south"],
        "treatment": None,
        "skipped": [],
        "uris": {"west": "sip:10.0.0.72:5072", "east": "sip:10.0.0.71:5071", "south": "sip:10.0.0.73:5073"},
    }
    live(rig, "west", 5)  # traffic: 5 calls up at west (c1 offered there is still pending: 6 of 10)
    assert (await ask(client, callid="c2")).json()["sites"] == ["east", "west", "south"]  # 0/5 < 6/10
    # east has c2 pending (1/5) vs west 6/10: east; then 2/5 < 0.6: east; 3/5 ties 6/10 → west (larger)
    assert [(await ask(client, callid=f"c{n}")).json()["sites"][0] for n in (3, 4, 5)] == [
        "east",
        "east",
        "west",
    ]


async def test_full_sites_are_skipped_and_the_overflow_takes_the_call(
    client: httpx.AsyncClient, rig: Rig
) -> None:
    live(rig, "east", 5, prefix="e")
    live(rig, "west", 10, prefix="w")
    r = await ask(client)
    assert (r.json()["sites"], r.json()["skipped"]) == (
        ["south"],
        [{"site": "east", "reason": "at capacity"}, {"site": "west", "reason": "at capacity"}],
    )
    live(rig, "west", 3, end=1.0, prefix="w")  # three west calls ended
    assert (await ask(client, callid="c9")).json()["sites"] == ["west", "south"]
    # the live view counts the overflow: east passed by twice, west once then took c9, south took c1
    r = await client.get("/api/live", headers={"X-Switchboard-Assertion": "alice"})
    assert r.status_code == 200, r.text
    seen = {s["site"]: (s["overflowed"], s["overflow_received"]) for s in r.json()["sites"]}
    none = {"total": 0, "closed": 0, "at_capacity": 0, "not_answering": 0}
    assert seen == {
        "east": ({**none, "total": 2, "at_capacity": 2}, 0),
        "west": ({**none, "total": 1, "at_capacity": 1}, 1),
        "south": (none, 1),
    }


async def test_an_offered_call_stops_counting_when_traffic_never_reports_it(
    client: httpx.AsyncClient, rig: Rig
) -> None:
    live(rig, "west", 9, prefix="w")  # 9 of 10
    firsts = [(await ask(client, callid=f"p{n}")).json()["sites"][0] for n in range(1, 8)]
    # east takes p1 … p5 (0.2 … 0.8 < 0.9), is full; west takes p6 and is full; p7 overflows
    assert firsts == ["east"] * 5 + ["west", "south"]
    occupancy = rig.ctx.router.occupancy
    counts = {
        name: occupancy.live(customer_id="globex", site=name, now=T0.timestamp())
        for name in ("east", "west", "south")
    }
    assert counts == {"east": 5, "west": 10, "south": 1}
    later = (T0 + timedelta(seconds=31)).timestamp()  # pending_seconds 30: the unreported offers lapse
    counts = {
        name: occupancy.live(customer_id="globex", site=name, now=later) for name in ("east", "west", "south")
    }
    assert counts == {"east": 0, "west": 9, "south": 0}


async def test_hours_are_read_at_the_calls_instant(client: httpx.AsyncClient) -> None:
    evening = (T0 + timedelta(hours=9)).timestamp()  # 19:00 in New York: east and west closed at 18:00
    r = await ask(
        client, "rtjson", ts=evening, number="+18005550100", version=3, path="n1,n4", carrier="0288"
    )
    assert r.json() == {
        "version": "1.0",
        "routing": "serial",
        "routes": [
            {
                "uri": SOUTH,
                "headers": {"extra": "X-Switchboard-Route: +18005550100;v=3;dest=site:south\r\n"},
                "fr_timer": 3000,
                "fr_inv_timer": 20000,
            }
        ],
        "switchboard": {
            "outcome": "route",
            "code": None,
            "reason": None,
            "version": 3,
            "number": "+18005550100",
            "dests": ["site:south"],
            "carrier": "0288",
            "path": "n1,n4,distribution:main",
            "distribution": "main",
            "skipped": ["east closed", "west closed"],
        },
    }


async def test_after_hours_and_all_busy_treatments(client: httpx.AsyncClient, rig: Rig) -> None:
    closed = {**site("south", 3, 5073)}  # south with business hours too: at 19:00 every site is closed
    r = await client.put("/api/sites/south", json=closed, headers={"X-Switchboard-Assertion": "alice"})
    assert r.status_code == 200
    evening = (T0 + timedelta(hours=9)).timestamp()
    r = await ask(client, "rtjson", ts=evening, ring_timeout=30)
    assert (r.json()["routes"], r.json()["switchboard"]["outcome"], r.json()["switchboard"]["dests"]) == (
        [
            {
                "uri": "sip:+13125550199@pstn.invalid",
                "headers": {"extra": "X-Switchboard-Route: -;v=-;treatment=+13125550199\r\n"},
                "fr_timer": 3000,
                "fr_inv_timer": 30000,
            }
        ],
        "after-hours",
        ["+13125550199"],
    )
    for name, n in (("east", 5), ("west", 10), ("south", 3)):
        live(rig, name, n, prefix=name)
    r = await ask(client, "rtjson", callid="busy")
    assert (r.json()["routes"], r.json()["switchboard"]["code"], r.json()["switchboard"]["reason"]) == (
        [],
        486,
        "All call centers busy",
    )


async def test_announcement_treatment_without_and_with_a_media_server(
    client: httpx.AsyncClient, rig: Rig
) -> None:
    busy = {**LEAST_BUSY, "all_busy": {"kind": "announcement", "target": "all-busy"}}
    r = await client.put("/api/distributions/main", json=busy, headers={"X-Switchboard-Assertion": "alice"})
    assert r.status_code == 200
    for name, n in (("east", 5), ("west", 10), ("south", 3)):
        live(rig, name, n, prefix=name)
    r = await ask(client, "rtjson")
    assert (r.json()["routes"], r.json()["switchboard"]["code"], r.json()["switchboard"]["reason"]) == (
        [],
        480,
        "announcement all-busy (no media server)",
    )
    object.__setattr__(rig.ctx, "announce_uri", "sip:{treatment}@127.0.0.1:5090")
    r = await ask(client, "rtjson", callid="c2")
    assert ([x["uri"] for x in r.json()["routes"]], r.json()["switchboard"]["dests"]) == (
        ["sip:all-busy@127.0.0.1:5090"],
        ["announce:all-busy"],
    )


async def test_a_change_is_obeyed_on_the_next_call_after_callcenter_changed(
    client: httpx.AsyncClient, rig: Rig
) -> None:
    live(rig, "east", 3)  # east 3/5 = 0.6
    assert (await ask(client)).json()["sites"][0] == "west"  # 0/10; c1 pending there: 1/10
    r = await client.put(
        "/api/sites/east", json=site("east", 40, 5071), headers={"X-Switchboard-Assertion": "alice"}
    )
    assert r.status_code == 200
    # the router has not heard callcenter.changed yet: east is still 3/5, west 1/10
    assert (await ask(client, callid="c2")).json()["sites"][0] == "west"
    await handle(rig.ctx, Event("callcenter.changed", {"customer_id": "globex"}))
    # now east is 3/40 = 0.075, west 2/10
    assert (await ask(client, callid="c3")).json()["sites"][0] == "east"
    assert rig.bus.published[-1] == (DISTRIBUTIONS, {"customers": {"globex": ["main"]}})


async def test_a_scheduled_change_takes_effect_without_an_event(client: httpx.AsyncClient, rig: Rig) -> None:
    at = T0 + timedelta(minutes=10)
    body = site("east", 40, 5071) | {"effective_at": at.isoformat()}
    r = await client.put("/api/sites/east", json=body, headers={"X-Switchboard-Assertion": "alice"})
    assert r.status_code == 200
    await handle(rig.ctx, Event("callcenter.changed", {"customer_id": "globex"}))
    assert (await ask(client, ts=T0.timestamp())).json()["sites"][0] == "west"
    rig.clock.now = at
    assert (await ask(client, callid="c2", ts=at.timestamp())).json()["sites"][0] == "east"


async def test_distribution_names_include_scheduled_ones(client: httpx.AsyncClient, rig: Rig) -> None:
    body = {**LEAST_BUSY, "name": "night", "effective_at": (T0 + timedelta(hours=1)).isoformat()}
    r = await client.put("/api/distributions/night", json=body, headers={"X-Switchboard-Assertion": "alice"})
    assert r.status_code == 201
    await publish_names(rig.ctx)
    assert rig.bus.published[-1] == (DISTRIBUTIONS, {"customers": {"globex": ["main", "night"]}})


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"customer": None}, "customer", "customer must be a non-empty string of at most 256 characters"),
        ({"distribution": "Main!"}, "distribution", "distribution must be a distribution name, like main"),
        ({"dnis": ""}, "dnis", "dnis must be a non-empty string of at most 256 characters"),
        ({"ts": "now"}, "ts", "ts must be a time in epoch seconds (a number) or null"),
        ({"ring_timeout": 2}, "ring_timeout", "ring_timeout must be a whole number from 5 to 120"),
        ({"version": 0}, "version", "version must be a whole number from 1 to 2147483648"),
        ({"callid": 7}, "callid", "callid must be a non-empty string, or null of at most 256 characters"),
    ],
)
async def test_bad_requests_name_the_field(
    client: httpx.AsyncClient, body: dict[str, Any], field: str, message: str
) -> None:
    r = await ask(client, **body)
    assert (r.status_code, r.json()["errors"]) == (422, [{"field": field, "message": message}])


async def test_unknown_distribution_format_and_plane(client: httpx.AsyncClient) -> None:
    r = await ask(client, distribution="nope")
    assert (r.status_code, r.json()["detail"]) == (404, "customer globex has no distribution nope")
    r = await ask(client, "xml")
    assert (r.status_code, r.json()["errors"]) == (
        422,
        [{"field": "format", "message": "format must be json or rtjson"}],
    )
    r = await client.post("/network/route", json=CALL, headers={"X-Switchboard-Assertion": "alice"})
    assert r.status_code == 403


async def test_a_change_counts_for_a_call_whose_ts_is_a_moment_earlier(
    client: httpx.AsyncClient, rig: Rig
) -> None:
    """The switch's ts has whole seconds: a change committed at 15:00:00.6 counts for a call
    stamped 15:00:00 (what is in effect goes by the router's clock; only hours by the ts)."""
    rig.clock.now = T0 + timedelta(milliseconds=600)
    r = await client.put(
        "/api/sites/east", json=site("east", 40, 5071), headers={"X-Switchboard-Assertion": "alice"}
    )
    assert r.status_code == 200
    live(rig, "west", 1)  # west 1/10 vs east 0/40 (0/5 before the change: the same order)
    live(rig, "east", 1, prefix="e")  # east 1/40 now; it would be 1/5 before the change
    assert (await ask(client, ts=T0.timestamp())).json()["sites"] == ["east", "west", "south"]


async def test_the_live_view_counts_what_the_router_counts(client: httpx.AsyncClient, rig: Rig) -> None:
    live(rig, "west", 4)
    assert (await ask(client)).json()["sites"][0] == "east"  # 0/5 < 4/10: c1 is offered to east
    r = await client.get("/api/live", headers={"X-Switchboard-Assertion": "alice"})
    assert r.json() == {
        "customer": "globex",
        "sites": [
            {
                "site": "east",
                "open": True,
                "capacity": 5,
                "live": 1,
                "occupancy": 0.2,
                "overflowed": {"total": 0, "closed": 0, "at_capacity": 0, "not_answering": 0},
                "overflow_received": 0,
                "traffic": "site:globex/east",
            },
            {
                "site": "south",
                "open": True,
                "capacity": 3,
                "live": 0,
                "occupancy": 0.0,
                "overflowed": {"total": 0, "closed": 0, "at_capacity": 0, "not_answering": 0},
                "overflow_received": 0,
                "traffic": "site:globex/south",
            },
            {
                "site": "west",
                "open": True,
                "capacity": 10,
                "live": 4,
                "occupancy": 0.4,
                "overflowed": {"total": 0, "closed": 0, "at_capacity": 0, "not_answering": 0},
                "overflow_received": 0,
                "traffic": "site:globex/west",
            },
        ],
    }

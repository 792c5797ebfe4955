"""The call-center pages through the real app and kit middleware, with the fake assertion verifier
(the assertion header names the caller). Demo data (Globex: east 5 New York 08:00-18:00 on
weekdays, west 10 Los Angeles 07:00-19:00, south 3 always open; `main` least-busy over east and
west, overflow south) at the rig's clock: Monday 2026-12-07 15:00 UTC, 10:00 in New York and
07:00 in Los Angeles. Forms are submitted with the values the page rendered into them, changed
where a person would type."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest
from assertion_fakes import NamedVerifier
from callcenter_support import ALICE, Rig, person, rig

from dispatcher.policy import decide
from resources.callcenter import service
from resources.callcenter.app import create_app
from resources.callcenter.context import transaction
from resources.callcenter.demo import load_demo
from resources.callcenter.manifest import MANIFEST
from resources.callcenter.views import routes as view_routes
from resources.kit.caller import Entitlement, Principal
from resources.kit.events import InProcessBus
from resources.kit.manifest import NavEntry
from resources.kit.settings import ResourceSettings

__all__ = ["rig"]

CALLERS = {
    "alice": ALICE,
    "vera": person(edit=False, name="vera@globex"),  # view only
    "wendy": person("initech", name="wendy@initech"),
    "pat": person(None, kind="provider", name="pat@provider"),
}
CAPACITY_HINT = "must be a whole number of agents or trunks from 0 to 100,000"


@pytest.fixture
async def client(rig: Rig, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    await load_demo(rig.ctx)
    rig.bus.published.clear()
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


def as_(name: str, *, htmx: bool = True) -> dict[str, str]:
    return {"X-Switchboard-Assertion": name, **({"HX-Request": "true"} if htmx else {})}


class _Form(HTMLParser):
    """The values a browser would submit from the form marked data-form=`key`."""

    def __init__(self, key: str) -> None:
        super().__init__()
        self.key, self.inside, self.select = key, False, ""
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.inside = a.get("data-form") == self.key
        elif self.inside and tag == "input" and a.get("type") != "submit":
            self.fields[a["name"]] = a.get("value", "")
        elif self.inside and tag == "select":
            self.select = a["name"]
            self.fields.setdefault(self.select, "")
        elif self.inside and tag == "option" and "selected" in a:
            self.fields[self.select] = a["value"]

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False


def form_fields(html: str, key: str) -> dict[str, str]:
    parser = _Form(key)
    parser.feed(html)
    assert parser.fields, f"no form {key}"
    return parser.fields


def site_rows(html: str) -> list[tuple[str, str, str, str]]:
    """(site, capacity, today's hours, open now) per row of the sites table."""
    return re.findall(
        r'<tr data-site="([a-z-]+)">.*?<td data-capacity>(\d+)</td>.*?data-today>(.*?)</td>\s*'
        r'<td data-open="(yes|no)">',
        html,
        re.S,
    )


def field_error(html: str, input_id: str) -> str | None:
    match = re.search(rf'<p class="field-error" id="{re.escape(input_id)}-error">([^<]*)</p>', html)
    return unescape(match.group(1)) if match else None


async def stored(rig: Rig, name: str) -> tuple[dict[str, Any], list[int]]:
    """East's (etc.) document in effect now and its revision numbers."""
    async with transaction(rig.ctx, write=False) as tx:
        config = await service.config_at(tx, caller=ALICE, customer_id="globex")
        rows = await service.history(tx, caller=ALICE, customer_id="globex", kind="site", name=name)
    return config.sites[name].as_json(), [r.number for r in rows]


async def test_the_sites_page_shows_what_is_in_effect_now(client: httpx.AsyncClient) -> None:
    r = await client.get("/sites", headers=as_("alice", htmx=False))
    assert (r.status_code, r.headers["X-Switchboard-Page"]) == (200, "Call-center%20sites")
    assert site_rows(r.text) == [
        ("east", "5", "08:00-18:00", "yes"),
        ("south", "3", "00:00-24:00", "yes"),
        ("west", "10", "07:00-19:00", "yes"),
    ]
    assert "<td><code>sip:127.0.0.1:5071</code></td>" in r.text
    assert '<td>America/New_York<br><span class="muted">local time 10:00 EST</span></td>' in r.text
    assert '<td>America/Los_Angeles<br><span class="muted">local time 07:00 PST</span></td>' in r.text
    assert "Now: 2026-12-07 15:00 UTC." in r.text
    # every input has a label (ids are unique on the page)
    ids = re.findall(r'<(?:input|select) class="field__input" id="([^"]+)"', r.text)
    labels = re.findall(r'<label class="field__label[^"]*" for="([^"]+)"', r.text)
    # three edit forms of 19 inputs, the new-site form (and its name), three capacity forms
    assert len(ids) == len(set(ids)) == 3 * 19 + 20 + 3
    assert sorted(ids) == sorted(labels)


async def test_a_bad_capacity_is_shown_next_to_its_field_and_nothing_changes(
    client: httpx.AsyncClient, rig: Rig
) -> None:
    page = await client.get("/sites", headers=as_("alice"))
    data = form_fields(page.text, "edit-east") | {"capacity": "abc", "description": "typed but not saved"}
    r = await client.post("/sites/east", data=data, headers=as_("alice"))
    assert r.status_code == 422
    assert field_error(r.text, "edit-east-capacity") == CAPACITY_HINT
    assert 'aria-describedby="edit-east-capacity-help edit-east-capacity-error" aria-invalid="true"' in r.text
    assert '<details id="edit-east" open>' in r.text
    assert form_fields(r.text, "edit-east")["capacity"] == "abc"  # as typed
    assert form_fields(r.text, "edit-east")["description"] == "typed but not saved"
    assert form_fields(r.text, "edit-west")["capacity"] == "10"
    assert site_rows(r.text)[0] == ("east", "5", "08:00-18:00", "yes")
    doc, numbers = await stored(rig, "east")
    assert (doc["capacity"], doc["description"], numbers) == (5, "Globex east call center (New York)", [1])
    assert rig.bus.published == []


async def test_the_edit_form_changes_capacity_hours_and_closures(client: httpx.AsyncClient, rig: Rig) -> None:
    page = await client.get("/sites", headers=as_("alice"))
    data = form_fields(page.text, "edit-east") | {
        "capacity": "40",
        "weekly_mon": "08:00-12:00 , 13:00 - 17:00",
        "weekly_sat": "closed",
        "weekly_sun": "10:00-14:00",
        "closure_1_from": "2026-12-24T15:00",
        "closure_1_to": "2026-12-27T00:00",
        "closure_1_reason": "Christmas",
    }
    r = await client.post("/sites/east", data=data, headers=as_("alice"))
    assert r.status_code == 200
    assert '<p class="alert alert--success" role="status" data-notice>' in r.text
    assert "Site east saved: revision 2 is in effect now." in r.text
    assert site_rows(r.text)[0] == ("east", "40", "08:00-12:00, 13:00-17:00", "yes")
    doc, numbers = await stored(rig, "east")
    assert numbers == [1, 2]
    assert doc["hours"] == {
        "zone": "America/New_York",
        "weekly": {
            "mon": ["08:00-12:00", "13:00-17:00"],
            **{d: ["08:00-18:00"] for d in ("tue", "wed", "thu", "fri")},
            "sat": [],
            "sun": ["10:00-14:00"],
        },
        "closures": [{"from": "2026-12-24T15:00", "to": "2026-12-27T00:00", "reason": "Christmas"}],
    }
    assert rig.bus.published == [("callcenter.changed", {"customer_id": "globex"})]
    again = form_fields(r.text, "edit-east")
    assert (again["closure_0_reason"], again["closure_1_from"], again["closure_2_from"]) == (
        "Christmas",
        "",
        "",
    )


async def test_hours_errors_point_at_their_inputs(client: httpx.AsyncClient, rig: Rig) -> None:
    page = await client.get("/sites", headers=as_("alice"))
    base = form_fields(page.text, "edit-east")
    cases = [
        ({"weekly_tue": "08:00-12:00, 11:00-15:00"}, "edit-east-weekly_tue",
         "08:00-12:00 and 11:00-15:00 overlap"),
        ({"weekly_wed": "8-12"}, "edit-east-weekly_wed",
         "'8-12' is not \"HH:MM-HH:MM\" (24-hour clock, e.g. \"08:00-17:30\")"),
        ({"zone": "Mars/Base"}, "edit-east-zone", "'Mars/Base' is not a known IANA time zone"),
        # the first closure row left empty: the error of the second row is on the second row
        ({"closure_1_from": "2026-12-24T15:00", "closure_1_to": "2026-12-24T09:00"}, "edit-east-closure_1",
         "ends (2026-12-24T09:00) before it starts (2026-12-24T15:00)"),
        ({"closure_0_from": "2026-12-24T15:00", "closure_0_to": "soon"}, "edit-east-closure_0_to",
         "'soon' is not a local date and time YYYY-MM-DDTHH:MM"),
        ({"uri": "east.example"}, "edit-east-uri",
         "Give the site as sip:host:port, optionally ;transport=udp or tcp."),
        ({"effective_at": "2026-12-07T09:00"}, "edit-east-effective_at",
         "must be now or later (a change cannot apply to the past)"),
        ({"effective_at": "tomorrow"}, "edit-east-effective_at",
         "give a date and time as YYYY-MM-DDTHH:MM, e.g. 2026-12-24T15:00"),
        ({"effective_at": "2026-12-08T09:00", "effective_zone": "Nowhere"}, "edit-east-effective_zone",
         "'Nowhere' is not a known IANA time zone"),
    ]  # fmt: skip
    for change, input_id, message in cases:
        r = await client.post("/sites/east", data=base | change, headers=as_("alice"))
        assert (r.status_code, field_error(r.text, input_id)) == (422, message), change
        assert len(re.findall(r'<p class="field-error" id="[^"]+-error">', r.text)) == 1
    assert (await stored(rig, "east"))[1] == [1]
    r = await client.post("/sites/east", data=base, headers=as_("alice"))  # nothing changed
    assert r.status_code == 422
    assert (
        '<div class="alert alert--error" role="alert" tabindex="-1" autofocus data-form-error>'
        "Site east is already configured like that then.</div>" in r.text
    )


async def test_close_for_the_rest_of_today_adds_one_revision(client: httpx.AsyncClient, rig: Rig) -> None:
    r = await client.post("/sites/west/close-today", headers=as_("alice"))
    assert r.status_code == 200
    assert "Site west is closed until 2026-12-08 00:00 America/Los_Angeles (revision 2)." in r.text
    assert site_rows(r.text)[2] == (
        "west",
        "10",
        "07:00-19:00<br><span data-closure-today>closed 07:00-24:00 (Closed for the rest of today)</span>",
        "no",
    )
    assert '<td data-open="no"><span class="badge badge--neutral">Closed</span></td>' in r.text
    doc, numbers = await stored(rig, "west")
    assert numbers == [1, 2]
    assert doc["hours"]["closures"] == [
        {"from": "2026-12-07T07:00", "to": "2026-12-08T00:00", "reason": "Closed for the rest of today"}
    ]
    assert doc["capacity"] == 10
    r = await client.post("/sites/west/close-today", headers=as_("alice"))
    assert r.status_code == 422
    assert (
        '<p class="field-error" role="alert" tabindex="-1" autofocus data-error="close-west">'
        "Site west is already closed for the rest of today.</p>" in r.text
    )
    assert (await stored(rig, "west"))[1] == [1, 2]


async def test_set_capacity_in_one_click(client: httpx.AsyncClient, rig: Rig) -> None:
    r = await client.post("/sites/east/capacity", data={"capacity": "40"}, headers=as_("alice"))
    assert r.status_code == 200
    assert "Site east now takes 40 calls at a time (revision 2)." in r.text
    assert site_rows(r.text)[0] == ("east", "40", "08:00-18:00", "yes")
    r = await client.post("/sites/east/capacity", data={"capacity": "-3"}, headers=as_("alice"))
    assert (r.status_code, field_error(r.text, "capacity-east-capacity")) == (422, CAPACITY_HINT)
    assert form_fields(r.text, "capacity-east") == {"capacity": "-3"}
    r = await client.post("/sites/east/capacity", data={"capacity": "40"}, headers=as_("alice"))
    assert r.status_code == 422
    assert (
        '<p class="field-error" id="capacity-east-form-error" role="alert">'
        "Site east is already configured like that then.</p>" in r.text
    )
    doc, numbers = await stored(rig, "east")
    assert (doc["capacity"], numbers) == (40, [1, 2])
    r = await client.post("/sites/nowhere/capacity", data={"capacity": "4"}, headers=as_("alice"))
    assert (r.status_code, r.json()["detail"]) == (404, "no such site: nowhere")


async def test_a_scheduled_change_shows_in_local_time_and_utc_and_can_be_cancelled(
    client: httpx.AsyncClient, rig: Rig
) -> None:
    page = await client.get("/sites", headers=as_("alice"))
    data = form_fields(page.text, "edit-east") | {"capacity": "7", "effective_at": "2026-12-07T18:00"}
    r = await client.post("/sites/east", data=data, headers=as_("alice"))
    assert "Site east saved: revision 2 takes effect 2026-12-07 18:00 EST (2026-12-07 23:00 UTC)." in r.text
    assert site_rows(r.text)[0] == ("east", "5", "08:00-18:00", "yes")
    scheduled = re.search(r'<div data-scheduled-revision="2">\s*(.*?)\s*<form', r.text)
    assert scheduled is not None
    assert scheduled.group(1) == "Revision 2 at 2026-12-07 18:00 EST (2026-12-07 23:00 UTC): capacity 5 → 7"
    page = await client.get("/sites/east/revisions", headers=as_("alice"))
    assert re.findall(r'data-revision="(\d+)" data-status="([a-z-]+)"', page.text) == [
        ("2", "scheduled"),
        ("1", "in-effect"),
    ]
    assert '<td>2026-12-07 18:00 EST<br><span class="muted">2026-12-07 23:00 UTC</span></td>' in page.text
    assert 'data-cancel="2"' in page.text
    assert "data-rollback" not in page.text
    r = await client.post("/sites/east/revisions/2/cancel", data={"back": "list"}, headers=as_("alice"))
    assert r.status_code == 200
    assert "Revision 2 of east is cancelled; it will not take effect." in r.text
    assert "data-scheduled-revision" not in r.text
    r = await client.post("/sites/east/revisions/2/cancel", data={"back": "list"}, headers=as_("alice"))
    assert r.status_code == 422
    assert 'data-error="cancel-east">Revision 2 is already cancelled.</p>' in r.text
    audit = await client.get("/audit", headers=as_("alice"))
    assert re.findall(r'data-action="([a-z.]+)"', audit.text)[:2] == ["site.cancel", "site.change"]
    assert (
        '<ul class="plain-list" data-changes><li class="muted">'
        "revision 2 cancelled before it took effect</li></ul>" in audit.text
    )
    # a time in another zone than the site's
    data |= {"effective_at": "2026-12-08T09:00", "effective_zone": "UTC"}
    r = await client.post("/sites/east", data=data, headers=as_("alice"))
    assert "revision 3 takes effect 2026-12-08 04:00 EST (2026-12-08 09:00 UTC)." in r.text
    rig.clock.now = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)
    assert (await stored(rig, "east"))[0]["capacity"] == 7


async def test_new_site_and_removal(client: httpx.AsyncClient, rig: Rig) -> None:
    page = await client.get("/sites", headers=as_("alice"))
    new = form_fields(page.text, "new")
    assert new == {
        "name": "", "uri": "", "capacity": "", "description": "", "zone": "",
        **{f"weekly_{d}": "" for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
        **{f"closure_{n}_{p}": "" for n in (0, 1) for p in ("from", "to", "reason")},
        "effective_at": "", "effective_zone": "",
    }  # fmt: skip
    data = new | {"name": "north", "uri": "sip:10.1.1.1:5060", "capacity": "12", "zone": "Europe/London",
                  "weekly_mon": "09:00-17:00"}  # fmt: skip
    r = await client.post("/sites", data=data | {"name": "east"}, headers=as_("alice"))
    assert r.status_code == 422
    assert field_error(r.text, "new-name") == "there is already a site east; change it with its Edit form"
    assert '<details id="new" open>' in r.text
    r = await client.post("/sites", data=data, headers=as_("alice"))
    assert r.status_code == 200
    assert "Site north saved: revision 1 is in effect now." in r.text
    assert [row[:2] for row in site_rows(r.text)] == [
        ("east", "5"),
        ("north", "12"),
        ("south", "3"),
        ("west", "10"),
    ]
    assert site_rows(r.text)[1][2:] == ("09:00-17:00", "yes")  # 15:00 in London
    r = await client.post("/sites/east/delete", headers=as_("alice"))
    assert r.status_code == 422
    assert (
        '<p class="field-error" role="alert" tabindex="-1" autofocus data-error="delete-east">'
        "Site east is used by distribution main; change that first.</p>" in r.text
    )
    assert (await stored(rig, "east"))[1] == [1]
    r = await client.post("/sites/north/delete", headers=as_("alice"))
    assert "Site north removed (revision 2)." in r.text
    assert [row[0] for row in site_rows(r.text)] == ["east", "south", "west"]
    history = await client.get("/sites/north/revisions", headers=as_("alice"))
    assert re.findall(r'data-revision="(\d+)" data-status="([a-z-]+)"', history.text) == [
        ("2", "in-effect"),
        ("1", "past"),
    ]
    assert "<strong>Removed</strong>" in history.text
    r = await client.post("/sites/north/revisions/1/rollback", headers=as_("alice"))
    assert "north is back to revision 1: revision 3 is in effect now." in r.text


async def test_distributions_page_and_form(client: httpx.AsyncClient, rig: Rig) -> None:
    r = await client.get("/distributions", headers=as_("alice"))
    cells = re.findall(r"<td data-(method|members|overflow|after-hours|all-busy)>([^<]*)</td>", r.text)
    assert cells == [
        ("method", "least-busy"),
        ("members", "east, west"),
        ("overflow", "south"),
        ("after-hours", "announcement closed"),
        ("all-busy", "ring +13125550100"),
    ]
    base = form_fields(r.text, "edit-main")
    assert base == {
        "method": "least-busy", "member_0_site": "east", "member_0_share": "", "member_1_site": "west",
        "member_1_share": "", "member_2_site": "", "member_2_share": "", "overflow_0": "south",
        "overflow_1": "",
        "after_hours_kind": "announcement", "after_hours_target": "closed", "all_busy_kind": "ring-to",
        "all_busy_target": "+13125550100", "effective_at": "", "effective_zone": "",
    }  # fmt: skip
    percent = base | {"method": "percent", "member_0_share": "60", "member_1_share": "40"}
    cases = [
        (percent | {"member_1_share": "30"}, "edit-main-members",
         "percent shares must total 100 (they total 90)"),
        (base | {"member_0_share": "2"}, "edit-main-member_0_share",
         "least-busy takes no shares (leave share out)"),
        (base | {"member_0_site": "", "member_2_site": "west"}, "edit-main-member_2_site",
         "'west' is listed twice"),
        (base | {"overflow_1": "east"}, "edit-main-overflow_1", "'east' is already a member"),
        (base | {"all_busy_target": "12"}, "edit-main-all_busy_target",
         "'12' is not an E.164 number such as +13125550100"),
        (base | {"after_hours_kind": "", "after_hours_target": "x"}, "edit-main-after_hours_kind",
         "must be one of announcement, ring-to, voicemail"),
        (base | {"method": "random"}, "edit-main-method",
         "must be one of percent, weighted, least-busy, longest-idle"),
    ]  # fmt: skip
    for data, input_id, message in cases:
        r = await client.post("/distributions/main", data=data, headers=as_("alice"))
        assert (r.status_code, field_error(r.text, input_id)) == (422, message), input_id
        assert '<details id="edit-main" open>' in r.text
    change = percent | {"after_hours_kind": "voicemail", "after_hours_target": "south", "all_busy_kind": "",
                        "all_busy_target": ""}  # fmt: skip
    r = await client.post("/distributions/main", data=change, headers=as_("alice"))
    assert r.status_code == 200
    assert "Distribution main saved: revision 2 is in effect now." in r.text
    assert "<td data-members>east 60 %, west 40 %</td>" in r.text
    assert "<td data-after-hours>voicemail at site south</td>" in r.text
    assert "<td data-all-busy>none (486 busy)</td>" in r.text
    async with transaction(rig.ctx, write=False) as tx:
        config = await service.config_at(tx, caller=ALICE, customer_id="globex")
    assert config.distributions["main"].as_json() == {
        "name": "main",
        "method": "percent",
        "members": [{"site": "east", "share": 60}, {"site": "west", "share": 40}],
        "overflow": ["south"],
        "after_hours": {"kind": "voicemail", "target": "south"},
        "all_busy": None,
    }
    weighted = {"method": "weighted", "member_0_share": "3", "member_1_share": "1"}
    later = form_fields(r.text, "edit-main") | weighted | {"effective_at": "2026-12-08T00:00"}
    r = await client.post("/distributions/main", data=later, headers=as_("alice"))
    assert "Distribution main saved: revision 3 takes effect 2026-12-08 00:00 UTC." in r.text
    scheduled = re.search(r'<div data-scheduled-revision="3">\s*(.*?)\s*<form', r.text)
    assert scheduled is not None
    assert scheduled.group(1) == (
        "Revision 3 at 2026-12-08 00:00 UTC: method percent → weighted; "
        "members east 60; west 40 → east 3; west 1"
    )
    r = await client.post(
        "/distributions/main/revisions/3/cancel", data={"back": "list"}, headers=as_("alice")
    )
    assert "Revision 3 of main is cancelled; it will not take effect." in r.text
    assert "data-scheduled-revision" not in r.text
    r = await client.post("/distributions/main/revisions/1/rollback", headers=as_("alice"))
    assert "main is back to revision 1: revision 4 is in effect now." in r.text
    assert 'data-revision="4" data-status="in-effect"' in r.text
    r = await client.get("/distributions", headers=as_("alice"))
    new = form_fields(r.text, "new") | {"name": "backup", "method": "longest-idle", "member_0_site": "south"}
    r = await client.post("/distributions", data=new, headers=as_("alice"))
    assert "Distribution backup saved: revision 1 is in effect now." in r.text
    assert re.findall(r'<tr data-distribution="([a-z-]+)">', r.text) == ["backup", "main"]
    r = await client.post("/distributions/backup/delete", headers=as_("alice"))
    assert "Distribution backup removed (revision 2)." in r.text
    r = await client.post("/sites/east/delete", headers=as_("alice"))
    assert "Site east is used by distribution main; change that first." in r.text


async def test_revisions_roll_back_and_the_audit_log(client: httpx.AsyncClient, rig: Rig) -> None:
    await client.post("/sites/east/capacity", data={"capacity": "40"}, headers=as_("alice"))
    r = await client.get("/sites/east/revisions", headers=as_("alice", htmx=False))
    assert r.headers["X-Switchboard-Page"] == "Site%20east%3A%20history"
    assert re.findall(r'data-revision="(\d+)" data-status="([a-z-]+)"', r.text) == [
        ("2", "in-effect"),
        ("1", "past"),
    ]
    assert re.findall(r"data-(rollback|cancel)=\"(\d+)\"", r.text) == [("rollback", "1")]
    changes = re.findall(r'<ul class="plain-list" data-changes>(.*?)</ul>', r.text)
    assert changes[0] == '<li><span class="muted">capacity:</span> <del>5</del> → <ins>40</ins></li>'
    r = await client.post("/sites/east/revisions/1/rollback", headers=as_("alice"))
    assert r.status_code == 200
    assert "east is back to revision 1: revision 3 is in effect now." in r.text
    assert (await stored(rig, "east"))[0]["capacity"] == 5
    r = await client.post("/sites/east/revisions/1/rollback", headers=as_("alice"))
    assert r.status_code == 422
    assert '<p class="alert alert--error" role="alert" tabindex="-1" autofocus data-error>' in r.text
    assert "Revision 1 is what is in effect now.</p>" in r.text
    r = await client.post("/sites/east/revisions/x/rollback", headers=as_("alice"))
    assert (r.status_code, r.json()["detail"]) == (404, "no such revision: x")

    r = await client.get("/audit", headers=as_("alice", htmx=False))
    assert r.headers["X-Switchboard-Page"] == "Call-center%20changes"
    rows = re.findall(
        r'<tr data-audit-row="\d+" data-action="([a-z.]+)">\s*<td>([^<]*)<br>'
        r'<span class="muted">([^<]*)</span></td>\s*<td>([^<]*)</td>',
        r.text,
    )
    assert rows[:2] == [
        ("site.change", "2026-12-07 15:00:00 UTC", "2026-12-07 10:00 EST", "alice@globex"),
        ("site.change", "2026-12-07 15:00:00 UTC", "2026-12-07 10:00 EST", "alice@globex"),
    ]
    assert re.findall(r'data-action="([a-z.]+)"', r.text) == [
        "site.change", "site.change", "distribution.create", "site.create", "site.create", "site.create",
    ]  # fmt: skip
    first = re.findall(r'<ul class="plain-list" data-changes>(.*?)</ul>', r.text)[0]
    assert first == '<li><span class="muted">capacity:</span> <del>40</del> → <ins>5</ins></li>'
    assert '<a href="/callcenter/sites/east/revisions">site east</a>' in r.text
    assert "<summary>Before and after as JSON</summary>" in r.text


async def test_a_viewer_sees_no_forms_and_cannot_change(client: httpx.AsyncClient, rig: Rig) -> None:
    for path in ("/sites", "/distributions", "/sites/east/revisions"):
        r = await client.get(path, headers=as_("vera"))
        assert (r.status_code, r.text.count('method="post"')) == (200, 0), path
    r = await client.post("/sites/east/capacity", data={"capacity": "40"}, headers=as_("vera"))
    assert r.status_code == 422
    assert "You may view call centers but not change them." in r.text
    assert (await stored(rig, "east"))[1] == [1]


async def test_another_customer_sees_nothing_of_globex(client: httpx.AsyncClient, rig: Rig) -> None:
    for path in ("/sites", "/distributions", "/audit"):
        r = await client.get(path, headers=as_("wendy"))
        assert r.status_code == 200
        for word in ("data-site=", "data-distribution=", "data-audit-row=", "sip:127.0.0.1", "lobex"):
            assert word not in r.text, (path, word)
    assert site_rows((await client.get("/sites", headers=as_("wendy"))).text) == []
    for path in ("/sites?customer=globex", "/sites/east/revisions", "/distributions/main/revisions"):
        r = await client.get(path, headers=as_("wendy"))
        assert r.status_code == 404, path
    r = await client.post("/sites/east/capacity", data={"capacity": "1"}, headers=as_("wendy"))
    assert (r.status_code, r.json()["detail"]) == (404, "no such site: east")
    r = await client.post(
        "/sites/east/capacity?customer=globex", data={"capacity": "1"}, headers=as_("wendy")
    )
    assert (r.status_code, r.json()["detail"]) == (404, "no such customer")
    r = await client.post("/sites/east/revisions/1/rollback", headers=as_("wendy"))
    assert (r.status_code, r.json()["detail"]) == (404, "no such site: east")
    assert (await stored(rig, "east"))[1] == [1]


async def test_provider_staff_name_the_customer(client: httpx.AsyncClient) -> None:
    r = await client.get("/sites", headers=as_("pat"))
    assert r.status_code == 200
    assert '<form class="toolbar" method="get" action="/callcenter/sites">' in r.text
    assert site_rows(r.text) == []
    r = await client.get("/sites?customer=globex", headers=as_("pat"))
    assert [row[0] for row in site_rows(r.text)] == ["east", "south", "west"]
    assert '<p class="muted">Customer <strong>globex</strong></p>' in r.text
    assert 'action="/callcenter/sites/east/capacity?customer=globex"' in r.text
    assert 'href="/callcenter/distributions?customer=globex"' in r.text
    r = await client.post("/sites/east/capacity?customer=globex", data={"capacity": "6"}, headers=as_("pat"))
    assert "Site east now takes 6 calls at a time (revision 2)." in r.text


def test_every_page_route_has_its_rule_and_the_menu_entry() -> None:
    held = {"callcenter:view": "vera", "callcenter:edit": "alice"}
    pages = [(m, r.path) for r in view_routes() for m in sorted(r.methods or ()) if m != "HEAD"]
    assert len(pages) == 17
    for method, path in pages:
        concrete = path.replace("{name}", "east").replace("{number}", "2")
        wanted = "callcenter:view" if method == "GET" else "callcenter:edit"
        for action, user in held.items():
            entitlements = [Entitlement(action="callcenter:view")]
            if action == "callcenter:edit":
                entitlements.append(Entitlement(action="callcenter:edit"))
            principal = Principal(
                user_id=user, username=user, display_name=user, kind="customer", org_id="globex",
                customer_id="globex", reseller_chain=(), brand="default", entitlements=tuple(entitlements),
            )  # fmt: skip
            decision = decide(principal=principal, manifest=MANIFEST, method=method, path=concrete)
            assert (decision.action, decision.allow) == (
                wanted,
                action == "callcenter:edit" or method == "GET",
            )
    assert MANIFEST.nav == (
        NavEntry(title="Call centers", path="/callcenter/sites", action="callcenter:view", order=30),
    )


async def test_wrong_methods_are_refused(client: httpx.AsyncClient) -> None:
    r = await client.get("/sites/east/capacity", headers=as_("alice"))
    assert r.status_code == 405
    r = await client.put("/sites/east", data={"capacity": "1"}, headers=as_("alice"))
    assert r.status_code == 405
    no_rule = Principal(
        user_id="a", username="a", display_name="a", kind="customer", org_id="globex", customer_id="globex",
        reseller_chain=(), brand="default",
        entitlements=(Entitlement(action="callcenter:view"), Entitlement(action="callcenter:edit")),
    )  # fmt: skip
    for method, path in (
        ("PUT", "/sites/east"),
        ("GET", "/sites/east/close-today"),
        ("DELETE", "/sites/east"),
    ):
        decision = decide(principal=no_rule, manifest=MANIFEST, method=method, path=path)
        assert (decision.allow, decision.reasons) == (
            False,
            (f"no rule for {method} {path} on the customer plane",),
        )


async def test_each_site_shows_its_live_calls_and_links_to_its_traffic(
    client: httpx.AsyncClient, rig: Rig
) -> None:
    rig.ctx.router.occupancy.reported(
        {"call_id": f"w{i}", "customer_id": "globex", "site": "west", "end": None} for i in range(4)
    )
    # east closed for the day: one call passes it by and west takes it
    rig.ctx.router.overflows.record(
        customer_id="globex", skipped=[("east", "closed")], first="west", now=rig.ctx.clock().timestamp()
    )
    r = await client.get("/sites", headers=as_("alice", htmx=False))
    cells = re.findall(
        r'<td data-live="(\d+)">([^<]*)<br>\s*<span data-overflowed="(\d+)"[^>]*>[^<]*</span>,\s*'
        r'<span data-overflow-received="(\d+)"[^>]*>[^<]*</span>.*?<a href="([^"]+)">',
        r.text,
        re.S,
    )
    assert cells == [
        ("0", "0 of 5 (0%)", "1", "0", "/traffic/live?select=site%3Aglobex%2Feast"),
        ("0", "0 of 3 (0%)", "0", "0", "/traffic/live?select=site%3Aglobex%2Fsouth"),
        ("4", "4 of 10 (40%)", "0", "1", "/traffic/live?select=site%3Aglobex%2Fwest"),
    ]
    why = "Calls sent past this site in the last 15 minutes: 1 closed, 0 at capacity, 0 not answering"
    assert f'title="{why}"' in r.text

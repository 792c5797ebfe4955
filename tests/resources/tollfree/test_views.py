"""The toll-free pages through the real app + kit middleware, with a fake assertion verifier (the
boundary): the assertion header names the demo user whose Caller it stands for. Demo data: Globex
owns +18005550100 (active v1, v2 scheduled), +18005550101 (70/30, active v1) and +18885550102
(a draft pointing to *GLOBEX-STD); bob@globex sees only the first two."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from engine_builders import tel
from pool_support import verifier, with_tenancy
from tollfree_fixtures import Env, caller

from resources.kit.shares import percent_bucket
from resources.tollfree import service
from resources.tollfree.app import create_app

SUPPORT = "/numbers/+18005550101"
EAST: dict[str, Any] = tel("site:east")
WEST: dict[str, Any] = tel("site:west")


@pytest.fixture
async def client(demo: Env) -> AsyncIterator[httpx.AsyncClient]:
    await with_tenancy(demo)
    app = create_app(demo.ctx.settings, verifier=verifier(), context=demo.ctx, run_runtime=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://tollfree") as c:
        yield c


def as_(user: str, *, htmx: bool = False) -> dict[str, str]:
    return {"X-Switchboard-Assertion": user, **({"HX-Request": "true"} if htmx else {})}


async def post(
    client: httpx.AsyncClient, path: str, user: str = "alice@globex", **data: str
) -> httpx.Response:
    return await client.post(path, data=data, headers=as_(user, htmx=True))


async def document(env: Env, target: str, number: int) -> dict[str, Any]:
    async with env.tx(write=False) as tx:
        v = await service.get_version(tx, caller=caller("alice@globex"), target=target, number=number)
    return v.document


def rows(html: str, attr: str) -> list[str]:
    return re.findall(rf'{attr}="([^"]+)"', html)


async def test_number_lists_are_scoped(client: httpx.AsyncClient) -> None:
    expected = {
        "alice@globex": ["+18005550100", "+18005550101", "+18885550102"],
        "bob@globex": ["+18005550100", "+18005550101"],
        "carol@initech": ["+18665550104", "+18775550103"],
    }
    for user, numbers in expected.items():
        r = await client.get("/numbers", headers=as_(user))
        assert r.status_code == 200
        assert r.headers["X-Switchboard-Page"] == "Toll-free%20numbers"
        assert rows(r.text, "data-tfn") == numbers
    r = await client.get("/numbers", headers=as_("alice@globex"))
    assert "Scheduled</span> at 2026-04-01 15:00 UTC" in r.text
    for user, path in (
        ("bob@globex", "/numbers/+18885550102"),
        ("carol@initech", SUPPORT),
        ("bob@globex", "/numbers/+18885550102/versions/1"),
    ):
        assert (await client.get(path, headers=as_(user))).status_code == 404
    assert (await post(client, "/numbers/+18885550102/simulate", "bob@globex")).status_code == 404
    r = await post(
        client, "/numbers/+18885550102/versions/1/edit", "bob@globex", op="add-section", section="S1"
    )
    assert r.status_code == 404


async def test_number_page_shows_the_active_tree_and_versions(client: httpx.AsyncClient) -> None:
    r = await client.get("/numbers/+18005550100", headers=as_("bob@globex"))
    assert r.status_code == 200
    text = r.text
    assert '<h2 id="active-heading">Active plan: version 1</h2>' in text
    assert '<span class="tf-node__type" data-type="date">Date</span>' in text
    assert '<span class="tf-node__type" data-type="tod">Time of day</span>' in text
    assert '<span class="tf-branch__values" data-values>@HOLIDAYS</span>' in text
    assert "<strong data-dest>site east</strong>; if busy or no answer: site west" in text
    assert rows(text, "data-version-row") == ["2", "1"]
    assert '<span class="badge badge--warning">Scheduled (PENDING)</span>' in text
    assert 'data-verb="hold" data-version="2"' in text
    assert 'hx-get="' not in text  # read-only tree: no editor buttons


async def test_build_a_time_of_day_plan_in_the_editor(client: httpx.AsyncClient, demo: Env) -> None:
    r = await client.post(f"{SUPPORT}/versions", data={}, headers=as_("alice@globex"))
    assert (r.status_code, r.headers["location"]) == (303, f"/tollfree{SUPPORT}/versions/2")
    base = f"{SUPPORT}/versions/2"
    r = await post(client, f"{base}/edit", op="set-type", node="M", type="tod")
    assert r.status_code == 200
    assert r.text.startswith('<div id="tf-editor"')
    assert 'data-issue-count="3"' in r.text
    assert '<li class="tf-node tf-node--empty tf-node--invalid" id="node-M.0" data-node="M.0">' in r.text
    assert 'id="btn-set-type-M"' in r.text
    assert "autofocus>Replace" in r.text  # the keyboard focus stays on the node

    dialog = await client.get(
        f"{base}/dialog?node=M&op=set-branch&branch=0", headers=as_("alice@globex", htmx=True)
    )
    assert dialog.status_code == 200
    assert '<dialog class="tf-dialog" data-tf-dialog aria-labelledby="tf-dialog-title">' in dialog.text
    assert "Labels: @BIZHOURS" in dialog.text
    await post(
        client, f"{base}/edit", op="set-branch", node="M", branch="0", values="08:00-17:00", dialog="1"
    )
    for node, site in (("M.0", "east"), ("M.o", "west")):
        await post(client, f"{base}/edit", op="set-type", node=node, type="tel", dialog="1")
        r = await post(client, f"{base}/edit", op="set-action", node=node, dest_site=site, dialog="1")
        assert r.status_code == 200
    assert 'data-issue-count="0"' in r.text
    # the diff and the activation form follow every change (htmx out-of-band swaps)
    assert 'aria-labelledby="activate-heading" id="tf-activate" hx-swap-oob="true">' in r.text
    assert '<button type="submit" class="button button--primary" id="activate-button">' in r.text
    assert 'aria-labelledby="diff-heading" id="tf-diff" hx-swap-oob="true">' in r.text
    assert (await document(demo, "+18005550101", 2))["sections"] == {
        "M": {
            "type": "tod",
            "tz": None,
            "dst": True,
            "branches": [{"match": ["08:00-17:00"], "then": EAST}],
            "other": WEST,
        }
    }

    page = await client.get(base, headers=as_("alice@globex"))
    assert '<span data-state="SAVED">' in page.text
    assert '<button type="submit" class="button button--primary" id="activate-button">' in page.text
    assert "<td><code>M</code></td>\n      <td>node type</td>" in page.text  # diff against the active 70/30

    for clock, site, took in (("10:00", "east", "08:00-17:00"), ("20:00", "west", "OTHER")):
        r = await post(
            client, f"{SUPPORT}/simulate", version="2", date="2026-03-03", time=clock, ani="2125550100"
        )
        assert r.status_code == 200
        assert f"at <strong>2026-03-03 {clock}</strong> (America/New_York)" in r.text
        assert f"<strong data-sim-outcome>routed to site {site}</strong>" in r.text
        assert f"<li><code>M</code> Time of day → <strong>{took}</strong></li>" in r.text

    r = await post(client, f"{base}/activate", when="now")
    assert r.status_code == 200
    assert r.headers["HX-Push-Url"] == f"/tollfree{SUPPORT}"
    assert '<p class="alert alert--success" role="status" data-notice>Version 2 is active.</p>' in r.text
    assert re.findall(r'data-version-row="(\d+)" data-state="(\w+)"', r.text) == [
        ("2", "ACTIVE"),
        ("1", "OLD"),
    ]


async def test_editor_errors_are_inline(client: httpx.AsyncClient) -> None:
    await client.post(f"{SUPPORT}/versions", data={}, headers=as_("alice@globex"))
    base = f"{SUPPORT}/versions/2"
    r = await post(client, f"{base}/edit", op="set-branch", node="M", branch="0", percent="70%", dialog="1")
    assert r.status_code == 422
    assert (r.headers["HX-Retarget"], r.headers["HX-Reswap"]) == ("#tf-dialog-slot", "innerHTML")
    assert (
        '<p class="field-error" id="field-percent-error">'
        "Enter the share as a whole number of percent, e.g. 70.</p>" in r.text
    )
    r = await post(client, f"{base}/edit", op="move-up", node="M", branch="0")
    assert r.status_code == 422
    assert (
        '<p class="alert alert--error" role="alert" data-editor-error>Branch 1 of M cannot move further.</p>'
        in r.text
    )
    await post(client, f"{base}/edit", op="set-type", node="M", type="tod")
    page = await client.get(base, headers=as_("alice@globex"))
    assert 'id="activate-button" disabled aria-describedby="activate-reason"' in page.text
    assert "This draft cannot be activated yet: fix the 3 problems listed in the editor first." in page.text
    r = await post(client, f"{base}/activate", when="now")
    assert r.status_code == 422
    assert "data-activate-error>" in r.text
    active = await client.get(f"{SUPPORT}/versions/1", headers=as_("alice@globex"))
    assert "Plan editor" not in active.text  # not a draft: read-only
    assert 'hx-get="' not in active.text
    dialog = await client.get(f"{SUPPORT}/versions/1/dialog?node=M&op=set-type", headers=as_("alice@globex"))
    assert dialog.status_code == 404
    listing = await client.get(f"{SUPPORT}/versions", headers=as_("alice@globex"))
    assert re.findall(r'data-version-row="(\d+)" data-state="(\w+)"', listing.text) == [
        ("2", "INVALID"),
        ("1", "ACTIVE"),
    ]
    r = await post(client, f"{SUPPORT}/versions/1/edit", op="add-section", section="S1")
    assert r.status_code == 422
    assert "data-editor-error>Version 1 is ACTIVE; only drafts (SAVED, INVALID) can be edited.<" in r.text


async def test_scheduled_activation_is_entered_in_the_plan_zone(client: httpx.AsyncClient) -> None:
    await client.post(f"{SUPPORT}/versions", data={}, headers=as_("alice@globex"))
    r = await post(client, f"{SUPPORT}/versions/2/activate", when="at", effective="2026-03-10T09:00")
    assert r.status_code == 200
    assert "Version 2 is scheduled for 2026-03-10 13:00 UTC." in r.text  # EDT since March 8
    r = await post(client, f"{SUPPORT}/versions/2/hold")
    assert "Version 2 is on hold." in r.text
    assert 'data-version-row="2" data-state="HOLD"' in r.text
    r = await post(client, f"{SUPPORT}/versions/2/release")
    assert 'data-version-row="2" data-state="PENDING"' in r.text
    r = await post(client, f"{SUPPORT}/versions/2/cancel")
    assert 'data-version-row="2" data-state="SAVED"' in r.text
    r = await post(client, f"{SUPPORT}/versions/2/activate", when="at", effective="2026-03-01T09:00")
    assert r.status_code == 422
    assert "The effective time is in the past; leave it empty to activate now." in r.text
    r = await post(client, f"{SUPPORT}/versions/2/release")
    assert r.status_code == 422
    assert (
        '<p class="alert alert--error" role="alert" data-error>A SAVED version cannot release.</p>' in r.text
    )


async def test_rollback_and_diff(client: httpx.AsyncClient) -> None:
    await client.post(f"{SUPPORT}/versions", data={}, headers=as_("alice@globex"))
    await post(client, f"{SUPPORT}/versions/2/edit", op="set-branch", node="M", branch="0", percent="60")
    await post(client, f"{SUPPORT}/versions/2/edit", op="set-branch", node="M", branch="1", percent="40")
    r = await client.get(f"{SUPPORT}/versions/2/diff", headers=as_("alice@globex"))
    cells = re.findall(
        r"<tr>\s*<td>(.*?)</td>\s*<td>(.*?)</td>\s*<td[^>]*>(.*?)</td>\s*<td[^>]*>(.*?)</td>", r.text
    )
    assert cells == [
        ("<code>M</code>", "branch 1 share", '<span class="tf-was">70</span>', "60"),
        ("<code>M</code>", "branch 2 share", '<span class="tf-was">30</span>', "40"),
    ]
    await post(client, f"{SUPPORT}/versions/2/activate", when="now")
    r = await post(client, f"{SUPPORT}/versions/1/rollback")
    assert "Rolled back to version 1: version 3 is active." in r.text
    assert re.findall(r'data-version-row="(\d+)" data-state="(\w+)"', r.text) == [
        ("3", "ACTIVE"),
        ("2", "OLD"),
        ("1", "OLD"),
    ]


async def test_whatif_replays_csv_calls(client: httpx.AsyncClient) -> None:
    await client.post(f"{SUPPORT}/versions", data={}, headers=as_("alice@globex"))
    await post(client, f"{SUPPORT}/versions/2/edit", op="set-type", node="M", type="tel")
    await post(client, f"{SUPPORT}/versions/2/edit", op="set-action", node="M", dest_site="west")
    calls = "ani,time,call_id\n" + "\n".join(f"2125550100,2026-03-03T10:00,c{i}" for i in range(10))
    r = await post(client, f"{SUPPORT}/whatif", version="2", csv=calls)
    assert r.status_code == 200
    assert "10 calls replayed;" in r.text
    after = re.findall(r'data-key="([^"]+)">\s*<td>[^<]*</td>\s*<td>(\d+) [^<]*</td>\s*<td>(\d+) ', r.text)
    before_east = sum(percent_bucket(f"c{i}", "M") < 7000 for i in range(10))  # the demo's 70/30
    assert dict((k, (int(b), int(a))) for k, b, a in after) == {
        "site:east": (before_east, 0),
        "site:west": (10 - before_east, 10),
    }
    r = await post(client, f"{SUPPORT}/whatif", version="2", csv="2125550100,noon")
    assert r.status_code == 422
    assert "Line 1: &#39;noon&#39; is not a time." in r.text


async def test_bob_edits_only_his_numbers_and_no_templates(client: httpx.AsyncClient) -> None:
    r = await client.post("/numbers/+18005550100/versions", data={}, headers=as_("bob@globex"))
    assert (r.status_code, r.headers["location"]) == (303, "/tollfree/numbers/+18005550100/versions/3")
    r = await post(
        client, "/numbers/+18005550100/versions/3/edit", "bob@globex", op="add-section", section="S1"
    )
    assert r.status_code == 200
    r = await client.post("/templates", data={"name": "BOBS"}, headers=as_("bob@globex"))
    assert r.status_code == 422
    assert "Changing templates and labels needs tollfree:edit-routing on all of the customer" in r.text
    r = await client.post("/templates", data={"name": "x"}, headers=as_("alice@globex"))
    assert r.status_code == 422
    assert "A template name is 4 to 15 letters, digits or dashes, like *EASTWEST." in r.text
    r = await client.post("/templates", data={"name": "eastwest"}, headers=as_("alice@globex"))
    assert (r.status_code, r.headers["location"]) == (303, "/tollfree/templates/EASTWEST")
    r = await client.get("/templates/GLOBEX-STD", headers=as_("bob@globex"))
    assert '<h2 id="active-heading">Active plan: version 1</h2>' in r.text
    assert 'id="new-draft"' not in r.text  # bob's scoped edit right does not reach templates


async def test_labels_sites_and_admin(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/labels",
        data={"name": "nyc", "kind": "npa", "values": "212, 21"},
        headers=as_("alice@globex", htmx=True),
    )
    assert r.status_code == 422
    assert '<p class="field-error" id="field-values-error">' in r.text
    r = await client.post(
        "/labels",
        data={"name": "nyc", "kind": "npa", "values": "212, 646"},
        headers=as_("alice@globex", htmx=True),
    )
    assert "Label NYC saved." in r.text
    assert rows(r.text, "data-label") == ["BIZHOURS", "HOLIDAYS", "NYC", "WEEKDAYS"]
    r = await client.post("/labels/NYC/delete", headers=as_("alice@globex", htmx=True))
    assert "Label NYC deleted." in r.text
    r = await client.get("/sites", headers=as_("alice@globex"))
    assert re.findall(r"<tr><td>([a-z]+)</td>", r.text) == ["east", "west"]
    r = await client.post(
        "/admin/numbers",
        data={"tfn": "+15555550100", "customer_id": "globex"},
        headers=as_("admin", htmx=True),
    )
    assert r.status_code == 422
    assert "555 is not a toll-free area code" in r.text
    r = await client.post(
        "/admin/numbers", data={"tfn": "8445550199", "customer_id": "globex"}, headers=as_("admin", htmx=True)
    )
    assert "+18445550199 was assigned to globex." in r.text
    r = await client.post(
        "/admin/numbers",
        data={"tfn": "8445550198", "customer_id": "globex"},
        headers=as_("alice@globex", htmx=True),
    )
    assert r.status_code == 422
    assert "Only provider staff may do this." in r.text

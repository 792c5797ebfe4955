"""The change log (`/audit`, `/api/audit`): who reads which customer's rows, the filters, the
pages, bad input, and the page itself."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from pool_support import as_caller, verifier, with_tenancy
from tollfree_fixtures import START, Env, caller

from resources.kit.errors import ProblemError, ValidationFailed
from resources.tollfree import audit_log
from resources.tollfree.app import create_app
from resources.tollfree.audit import record
from resources.tollfree.shapes import AuditView

GLOBEX_ROWS = 18  # the demo's audit rows of globex (numbers, sites, labels, template, versions)
INITECH_ROWS = 6


@pytest.fixture
async def log(demo: Env) -> Env:
    """The demo plus the tenancy picture and later changes: bob edits at START+1 h, carol at
    +2 h, a soylent row (acme's suspended customer) at +3 h, a provider pool move (no customer)
    at +4 h."""
    await with_tenancy(demo)
    for hours, user, customer, target, action in (
        (1, "bob@globex", "globex", "+18005550101", "version.save"),
        (2, "carol@initech", "initech", "+18775550103", "version.save"),
        (3, "carol@initech", "soylent", "+18445550107", "number.assign"),
        (4, "admin", None, "+18335550300", "pool.add"),
    ):
        demo.clock.now = START + timedelta(hours=hours)
        async with demo.tx() as tx:
            await record(
                tx, caller=caller(user), action=action, customer_id=customer, target=target,
                before={"state": "SAVED", "note": "old"}, after={"state": "SAVED", "note": f"by {user}"},
            )  # fmt: skip
    return demo


async def search(env: Env, user: str, **params: str) -> audit_log.AuditPage:
    async with env.tx(write=False) as tx:
        return await audit_log.search(tx, caller=as_caller(user), query=audit_log.parse_query(params))


def shape(page: audit_log.AuditPage) -> list[tuple[str | None, str | None, str]]:
    return [(v.customer_id, v.target, v.action) for v in page.items]


async def test_each_reads_only_the_customers_it_serves(log: Env) -> None:
    alice = await search(log, "alice@globex", limit="500")
    assert {v.customer_id for v in alice.items} == {"globex"}
    assert (len(alice.items), alice.customers, alice.next_before) == (GLOBEX_ROWS + 1, ["globex"], None)
    carol = await search(log, "carol@initech", limit="500")
    assert {v.customer_id for v in carol.items} == {"initech"}
    assert len(carol.items) == INITECH_ROWS + 1
    rita = await search(log, "rita@acme", limit="500")  # initech and the suspended soylent
    assert {v.customer_id for v in rita.items} == {"initech", "soylent"}
    assert rita.customers == ["initech", "soylent", "vandelay"]
    zenith = await search(log, "zed@zenith", limit="500")
    assert (zenith.items, zenith.customers) == ([], ["hooli"])
    admin = await search(log, "admin", limit="500")
    assert len(admin.items) == GLOBEX_ROWS + INITECH_ROWS + 4
    assert (admin.customers, shape(admin)[0]) == (None, (None, "+18335550300", "pool.add"))


async def test_without_the_action_or_outside_the_tenancy_nothing_is_read(log: Env) -> None:
    with pytest.raises(ProblemError) as caught:
        await search(log, "bob@globex")
    assert (caught.value.status, caught.value.detail) == (
        403,
        "reading the change log needs tollfree:view-audit",
    )
    for user, customer in (("alice@globex", "initech"), ("rita@acme", "globex"), ("zed@zenith", "initech")):
        with pytest.raises(ProblemError) as caught:
            await search(log, user, customer=customer)
        assert (caught.value.status, caught.value.detail) == (404, f"no customer {customer} among yours")
    page = await search(log, "admin", customer="initech")
    assert {v.customer_id for v in page.items} == {"initech"}


async def test_filters(log: Env) -> None:
    page = await search(log, "alice@globex", action="version", target="+18005550101")
    assert shape(page) == [
        ("globex", "+18005550101", "version.save"),
        ("globex", "+18005550101", "version.activate"),
        ("globex", "+18005550101", "version.create"),
    ]
    assert shape(await search(log, "alice@globex", action="site")) == [
        ("globex", "site:west", "site.save"), ("globex", "site:east", "site.save")
    ]  # fmt: skip
    assert shape(await search(log, "alice@globex", target="site:east")) == [
        ("globex", "site:east", "site.save")
    ]
    assert shape(await search(log, "alice@globex", target="*globex-std", action="template")) == [
        ("globex", "*GLOBEX-STD", "template.create")
    ]  # fmt: skip
    assert shape(await search(log, "admin", actor="Carol@Initech")) == [
        ("soylent", "+18445550107", "number.assign"), ("initech", "+18775550103", "version.save")
    ]  # fmt: skip
    window = await search(log, "admin", since="2026-03-02T15:30:00Z", until="2026-03-02T17:30:00+00:00")
    assert shape(window) == [
        ("initech", "+18775550103", "version.save"), ("globex", "+18005550101", "version.save")
    ]  # fmt: skip
    assert len((await search(log, "admin", since="2026-03-02", until="2026-03-02", limit="500")).items) == 28
    assert (await search(log, "admin", since="2026-03-03")).items == []
    assert (await search(log, "admin", action="number.unassign")).items == []


async def test_pages_cover_every_row_once(log: Env) -> None:
    everything = shape(await search(log, "alice@globex", limit="500"))
    seen: list[tuple[str | None, str | None, str]] = []
    params: dict[str, str] = {"limit": "7"}
    pages = 0
    while True:
        page = await search(log, "alice@globex", **params)
        seen += shape(page)
        pages += 1
        if page.next_before is None:
            break
        params = {"limit": "7", "before": str(page.next_before)}
    assert (seen, pages) == (everything, 3)


@pytest.mark.parametrize(
    ("params", "errors"),
    [
        ({"customer": "Globex!"},
         [("customer", "Give the customer's id (lowercase letters, digits, - or _), like globex.")]),
        ({"target": "+12125550100"},
         [("target", "212 is not a toll-free area code (800, 833, 844, 855, 866, 877, 888).")]),
        ({"target": "site:East Coast"}, [("target", "A site is written site:<name>, like site:east.")]),
        ({"action": "DROP TABLE"}, [("action", "An action looks like version or version.activate.")]),
        ({"since": "yesterday"},
         [("since", "Give a date like 2026-03-01 or an instant like 2026-03-01T12:00:00Z.")]),
        ({"until": "2026-03-01T12:00:00"}, [("until", "Give the time zone too, like 2026-03-01T12:00:00Z.")]),
        ({"since": "2026-03-02", "until": "2026-03-01"}, [("until", "The end comes before the start.")]),
        ({"limit": "0", "before": "x"}, [("before", "A whole number from 1 to 4611686018427387904."),
                                         ("limit", "A whole number from 1 to 500.")]),
        ({"limit": "501", "sort": "id"},
         [("sort", "Unknown parameter."), ("limit", "A whole number from 1 to 500.")]),
        ({"actor": "x" * 201}, [("actor", "At most 200 characters.")]),
    ],
)  # fmt: skip
def test_bad_queries_name_every_problem(params: dict[str, str], errors: list[tuple[str, str]]) -> None:
    with pytest.raises(ValidationFailed) as caught:
        audit_log.parse_query(params)
    assert [(e["field"], e["message"]) for e in caught.value.errors] == errors


def test_changes_lists_the_fields_that_moved() -> None:
    view = AuditView(
        at=START, actor_id="u", actor_name="u", session=None, customer_id="globex", target="site:east",
        version=None, action="site.save", before={"uri": "sip:10.0.0.1:5060", "description": "East"},
        after={"uri": "sip:10.0.0.2:5060", "description": "East", "note": "x" * 100},
    )  # fmt: skip
    assert audit_log.changes(view, width=20) == [
        ("note", "", "x" * 19 + "…"), ("uri", "sip:10.0.0.1:5060", "sip:10.0.0.2:5060")
    ]  # fmt: skip


@pytest.fixture
async def client(log: Env) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(log.ctx.settings, verifier=verifier(), context=log.ctx, run_runtime=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://tollfree") as c:
        yield c


def as_(user: str) -> dict[str, str]:
    return {"X-Switchboard-Assertion": user}


async def test_api(client: httpx.AsyncClient) -> None:
    r = await client.get(
        "/api/audit", params={"action": "version.save", "limit": "1"}, headers=as_("rita@acme")
    )
    assert r.status_code == 200
    body: dict[str, Any] = r.json()
    rows = [(i["customer_id"], i["target"], i["actor_name"], i["before"], i["after"]) for i in body["items"]]
    assert rows == [
        ("initech", "+18775550103", "carol@initech", {"state": "SAVED", "note": "old"},
         {"state": "SAVED", "note": "by carol@initech"}),
    ]  # fmt: skip
    assert body["next"] is None  # initech has one saved version: no older page
    r = await client.get("/api/audit", params={"limit": "2"}, headers=as_("carol@initech"))
    assert r.json()["next"] == "before=24&limit=2"  # ids 26 (carol's save) and 24 on this page
    r2 = await client.get(f"/api/audit?{r.json()['next']}", headers=as_("carol@initech"))
    assert [i["action"] for i in r2.json()["items"]] == ["version.create", "label.save"]
    r = await client.get("/api/audit", params={"since": "soon", "x": "1"}, headers=as_("alice@globex"))
    assert (r.status_code, r.headers["content-type"]) == (422, "application/problem+json")
    assert [e["field"] for e in r.json()["errors"]] == ["x", "since"]
    r = await client.get("/api/audit", params={"customer": "initech"}, headers=as_("alice@globex"))
    assert (r.status_code, r.json()["detail"]) == (404, "no customer initech among yours")
    r = await client.get("/api/audit", headers=as_("bob@globex"))
    assert r.status_code == 403


async def test_page(client: httpx.AsyncClient) -> None:
    r = await client.get("/audit", params={"target": "+18005550101"}, headers=as_("alice@globex"))
    assert (r.status_code, r.headers["x-switchboard-page"]) == (200, "Network%20changes")
    assert r.text.count("<tr data-action=") == 4
    assert "<td>version.save (v" not in r.text  # record() rows carry no version
    assert "<del>old</del> → <ins>by bob@globex</ins>" in r.text
    assert 'name="customer"' not in r.text  # a customer's people see their own only
    r = await client.get("/audit", headers=as_("rita@acme"))
    assert '<option value="soylent">soylent</option>' in r.text
    assert "globex" not in r.text
    r = await client.get("/audit", params={"limit": "3"}, headers=as_("admin"))
    assert r.text.count("<tr data-action=") == 3
    assert '<input class="field__input" id="audit-customer" name="customer" type="text" value=""' in r.text
    assert 'rel="next">Older changes' in r.text
    r = await client.get("/audit", params={"since": "tomorrow"}, headers=as_("alice@globex"))
    assert r.status_code == 422
    assert 'id="audit-since-error">Give a date like 2026-03-01' in r.text
    assert "<tr data-action=" not in r.text

"""The tickets pages through the real app: the list, the new-ticket form (prefilled from an
alarm, inline errors keeping what was typed), the ticket page's moves per role, notes, uploads,
a stale form, the queue with bulk assign, the menu entries, and the demo seed."""

from __future__ import annotations

import html as htmlib
import re
from pathlib import Path

from tickets_support import TREE, Rig, as_, rig, settings_for

from resources.kit.migrate import upgrade
from resources.tickets import repository as repo
from resources.tickets.context import open_context, transaction
from resources.tickets.demo import seed
from resources.tickets.manifest import MANIFEST
from resources.tickets.repository import Filter
from resources.tickets.settings import TicketsSettings

__all__ = ["rig"]


def hx(name: str) -> dict[str, str]:
    return as_(name, **{"HX-Request": "true"})


def moves(page: str) -> list[str]:
    return re.findall(r'data-move="([^"]+)"', page)


async def test_the_list_and_the_menu(rig: Rig) -> None:
    await rig.open(name="Trunk down")
    await rig.open("carol", name="Initech thing")
    page = (await rig.client.get("/list", headers=hx("alice"))).text
    assert re.findall(r'<tr data-ticket="([^"]+)"', page) == ["T-000001"]
    assert ("My tickets" in page, "Trunk down" in page, "data-new-ticket" in page) == (True, True, True)
    page = (await rig.client.get("/list", headers=hx("admin"))).text
    assert re.findall(r'<tr data-ticket="([^"]+)"', page) == ["T-000002", "T-000001"]
    assert re.findall(r"<td data-customer>([^<]+)</td>", page) == ["initech", "globex"]
    page = (await rig.client.get("/list", headers=hx("vic"))).text
    assert "data-new-ticket" not in page
    assert [(n.title, n.path, n.action) for n in MANIFEST.nav] == [
        ("Tickets", "/tickets/list", "tickets:view"),
        ("Ticket queue", "/tickets/queue", "tickets:work"),
    ]
    assert MANIFEST.action("tickets:work").staff_only is True


async def test_the_form_from_an_alarm_and_its_inline_errors(rig: Rig) -> None:
    page = (
        await rig.client.get(
            "/new?alarm=A-17&object=%2B18005550100&problem=ASR+below+40%25", headers=hx("alice")
        )
    ).text
    assert 'name="alarm" value="A-17"' in page
    assert 'value="ASR below 40%"' in page
    assert "Alarm A-17 on +18005550100: ASR below 40%</textarea>" in page
    assert '<option value="major" selected>' in page
    form = {
        "alarm": "A-17",
        "object": "+18005550100",
        "name": "ASR below 40%",
        "description": "",
        "severity": "",
        "ticket_type": "trouble",
    }
    r = await rig.client.post("/new", data=form, headers=hx("alice"))
    assert r.status_code == 422
    assert re.findall(r'<p class="field-error" id="field-(\w+)-error">([^<]+)</p>', r.text) == [
        ("description", "Is required."),
        ("severity", "Must be one of critical, major, minor, low."),
    ]
    assert 'value="ASR below 40%"' in r.text
    r = await rig.client.post(
        "/new", data={**form, "description": "Since 9:00", "severity": "critical"}, headers=hx("alice")
    )
    # the browser loads the ticket page whole (its chat script runs): not a swap
    assert (r.status_code, r.headers["HX-Redirect"], r.text) == (200, "/tickets/ticket/T-000001?opened=1", "")
    page = await rig.client.get("/ticket/T-000001?opened=1", headers=hx("alice"))
    assert "Ticket T-000001 is open." in page.text
    t = (await rig.get("alice", "T-000001")).json()
    assert (t["channel"], t["relatedEntity"], t["severity"]) == (
        {"id": "alarm", "name": "alarm"},
        [{"role": "alarm", "id": "A-17", "@referredType": "Alarm"}],
        "critical",
    )
    r = await rig.client.post(
        "/new", data={**form, "description": "x", "severity": "low"}, headers=hx("admin")
    )
    assert [htmlib.unescape(e) for e in re.findall(r'id="field-customer-error">([^<]+)<', r.text)] == [
        'Name the customer: {"role": "customer", "id": …}.'
    ]


async def test_the_ticket_page_offers_the_callers_moves(rig: Rig) -> None:
    await rig.open()
    assert moves((await rig.client.get("/ticket/T-000001", headers=hx("alice"))).text) == ["cancelled"]
    assert moves((await rig.client.get("/ticket/T-000001", headers=hx("admin"))).text) == [
        "inProgress",
        "rejected",
    ]
    viewer = (await rig.client.get("/ticket/T-000001", headers=hx("vic"))).text
    assert (moves(viewer), "data-note-form" in viewer, "data-attach>" in viewer) == ([], False, False)
    assert "data-work" in (await rig.client.get("/ticket/T-000001", headers=hx("admin"))).text
    r = await rig.client.post(
        "/ticket/T-000001/status", data={"status": "inProgress", "version": "1"}, headers=hx("admin")
    )
    assert (r.status_code, moves(r.text)) == (200, ["pending", "held", "resolved"])
    assert "The ticket is inProgress now." in r.text
    # a page left open at version 1 is refused, and nothing changes
    r = await rig.client.post(
        "/ticket/T-000001/status", data={"status": "cancelled", "version": "1"}, headers=hx("alice")
    )
    assert r.status_code == 422
    assert "The ticket changed since: it is at version 2." in r.text
    r = await rig.client.post("/ticket/T-000001/note", data={"text": "", "version": "2"}, headers=hx("alice"))
    assert re.findall(r'id="field-text-error">([^<]+)<', r.text) == [
        "Must be text of at most 5000 characters."
    ]
    r = await rig.client.post(
        "/ticket/T-000001/note", data={"text": "Any news?", "version": "2"}, headers=hx("alice")
    )
    assert ("Note added." in r.text, "Any news?" in r.text) == (True, True)
    r = await rig.client.post(
        "/ticket/T-000001/work", data={"severity": "critical", "assigned_to": "admin"}, headers=hx("admin")
    )
    assert re.findall(r"<dd data-assigned>([^<]+)</dd>", r.text) == ["admin"]
    r = await rig.client.post("/ticket/T-000001/work", data={"severity": "low"}, headers=hx("alice"))
    assert r.status_code == 403
    r = await rig.client.post(
        "/ticket/T-000001/attachment", files={"file": ("x.png", b"nope", "image/png")}, headers=hx("alice")
    )
    assert re.findall(r'id="field-file-error">([^<]+)<', r.text) == [
        "The file is not a image/png file: its content does not match."
    ]
    r = await rig.client.post(
        "/ticket/T-000001/attachment",
        files={"file": ("log.txt", b"trace", "text/plain")},
        headers=hx("alice"),
    )
    assert (
        "log.txt attached." in r.text,
        'href="/api/tickets/troubleTicket/T-000001/attachment/1"' in r.text,
    ) == (
        True,
        True,
    )
    kinds = re.findall(r'data-history-row data-kind="(\w+)"', r.text)
    assert kinds == ["created", "status", "note", "severity", "assigned", "attachment"]
    assert (await rig.client.get("/ticket/T-000001", headers=hx("carol"))).status_code == 404


async def test_the_queue_page_and_bulk_assign(rig: Rig) -> None:
    await rig.open(name="One")
    await rig.open(name="Two", severity="critical")
    page = (await rig.client.get("/queue", headers=hx("admin"))).text
    assert re.findall(r'<tr data-ticket="([^"]+)"', page) == ["T-000002", "T-000001"]
    assert (await rig.client.get("/queue", headers=hx("alice"))).status_code == 403
    r = await rig.client.post(
        "/queue/bulk", data={"ids": ["T-000001", "T-000002"], "assigned_to": "rita@acme"}, headers=hx("admin")
    )
    assert "2 tickets updated." in r.text
    assert re.findall(r"<td data-assigned>([^<]+)</td>", r.text) == ["rita@acme", "rita@acme"]
    await rig.move("admin", "T-000001", "inProgress", "resolved")
    r = await rig.client.post(
        "/queue/bulk", data={"ids": ["T-000001", "T-000002"], "status": "held"}, headers=hx("admin")
    )
    assert r.status_code == 422
    assert "T-000001: a ticket cannot go from resolved to held; nothing was changed." in r.text
    assert (await rig.get("admin", "T-000002")).json()["status"] == "acknowledged"
    page = (await rig.client.get("/queue?q=one&status=resolved", headers=hx("admin"))).text
    assert re.findall(r'<tr data-ticket="([^"]+)"', page) == ["T-000001"]


async def test_the_demo_seeds_two_globex_tickets_once(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    await upgrade(migrations_dir=TREE, url=settings.database_url, schema=None)
    await seed(settings)
    await seed(settings)
    async with (
        open_context(TicketsSettings.from_resource(settings)) as (ctx, _),
        transaction(ctx, write=False) as tx,
    ):
        rows, total = await repo.search(tx.session, Filter(), offset=0, limit=10)
        notes = await repo.notes(tx.session, "T-000001", internal=False)
    assert total == 2
    assert sorted((r.id, r.customer_id, r.status, r.assigned_to) for r in rows) == [
        ("T-000001", "globex", "inProgress", "admin"),
        ("T-000002", "globex", "resolved", None),
    ]
    assert [n.text for n in notes] == ["Looking at the SIP traces of this morning's calls."]

"""The TMF621 API through the real app: opening (shape, validation, the alarm link and the event),
the list's filters, `fields=` and paging headers, and PATCH semantics (merge-patch only,
patchable fields, staff-only fields, notes appended, If-Match)."""

from __future__ import annotations

from datetime import timedelta

from tickets_support import T0, TMF, Rig, as_, rig

__all__ = ["rig"]

ALARM = {"role": "alarm", "id": "A-17", "@referredType": "Alarm"}


async def test_opening_from_an_alarm_stores_it_and_publishes(rig: Rig) -> None:
    r = await rig.client.post(
        TMF,
        json={
            "name": "No inbound calls",
            "description": "Busy tone.",
            "severity": "major",
            "relatedEntity": [ALARM],
            "requestedResolutionDate": "2026-12-14T12:00:00+01:00",
        },
        headers=as_("alice"),
    )
    assert (r.status_code, r.headers["Location"], r.headers["ETag"]) == (
        201,
        "/api/tickets/tmf-api/troubleTicket/v4/troubleTicket/T-000001",
        '"1"',
    )
    assert r.json() == {
        "id": "T-000001",
        "href": "/api/tickets/tmf-api/troubleTicket/v4/troubleTicket/T-000001",
        "@type": "TroubleTicket",
        "name": "No inbound calls",
        "description": "Busy tone.",
        "severity": "major",
        "ticketType": "trouble",
        "status": "acknowledged",
        "channel": {"id": "alarm", "name": "alarm"},
        "relatedEntity": [ALARM],
        "relatedParty": [{"id": "globex", "role": "customer", "@referredType": "Organization"}],
        "requestedResolutionDate": "2026-12-14T11:00:00Z",
        "expectedResolutionDate": "2026-12-14T17:00:00Z",
        "creationDate": "2026-12-14T09:00:00Z",
        "lastUpdate": "2026-12-14T09:00:00Z",
        "slaState": "ok",
    }
    assert rig.bus.published == [
        (
            "tickets.changed",
            {"id": "T-000001", "customer_id": "globex", "status": "acknowledged", "related": [ALARM]},
        )
    ]
    one = (await rig.get("alice", "T-000001")).json()
    assert (one["note"], one["attachment"], one["statusChange"]) == (
        [],
        [],
        [{"status": "acknowledged", "changeDate": "2026-12-14T09:00:00Z"}],
    )


async def test_a_bad_ticket_names_every_bad_field(rig: Rig) -> None:
    r = await rig.client.post(
        TMF,
        json={
            "name": "",
            "severity": "urgent",
            "ticketType": "complaint",
            "channel": "fax",
            "colour": "red",
            "relatedEntity": [
                {"role": "number", "id": "123", "@referredType": "Number"},
                {"role": "planet", "id": "x", "@referredType": "Planet"},
            ],
            "requestedResolutionDate": "tomorrow",
        },
        headers=as_("alice"),
    )
    assert r.status_code == 422
    assert r.json()["errors"] == [
        {"field": "colour", "message": "is not a field of a new trouble ticket"},
        {"field": "name", "message": "must be text"},
        {"field": "description", "message": "is required"},
        {"field": "severity", "message": "must be one of critical, major, minor, low"},
        {"field": "ticketType", "message": "must be one of trouble, inquiry, request"},
        {"field": "channel", "message": "must be one of portal, api, alarm, chat"},
        {"field": "relatedEntity[0].id", "message": "must be a number in E.164, like +18005550100"},
        {"field": "relatedEntity[1].role", "message": "must be one of alarm, number, site, call, order"},
        {
            "field": "requestedResolutionDate",
            "message": "must be a date and time with its offset, like 2026-12-14T10:00:00Z",
        },
    ]
    assert rig.bus.published == []


async def test_staff_open_for_a_customer_they_reach(rig: Rig) -> None:
    r = await rig.client.post(
        TMF, json={"name": "x", "description": "y", "severity": "low"}, headers=as_("admin")
    )
    assert (r.status_code, r.json()["errors"]) == (
        422,
        [{"field": "relatedParty", "message": 'name the customer: {"role": "customer", "id": …}'}],
    )
    party = [{"role": "customer", "id": "initech"}]
    body = {"name": "x", "description": "y", "severity": "low", "relatedParty": party}
    r = await rig.client.post(TMF, json=body, headers=as_("rita"))
    assert (r.status_code, r.json()["relatedParty"][0]["id"], r.json()["channel"]) == (
        201,
        "initech",
        {"id": "api", "name": "api"},
    )
    r = await rig.client.post(TMF, json=body, headers=as_("zed"))
    assert (r.status_code, r.json()["detail"]) == (404, "no such customer: initech")
    r = await rig.client.post(TMF, json=body, headers=as_("alice"))
    assert (r.status_code, r.json()["errors"][0]["message"]) == (
        422,
        "you can open tickets for your own company only",
    )
    r = await rig.client.post(TMF, json={**body, "relatedParty": None}, headers=as_("vic"))
    assert r.status_code == 403
    r = await rig.client.post(
        f"{TMF}?customer=globex", json={**body, "relatedParty": None}, headers=as_("admin")
    )
    assert (r.status_code, r.json()["id"]) == (201, "T-000002")


async def test_list_filters_fields_and_paging_headers(rig: Rig) -> None:
    for i, severity in enumerate(("critical", "major", "minor", "low", "major")):
        rig.clock.now = T0 + timedelta(minutes=i)
        await rig.open(name=f"Problem {i}", severity=severity, ticketType="inquiry" if i == 4 else "trouble")
    await rig.move("admin", "T-000002", "inProgress")
    await rig.patch("admin", "T-000003", {"assignedTo": "admin"})
    await rig.open("carol")

    async def ids(query: str, who: str = "alice") -> tuple[list[str], str, str]:
        r = await rig.client.get(f"{TMF}{query}", headers=as_(who))
        assert r.status_code == 200, r.text
        return [t["id"] for t in r.json()], r.headers["X-Total-Count"], r.headers["X-Result-Count"]

    assert await ids("") == (["T-000005", "T-000004", "T-000003", "T-000002", "T-000001"], "5", "5")
    assert await ids("?severity=major") == (["T-000005", "T-000002"], "2", "2")
    assert await ids("?severity=critical,low") == (["T-000004", "T-000001"], "2", "2")
    assert await ids("?status=inProgress") == (["T-000002"], "1", "1")
    assert await ids("?ticketType=inquiry") == (["T-000005"], "1", "1")
    assert await ids("?assignedTo=admin") == (["T-000003"], "1", "1")
    assert await ids("?assignedTo=none&severity=major") == (["T-000005", "T-000002"], "2", "2")
    assert await ids("?offset=1&limit=2") == (["T-000004", "T-000003"], "5", "2")
    assert await ids("?offset=10") == ([], "5", "0")
    assert await ids("?customer=initech", "admin") == (["T-000006"], "1", "1")
    assert await ids("?customer=initech") == ([], "0", "0")  # not Globex's to see
    r = await rig.client.get(f"{TMF}?fields=status,slaState&limit=1", headers=as_("alice"))
    assert r.json() == [
        {
            "id": "T-000005",
            "href": f"/api/tickets{TMF.removeprefix('/api')}/T-000005",
            "@type": "TroubleTicket",
            "status": "acknowledged",
            "slaState": "ok",
        }
    ]
    r = await rig.client.get(f"{TMF}?fields=status,colour&severity=urgent&limit=0", headers=as_("alice"))
    assert (r.status_code, r.json()["errors"]) == (
        422,
        [{"field": "fields", "message": "unknown attributes: colour"}],
    )
    r = await rig.client.get(f"{TMF}?limit=201", headers=as_("alice"))
    assert r.json()["errors"] == [{"field": "limit", "message": "must be a whole number from 1 to 200"}]
    r = await rig.client.get(f"{TMF}?status=open", headers=as_("alice"))
    assert r.json()["errors"][0]["field"] == "status"
    one = (await rig.client.get(f"{TMF}/T-000002?fields=status", headers=as_("alice"))).json()
    assert one == {
        "id": "T-000002",
        "href": f"/api/tickets{TMF.removeprefix('/api')}/T-000002",
        "@type": "TroubleTicket",
        "status": "inProgress",
    }


async def test_patch_wants_merge_patch_and_names_what_cannot_change(rig: Rig) -> None:
    await rig.open()
    r = await rig.client.patch(f"{TMF}/T-000001", json={"status": "cancelled"}, headers=as_("alice"))
    assert (r.status_code, r.json()["detail"]) == (
        415,
        "send the patch as application/merge-patch+json (RFC 7396)",
    )
    r = await rig.patch("alice", "T-000001", {"name": "Other", "id": "T-9", "status": "cancelled"})
    assert (r.status_code, [e["field"] for e in r.json()["errors"]]) == (422, ["id", "name"])
    assert r.json()["errors"][0]["message"] == (
        "cannot be changed (status, statusChangeReason, note, severity and assignedTo can)"
    )
    r = await rig.patch("alice", "T-000001", {"statusChangeReason": "why"})
    assert r.json()["errors"] == [{"field": "statusChangeReason", "message": "goes with a status"}]
    r = await rig.patch("alice", "T-000001", {})
    assert r.json()["errors"] == [{"field": "body", "message": "the patch changes nothing"}]
    for field, value in (("severity", "critical"), ("assignedTo", "admin")):
        r = await rig.patch("alice", "T-000001", {field: value})
        assert (r.status_code, r.json()["detail"]) == (403, "only staff may change severity or assignedTo")
    r = await rig.patch("alice", "T-404", {"status": "cancelled"})
    assert (r.status_code, r.json()["detail"]) == (404, "no such ticket: T-404")
    assert (await rig.get("alice", "T-000001")).headers["ETag"] == '"1"'


async def test_if_match_refuses_a_stale_version(rig: Rig) -> None:
    await rig.open()
    r = await rig.patch("admin", "T-000001", {"assignedTo": "admin"}, **{"If-Match": '"1"'})
    assert (r.status_code, r.headers["ETag"], r.json()["assignedTo"]) == (200, '"2"', "admin")
    r = await rig.patch("alice", "T-000001", {"status": "cancelled"}, **{"If-Match": '"1"'})
    assert (r.status_code, r.json()["title"], r.json()["detail"]) == (
        412,
        "Precondition failed",
        "the ticket changed since: it is at version 2",
    )
    assert (await rig.get("alice", "T-000001")).json()["status"] == "acknowledged"
    r = await rig.patch("alice", "T-000001", {"status": "cancelled"}, **{"If-Match": 'W/"2"'})
    assert (r.status_code, r.headers["ETag"]) == (200, '"3"')
    r = await rig.patch("admin", "T-000001", {"assignedTo": None}, **{"If-Match": "*"})
    assert (r.status_code, "assignedTo" in r.json()) == (200, False)  # unassigned: left out


async def test_severity_moves_the_due_time_and_notes_are_appended(rig: Rig) -> None:
    await rig.open(severity="low")
    rig.clock.now = T0 + timedelta(hours=1)
    r = await rig.patch(
        "admin",
        "T-000001",
        {
            "severity": "critical",
            "note": [{"text": "Calling the carrier."}, {"text": "Trunk 2?", "internal": True}],
        },
    )
    body = r.json()
    assert (body["severity"], body["expectedResolutionDate"]) == ("critical", "2026-12-14T13:00:00Z")
    assert body["note"] == [
        {
            "id": "1",
            "author": "admin",
            "date": "2026-12-14T10:00:00Z",
            "text": "Calling the carrier.",
            "@type": "Note",
        },
        {
            "id": "2",
            "author": "admin",
            "date": "2026-12-14T10:00:00Z",
            "text": "Trunk 2?",
            "@type": "Note",
            "internal": True,
        },
    ]
    r = await rig.patch("alice", "T-000001", {"note": {"text": "Thanks!"}})
    assert [(n["id"], n["text"]) for n in r.json()["note"]] == [
        ("1", "Calling the carrier."),
        ("3", "Thanks!"),
    ]
    r = await rig.patch("alice", "T-000001", {"note": {"text": "psst", "internal": True}})
    assert (r.status_code, r.json()["detail"]) == (403, "only staff may write internal notes")
    r = await rig.patch("alice", "T-000001", {"note": [{"id": "1", "text": "edited"}]})
    assert r.json()["errors"] == [
        {"field": "note[0]", "message": 'notes are only added: send {"text", "internal"} without an id'}
    ]
    await rig.move("alice", "T-000001", "cancelled")
    r = await rig.patch("alice", "T-000001", {"note": {"text": "one more"}})
    assert (r.status_code, r.json()["detail"]) == (409, "the ticket is cancelled: no more notes")

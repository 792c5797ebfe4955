"""TMF621 v4 (Trouble Ticket) through the real tickets app, checked against TM Forum's published
swagger (schemas/TMF621_Trouble_Ticket_Management_API_v4.0.0_swagger.json, `definitions`).

What we check: a POST body written to `TroubleTicket_Create` is accepted (201, Location) and the
ticket returned, listed, patched and read back against `TroubleTicket`; its notes against `Note`,
attachments against `AttachmentRefOrValue`, related entities and parties against `RelatedEntity`
and `RelatedParty`, status history against `StatusChange`; the mandatory attributes (id, href,
description, severity, ticketType, status, creationDate; `TroubleTicket_Create` requires
description, severity and ticketType, `TroubleTicket` itself nothing); `fields=`, filters,
`offset`/`limit` with `X-Total-Count`/`X-Result-Count`; PATCH as `application/merge-patch+json`
of a `TroubleTicket_Update` (status with statusChangeReason, and a note); `channel` a `ChannelRef`
(`{"id": <channel>, "name": <channel>}`); an attribute without a value left out, never `null`
(TMF630: statusChangeReason, requestedResolutionDate, resolutionDate, closedDate, assignedTo on
the ticket, changeReason on a `statusChange` entry); `fields=` keeping id, href and @type.

Where we legitimately differ (asserted exactly):
* `assignedTo`, `slaState` and `closedDate` are our extensions (TMF621 v4 has none of them);
  `closedDate` and `assignedTo` are left out until set, like the spec's own attributes.
* a staff-only internal note carries `internal: true`, an attribute `Note` does not list.
* `ticketType` may be left out of a POST (we default to `trouble`) although `TroubleTicket_Create`
  requires it: being lenient on input is not a departure of what we return.
* errors are RFC 9457 problem details (`application/problem+json`: `type`, `title`, `status` as a
  number, `detail`), not the spec's `Error` (`code` and `reason` required, `status` a string). That
  is deliberate: the house rule is RFC 9457 problem details for every API error, so a TMF client
  gets the same error body as every other Switchboard API.
"""

from __future__ import annotations

from typing import Any

from tickets_support import TMF, Rig, as_, rig
from tmf_spec import TMF621, definition, problems, property_names

__all__ = ["rig"]

HREF = "/api/tickets/tmf-api/troubleTicket/v4/troubleTicket/"
MANDATORY = ("id", "href", "description", "severity", "ticketType", "status", "creationDate")
EXTENSIONS = {"assignedTo", "slaState", "closedDate"}
NEW = {
    "name": "No inbound calls",
    "description": "Calls to +18005550100 fail with a busy tone.",
    "severity": "major",
    "ticketType": "trouble",
    "requestedResolutionDate": "2026-12-14T12:00:00Z",
    "relatedEntity": [{"role": "number", "id": "+18005550100", "@referredType": "TelephoneNumber"}],
    "@type": "TroubleTicket",
}
CHANNEL = ("$.channel", "required", "id")
PROBLEM = {"type", "title", "status", "detail"}  # RFC 9457


async def create(rig: Rig, body: dict[str, Any] | None = None) -> dict[str, Any]:
    r = await rig.client.post(TMF, json=body or NEW, headers=as_("alice"))
    assert r.status_code == 201, r.text
    out: dict[str, Any] = r.json()
    assert r.headers["Location"] == out["href"]
    return out


async def start_work(rig: Rig, ticket_id: str) -> dict[str, Any]:
    change = {
        "status": "inProgress",
        "statusChangeReason": "Engineer assigned",
        "note": [{"text": "Checking the carrier trunk."}],
    }
    assert problems(TMF621, "TroubleTicket_Update", change) == []
    r = await rig.patch("admin", ticket_id, change)
    assert r.status_code == 200, r.text
    out: dict[str, Any] = r.json()
    return out


async def test_create_from_a_spec_body(rig: Rig) -> None:
    assert problems(TMF621, "TroubleTicket_Create", NEW) == []
    ticket = await create(rig)
    assert ticket == {
        "id": "T-000001",
        "href": HREF + "T-000001",
        "@type": "TroubleTicket",
        "name": "No inbound calls",
        "description": "Calls to +18005550100 fail with a busy tone.",
        "severity": "major",
        "ticketType": "trouble",
        "status": "acknowledged",
        "channel": {"id": "api", "name": "api"},
        "relatedEntity": [{"role": "number", "id": "+18005550100", "@referredType": "TelephoneNumber"}],
        "relatedParty": [{"id": "globex", "role": "customer", "@referredType": "Organization"}],
        "requestedResolutionDate": "2026-12-14T12:00:00Z",
        "expectedResolutionDate": "2026-12-14T17:00:00Z",
        "creationDate": "2026-12-14T09:00:00Z",
        "lastUpdate": "2026-12-14T09:00:00Z",
        "slaState": "ok",
    }
    assert problems(TMF621, "TroubleTicket", ticket) == []
    assert [name for name in MANDATORY if ticket.get(name) in (None, "")] == []
    assert definition(TMF621, "TroubleTicket_Create")["required"] == ["description", "severity", "ticketType"]
    assert "required" not in definition(TMF621, "TroubleTicket")


async def test_attribute_names_are_the_specs_but_our_extensions(rig: Rig) -> None:
    ticket = await create(rig)
    up = await rig.client.post(
        f"/api/troubleTicket/{ticket['id']}/attachment",
        files={"file": ("trace.txt", b"SIP/2.0 486 Busy Here", "text/plain")},
        headers=as_("alice"),
    )
    assert up.status_code == 201, up.text
    await start_work(rig, ticket["id"])
    r = await rig.patch(
        "admin", ticket["id"], {"note": [{"text": "Carrier says tomorrow.", "internal": True}]}
    )
    assert r.status_code == 200, r.text
    full = r.json()
    # assignedTo and closedDate (ours too) are left out: nobody is assigned, the ticket is open
    assert set(full) - property_names(TMF621, "TroubleTicket") == EXTENSIONS - {"assignedTo", "closedDate"}
    assert [set(n) - property_names(TMF621, "Note") for n in full["note"]] == [set(), {"internal"}]
    assert [set(a) - property_names(TMF621, "AttachmentRefOrValue") for a in full["attachment"]] == [set()]
    assert [set(s) - property_names(TMF621, "StatusChange") for s in full["statusChange"]] == [set(), set()]
    assert [set(e) - property_names(TMF621, "RelatedEntity") for e in full["relatedEntity"]] == [set()]
    assert [set(p) - property_names(TMF621, "RelatedParty") for p in full["relatedParty"]] == [set()]
    assert set(full["channel"]) - property_names(TMF621, "ChannelRef") == set()
    # the parts, each against its own definition
    assert full["attachment"] == [
        {
            "id": "1",
            "name": "trace.txt",
            "mimeType": "text/plain",
            "size": {"amount": 21, "units": "bytes"},
            "url": f"/api/tickets/troubleTicket/{ticket['id']}/attachment/1",
            "@type": "AttachmentRefOrValue",
        }
    ]
    assert problems(TMF621, "AttachmentRefOrValue", full["attachment"][0]) == []
    assert problems(TMF621, "AttachmentRefOrValue", up.json()) == []
    assert [problems(TMF621, "Note", n) for n in full["note"]] == [[], []]
    assert [problems(TMF621, "RelatedEntity", e) for e in full["relatedEntity"]] == [[]]
    assert [problems(TMF621, "RelatedParty", p) for p in full["relatedParty"]] == [[]]


async def test_patch_status_with_reason_and_a_note(rig: Rig) -> None:
    ticket = await create(rig)
    rig.clock.now = rig.clock.now.replace(minute=30)
    after = await start_work(rig, ticket["id"])
    r = await rig.get("admin", ticket["id"])
    assert after == r.json()  # the full updated resource, as a GET has it
    # statusChangeReason (left out while there was none) and the single GET's lists are added
    assert (set(after) - set(ticket), set(ticket) - set(after)) == (
        {"statusChangeReason", "note", "attachment", "statusChange"},
        set(),
    )
    changed = {k: (ticket.get(k), after[k]) for k in after if ticket.get(k) != after[k]}
    assert changed == {
        "status": ("acknowledged", "inProgress"),
        "statusChangeReason": (None, "Engineer assigned"),
        "lastUpdate": ("2026-12-14T09:00:00Z", "2026-12-14T09:30:00Z"),
        "note": (
            None,
            [
                {
                    "id": "1",
                    "author": "admin",
                    "date": "2026-12-14T09:30:00Z",
                    "text": "Checking the carrier trunk.",
                    "@type": "Note",
                }
            ],
        ),
        "attachment": (None, []),
        "statusChange": (
            None,
            [
                {"status": "acknowledged", "changeDate": "2026-12-14T09:00:00Z"},
                {
                    "status": "inProgress",
                    "changeDate": "2026-12-14T09:30:00Z",
                    "changeReason": "Engineer assigned",
                },
            ],
        ),
    }
    assert problems(TMF621, "TroubleTicket", after) == []
    assert [problems(TMF621, "StatusChange", s) for s in after["statusChange"]] == [[], []]
    assert [problems(TMF621, "TroubleTicketStatusType", s["status"]) for s in after["statusChange"]] == [
        [],
        [],
    ]


async def test_merge_patch_leaves_absent_attributes_and_refuses_the_rest(rig: Rig) -> None:
    ticket = await create(rig)
    before = (await rig.get("alice", ticket["id"])).json()
    change = {"description": "Now also the other number."}
    assert problems(TMF621, "TroubleTicket_Update", change) == []  # valid per spec, not ours to change
    r = await rig.patch("alice", ticket["id"], change)
    assert (r.status_code, r.headers["content-type"]) == (422, "application/problem+json")
    assert r.json()["errors"] == [
        {
            "field": "description",
            "message": "cannot be changed (status, statusChangeReason, note, severity and assignedTo can)",
        }
    ]
    assert (await rig.get("alice", ticket["id"])).json() == before
    rig.clock.now = rig.clock.now.replace(minute=5)
    r = await rig.patch("alice", ticket["id"], {"note": [{"text": "It is every call."}]})
    assert r.status_code == 200, r.text
    after = r.json()
    assert {k: (before[k], after[k]) for k in after if after[k] != before[k]} == {
        "lastUpdate": ("2026-12-14T09:00:00Z", "2026-12-14T09:05:00Z"),
        "note": (
            [],
            [
                {
                    "id": "1",
                    "author": "alice@globex",
                    "date": "2026-12-14T09:05:00Z",
                    "text": "It is every call.",
                    "@type": "Note",
                }
            ],
        ),
    }


async def seed(rig: Rig) -> list[str]:
    """Three tickets a minute apart (the second critical, the third in progress)."""
    ids = []
    for i, severity in enumerate(("major", "critical", "minor")):
        rig.clock.now = rig.clock.now.replace(minute=i)
        ids.append((await create(rig, {**NEW, "severity": severity}))["id"])
    await start_work(rig, ids[2])
    return ids


async def listing(rig: Rig, query: str) -> tuple[list[dict[str, Any]], tuple[str, str]]:
    r = await rig.client.get(TMF + query, headers=as_("alice"))
    assert r.status_code == 200, r.text
    return r.json(), (r.headers["X-Total-Count"], r.headers["X-Result-Count"])


async def test_list_is_tickets_with_counts(rig: Rig) -> None:
    ids = await seed(rig)
    body, counts = await listing(rig, "")
    assert ([t["id"] for t in body], counts) == ([ids[2], ids[1], ids[0]], ("3", "3"))
    assert [problems(TMF621, "TroubleTicket", t) for t in body] == [[], [], []]
    # only the ticket in progress has a reason; none is resolved, closed or assigned
    absent = {"statusChangeReason", "resolutionDate", "closedDate", "assignedTo"}
    assert [absent - set(t) for t in body] == [absent - {"statusChangeReason"}, absent, absent]


async def test_fields_filter_and_paging(rig: Rig) -> None:
    ids = await seed(rig)
    body, counts = await listing(rig, "?fields=status,severity")
    assert counts == ("3", "3")
    assert body == [
        {"id": i, "href": HREF + i, "@type": "TroubleTicket", "severity": sev, "status": status}
        for i, sev, status in (
            (ids[2], "minor", "inProgress"),
            (ids[1], "critical", "acknowledged"),
            (ids[0], "major", "acknowledged"),
        )
    ]
    assert [problems(TMF621, "TroubleTicket", t) for t in body] == [[], [], []]
    body, counts = await listing(rig, "?severity=critical")
    assert ([t["id"] for t in body], counts) == ([ids[1]], ("1", "1"))
    body, counts = await listing(rig, "?status=inProgress")
    assert ([(t["id"], t["status"]) for t in body], counts) == ([(ids[2], "inProgress")], ("1", "1"))
    body, counts = await listing(rig, "?offset=1&limit=1")
    assert ([t["id"] for t in body], counts) == ([ids[1]], ("3", "1"))
    body, counts = await listing(rig, "?offset=3")
    assert (body, counts) == ([], ("3", "0"))


async def test_fields_keeps_the_type_too(rig: Rig) -> None:
    await seed(rig)
    body, _ = await listing(rig, "?fields=status")
    assert [set(t) for t in body] == [{"id", "href", "@type", "status"}] * 3


async def test_channel_is_a_channel_ref(rig: Rig) -> None:
    ticket = await create(rig)
    assert CHANNEL not in problems(TMF621, "TroubleTicket", ticket)
    assert ticket["channel"] == {"id": "api", "name": "api"}
    assert problems(TMF621, "ChannelRef", ticket["channel"]) == []


async def test_absent_attributes_are_left_out_not_null(rig: Rig) -> None:
    ticket = await create(rig, {k: v for k, v in NEW.items() if k != "requestedResolutionDate"})
    after = await start_work(rig, ticket["id"])
    assert [p for p in problems(TMF621, "TroubleTicket", ticket) if p != CHANNEL] == []
    assert [p for p in problems(TMF621, "TroubleTicket", after) if p != CHANNEL] == []
    optional = {"statusChangeReason", "requestedResolutionDate", "resolutionDate", "closedDate", "assignedTo"}
    assert (optional - set(ticket), optional - set(after)) == (optional, optional - {"statusChangeReason"})
    assert [k for k, v in {**ticket, **after}.items() if v is None] == []
    assert [sorted(s) for s in after["statusChange"]] == [
        ["changeDate", "status"],
        ["changeDate", "changeReason", "status"],
    ]


async def test_an_unknown_id_is_a_404_problem(rig: Rig) -> None:
    r = await rig.get("alice", "T-999999")
    assert (r.status_code, r.headers["content-type"]) == (404, "application/problem+json")
    assert r.json() == {
        "type": "about:blank",
        "title": "Not found",
        "status": 404,
        "detail": "no such ticket: T-999999",
    }
    assert problems(TMF621, "Error", r.json()) == [
        ("$", "required", "code"),
        ("$", "required", "reason"),
        ("$.status", "type", "404"),
    ]


async def test_an_error_is_an_rfc_9457_problem_not_the_specs_error(rig: Rig) -> None:
    """Deliberate (house rule: RFC 9457 problem details for every API error): the body has the
    problem's members and none of `Error`'s required ones, and `status` is the number."""
    r = await rig.get("alice", "T-999999")
    assert (r.status_code, r.headers["content-type"]) == (404, "application/problem+json")
    body = r.json()
    assert set(body) == PROBLEM
    assert (type(body["status"]), body["status"]) == (int, 404)
    # what TMF621's Error would have: code and reason required, status a string
    error = definition(TMF621, "Error")
    assert (error["required"], error["properties"]["status"]["type"]) == (["code", "reason"], "string")
    assert set(body) & set(error["required"]) == set()

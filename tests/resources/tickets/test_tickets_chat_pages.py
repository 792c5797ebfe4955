"""The chat over HTTP: the transcript API, "Talk to us" (the form, its inline errors, the inquiry
ticket and its first message), the ticket page's chat panel and its form without a script, the
staff queue's "chat waiting" marker, the script, and the manifest's declarations."""

from __future__ import annotations

import re

from tickets_support import Rig, as_, rig

from resources.tickets.manifest import MANIFEST

__all__ = ["rig"]

AT = "2026-12-14T09:00:00Z"


def hx(name: str) -> dict[str, str]:
    return as_(name, **{"HX-Request": "true"})


async def chat(rig: Rig, who: str, ticket_id: str, text: str) -> int:
    r = await rig.client.post(f"/ticket/{ticket_id}/chat", data={"text": text}, headers=hx(who))
    return r.status_code


async def test_the_transcript_api(rig: Rig) -> None:
    t = await rig.open()
    assert await chat(rig, "alice", t["id"], " Is anyone there? ") == 303
    assert await chat(rig, "admin", t["id"], "Yes, me") == 303
    expected = {
        "ticket": "T-000001",
        "messages": [
            {
                "id": 1,
                "author": "alice@globex",
                "author_kind": "customer",
                "name": "alice@globex",
                "text": "Is anyone there?",
                "at": AT,
            },
            {
                "id": 2,
                "author": "admin",
                "author_kind": "staff",
                "name": "admin",
                "text": "Yes, me",
                "at": AT,
            },
        ],
    }
    for who in ("alice", "vic", "admin", "sam"):  # tickets:view is enough to read it
        r = await rig.client.get("/api/troubleTicket/T-000001/chat", headers=as_(who))
        assert (r.status_code, r.json()) == (200, expected), who
    for who in ("hank", "zed"):
        r = await rig.client.get("/api/troubleTicket/T-000001/chat", headers=as_(who))
        assert (r.status_code, r.json()["detail"]) == (404, "no such ticket: T-000001")
    r = await rig.client.get("/api/troubleTicket/T-000404/chat", headers=as_("admin"))
    assert r.status_code == 404
    assert [p["message"]["id"] for p in rig.bus.topic("tickets.chat")] == [1, 2]
    tmf = (await rig.get("alice", "T-000001")).json()  # the TMF621 ticket carries no chat
    assert (tmf["note"], "chat" in tmf) == ([], False)


async def test_talk_to_us_opens_an_inquiry_and_its_chat(rig: Rig) -> None:
    page = (await rig.client.get("/list", headers=hx("alice"))).text
    assert '<a class="button button--secondary" href="/tickets/chat/new" data-talk>Talk to us</a>' in page
    assert "data-talk" not in (await rig.client.get("/list", headers=hx("admin"))).text
    assert "data-talk" not in (await rig.client.get("/list", headers=hx("vic"))).text
    form = (await rig.client.get("/chat/new", headers=hx("alice"))).text
    assert 'action="/tickets/chat/new"' in form
    r = await rig.client.post("/chat/new", data={"name": "", "text": "   "}, headers=hx("alice"))
    assert r.status_code == 422
    assert re.findall(r'<p class="field-error" id="field-(\w+)-error">([^<]+)</p>', r.text) == [
        ("name", "Give a subject of 1 to 200 characters."),
        ("text", "The message is empty."),
    ]
    r = await rig.client.post(
        "/chat/new", data={"name": "Billing question", "text": " Why two invoices? "}, headers=hx("alice")
    )
    assert (r.status_code, r.headers["location"]) == (303, "/tickets/ticket/T-000001#chat")
    t = (await rig.get("alice", "T-000001")).json()
    assert (t["name"], t["description"], t["ticketType"], t["channel"], t["severity"], t["status"]) == (
        "Billing question",
        "Why two invoices?",
        "inquiry",
        {"id": "chat", "name": "chat"},
        "minor",
        "acknowledged",
    )
    r = await rig.client.get("/api/troubleTicket/T-000001/chat", headers=as_("alice"))
    assert [(m["id"], m["author"], m["text"]) for m in r.json()["messages"]] == [
        (1, "alice@globex", "Why two invoices?")
    ]
    assert [(p["id"], p["status"]) for p in rig.bus.topic("tickets.changed")] == [
        ("T-000001", "acknowledged")
    ]
    r = await rig.client.post("/chat/new", data={"name": "x", "text": "y"}, headers=hx("admin"))
    assert (r.status_code, r.json()["detail"]) == (
        403,
        "Talk to us is for customers: open the chat of their ticket",
    )


async def test_the_ticket_page_shows_the_chat_and_takes_messages_without_a_script(rig: Rig) -> None:
    t = await rig.open()
    await rig.patch("admin", t["id"], {"note": {"text": "secret", "internal": True}})
    assert await chat(rig, "alice", t["id"], "<b>hi</b>") == 303
    page = (await rig.client.get(f"/ticket/{t['id']}", headers=hx("alice"))).text
    assert 'data-ws-url="/tickets/T-000001/chat/ws" data-viewer="customer"' in page
    assert '<script src="/tickets/chat.js" defer></script>' in page
    assert 'aria-live="polite"' in page
    assert re.findall(
        r'data-chat-message="(\d+)" data-kind="(\w+)"><p class="muted">([^<]+)</p><p>([^<]*)</p>', page
    ) == [("1", "customer", "2026-12-14 09:00 UTC — alice@globex", "&lt;b&gt;hi&lt;/b&gt;")]
    assert (
        '<span data-chat-presence role="status">Support is offline: leave a message, we answer here</span>'
        in page
    )
    assert "secret" not in page
    row = '<tr data-history-row data-kind="chat"><td>2026-12-14 09:00 UTC</td><td>alice@globex</td>'
    assert row + "<td>chat</td>" in page
    assert "chat message (customer)" in page
    page = (await rig.client.get(f"/ticket/{t['id']}", headers=hx("admin"))).text
    assert 'data-viewer="staff"' in page
    assert "The customer is offline" in page
    page = (await rig.client.get(f"/ticket/{t['id']}", headers=hx("sam"))).text  # reads, does not chat
    assert ("data-ws-url" in page, "data-chat-form" in page, "&lt;b&gt;hi&lt;/b&gt;" in page) == (
        False,
        False,
        True,
    )
    r = await rig.client.post(f"/ticket/{t['id']}/chat", data={"text": "  "}, headers=hx("alice"))
    assert r.status_code == 422
    assert (
        '<p class="field-error" id="chat-error" role="alert" data-chat-error>The message is empty.</p>'
        in r.text
    )
    assert (
        await rig.client.post(f"/ticket/{t['id']}/chat", data={"text": "x"}, headers=hx("sam"))
    ).status_code == 403
    assert (
        await rig.client.post(f"/ticket/{t['id']}/chat", data={"text": "x"}, headers=hx("hank"))
    ).status_code == 404
    await rig.move("alice", t["id"], "cancelled")
    page = (await rig.client.get(f"/ticket/{t['id']}", headers=hx("alice"))).text
    assert ("data-ws-url" in page, "The ticket is cancelled: the chat is over." in page) == (False, True)
    r = await rig.client.post(f"/ticket/{t['id']}/chat", data={"text": "x"}, headers=hx("alice"))
    assert r.status_code == 422
    assert "The ticket is cancelled: the chat is over.</p>" in r.text


async def test_the_queue_marks_chats_waiting_for_staff(rig: Rig) -> None:
    one, two, three = await rig.open(), await rig.open("carol"), await rig.open()

    async def marked() -> list[str]:
        page = (await rig.client.get("/queue", headers=hx("admin"))).text
        return re.findall(r'href="/tickets/ticket/([^"#]+)#chat" data-chat-waiting>', page)

    assert await marked() == []
    assert await chat(rig, "alice", one["id"], "Hello?") == 303
    assert await chat(rig, "carol", two["id"], "Hi") == 303
    assert await chat(rig, "admin", three["id"], "We noticed a problem") == 303
    assert sorted(await marked()) == ["T-000001", "T-000002"]
    assert await chat(rig, "rita", two["id"], "Here") == 303
    assert await marked() == ["T-000001"]
    assert await chat(rig, "alice", three["id"], "Thanks") == 303
    assert sorted(await marked()) == ["T-000001", "T-000003"]
    r = await rig.patch("admin", one["id"], {"note": {"text": "internal", "internal": True}})
    assert r.status_code == 200
    assert sorted(await marked()) == ["T-000001", "T-000003"]  # a note is no chat reply


async def test_the_script_and_the_manifest(rig: Rig) -> None:
    r = await rig.client.get("/chat.js", headers=as_("alice"))
    assert (r.status_code, r.headers["content-type"]) == (200, "text/javascript; charset=utf-8")
    assert 'JSON.stringify({ type: "say", text: text })' in r.text
    assert "innerHTML" not in r.text
    rules = {(r.method, r.path): r.action for r in MANIFEST.rules}
    assert {k: v for k, v in rules.items() if "chat" in k[1]} == {
        ("GET", "/chat/new"): "tickets:open",
        ("POST", "/chat/new"): "tickets:open",
        ("POST", "/ticket/{id}/chat"): "tickets:view",
        ("WS", "/{id}/chat/ws"): "tickets:view",
        ("GET", "/chat.js"): "tickets:view",
        ("GET", "/api/troubleTicket/{id}/chat"): "tickets:view",
    }

"""`WS /{id}/chat/ws` over a real socket: a customer user and staff chatting (exact frames, in
order), presence, the history on connect and after a reconnect, refusals (4403, 4404, 4401),
internal notes kept out, the rate limit, text validation, a finished ticket, and the fan-out
between two processes' hubs over one bus."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from chat_support import (
    Chat,
    chat_rig,
    closed_with,
    message,
    presence,
    quiet,
    receive,
    rig,
    say,
    stored,
)
from tickets_support import MERGE, TMF, as_
from websockets.exceptions import InvalidStatus

from resources.tickets import repository as repo
from resources.tickets.context import transaction

__all__ = ["rig"]


async def test_a_customer_and_staff_see_each_others_messages_in_order(rig: Chat) -> None:
    node = rig.node
    ticket = await node.ticket()
    async with node.open("alice") as alice:
        assert await receive(alice) == {"type": "history", "messages": []}
        assert await receive(alice) == presence(False, 1)
        async with node.open("admin") as admin:
            assert await receive(admin) == {"type": "history", "messages": []}
            assert await receive(admin) == presence(True, 1)
            assert await receive(alice) == presence(True, 1)
            await say(alice, "Hello, our trunk is down")
            first = message(1, "alice@globex", "customer", "Hello, our trunk is down")
            assert (await receive(alice), await receive(admin)) == (first, first)
            rig.clock.now += timedelta(seconds=30)
            await say(admin, "  Looking at it now  ")
            second = message(2, "admin", "staff", "Looking at it now", at="2026-12-14T09:00:30Z")
            await say(alice, "Thanks")
            third = message(3, "alice@globex", "customer", "Thanks", at="2026-12-14T09:00:30Z")
            assert [await receive(alice), await receive(alice)] == [second, third]
            assert [await receive(admin), await receive(admin)] == [second, third]
        assert await receive(alice) == presence(False, 1)
        assert await quiet(alice)
    published = rig.bus.topic("tickets.chat")
    assert published == [
        {"ticket_id": ticket, "customer_id": "globex", "message": m} for m in (first, second, third)
    ]
    async with transaction(node.ctx, write=False) as tx:
        history = await repo.history(tx.session, ticket)
        row = await repo.get(tx.session, ticket)
    assert [(h.kind, h.actor, h.after) for h in history] == [
        ("created", "alice@globex", history[0].after),
        ("chat", "alice@globex", {"message": 1, "author_kind": "customer"}),
        ("chat", "admin", {"message": 2, "author_kind": "staff"}),
        ("chat", "alice@globex", {"message": 3, "author_kind": "customer"}),
    ]
    assert row is not None
    assert (row.version, row.updated_at) == (1, row.created_at)  # the ticket itself did not change


async def test_history_on_connect_and_after_a_reconnect(rig: Chat) -> None:
    node = rig.node
    await node.ticket()
    async with node.open("alice") as alice:
        await receive(alice)
        await receive(alice)
        await say(alice, "First")
        await say(alice, "Second")
        sent = [await receive(alice), await receive(alice)]
    assert [m["text"] for m in sent] == ["First", "Second"]
    for who in ("alice", "vic", "admin"):
        async with node.open(who) as conn:
            assert await receive(conn) == {"type": "history", "messages": [stored(m) for m in sent]}
    async with node.open("alice") as again:
        assert await receive(again) == {
            "type": "history",
            "messages": [
                {
                    "id": 1,
                    "author": "alice@globex",
                    "author_kind": "customer",
                    "name": "alice@globex",
                    "text": "First",
                    "at": "2026-12-14T09:00:00Z",
                },
                {
                    "id": 2,
                    "author": "alice@globex",
                    "author_kind": "customer",
                    "name": "alice@globex",
                    "text": "Second",
                    "at": "2026-12-14T09:00:00Z",
                },
            ],
        }
        assert await receive(again) == presence(False, 1)


async def test_who_may_not_join_is_closed_with_a_reason(rig: Chat) -> None:
    node = rig.node
    globex = await node.ticket()
    initech = await node.ticket("carol")
    cases = [
        ("hank", globex, (4403, "this ticket is not one of your company's")),  # another customer's user
        ("nova", globex, (4403, "you may not see tickets (tickets:view)")),
        ("sam", globex, (4403, "only staff working tickets (tickets:work) take part in chats")),
        ("zed", globex, (4403, "this ticket is not one of your company's")),  # a reseller not above globex
        ("alice", initech, (4403, "this ticket is not one of your company's")),
        ("alice", "T-999999", (4404, "no such ticket: T-999999")),
        ("nova", "T-999999", (4403, "you may not see tickets (tickets:view)")),
    ]
    for who, ticket, expected in cases:
        async with node.open(who, ticket) as conn:
            assert await closed_with(conn) == expected, who
    with pytest.raises(InvalidStatus) as refused:  # the kit's middleware closes before accepting
        async with node.open("nobody", globex):
            pass
    assert refused.value.response.status_code == 403
    async with node.open("rita", initech) as conn:  # the reseller's staff work their customers' chats
        assert await receive(conn) == {"type": "history", "messages": []}
        assert await receive(conn) == presence(True, 0)


async def test_internal_notes_never_appear_in_the_chat(rig: Chat) -> None:
    node = rig.node
    ticket = await node.ticket()
    r = await node.client.patch(
        f"{TMF}/{ticket}",
        json={"note": [{"text": "Customer owes us money", "internal": True}, {"text": "We are on it"}]},
        headers={**as_("admin"), **MERGE},
    )
    assert r.status_code == 200, r.text
    async with node.open("admin") as admin:
        assert await receive(admin) == {"type": "history", "messages": []}
        assert await receive(admin) == presence(True, 0)
        await say(admin, "Hello")
        assert await receive(admin) == message(1, "admin", "staff", "Hello")
    async with node.open("alice") as alice:
        history = await receive(alice)
        assert history == {"type": "history", "messages": [stored(message(1, "admin", "staff", "Hello"))]}
    assert "owes" not in json.dumps(rig.bus.published)
    r = await node.client.get(f"/api/troubleTicket/{ticket}/chat", headers=as_("admin"))
    assert [m["text"] for m in r.json()["messages"]] == ["Hello"]


async def test_the_rate_limit_is_five_messages_in_five_seconds(rig: Chat) -> None:
    node = rig.node
    await node.ticket()
    async with node.open("alice") as alice:
        await receive(alice)
        await receive(alice)
        for i in range(6):
            await say(alice, f"m{i}")
        got = [await receive(alice) for _ in range(6)]
        assert got == [
            *(message(i + 1, "alice@globex", "customer", f"m{i}") for i in range(5)),
            {"type": "error", "message": "slow down: at most 5 messages in 5 seconds"},
        ]
        rig.clock.now += timedelta(seconds=4, microseconds=999_999)
        await say(alice, "still too soon")
        assert await receive(alice) == {
            "type": "error",
            "message": "slow down: at most 5 messages in 5 seconds",
        }
        rig.clock.now += timedelta(microseconds=1)
        await say(alice, "now")
        assert await receive(alice) == message(
            6, "alice@globex", "customer", "now", at="2026-12-14T09:00:05Z"
        )
    async with node.open("alice") as fresh:  # per connection
        assert [m["text"] for m in (await receive(fresh))["messages"]] == [
            "m0",
            "m1",
            "m2",
            "m3",
            "m4",
            "now",
        ]


async def test_texts_and_frames_the_chat_does_not_take(rig: Chat) -> None:
    node = rig.node
    await node.ticket()
    say_help = 'send {"type": "say", "text": "…"}'
    async with node.open("alice") as alice:
        await receive(alice)
        await receive(alice)
        for frame, answer in (
            (json.dumps({"type": "say", "text": "   "}), "the message is empty"),
            (json.dumps({"type": "say", "text": "x" * 2001}), "a message may be at most 2000 characters"),
        ):
            await alice.send(frame)
            assert await receive(alice) == {"type": "error", "message": answer}
        rig.clock.now += timedelta(seconds=5)
        for frame, answer in (
            (json.dumps({"type": "say", "text": 42}), "the text must be a string"),
            (json.dumps({"type": "say"}), "the text must be a string"),
            ("hello", f"not JSON: {say_help}"),
            (json.dumps({"type": "shout", "text": "hi"}), say_help),
            (json.dumps(["say", "hi"]), say_help),
        ):
            await alice.send(frame)
            assert await receive(alice) == {"type": "error", "message": answer}
        rig.clock.now += timedelta(seconds=5)
        await alice.send(b"\x00binary")
        assert await receive(alice) == {"type": "error", "message": say_help}
        await say(alice, "\n " + "y" * 2000 + " \n")
        assert await receive(alice) == message(
            1, "alice@globex", "customer", "y" * 2000, at="2026-12-14T09:00:10Z"
        )


async def test_a_finished_ticket_keeps_its_transcript_and_takes_no_more(rig: Chat) -> None:
    node = rig.node
    ticket = await node.ticket()
    async with node.open("alice") as alice:
        await receive(alice)
        await receive(alice)
        await say(alice, "Never mind")
        assert (await receive(alice))["id"] == 1
        r = await node.client.patch(
            f"{TMF}/{ticket}", json={"status": "cancelled"}, headers={**as_("alice"), **MERGE}
        )
        assert r.status_code == 200
        await say(alice, "Still there?")
        assert await receive(alice) == {
            "type": "error",
            "message": "the ticket is cancelled: the chat is over",
        }
    async with node.open("admin") as admin:
        assert [m["text"] for m in (await receive(admin))["messages"]] == ["Never mind"]


async def test_two_processes_hubs_on_one_bus_deliver_each_message_once(tmp_path: Path) -> None:
    async with chat_rig(tmp_path, nodes=2) as rig:
        one, two = rig.nodes
        await one.ticket()
        async with one.open("alice") as alice, two.open("admin") as admin:
            assert await receive(alice) == {"type": "history", "messages": []}
            assert await receive(alice) == presence(False, 1)  # presence counts this process's sockets
            assert await receive(admin) == {"type": "history", "messages": []}
            assert await receive(admin) == presence(True, 0)
            await say(alice, "Anyone there?")
            asked = message(1, "alice@globex", "customer", "Anyone there?")
            assert (await receive(alice), await receive(admin)) == (asked, asked)
            await say(admin, "Yes")
            answered = message(2, "admin", "staff", "Yes")
            assert (await receive(alice), await receive(admin)) == (answered, answered)
            assert (await quiet(alice), await quiet(admin)) == (True, True)
        assert (one.ctx.chat.delivered, two.ctx.chat.delivered) == (2, 2)
        assert len(rig.bus.topic("tickets.chat")) == 2

"""The sender against real endpoints on 127.0.0.1: mail through smtplib into the SMTP sink (the
brand the customer sees: Acme's for Initech, the provider's for Globex) and the outbox page;
signed webhooks to an asyncio HTTP server; backoff 2/4/8… s and giving up after 12; 410 disables;
order per subscription; a restart (or a sender that died mid-send) resumes the pending rows."""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import timedelta
from email import message_from_string, policy
from email.message import EmailMessage
from typing import Any, cast

from events_support import T0, Rig, condition, rig
from notify_support import deliveries, endpoint, mails, sender, subscribe

from resources.events import outbox_mail
from resources.events.context import Outbound
from resources.events.deliver import LEASE, MAX_ATTEMPTS, backoff
from resources.events.models import SubscriptionRow
from resources.events.smtp_sink import SmtpSink
from resources.events.webhook import verify

__all__ = ["rig"]

PROBLEM = "Site east does not answer (SIP OPTIONS timed out) after 3 tries in a row at 09:00"
SITE = {"obj": "site:east", "cause": "siteUnreachable", "severity": "major", "problem": PROBLEM}
SUBJECT = "MAJOR alarm raised: Site east does not answer (SIP OPTIONS timed out) after 3 tries in a…"


def test_backoff_doubles_from_two_seconds_up_to_ten_minutes() -> None:
    assert [backoff(n) for n in range(1, 13)] == [2, 4, 8, 16, 32, 64, 128, 256, 512, 600, 600, 600]


def with_outbound(rig: Rig, **kw: Any) -> Rig:
    return dataclasses.replace(rig, ctx=dataclasses.replace(rig.ctx, outbound=Outbound(**kw)))


async def test_mail_goes_through_the_sink_in_the_brand_the_customer_sees(rig: Rig) -> None:
    await subscribe(rig, kind="email", address="noc@globex.example")
    await subscribe(rig, "initech", kind="email", address="carol@initech.example")
    await rig.observe(condition(**SITE), condition(customer="initech", **SITE))

    async def on_message(envelope: Any) -> None:
        await outbox_mail.store(rig.ctx, envelope)

    async with SmtpSink(on_message, host="127.0.0.1", port=0) as sink:
        live = with_outbound(rig, smtp_host="127.0.0.1", smtp_port=sink.port)
        async with sender(live) as s:
            assert await s.run_once() == 2
            assert await s.run_once() == 0
    assert [(d.state, d.attempts, d.sent_at, d.last_error) for d in await deliveries(rig)] == [
        ("sent", 1, T0, None),
        ("sent", 1, T0, None),
    ]
    stored = {m.customer_id: m for m in await mails(rig)}
    assert sorted(stored) == ["globex", "initech"]
    expected = {
        "globex": ("Switchboard", "no-reply@switchboard.example", "support@switchboard.example",
                   "noc@globex.example", "https://localhost:8443"),
        "initech": ("Acme Telecom", "portal@acme-telecom.example", "help@acme-telecom.example",
                    "carol@initech.example", "https://acme.localhost:8443"),
    }  # fmt: skip
    for customer, (name, sender_address, reply_to, to, base) in expected.items():
        row = stored[customer]
        assert row.subject == f"[{name}] {SUBJECT}"
        assert (row.mail_from, row.rcpt_to, row.received_at) == (sender_address, [to], T0)
        message = cast(EmailMessage, message_from_string(row.message, policy=policy.default))
        assert message["From"] == f"{name} <{sender_address}>"
        assert (message["To"], message["Reply-To"], message["X-Switchboard-Customer"]) == (
            to,
            reply_to,
            customer,
        )
        assert message["Date"] == "Mon, 14 Dec 2026 09:00:00 +0000"
        assert message.get_content_type() == "multipart/alternative"
        html_part = message.get_body(("html",))
        text_part = message.get_body(("plain",))
        assert html_part is not None
        assert text_part is not None
        html, text = html_part.get_content(), text_part.get_content()
        assert (
            f'<img src="{base}/brand/{"acme" if customer == "initech" else "default"}/static/logo.svg"'
            in html
        )
        assert (
            f'<strong style="font-size:18px">{name}{" Portal" if customer == "initech" else ""}</strong>'
            in html
        )
        assert "See the alarm" in html
        assert f"{base}/events/alarms/" in html
        assert text.splitlines()[:4] == [
            f"{name}{' Portal' if customer == 'initech' else ''}",
            "",
            f"MAJOR alarm raised for {customer}",
            "",
        ]
        assert (
            "Problem:   Site east does not answer (SIP OPTIONS timed out) after 3 tries in a row at 09:00"
            in text
        )
        assert "Switchboard" not in html if customer == "initech" else "Acme" not in html


async def test_the_outbox_page_shows_each_viewer_its_own_customers_mail(rig: Rig) -> None:
    await subscribe(rig, kind="email", address="noc@globex.example")
    await subscribe(rig, "initech", kind="email", address="carol@initech.example")
    await rig.observe(condition(**SITE), condition(customer="initech", **SITE))

    async def on_message(envelope: Any) -> None:
        await outbox_mail.store(rig.ctx, envelope)

    async with SmtpSink(on_message, port=0) as sink, sender(with_outbound(rig, smtp_port=sink.port)) as s:
        await s.run_once()

    def subjects(page: str) -> list[str]:
        return re.findall(r"<h2 data-subject>(.*?)</h2>", page)

    headers = {"HX-Request": "true"}
    r = await rig.client.get("/alarms/outbox", headers=rig.as_("alice", **headers))
    assert r.status_code == 200
    assert subjects(r.text) == [f"[Switchboard] {SUBJECT}"]
    assert '<iframe title="' in r.text
    assert 'sandbox=""' in r.text
    assert 'srcdoc="&lt;!DOCTYPE html&gt;' in r.text
    r = await rig.client.get("/alarms/outbox", headers=rig.as_("rita", **headers))
    assert [s.split("]")[0] for s in subjects(r.text)] == ["[Acme Telecom"]
    r = await rig.client.get("/alarms/outbox", headers=rig.as_("pat", **headers))
    seen = sorted(s.split("]")[0] for s in subjects(r.text))  # sent in parallel: either order
    assert seen == ["[Acme Telecom", "[Switchboard"]
    r = await rig.client.get("/alarms/outbox", headers=rig.as_("zed", **headers))
    assert subjects(r.text) == []


async def test_a_webhook_gets_the_exact_body_signed(rig: Rig) -> None:
    async with endpoint() as ep:
        sub, secret = await subscribe(rig, kind="webhook", url=ep.url, min_severity="major")
        assert secret is not None
        [alarm] = await rig.observe(condition())
        async with sender(rig) as s:
            assert await s.run_once() == 1
        [got] = ep.received
    [delivery] = await deliveries(rig)
    [published] = rig.bus.topic("events.alarm")
    assert (got.method, got.path) == ("POST", "/hook")
    assert (
        json.loads(got.body) == published
    )  # the feed's item: seq, kind, customer_id, alarm_id, at, actor, alarm
    assert got.body == json.dumps(published, separators=(",", ":"), ensure_ascii=False).encode()
    assert got.headers["content-type"] == "application/json"
    assert got.headers["x-switchboard-delivery"] == str(delivery.id)
    stamp = int(T0.timestamp())
    assert got.headers["x-switchboard-signature"].startswith(f"t={stamp},v1=")
    assert verify(secret, got.headers["x-switchboard-signature"], got.body, now=stamp + 299)
    assert not verify(secret, got.headers["x-switchboard-signature"], got.body, now=stamp + 301)
    assert not verify(secret, got.headers["x-switchboard-signature"], got.body + b" ", now=stamp)
    assert not verify("another", got.headers["x-switchboard-signature"], got.body, now=stamp)
    assert (delivery.state, delivery.attempts, published["alarm_id"], sub.id) == (
        "sent", 1, alarm.id, delivery.subscription_id
    )  # fmt: skip


async def test_failures_back_off_and_give_up_after_twelve(rig: Rig) -> None:
    async with endpoint(statuses=[500]) as ep:
        await subscribe(rig, kind="webhook", url=ep.url)
        await rig.observe(condition())
        waits: list[float] = []
        async with sender(rig) as s:
            for attempt in range(1, MAX_ATTEMPTS + 1):
                assert await s.run_once() == 1
                [d] = await deliveries(rig)
                assert d.attempts == attempt
                if attempt < MAX_ATTEMPTS:
                    wait = (d.next_attempt_at - rig.clock.now).total_seconds()
                    waits.append(wait)
                    rig.clock.advance(wait - 1)
                    assert await s.run_once() == 0  # not due yet
                    rig.clock.advance(1)
            assert await s.run_once() == 0
        assert len(ep.received) == MAX_ATTEMPTS
    assert waits == [2, 4, 8, 16, 32, 64, 128, 256, 512, 600, 600]
    [d] = await deliveries(rig)
    assert (d.state, d.attempts, d.last_error, d.sent_at) == ("failed", 12, "the endpoint answered 500", None)


async def test_no_answer_in_time_is_retried(rig: Rig) -> None:
    slow = with_outbound(rig, webhook_timeout=0.2)
    async with endpoint(delay=2.0) as ep:
        await subscribe(rig, kind="webhook", url=ep.url)
        await rig.observe(condition())
        async with sender(slow) as s:
            assert await s.run_once() == 1
    [d] = await deliveries(rig)
    assert (d.state, d.attempts, d.last_error, d.next_attempt_at) == (
        "pending", 1, "no answer within 0.2 s", T0 + timedelta(seconds=2)
    )  # fmt: skip


async def test_410_disables_the_subscription_and_fails_its_pending_rows(rig: Rig) -> None:
    async with endpoint(statuses=[410]) as ep:
        sub, _ = await subscribe(rig, kind="webhook", url=ep.url, kinds=["raised", "updated"])
        await rig.observe(condition())
        await rig.observe(condition(severity="critical"))
        async with sender(rig) as s:
            assert await s.run_once() == 1
            assert await s.run_once() == 0
        assert len(ep.received) == 1
    assert [(d.state, d.attempts, d.last_error) for d in await deliveries(rig)] == [
        ("failed", 1, "the endpoint answered 410 Gone"),
        ("failed", 0, "the subscription is disabled"),
    ]
    async with rig.tx(write=False) as tx:
        row = await tx.session.get(SubscriptionRow, sub.id)
        assert row is not None
        assert (row.disabled_at, row.disabled_reason) == (T0, "the endpoint answered 410 Gone")
    await rig.observe(condition(severity="minor"))
    assert len(await deliveries(rig)) == 2  # a disabled subscription hears nothing more
    r = await rig.client.get("/api/subscriptions", headers=rig.as_("alice"))
    assert [(s["state"], s["disabled_reason"]) for s in r.json()["items"]] == [
        ("disabled", "the endpoint answered 410 Gone")
    ]


async def test_a_subscription_hears_in_seq_order_even_when_one_is_retried(rig: Rig) -> None:
    async with endpoint(statuses=[503, 200]) as ep:
        await subscribe(rig, kind="webhook", url=ep.url, kinds=["raised", "updated", "acknowledged"])
        [alarm] = await rig.observe(condition())
        await rig.observe(condition(severity="critical"))
        async with sender(rig) as s:
            assert await s.run_once() == 1  # only the head of the queue; it fails
            assert await s.run_once() == 0  # the next one waits behind it
            rig.clock.advance(2)
            assert await s.run_once() == 1
            assert await s.run_once() == 1
            assert await s.run_once() == 0
        seqs = [json.loads(r.body)["seq"] for r in ep.received]
    assert seqs == [seqs[0], seqs[0], seqs[0] + 1]
    assert [d.state for d in await deliveries(rig)] == ["sent", "sent"]
    assert alarm.id == json.loads(ep.received[0].body)["alarm_id"]


async def test_a_restart_resumes_and_a_sender_that_died_mid_send_is_covered_by_the_lease(rig: Rig) -> None:
    async with endpoint() as ep:
        await subscribe(rig, kind="webhook", url=ep.url)
        await subscribe(rig, kind="email", address="noc@globex.example")
        await rig.observe(condition())
        async with sender(rig) as first:
            claimed = await first._claim()  # ... and the process dies before it sends
        assert len(claimed) == 2
        sent: list[str] = []

        async def record(message: EmailMessage, sender_address: str, to: Any) -> None:
            sent.append(str(message["To"]))

        async with sender(rig, mail_send=record) as second:
            assert await second.run_once() == 0  # leased to the first
            rig.clock.advance(LEASE)
            assert await second.run_once() == 2
        assert sent == ["noc@globex.example"]
        assert len(ep.received) == 1
    assert [(d.channel, d.state, d.attempts) for d in await deliveries(rig)] == [
        ("email", "sent", 2),
        ("webhook", "sent", 2),
    ]


async def test_a_refused_mail_is_retried(rig: Rig) -> None:
    await subscribe(rig, kind="email", address="noc@globex.example")
    await rig.observe(condition())
    closed = with_outbound(rig, smtp_host="127.0.0.1", smtp_port=1)  # nobody listens there
    async with sender(closed) as s:
        assert await s.run_once() == 1
    [d] = await deliveries(rig)
    assert (d.state, d.attempts, d.next_attempt_at) == ("pending", 1, T0 + timedelta(seconds=2))
    assert d.last_error is not None
    assert d.last_error.startswith("ConnectionRefusedError")


async def test_the_runtime_runs_the_sink_and_the_sender(rig: Rig) -> None:
    import asyncio
    import socket

    from resources.events.runtime import run_events

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    live = with_outbound(rig, smtp_sink=True, smtp_port=port, deliver_interval=0.02)
    await subscribe(rig, kind="email", address="noc@globex.example")
    async with run_events(live.ctx):
        await rig.observe(condition(**SITE))
        for _ in range(250):
            if [d.state for d in await deliveries(rig)] == ["sent"]:
                break
            await asyncio.sleep(0.02)
    [mail] = await mails(rig)
    assert (mail.customer_id, mail.rcpt_to) == ("globex", ["noc@globex.example"])
    assert [d.state for d in await deliveries(rig)] == ["sent"]


def test_the_demo_turns_the_sink_on_unless_told_otherwise(tmp_path: Any) -> None:
    from events_support import settings

    from resources.events.settings import EventsSettings

    demo = dataclasses.replace(settings(tmp_path), demo=True)
    assert EventsSettings.from_resource(demo, environ={}).smtp_sink == 1
    off = EventsSettings.from_resource(demo, environ={"SWITCHBOARD_EVENTS_SMTP_SINK": "0"})
    assert off.smtp_sink == 0
    plain = EventsSettings.from_resource(settings(tmp_path), environ={"SWITCHBOARD_EVENTS_SMTP_PORT": "2600"})
    assert (plain.smtp_sink, plain.smtp_host, plain.smtp_port, plain.portal_url) == (
        0, "127.0.0.1", 2600, "https://localhost:8443"
    )  # fmt: skip

"""Notification subscriptions: what a valid one is (every bad field named), the API (create with
the secret shown once, list without it, delete; entitlements and reach; audit rows), and the
page with its inline errors."""

from __future__ import annotations

import html as htmlib
import re
from typing import Any

import pytest
from events_support import Rig, rig
from notify_support import subscribe
from sqlalchemy import select

from resources.events.models import AuditRow, DeliveryRow
from resources.events.subscriptions import parse_subscription
from resources.kit.errors import ValidationFailed

__all__ = ["rig"]


def errors(body: dict[str, Any]) -> list[dict[str, str]]:
    with pytest.raises(ValidationFailed) as caught:
        parse_subscription(body)
    return caught.value.errors


KINDS_MESSAGE = (
    "a list of changes, each once: raised, updated, cleared, acknowledged, unacknowledged, commented"
)
URL_MESSAGE = (
    "an https:// address of at most 2000 characters, without a user or password (http:// only to "
    "127.0.0.1 or localhost)"
)


def test_a_valid_email_subscription_gets_the_defaults() -> None:
    assert parse_subscription({"kind": "email", "address": "NOC@Globex.Example"}) == {
        "kind": "email",
        "address": "NOC@globex.example",
        "url": None,
        "min_severity": "major",
        "kinds": ["raised", "cleared"],
    }


def test_kinds_come_back_in_the_log_order() -> None:
    got = parse_subscription(
        {"kind": "webhook", "url": "https://hooks.example.com/a?b=1", "min_severity": "warning",
         "kinds": ["commented", "raised"]}
    )  # fmt: skip
    assert got == {"kind": "webhook", "address": None, "url": "https://hooks.example.com/a?b=1",
                   "min_severity": "warning", "kinds": ["raised", "commented"]}  # fmt: skip


@pytest.mark.parametrize(
    "address", ["", "noc", "noc@", "@globex.example", "noc@globex", "a..b@globex.example", "a b@x.example", 7]
)
def test_bad_addresses(address: Any) -> None:
    assert errors({"kind": "email", "address": address}) == [
        {"field": "address", "message": "an e-mail address, like noc@example.com"}
    ]


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.example.com/a",
        "ftp://hooks.example.com/",
        "https://",
        "https://user:pw@hooks.example.com/",
        "https://hooks.example.com/a b",
        "http://10.0.0.1/hook",
        "https://hooks.example.com/#x",
        "https://" + "a" * 2000 + ".example.com/",
        None,
    ],
)
def test_bad_webhook_urls(url: Any) -> None:
    assert errors({"kind": "webhook", "url": url}) == [{"field": "url", "message": URL_MESSAGE}]


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8080/hook", "http://localhost/hook", "https://a.example:8443/x"]
)
def test_local_http_and_any_https_are_fine(url: str) -> None:
    assert parse_subscription({"kind": "webhook", "url": url})["url"] == url


def test_every_bad_field_is_named() -> None:
    assert errors({"kind": "sms", "min_severity": "cleared", "kinds": ["raised", "raised"], "to": 1}) == [
        {"field": "to", "message": "to is not a subscription field"},
        {"field": "kind", "message": "the kind is email or webhook"},
        {
            "field": "min_severity",
            "message": "the minimum severity is one of critical, major, minor, warning",
        },
        {
            "field": "kinds",
            "message": KINDS_MESSAGE,
        },
    ]
    assert errors({"kind": "email", "address": "a@b.example", "url": "https://x.example/", "kinds": []}) == [
        {"field": "url", "message": "an e-mail subscription has no url"},
        {
            "field": "kinds",
            "message": KINDS_MESSAGE,
        },
    ]


async def test_create_list_and_delete_through_the_api_with_audit(rig: Rig) -> None:
    r = await rig.client.post(
        "/api/subscriptions",
        json={"kind": "webhook", "url": "https://hooks.globex.example/alarms", "min_severity": "critical"},
        headers=rig.as_("alice"),
    )
    assert r.status_code == 201
    created = r.json()
    secret = created.pop("secret")
    assert len(secret) == 43
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", secret)
    hook_id = created.pop("id")
    assert created == {
        "customer_id": "globex", "kind": "webhook", "url": "https://hooks.globex.example/alarms",
        "min_severity": "critical", "kinds": ["raised", "cleared"], "state": "active",
        "disabled_reason": None, "created_at": "2026-12-14T09:00:00Z", "created_by": "alice@globex",
    }  # fmt: skip
    r = await rig.client.post(
        "/api/subscriptions",
        json={"kind": "email", "address": "noc@globex.example"},
        headers=rig.as_("alice"),
    )
    assert r.status_code == 201
    assert "secret" not in r.json()
    mail_id = r.json()["id"]
    r = await rig.client.get("/api/subscriptions", headers=rig.as_("vic"))
    assert r.status_code == 200
    listed = r.json()
    assert listed["customer"] == "globex"
    assert [(s["id"], s["kind"], s.get("address"), s.get("url")) for s in listed["items"]] == [
        (mail_id, "email", "noc@globex.example", None),
        (hook_id, "webhook", None, "https://hooks.globex.example/alarms"),
    ]
    assert all("secret" not in s for s in listed["items"])
    assert secret not in r.text
    r = await rig.client.delete(f"/api/subscriptions/{hook_id}", headers=rig.as_("alice"))
    assert r.status_code == 204
    r = await rig.client.delete(f"/api/subscriptions/{hook_id}", headers=rig.as_("alice"))
    assert r.status_code == 404
    async with rig.tx(write=False) as tx:
        audit = list((await tx.session.execute(select(AuditRow).order_by(AuditRow.id))).scalars())
    hook = {"kind": "webhook", "url": "https://hooks.globex.example/alarms", "min_severity": "critical",
            "kinds": ["raised", "cleared"]}  # fmt: skip
    mail = {
        "kind": "email",
        "address": "noc@globex.example",
        "min_severity": "major",
        "kinds": ["raised", "cleared"],
    }
    assert [(a.kind, a.name, a.action, a.actor_name, a.session, a.before, a.after) for a in audit] == [
        (
            "subscription",
            "webhook https://hooks.globex.example/alarms",
            "create",
            "alice@globex",
            "sess-1",
            None,
            hook,
        ),
        ("subscription", "email noc@globex.example", "create", "alice@globex", "sess-1", None, mail),
        (
            "subscription",
            "webhook https://hooks.globex.example/alarms",
            "delete",
            "alice@globex",
            "sess-1",
            hook,
            None,
        ),
    ]


async def test_one_webhook_per_customer_and_each_address_once(rig: Rig) -> None:
    await subscribe(rig, kind="webhook", url="https://a.example/")
    await subscribe(rig, kind="email", address="noc@globex.example")
    r = await rig.client.post(
        "/api/subscriptions", json={"kind": "webhook", "url": "https://b.example/"}, headers=rig.as_("alice")
    )
    assert (r.status_code, r.json()["errors"]) == (
        422, [{"field": "url", "message": "the customer has a webhook already (delete it first)"}]
    )  # fmt: skip
    r = await rig.client.post(
        "/api/subscriptions",
        json={"kind": "email", "address": "noc@GLOBEX.example"},
        headers=rig.as_("alice"),
    )
    assert (r.status_code, r.json()["errors"]) == (
        422, [{"field": "address", "message": "this address is subscribed already"}]
    )  # fmt: skip
    # another customer may have its own webhook
    await subscribe(rig, "initech", kind="webhook", url="https://a.example/")


async def test_entitlements_and_reach(rig: Rig) -> None:
    body = {"kind": "email", "address": "noc@globex.example"}
    r = await rig.client.post("/api/subscriptions", json=body, headers=rig.as_("vic"))
    assert r.status_code == 403
    r = await rig.client.post("/api/subscriptions?customer=globex", json=body, headers=rig.as_("wendy"))
    assert r.status_code == 404  # initech's user, globex's subscriptions
    r = await rig.client.get("/api/subscriptions?customer=globex", headers=rig.as_("rita"))
    assert r.status_code == 404  # acme's staff do not reach the provider's own customer
    r = await rig.client.post("/api/subscriptions?customer=initech", json=body, headers=rig.as_("rita"))
    assert r.status_code == 201
    r = await rig.client.get("/api/subscriptions", headers=rig.as_("pat"))
    assert r.status_code == 422  # provider staff name the customer
    row, _ = await subscribe(rig, kind="email", address="x@globex.example")
    r = await rig.client.delete(f"/api/subscriptions/{row.id}?customer=initech", headers=rig.as_("rita"))
    assert r.status_code == 404  # not initech's


async def test_deleting_a_subscription_fails_its_pending_deliveries(rig: Rig) -> None:
    from events_support import condition

    row, _ = await subscribe(rig, kind="email", address="noc@globex.example")
    await rig.observe(condition())
    r = await rig.client.delete(f"/api/subscriptions/{row.id}", headers=rig.as_("alice"))
    assert r.status_code == 204
    async with rig.tx(write=False) as tx:
        found = list((await tx.session.execute(select(DeliveryRow))).scalars())
    assert [(d.state, d.last_error) for d in found] == [("failed", "subscription deleted")]


def text(fragment: str) -> str:
    return " ".join(htmlib.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def hx(name: str) -> dict[str, str]:
    return {"X-Switchboard-Assertion": name, "HX-Request": "true"}


async def test_the_page_lists_creates_with_inline_errors_and_shows_the_secret_once(rig: Rig) -> None:
    r = await rig.client.post(
        "/alarms/subscriptions",
        data={"kind": "email", "address": "not-an-address", "min_severity": "major", "kinds": ["raised"]},
        headers=hx("alice"),
    )
    assert r.status_code == 422
    error = '<p class="field-error" id="field-address-error">An e-mail address, like noc@example.com.</p>'
    assert error in r.text
    assert 'value="not-an-address"' in r.text
    r = await rig.client.post(
        "/alarms/subscriptions",
        data={"kind": "email", "address": "noc@globex.example", "min_severity": "major"},
        headers=hx("alice"),
    )
    assert r.status_code == 422
    assert "A list of changes, each once" in text(r.text)
    r = await rig.client.post(
        "/alarms/subscriptions",
        data={"kind": "email", "address": "noc@globex.example", "min_severity": "critical",
              "kinds": ["raised", "cleared"]},
        headers=hx("alice"),
    )  # fmt: skip
    assert r.status_code == 200
    assert r.headers["x-switchboard-page"] == "Alarm%20notifications"
    assert "noc@globex.example will be told of raised, cleared alarms of critical or worse." in text(r.text)
    r = await rig.client.post(
        "/alarms/subscriptions",
        data={
            "kind": "webhook",
            "url": "http://127.0.0.1:9/hook",
            "min_severity": "major",
            "kinds": ["raised"],
        },
        headers=hx("alice"),
    )
    assert r.status_code == 200
    [secret] = re.findall(r"Signing secret: <code>([A-Za-z0-9_-]+)</code>", r.text)
    r = await rig.client.get("/alarms/subscriptions", headers=hx("vic"))
    assert r.status_code == 200
    assert secret not in r.text
    assert [text(m) for m in re.findall(r"<tr data-subscription=[^>]*>(.*?)</tr>", r.text, re.S)] == [
        "E-mail noc@globex.example critical or worse raised, cleared active",
        "Webhook http://127.0.0.1:9/hook major or worse raised active",
    ]
    assert "data-subscription-form" not in r.text  # vic may not manage
    [row] = re.findall(r'<tr data-subscription="([0-9a-f]{32})">\s*<td>Webhook', r.text)
    r = await rig.client.post(f"/alarms/subscriptions/{row}/delete", headers=hx("alice"))
    assert r.status_code == 200
    assert "Webhook http://127.0.0.1:9/hook deleted." in text(r.text)


async def test_staff_are_asked_whose_page(rig: Rig) -> None:
    r = await rig.client.get("/alarms/subscriptions", headers=hx("pat"))
    assert r.status_code == 200
    assert "Whose notifications? Name the customer." in text(r.text)
    r = await rig.client.get("/alarms/subscriptions?customer=initech", headers=hx("rita"))
    assert r.status_code == 200
    assert "Nobody is notified yet." in text(r.text)

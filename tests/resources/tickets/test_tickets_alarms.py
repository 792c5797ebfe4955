"""A ticket about an alarm hears when the alarm clears (`events.alarm`, kind cleared): a history
row `alarm-cleared`, and its page offers to resolve it — a button for staff who may resolve,
the news alone for the customer; any other change, another alarm, another customer's alarm or a
ticket already resolved hear nothing."""

from __future__ import annotations

import re

from tickets_support import Rig, rig

from resources.kit.events import Event
from resources.tickets.alarms import on_alarm

__all__ = ["rig"]

ALARM = {"role": "alarm", "id": "a17", "@referredType": "Alarm"}


def cleared(alarm_id: str = "a17", customer: str = "globex", kind: str = "cleared") -> Event:
    snapshot = {"id": alarm_id, "state": "cleared", "alarmClearedTime": "2026-12-14T09:30:00Z"}
    return Event(
        "events.alarm",
        {"seq": 9, "kind": kind, "customer_id": customer, "alarm_id": alarm_id, "alarm": snapshot},
    )


async def test_the_open_ticket_about_the_alarm_offers_to_resolve_when_it_clears(rig: Rig) -> None:
    about = await rig.open(relatedEntity=[ALARM])
    await rig.move("admin", about["id"], "inProgress")
    other = await rig.open(relatedEntity=[{**ALARM, "id": "a99"}])
    done = await rig.open(relatedEntity=[ALARM])
    await rig.move("admin", done["id"], "inProgress", "resolved")
    assert await on_alarm(rig.ctx, cleared(kind="updated")) == 0
    assert await on_alarm(rig.ctx, cleared(customer="initech")) == 0
    assert await on_alarm(rig.ctx, cleared()) == 1
    staff = await rig.client.get(f"/ticket/{about['id']}", headers={"X-Switchboard-Assertion": "admin"})
    assert staff.status_code == 200
    banner = re.search(
        r"<div class=\"notice\" role=\"status\" data-alarm-cleared>(.*?)</div>", staff.text, re.S
    )
    assert banner is not None
    text = " ".join(re.sub(r"<[^>]+>", " ", banner.group(1)).split())
    news = "The alarm a17 this ticket is about has cleared (2026-12-14T09:30:00Z)."
    assert text == f"{news} Resolve the ticket? Resolve ticket"
    customer = await rig.client.get(f"/ticket/{about['id']}", headers={"X-Switchboard-Assertion": "alice"})
    assert "data-alarm-cleared" in customer.text
    assert "data-resolve-cleared" not in customer.text
    for ticket in (other, done):
        page = await rig.client.get(f"/ticket/{ticket['id']}", headers={"X-Switchboard-Assertion": "admin"})
        assert "data-alarm-cleared" not in page.text
    # staff resolve it from the banner: the offer is gone, the reason says why
    [version] = re.findall(r'<input type="hidden" name="version" value="(\d+)">', banner.group(1))
    assert version == "3"  # opened, in progress, heard the clear
    r = await rig.client.post(
        f"/ticket/{about['id']}/status",
        data={"status": "resolved", "version": version, "reason": "The alarm it was about has cleared"},
        headers={"X-Switchboard-Assertion": "admin"},
    )
    assert r.status_code == 200, r.text
    after = (await rig.get("admin", about["id"])).json()
    assert (after["status"], after["statusChangeReason"]) == (
        "resolved",
        "The alarm it was about has cleared",
    )
    assert "data-alarm-cleared" not in r.text

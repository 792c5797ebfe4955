"""The alarm page offers "Open a ticket for this" (the tickets resource's new-ticket form, filled
in from the alarm) while the alarm is open."""

from __future__ import annotations

import html
import re

from events_support import Rig, condition, rig

__all__ = ["rig"]


async def test_an_open_alarm_links_to_a_ticket_form_filled_in_from_it(rig: Rig) -> None:
    [alarm] = await rig.observe(condition(obj="site:east", cause="siteUnreachable"))
    r = await rig.client.get(f"/alarms/{alarm.id}", headers=rig.as_("alice"))
    assert r.status_code == 200
    link = r'<a class="button" data-open-ticket href="([^"]+)">Open a ticket for this</a>'
    [href] = re.findall(link, r.text)
    # the problem "ASR 31 % over 5 min (threshold 50 %)", form-encoded
    assert html.unescape(href) == (
        f"/tickets/new?alarm={alarm.id}&object=site%3Aeast&problem=ASR+31+%25+over+5+min+%28threshold+50+%25%29"
    )
    await rig.observe(condition(obj="site:east", cause="siteUnreachable", active=False))
    rig.clock.advance(11)
    await rig.observe(condition(obj="site:east", cause="siteUnreachable", active=False))
    r = await rig.client.get(f"/alarms/{alarm.id}", headers=rig.as_("alice"))
    assert "data-open-ticket" not in r.text  # cleared: nothing to open a ticket about

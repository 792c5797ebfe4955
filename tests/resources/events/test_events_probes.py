"""The switch's site probing on the network plane (`POST /network/probes`, `GET
/network/probe-list`): a site that stops answering SIP OPTIONS raises `siteUnreachable` on
`site:<name>` of its customer, answering again ends it; a late retry never undoes a newer change."""

from __future__ import annotations

import pytest
from events_support import TMF, Rig, rig

from resources.events.probes import ProbeError, ProbeTargets, parse_probe

__all__ = ["rig"]

PICTURE = {
    "numbers": [
        {"number": "+18005550100", "customer_id": "globex", "resellers": []},
        {"number": "+18885550100", "customer_id": "initech", "resellers": ["acme"]},
    ],
    "sites": [
        {"customer_id": "globex", "name": "east", "uri": "sip:10.0.0.71:5071"},
        {"customer_id": "initech", "name": "main", "uri": "sip:10.0.0.99:5060"},
    ],
}


def test_the_dispatcher_list_names_every_site_by_uri() -> None:
    targets = ProbeTargets()
    targets.apply(PICTURE)
    assert targets.dispatcher_list() == (
        "1 sip:10.0.0.71:5071 0 0 site=globex/east\n1 sip:10.0.0.99:5060 0 0 site=initech/main\n"
    )


def test_a_probe_change_becomes_a_condition_and_older_ones_are_ignored() -> None:
    targets = ProbeTargets()
    targets.apply(PICTURE)
    down = targets.condition(
        parse_probe({"target": "sip:10.0.0.99:5060", "state": "down", "at": 1796648400.5}),
        element="element:switch",
    )
    assert down is not None
    assert (down.customer_id, down.resellers, down.alarmed_object, down.probable_cause, down.active) == (
        "initech",
        ("acme",),
        "site:main",
        "siteUnreachable",
        True,
    )
    assert down.specific_problem == (
        "Site main does not answer the switch's SIP OPTIONS (sip:10.0.0.99:5060, since 13:00:00 UTC)"
    )
    up = parse_probe({"target": "sip:10.0.0.99:5060", "state": "up", "at": 1796648410})
    assert targets.condition(up, element="element:switch") is not None
    late = parse_probe({"target": "sip:10.0.0.99:5060", "state": "down", "at": 1796648401})
    assert targets.condition(late, element="element:switch") is None


def test_bad_probe_reports_name_the_field() -> None:
    cases = [
        ({"target": "10.0.0.1", "state": "down", "at": 1}, "target"),
        ({"target": "sip:10.0.0.1", "state": "gone", "at": 1}, "state"),
        ({"target": "sip:10.0.0.1", "state": "up", "at": True}, "at"),
        ([], "body"),
    ]
    for raw, field in cases:
        with pytest.raises(ProbeError) as caught:
            parse_probe(raw)
        assert caught.value.field == field


async def test_the_switch_reports_a_site_down_then_up_and_only_an_element_may(rig: Rig) -> None:
    rig.ctx.probes.apply(PICTURE)
    body = {"target": "sip:10.0.0.71:5071", "state": "down", "at": 1796648400.0}
    r = await rig.client.post("/network/probes", json=body, headers=rig.as_("switch"))
    assert (r.status_code, r.json()) == (202, {"accepted": 1})
    [alarm] = (await rig.client.get(TMF, headers=rig.as_("alice"))).json()
    seen = (alarm["alarmedObject"]["id"], alarm["probableCause"], alarm["state"], alarm["sourceSystemId"])
    assert seen == ("site:east", "siteUnreachable", "raised", "element:switch")
    r = await rig.client.post(
        "/network/probes", json={**body, "target": "sip:10.9.9.9:5060"}, headers=rig.as_("switch")
    )
    assert r.status_code == 422
    assert r.json()["errors"] == [
        {"field": "target", "message": "sip:10.9.9.9:5060 is not the SIP URI of a site known to events"}
    ]
    r = await rig.client.post("/network/probes", json=body, headers=rig.as_("alice"))
    assert r.status_code == 403
    r = await rig.client.get("/network/probe-list", headers=rig.as_("switch"))
    assert (r.status_code, r.text.splitlines()[0]) == (200, "1 sip:10.0.0.71:5071 0 0 site=globex/east")

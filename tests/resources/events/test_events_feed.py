"""The store-and-forward feed (`GET /api/feed`), the network plane's conditions, the bus input, and
the thresholds API: validation, audit, `events.thresholds` on change."""

from __future__ import annotations

from typing import Any

from events_support import NUMBER, TMF, Rig, condition, rig
from sqlalchemy import select

from resources.events.intake import condition_json, on_condition
from resources.events.models import AuditRow
from resources.kit.events import Event

__all__ = ["rig"]


async def feed(rig: Rig, who: str, after: int, limit: int) -> dict[str, Any]:
    r = await rig.client.get(f"/api/feed?after={after}&limit={limit}", headers=rig.as_(who))
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def test_a_client_offline_resumes_from_its_cursor_and_gets_every_change_once_in_order(rig: Rig) -> None:
    batch = []
    for i in range(1000):
        batch.append(condition(obj=f"number:+1800555{i:04d}"))
        if i % 10 == 0:
            batch.append(condition(customer="initech", obj=f"number:+1888555{i:04d}"))
    await rig.observe(*batch)
    first = await feed(rig, "alice", 0, 400)
    assert len(first["items"]) == 400
    cursor = first["next"]
    assert cursor == first["items"][-1]["seq"]
    # offline: more happens meanwhile (acks of the first ten alarms)
    for item in first["items"][:10]:
        r = await rig.client.patch(
            f"{TMF}/{item['alarm_id']}",
            json={"ackState": "acknowledged"},
            headers=rig.as_("alice", **{"Content-Type": "application/merge-patch+json"}),
        )
        assert r.status_code == 200
    seen = list(first["items"])
    while True:
        page = await feed(rig, "alice", cursor, 250)
        if not page["items"]:
            assert page["next"] == cursor
            break
        seen += page["items"]
        cursor = page["next"]
    seqs = [i["seq"] for i in seen]
    assert seqs == sorted(set(seqs))  # in order, each once
    assert {i["customer_id"] for i in seen} == {"globex"}
    raised = [i["alarm"]["alarmedObject"]["id"] for i in seen if i["kind"] == "raised"]
    assert raised == [f"number:+1800555{i:04d}" for i in range(1000)]
    assert [i["kind"] for i in seen[1000:]] == ["acknowledged"] * 10
    assert [i["alarm_id"] for i in seen[1000:]] == [i["alarm_id"] for i in first["items"][:10]]
    wendy = await feed(rig, "wendy", 0, 1000)
    assert [i["alarm"]["alarmedObject"]["id"] for i in wendy["items"]] == [
        f"number:+1888555{i:04d}" for i in range(0, 1000, 10)
    ]
    assert len((await feed(rig, "pat", 0, 1000))["items"]) == 1000


async def test_feed_parameters(rig: Rig) -> None:
    for query, field in (("?limit=0", "limit"), ("?limit=1001", "limit"), ("?after=-1", "after")):
        r = await rig.client.get("/api/feed" + query, headers=rig.as_("alice"))
        assert (r.status_code, r.json()["errors"][0]["field"]) == (422, field), query
    r = await rig.client.get("/api/feed", headers=rig.as_("alice"))
    assert r.json() == {"items": [], "next": 0}


async def test_network_conditions_need_an_element_and_become_alarms(rig: Rig) -> None:
    body = {**condition_json(condition(obj="site:east", cause="siteUnreachable")), "source": "spoofed"}
    r = await rig.client.post("/network/conditions", json=body, headers=rig.as_("switch"))
    assert (r.status_code, r.json()) == (202, {"accepted": 1})
    [alarm] = (await rig.client.get(TMF, headers=rig.as_("alice"))).json()
    assert (alarm["alarmedObject"]["id"], alarm["sourceSystemId"]) == ("site:east", "element:switch")
    r = await rig.client.post(
        "/network/conditions",
        json=[body, {**body, "severity": "bad", "at": "now"}],
        headers=rig.as_("switch"),
    )
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == ["[1].severity", "[1].at"]
    for who, status in (("mute", 403), ("pat-net", 403), ("alice", 403), ("stranger", 401)):
        r = await rig.client.post("/network/conditions", json=body, headers=rig.as_(who))
        assert r.status_code == status, who
    assert (await rig.client.get(TMF, headers=rig.as_("alice"))).json()[0]["occurrences"] == 1


async def test_bus_conditions_are_observed_and_bad_ones_dropped(rig: Rig, caplog: Any) -> None:
    await on_condition(rig.ctx, Event("events.condition", condition_json(condition())))
    await on_condition(rig.ctx, Event("events.condition", {"customer_id": "globex", "active": "yes"}))
    [alarm] = (await rig.client.get(TMF, headers=rig.as_("alice"))).json()
    assert (alarm["alarmedObject"]["id"], alarm["occurrences"]) == (NUMBER, 1)
    assert "events.condition: dropping a malformed condition: resellers" not in caplog.text
    assert "events.condition: dropping a malformed condition: alarmed_object:" in caplog.text


GOOD = {"window_seconds": 300, "min_calls": 20, "raise_below": 0.5, "clear_at": 0.6, "severity": "major"}


async def test_thresholds_put_get_list_delete_with_audit_and_publication(rig: Rig) -> None:
    url = "/api/thresholds/asr/number:*"
    r = await rig.client.put(url, json=GOOD, headers=rig.as_("alice"))
    assert (r.status_code, r.json()) == (
        201,
        {"customer_id": "globex", "target": "number:*", "metric": "asr", **GOOD},
    )
    r = await rig.client.put(url, json=GOOD, headers=rig.as_("alice"))
    assert r.status_code == 200
    r = await rig.client.put(
        "/api/thresholds/ner/site:east", json={**GOOD, "severity": "minor"}, headers=rig.as_("alice")
    )
    assert r.status_code == 201
    r = await rig.client.put(url + "?customer=initech", json=GOOD, headers=rig.as_("pat"))
    assert r.status_code == 201
    listed = (await rig.client.get("/api/thresholds", headers=rig.as_("vic"))).json()
    assert [(t["metric"], t["target"]) for t in listed["items"]] == [
        ("asr", "number:*"),
        ("ner", "site:east"),
    ]
    assert (await rig.client.get(url, headers=rig.as_("alice"))).json()["raise_below"] == 0.5
    published = rig.bus.topic("events.thresholds")
    assert len(published) == 3  # one per change; the unchanged PUT published nothing
    assert [(t["customer_id"], t["metric"], t["target"]) for t in published[-1]["thresholds"]] == [
        ("globex", "asr", "number:*"),
        ("globex", "ner", "site:east"),
        ("initech", "asr", "number:*"),
    ]
    assert (await rig.client.delete(url, headers=rig.as_("alice"))).status_code == 204
    assert (await rig.client.get(url, headers=rig.as_("alice"))).status_code == 404
    assert (await rig.client.delete(url, headers=rig.as_("alice"))).status_code == 404
    async with rig.tx(write=False) as tx:
        audit = list((await tx.session.execute(select(AuditRow).order_by(AuditRow.id))).scalars())
    assert [(a.customer_id, a.name, a.action, a.actor_name, a.session) for a in audit] == [
        ("globex", "asr number:*", "create", "alice@globex", "sess-1"),
        ("globex", "ner site:east", "create", "alice@globex", "sess-1"),
        ("initech", "asr number:*", "create", "pat@provider", "sess-1"),
        ("globex", "asr number:*", "delete", "alice@globex", "sess-1"),
    ]
    assert (audit[0].before, audit[0].after, audit[3].after) == (None, GOOD, None)


async def test_thresholds_are_validated_and_scoped(rig: Rig) -> None:
    cases: list[tuple[str, dict[str, Any], list[str]]] = [
        ("/api/thresholds/mos/number:*", GOOD, ["metric"]),
        ("/api/thresholds/asr/number:123", GOOD, ["target"]),
        ("/api/thresholds/asr/site:East", GOOD, ["target"]),
        ("/api/thresholds/asr/line:*", GOOD, ["target"]),
        ("/api/thresholds/asr/number:*", {**GOOD, "raise_below": 0.7}, ["clear_at"]),
        (
            "/api/thresholds/asr/number:*",
            {**GOOD, "raise_below": 0, "clear_at": 1.2},
            ["raise_below", "clear_at"],
        ),
        (
            "/api/thresholds/asr/number:*",
            {**GOOD, "window_seconds": 59, "min_calls": 10001},
            ["window_seconds", "min_calls"],
        ),
        (
            "/api/thresholds/asr/number:*",
            {**GOOD, "severity": "cleared", "colour": 1},
            ["colour", "severity"],
        ),
        ("/api/thresholds/asr/number:*", {**GOOD, "min_calls": True}, ["min_calls"]),
    ]
    for url, body, fields in cases:
        r = await rig.client.put(url, json=body, headers=rig.as_("alice"))
        assert (r.status_code, [e["field"] for e in r.json()["errors"]]) == (422, fields), (url, body)
    ok = [
        "/api/thresholds/ner/number:%2B18005550100",
        "/api/thresholds/asr/site:*",
        "/api/thresholds/asr/site:east-2",
    ]
    for url in ok:
        assert (await rig.client.put(url, json=GOOD, headers=rig.as_("alice"))).status_code == 201, url
    assert (await rig.client.put(ok[0], json=GOOD, headers=rig.as_("vic"))).status_code == 403
    assert (
        await rig.client.put(ok[0] + "?customer=globex", json=GOOD, headers=rig.as_("rita"))
    ).status_code == 404
    assert (
        await rig.client.get("/api/thresholds?customer=globex", headers=rig.as_("wendy"))
    ).status_code == 404
    assert (await rig.client.get("/api/thresholds", headers=rig.as_("pat"))).status_code == 422
    assert [(t["metric"], t["target"]) for t in rig.bus.topic("events.thresholds")[-1]["thresholds"]] == [
        ("asr", "site:*"),
        ("asr", "site:east-2"),
        ("ner", "number:+18005550100"),
    ]

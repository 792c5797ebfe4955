"""TMF642 v4 through the real app and kit middleware (fake assertion verifier): list filtering,
`fields=`, offset/limit with X-Total-Count / X-Result-Count, one alarm, PATCH (merge-patch only,
ackState and comment only), and scope: globex never sees initech's alarms, a reseller sees only
its customers', provider staff all."""

from __future__ import annotations

from typing import Any

from events_support import NUMBER, TMF, Rig, condition, rig

__all__ = ["rig"]

MERGE = {"Content-Type": "application/merge-patch+json"}


async def seed(rig: Rig) -> dict[str, str]:
    """Five alarms raised a second apart: name -> id."""
    specs = {
        "g-asr": condition(),
        "g-ner": condition(cause="lowNetworkEffectivenessRatio", severity="minor", problem="NER 80 %"),
        "g-site": condition(
            obj="site:east", cause="siteUnreachable", severity="critical", problem="East is down"
        ),
        "i-asr": condition(customer="initech"),
        "h-asr": condition(customer="hooli"),
    }
    ids = {}
    for name, c in specs.items():
        [alarm] = await rig.observe(c)
        ids[name] = alarm.id
        rig.clock.advance(1)
    return ids


async def get(rig: Rig, who: str, query: str = "") -> tuple[int, Any, dict[str, str]]:
    r = await rig.client.get(TMF + query, headers=rig.as_(who))
    return r.status_code, r.json(), dict(r.headers)


async def test_list_is_newest_raised_first_with_counts(rig: Rig) -> None:
    ids = await seed(rig)
    status, body, headers = await get(rig, "alice")
    assert status == 200
    assert [a["id"] for a in body] == [ids["g-site"], ids["g-ner"], ids["g-asr"]]
    assert (headers["x-total-count"], headers["x-result-count"]) == ("3", "3")
    assert body[0]["alarmedObject"] == {"id": "site:east", "@referredType": "CallCenterSite"}


async def test_filter_by_attributes_any_of_a_comma_list(rig: Rig) -> None:
    ids = await seed(rig)
    _, body, _ = await get(rig, "alice", "?perceivedSeverity=major,critical&state=raised")
    assert [a["id"] for a in body] == [ids["g-site"], ids["g-asr"]]
    _, body, _ = await get(rig, "alice", "?probableCause=lowNetworkEffectivenessRatio")
    assert [a["id"] for a in body] == [ids["g-ner"]]
    _, body, _ = await get(rig, "alice", f"?alarmedObject.id={NUMBER.replace('+', '%2B')}")
    assert [a["id"] for a in body] == [ids["g-ner"], ids["g-asr"]]
    _, body, headers = await get(rig, "alice", "?state=cleared")
    assert (body, headers["x-total-count"], headers["x-result-count"]) == ([], "0", "0")


async def test_unknown_filters_and_fields_are_400(rig: Rig) -> None:
    await seed(rig)
    status, body, _ = await get(rig, "alice", "?colour=red&state=raised")
    assert (status, body["detail"], body["unknown"]) == (
        400,
        "cannot filter by colour; filter by id, alarmType, perceivedSeverity, probableCause, "
        "specificProblem, alarmedObject.id, state, ackState, ackUserId, sourceSystemId",
        ["colour"],
    )
    status, body, _ = await get(rig, "alice", "?fields=state,colour")
    assert (status, body["detail"]) == (400, "no such attribute: colour")
    status, body, _ = await get(rig, "alice", "?limit=1001")
    assert (status, body["errors"]) == (
        422,
        [{"field": "limit", "message": "limit must be a whole number from 1 to 1000"}],
    )


async def test_fields_keeps_only_those_plus_id_href_type(rig: Rig) -> None:
    ids = await seed(rig)
    _, body, _ = await get(rig, "alice", "?fields=perceivedSeverity,ackState&state=raised&limit=1")
    assert body == [
        {
            "id": ids["g-site"],
            "href": f"/api/events/tmf-api/alarmManagement/v4/alarm/{ids['g-site']}",
            "@type": "Alarm",
            "perceivedSeverity": "critical",
            "ackState": "unacknowledged",
        }
    ]
    r = await rig.client.get(f"{TMF}/{ids['g-asr']}?fields=state", headers=rig.as_("alice"))
    assert r.json() == {
        "id": ids["g-asr"],
        "href": f"/api/events/tmf-api/alarmManagement/v4/alarm/{ids['g-asr']}",
        "@type": "Alarm",
        "state": "raised",
    }


async def test_offset_and_limit_page_through(rig: Rig) -> None:
    ids = await seed(rig)
    _, body, headers = await get(rig, "pat", "?offset=1&limit=2")
    assert [a["id"] for a in body] == [ids["i-asr"], ids["g-site"]]
    assert (headers["x-total-count"], headers["x-result-count"]) == ("5", "2")
    _, body, headers = await get(rig, "pat", "?offset=4&limit=2")
    assert ([a["id"] for a in body], headers["x-result-count"]) == ([ids["g-asr"]], "1")
    _, body, headers = await get(rig, "pat", "?offset=9")
    assert (body, headers["x-total-count"], headers["x-result-count"]) == ([], "5", "0")


async def test_scope_customer_reseller_provider(rig: Rig) -> None:
    ids = await seed(rig)
    assert [a["id"] for a in (await get(rig, "wendy"))[1]] == [ids["i-asr"]]
    assert [a["id"] for a in (await get(rig, "rita"))[1]] == [ids["i-asr"]]  # acme resells initech
    assert [a["id"] for a in (await get(rig, "zed"))[1]] == [ids["h-asr"]]
    assert len((await get(rig, "pat"))[1]) == 5
    assert [a["id"] for a in (await get(rig, "pat", "?customer=initech"))[1]] == [ids["i-asr"]]
    # globex never sees initech's alarm, not even by id, nor by naming the customer
    status, body, _ = await get(rig, "alice", f"/{ids['i-asr']}")
    assert (status, body["detail"]) == (404, f"no such alarm: {ids['i-asr']}")
    assert (await get(rig, "alice", "?customer=initech"))[0] == 404
    assert (await get(rig, "rita", "?customer=globex"))[0] == 404
    assert (await get(rig, "rita", f"/{ids['g-asr']}"))[0] == 404
    assert (await get(rig, "nobody"))[0] == 404
    r = await rig.client.patch(
        f"{TMF}/{ids['i-asr']}", json={"ackState": "acknowledged"}, headers=rig.as_("alice", **MERGE)
    )
    assert r.status_code == 404


async def test_patch_acknowledges_with_the_caller_as_ack_user(rig: Rig) -> None:
    ids = await seed(rig)
    rig.clock.advance(5)
    r = await rig.client.patch(
        f"{TMF}/{ids['g-asr']}", content=b'{"ackState": "acknowledged"}', headers=rig.as_("alice", **MERGE)
    )
    assert r.status_code == 200
    body = r.json()
    assert (body["ackState"], body["ackUserId"], body["ackSystemId"], body["state"]) == (
        "acknowledged",
        "alice@globex",
        "switchboard",
        "raised",
    )
    assert body["alarmChangedTime"] == "2026-12-14T09:00:10Z"
    again = await rig.client.patch(
        f"{TMF}/{ids['g-asr']}", json={"ackState": "acknowledged"}, headers=rig.as_("alice", **MERGE)
    )
    assert again.json() == body  # nothing changed
    kinds = [p["kind"] for p in rig.bus.topic("events.alarm") if p["alarm_id"] == ids["g-asr"]]
    assert kinds == ["raised", "acknowledged"]
    r = await rig.client.patch(
        f"{TMF}/{ids['g-asr']}",
        json={"ackState": "unacknowledged", "comment": [{"comment": "not ours"}, {"comment": " carrier "}]},
        headers=rig.as_("alice", **{"Content-Type": "application/merge-patch+json; charset=utf-8"}),
    )
    assert r.status_code == 200
    assert r.json()["ackState"] == "unacknowledged"
    assert {"ackUserId", "ackSystemId"} & set(r.json()) == set()  # left out again, not null
    assert r.json()["comment"] == [
        {"time": "2026-12-14T09:00:10Z", "userId": "alice@globex", "comment": "not ours"},
        {"time": "2026-12-14T09:00:10Z", "userId": "alice@globex", "comment": "carrier"},
    ]
    kinds = [p["kind"] for p in rig.bus.topic("events.alarm") if p["alarm_id"] == ids["g-asr"]]
    assert kinds == ["raised", "acknowledged", "unacknowledged", "commented", "commented"]


async def test_patch_refuses_what_is_not_patchable(rig: Rig) -> None:
    ids = await seed(rig)
    url = f"{TMF}/{ids['g-asr']}"
    r = await rig.client.patch(
        url,
        json={"perceivedSeverity": "minor", "state": "cleared", "ackState": "acknowledged"},
        headers=rig.as_("alice", **MERGE),
    )
    assert r.status_code == 422
    assert (
        r.json()["detail"] == "not patchable: perceivedSeverity, state; only ackState and comment may change"
    )
    assert [e["field"] for e in r.json()["errors"]] == ["perceivedSeverity", "state"]
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"ackState": "maybe"}, "ackState", "ackState is acknowledged or unacknowledged"),
        ({"comment": "hi"}, "comment", 'comment is a list of {"comment": "text"} to append'),
        ({"comment": [{"comment": ""}]}, "comment[0].comment", "a comment is 1 to 2000 characters of text"),
        (
            {"comment": [{"comment": "x" * 2001}]},
            "comment[0].comment",
            "a comment is 1 to 2000 characters of text",
        ),
        (
            {"comment": [{"comment": "a", "userId": "mallory"}]},
            "comment[0]",
            'each comment is {"comment": "text"} (time and userId are set)',
        ),
    ]
    for body, field, message in cases:
        r = await rig.client.patch(url, json=body, headers=rig.as_("alice", **MERGE))
        assert (r.status_code, r.json()["errors"]) == (422, [{"field": field, "message": message}]), body
    r = await rig.client.patch(url, json={"ackState": "acknowledged"}, headers=rig.as_("alice"))
    assert (r.status_code, r.json()["detail"]) == (415, "send the change as application/merge-patch+json")
    assert r.headers["content-type"] == "application/problem+json"
    r = await rig.client.patch(url, json={"ackState": "acknowledged"}, headers=rig.as_("vic", **MERGE))
    assert (r.status_code, r.json()["detail"]) == (403, "you may view alarms but not manage them")
    r = await rig.client.patch(
        f"{TMF}/nope", json={"ackState": "acknowledged"}, headers=rig.as_("alice", **MERGE)
    )
    assert r.status_code == 404
    assert [p["kind"] for p in rig.bus.topic("events.alarm") if p["alarm_id"] == ids["g-asr"]] == ["raised"]


async def test_open_count(rig: Rig) -> None:
    ids = await seed(rig)
    r = await rig.client.get("/api/open-count", headers=rig.as_("alice"))
    assert r.json() == {"open_unacknowledged": 3}
    await rig.client.patch(
        f"{TMF}/{ids['g-asr']}", json={"ackState": "acknowledged"}, headers=rig.as_("alice", **MERGE)
    )
    assert (await rig.client.get("/api/open-count", headers=rig.as_("alice"))).json() == {
        "open_unacknowledged": 2
    }
    assert (await rig.client.get("/api/open-count", headers=rig.as_("pat"))).json() == {
        "open_unacknowledged": 4
    }

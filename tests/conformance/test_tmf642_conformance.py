"""TMF642 v4 (Alarm Management) through the real events app, checked against TM Forum's published
swagger (schemas/TMF642-Alarm-v4.0.0.swagger.json, `definitions.Alarm` and friends).

What the spec asks and we check: every alarm we return (raised, updated, acknowledged with a
comment, cleared; one and in a list) against `Alarm`; the attributes `Alarm_Create` marks required
(alarmType, perceivedSeverity, probableCause, alarmedObject, sourceSystemId, state,
alarmRaisedTime) plus the rest of TMF642's conformance profile (id, href, ackState) always there;
attribute names the spec's own; an attribute without a value left out, never `null` (TMF630:
ackUserId and ackSystemId before an acknowledgement, alarmClearedTime before the clear); `fields=`
keeping id, href and @type, attribute filters, `offset`/`limit` with
`X-Total-Count`/`X-Result-Count`; PATCH as `application/merge-patch+json` (`Alarm_Update`).

Where we legitimately differ (asserted exactly, so nothing else slips in):
* `id` is a string (a hex UUID); the v4.0.0 swagger types `Alarm.id` (and `AlarmRefOrValue.id`)
  as `integer`, against TMF630's string ids and its own `AlarmRef.id: string`: a defect of
  that spec revision, not ours.
* `occurrences` (how many observations the alarm absorbed) is our extension; the spec has no such
  attribute.
* `alarmedObject` carries `@referredType` (TelephoneNumber, CallCenterSite, …), which
  `AlarmedObject` does not list (it lists `@type`); additional attributes are allowed.
* `Alarm` itself marks nothing required; the required list used is `Alarm_Create`'s.
* errors are RFC 9457 problem details (`application/problem+json`: `type`, `title`, `status` as a
  number, `detail`), not the spec's `Error` (`code` and `reason` required, `status` a string). That
  is deliberate: the house rule is RFC 9457 problem details for every API error, so a TMF client
  gets the same error body as every other Switchboard API.
"""

from __future__ import annotations

from typing import Any

from events_support import NUMBER, TMF, Rig, condition, rig
from tmf_spec import TMF642, definition, problems, property_names

__all__ = ["rig"]

MERGE = {"Content-Type": "application/merge-patch+json"}
HREF = "/api/events/tmf-api/alarmManagement/v4/alarm/"
REQUIRED = ("alarmType", "perceivedSeverity", "probableCause", "alarmedObject", "sourceSystemId", "state")
PROFILE = ("id", "href", *REQUIRED, "alarmRaisedTime", "ackState")
ABSENT_BEFORE_ACK = {"ackSystemId", "ackUserId", "alarmClearedTime"}
PROBLEM = {"type", "title", "status", "detail"}  # RFC 9457


def id_type(alarm: dict[str, Any], at: str = "$") -> tuple[str, str, str]:
    """The one documented departure of every alarm: `id` is a string, the swagger says integer."""
    return (f"{at}.id", "type", repr(alarm["id"]))


async def one(rig: Rig, alarm_id: str, who: str = "alice") -> dict[str, Any]:
    r = await rig.client.get(f"{TMF}/{alarm_id}", headers=rig.as_(who))
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def ack(rig: Rig, alarm_id: str, body: dict[str, Any]) -> dict[str, Any]:
    r = await rig.client.patch(f"{TMF}/{alarm_id}", json=body, headers=rig.as_("alice", **MERGE))
    assert r.status_code == 200, r.text
    out: dict[str, Any] = r.json()
    return out


async def clear(rig: Rig, **kw: Any) -> None:
    """The condition goes inactive and stays so `clear_after` (10 s): the alarm clears."""
    await rig.observe(condition(active=False, **kw))
    rig.clock.advance(10)
    await rig.observe(condition(active=False, **kw))


async def lifecycle(rig: Rig) -> dict[str, dict[str, Any]]:
    """One alarm through its life: stage -> the alarm as GET (or the PATCH) returned it."""
    [raised] = await rig.observe(condition())
    stages = {"raised": await one(rig, raised.id)}
    rig.clock.advance(1)
    await rig.observe(condition(severity="critical", problem="ASR 10 % over 5 min (threshold 50 %)"))
    stages["updated"] = await one(rig, raised.id)
    rig.clock.advance(1)
    stages["acknowledged"] = await ack(
        rig, raised.id, {"ackState": "acknowledged", "comment": [{"comment": "Carrier ticket opened"}]}
    )
    await clear(rig)
    stages["cleared"] = await one(rig, raised.id)
    return stages


async def test_every_stage_is_an_alarm_departing_only_as_documented(rig: Rig) -> None:
    stages = await lifecycle(rig)
    alarm_id = stages["raised"]["id"]
    assert [(s["state"], s["ackState"], s["perceivedSeverity"]) for s in stages.values()] == [
        ("raised", "unacknowledged", "major"),
        ("updated", "unacknowledged", "critical"),
        ("updated", "acknowledged", "critical"),
        ("cleared", "acknowledged", "cleared"),
    ]
    assert {stage: problems(TMF642, "Alarm", a) for stage, a in stages.items()} == {
        stage: [id_type(stages["raised"])] for stage in stages
    }
    assert {stage: ABSENT_BEFORE_ACK - set(a) for stage, a in stages.items()} == {
        "raised": ABSENT_BEFORE_ACK,
        "updated": ABSENT_BEFORE_ACK,
        "acknowledged": {"alarmClearedTime"},
        "cleared": set(),
    }
    assert stages["cleared"] == {
        "id": alarm_id,
        "href": HREF + alarm_id,
        "@type": "Alarm",
        "alarmType": "qualityOfServiceAlarm",
        "perceivedSeverity": "cleared",
        "probableCause": "lowAnswerSeizureRatio",
        "specificProblem": "ASR 10 % over 5 min (threshold 50 %)",
        "alarmedObject": {"id": NUMBER, "@referredType": "TelephoneNumber"},
        "state": "cleared",
        "ackState": "acknowledged",
        "ackUserId": "alice@globex",
        "ackSystemId": "switchboard",
        "alarmRaisedTime": "2026-12-14T09:00:00Z",
        "alarmChangedTime": "2026-12-14T09:00:12Z",
        "alarmClearedTime": "2026-12-14T09:00:12Z",
        "alarmReportingTime": "2026-12-14T09:00:00Z",
        "sourceSystemId": "detector:asr",
        "isRootCause": True,
        "correlatedAlarm": [],
        "comment": [
            {"time": "2026-12-14T09:00:02Z", "userId": "alice@globex", "comment": "Carrier ticket opened"}
        ],
        "occurrences": 2,
    }


async def test_absent_attributes_are_left_out_not_null(rig: Rig) -> None:
    stages = await lifecycle(rig)
    for stage, alarm in stages.items():
        assert [p for p in problems(TMF642, "Alarm", alarm) if p != id_type(alarm)] == [], stage
        assert [k for k, v in alarm.items() if v is None] == [], stage


async def test_mandatory_attributes_are_always_there(rig: Rig) -> None:
    stages = await lifecycle(rig)
    for stage, alarm in stages.items():
        assert [name for name in PROFILE if alarm.get(name) in (None, "", [], {})] == [], stage
        # Alarm_Create skips id and href, so the id's type is not in question there
        assert problems(TMF642, "Alarm_Create", alarm) == [], stage
    # Alarm itself marks nothing required: Alarm_Create's list is the one that binds
    assert "required" not in definition(TMF642, "Alarm")
    assert definition(TMF642, "Alarm_Create")["required"] == [*REQUIRED, "alarmRaisedTime"]


async def test_attribute_names_are_the_specs_but_our_extension(rig: Rig) -> None:
    stages = await lifecycle(rig)
    alarm = stages["cleared"]
    assert set(alarm) - property_names(TMF642, "Alarm") == {"occurrences"}
    assert set(alarm["alarmedObject"]) - property_names(TMF642, "AlarmedObject") == {"@referredType"}
    assert [set(c) - property_names(TMF642, "Comment") for c in alarm["comment"]] == [set()]
    # the earlier stages have the same names, less the ones without a value yet (left out)
    assert {stage: set(alarm) - set(a) for stage, a in stages.items()} == {
        "raised": ABSENT_BEFORE_ACK,
        "updated": ABSENT_BEFORE_ACK,
        "acknowledged": {"alarmClearedTime"},
        "cleared": set(),
    }
    assert all(set(a) <= set(alarm) for a in stages.values())


async def seed(rig: Rig) -> dict[str, str]:
    """Three of globex's alarms a second apart (site cleared), one of initech's: name -> id."""
    specs = {
        "asr": condition(),
        "ner": condition(cause="lowNetworkEffectivenessRatio", severity="minor", problem="NER 80 %"),
        "site": condition(obj="site:east", cause="siteUnreachable", severity="critical", problem="Down"),
        "initech": condition(customer="initech"),
    }
    ids = {}
    for name, c in specs.items():
        [alarm] = await rig.observe(c)
        ids[name] = alarm.id
        rig.clock.advance(1)
    await clear(rig, obj="site:east", cause="siteUnreachable")
    return ids


async def listing(rig: Rig, query: str) -> tuple[list[dict[str, Any]], tuple[str, str]]:
    r = await rig.client.get(TMF + query, headers=rig.as_("alice"))
    assert r.status_code == 200, r.text
    return r.json(), (r.headers["X-Total-Count"], r.headers["X-Result-Count"])


async def test_a_list_is_alarms_with_counts(rig: Rig) -> None:
    ids = await seed(rig)
    body, counts = await listing(rig, "")
    assert ([a["id"] for a in body], counts) == ([ids["site"], ids["ner"], ids["asr"]], ("3", "3"))
    assert [problems(TMF642, "Alarm", a) for a in body] == [[id_type(a)] for a in body]
    # none acknowledged: no ack user or system; only the site's alarm is cleared
    assert [ABSENT_BEFORE_ACK - set(a) for a in body] == [
        {"ackSystemId", "ackUserId"},
        ABSENT_BEFORE_ACK,
        ABSENT_BEFORE_ACK,
    ]


async def test_fields_returns_only_those_plus_id_href_type(rig: Rig) -> None:
    ids = await seed(rig)
    body, counts = await listing(rig, "?fields=perceivedSeverity,state")
    assert counts == ("3", "3")
    assert body == [
        {"id": i, "href": HREF + i, "@type": "Alarm", "perceivedSeverity": sev, "state": state}
        for i, sev, state in (
            (ids["site"], "cleared", "cleared"),
            (ids["ner"], "minor", "raised"),
            (ids["asr"], "major", "raised"),
        )
    ]
    assert [problems(TMF642, "Alarm", a) for a in body] == [[id_type(a)] for a in body]
    r = await rig.client.get(f"{TMF}/{ids['asr']}?fields=ackState", headers=rig.as_("alice"))
    assert r.json() == {
        "id": ids["asr"],
        "href": HREF + ids["asr"],
        "@type": "Alarm",
        "ackState": "unacknowledged",
    }


async def test_filter_by_a_simple_attribute(rig: Rig) -> None:
    ids = await seed(rig)
    body, counts = await listing(rig, "?perceivedSeverity=major")
    assert ([a["id"] for a in body], counts) == ([ids["asr"]], ("1", "1"))
    assert body[0]["perceivedSeverity"] == "major"
    body, counts = await listing(rig, "?state=cleared")
    assert ([(a["id"], a["state"]) for a in body], counts) == ([(ids["site"], "cleared")], ("1", "1"))
    assert problems(TMF642, "Alarm", body[0]) == [id_type(body[0])]
    assert ABSENT_BEFORE_ACK - set(body[0]) == {"ackSystemId", "ackUserId"}


async def test_offset_and_limit_with_counts(rig: Rig) -> None:
    ids = await seed(rig)
    body, counts = await listing(rig, "?offset=1&limit=1")
    assert ([a["id"] for a in body], counts) == ([ids["ner"]], ("3", "1"))
    body, counts = await listing(rig, "?offset=2&limit=5")
    assert ([a["id"] for a in body], counts) == ([ids["asr"]], ("3", "1"))
    body, counts = await listing(rig, "?offset=3")
    assert (body, counts) == ([], ("3", "0"))


async def test_merge_patch_of_ack_state_changes_only_that(rig: Rig) -> None:
    ids = await seed(rig)
    before = await one(rig, ids["asr"])
    rig.clock.advance(5)
    change = {"ackState": "acknowledged"}
    assert problems(TMF642, "Alarm_Update", change) == []
    after = await ack(rig, ids["asr"], change)
    assert after == await one(rig, ids["asr"])  # the full updated resource
    # the acknowledgement adds ackUserId and ackSystemId (left out before); nothing goes away
    assert (set(after) - set(before), set(before) - set(after)) == ({"ackUserId", "ackSystemId"}, set())
    assert {k: (before.get(k), after[k]) for k in after if before.get(k) != after[k]} == {
        "ackState": ("unacknowledged", "acknowledged"),
        "ackUserId": (None, "alice@globex"),
        "ackSystemId": (None, "switchboard"),
        "alarmChangedTime": ("2026-12-14T09:00:00Z", "2026-12-14T09:00:19Z"),
    }
    assert problems(TMF642, "Alarm", after) == [id_type(after)]
    assert "alarmClearedTime" not in after
    # merge patch: an attribute left out stays; sending ackState again changes nothing
    assert await ack(rig, ids["asr"], {"comment": [{"comment": "Seen"}]}) == {
        **after,
        "comment": [{"time": "2026-12-14T09:00:19Z", "userId": "alice@globex", "comment": "Seen"}],
    }


async def test_a_non_patchable_attribute_is_refused(rig: Rig) -> None:
    ids = await seed(rig)
    before = await one(rig, ids["asr"])
    change = {"perceivedSeverity": "minor"}
    assert problems(TMF642, "Alarm_Update", change) == []  # a valid Alarm_Update, but not ours to change
    r = await rig.client.patch(f"{TMF}/{ids['asr']}", json=change, headers=rig.as_("alice", **MERGE))
    assert (r.status_code, r.headers["content-type"]) == (422, "application/problem+json")
    assert r.json()["detail"] == "not patchable: perceivedSeverity; only ackState and comment may change"
    assert r.json()["errors"] == [
        {
            "field": "perceivedSeverity",
            "message": "perceivedSeverity is not patchable (only ackState and comment are)",
        }
    ]
    assert await one(rig, ids["asr"]) == before


async def test_an_unknown_id_is_a_404_problem(rig: Rig) -> None:
    await seed(rig)
    r = await rig.client.get(f"{TMF}/no-such-alarm", headers=rig.as_("alice"))
    assert (r.status_code, r.headers["content-type"]) == (404, "application/problem+json")
    assert r.json() == {
        "type": "about:blank",
        "title": "Not found",
        "status": 404,
        "detail": "no such alarm: no-such-alarm",
    }
    assert problems(TMF642, "Error", r.json()) == [
        ("$", "required", "code"),
        ("$", "required", "reason"),
        ("$.status", "type", "404"),
    ]


async def test_an_error_is_an_rfc_9457_problem_not_the_specs_error(rig: Rig) -> None:
    """Deliberate (house rule: RFC 9457 problem details for every API error): the body has the
    problem's members and none of `Error`'s required ones, and `status` is the number."""
    r = await rig.client.get(f"{TMF}/no-such-alarm", headers=rig.as_("alice"))
    assert (r.status_code, r.headers["content-type"]) == (404, "application/problem+json")
    body = r.json()
    assert set(body) == PROBLEM
    assert (type(body["status"]), body["status"]) == (int, 404)
    # what TMF642's Error would have: code and reason required, status a string
    error = definition(TMF642, "Error")
    assert (error["required"], error["properties"]["status"]["type"]) == (["code", "reason"], "string")
    assert set(body) & set(error["required"]) == set()

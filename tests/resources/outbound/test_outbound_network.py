"""The switch's question through the real app: classes and policies per line, emergency from
anyone, authorization codes with the lockout written at once, account codes, the cache following
changes, and bad input."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from outbound_support import BOB, LOBBY, T0, Rig, rig

from resources.kit.events import Event
from resources.outbound.runtime import handle

__all__ = ["rig"]


async def ask(rig: Rig, **body: Any) -> dict[str, Any]:
    r = await rig.client.post("/network/decide", json=body, headers=rig.as_("switch"))
    assert r.status_code == 200, r.text
    answer: dict[str, Any] = r.json()
    return answer


async def with_code(rig: Rig) -> None:
    await rig.setup()
    r = await rig.client.put(
        f"/api/lines/{BOB}/authorization-code", json={"code": "4829"}, headers=rig.as_("alice")
    )
    assert r.status_code == 204


async def test_a_local_call_is_allowed_and_an_international_one_wants_the_code(rig: Rig) -> None:
    await with_code(rig)
    assert await ask(rig, caller="3125550142", dialled="3125550100") == {
        "outcome": "allow",
        "code": 200,
        "reason": "Allowed",
        "collect": None,
        "class": "local",
        "number": "+13125550100",
        "country": "US",
        "customer": "globex",
        "line": BOB,
        "account_code": None,
    }
    answer = await ask(rig, caller=BOB, dialled="011442079460000")
    assert (
        answer["outcome"],
        answer["code"],
        answer["collect"],
        answer["reason"],
        answer["class"],
        answer["country"],
    ) == (
        "collect-code",
        484,
        "authorization",
        "Authorization code required",
        "international",
        "GB",
    )
    # the code lifts Bob to "international", whose account code is forced
    answer = await ask(rig, caller=BOB, dialled="011442079460000", auth_code="4829")
    assert (answer["outcome"], answer["collect"], answer["reason"]) == (
        "collect-code",
        "account",
        "Account code required",
    )
    answer = await ask(rig, caller=BOB, dialled="011442079460000", auth_code="4829", account_code="1001")
    assert (answer["outcome"], answer["account_code"]) == ("allow", "1001")
    answer = await ask(rig, caller=BOB, dialled="0115351234567", auth_code="4829", account_code="1001")
    # even the lifted policy denies Cuba: no code is asked for, the line's own reason is given
    assert (answer["outcome"], answer["reason"], answer["country"]) == (
        "deny",
        "International calls are not allowed",
        "CU",
    )


async def test_emergency_from_anyone_unknown_lines_and_hours(rig: Rig) -> None:
    await with_code(rig)
    for caller in (LOBBY, "+14155550100", "anonymous"):
        answer = await ask(rig, caller=caller, dialled="911")
        assert (answer["outcome"], answer["class"], answer["reason"]) == (
            "allow",
            "emergency",
            "Emergency calls are always allowed",
        )
    answer = await ask(rig, caller="+14155550100", dialled="3125550100")
    assert (answer["outcome"], answer["code"], answer["reason"], answer["customer"]) == (
        "deny",
        403,
        "Unknown calling line",
        None,
    )
    office = T0.timestamp()
    night = (T0 + timedelta(hours=10)).timestamp()  # 20:00 in Chicago
    assert (await ask(rig, caller=LOBBY, dialled="3125550100", ts=office))["outcome"] == "allow"
    answer = await ask(rig, caller=LOBBY, dialled="3125550100", ts=night)
    assert (answer["outcome"], answer["reason"]) == ("deny", "Outside the hours this line may dial")
    answer = await ask(rig, caller=LOBBY, dialled="2125550100", ts=office)
    assert (answer["outcome"], answer["reason"]) == ("deny", "Long-distance calls are not allowed")


async def test_wrong_codes_lock_the_line_and_even_the_right_code_is_refused(rig: Rig) -> None:
    await with_code(rig)
    intl = {"caller": BOB, "dialled": "011442079460000", "account_code": "1001"}
    for _ in range(4):
        assert (await ask(rig, **intl, auth_code="1111"))["reason"] == "Wrong authorization code"
    assert (await ask(rig, **intl, auth_code="1111"))[
        "reason"
    ] == "Authorization code locked; try again later"
    assert (await ask(rig, **intl, auth_code="4829"))[
        "reason"
    ] == "Authorization code locked; try again later"
    config = (await rig.client.get("/api/config", headers=rig.as_("alice"))).json()
    assert config["lines"][0]["authorization_code"] == {
        "set": True,
        "failures": 5,
        "locked_until": (T0 + timedelta(minutes=15)).isoformat(),
    }
    rig.clock.now = T0 + timedelta(minutes=16)
    later = rig.clock.now.timestamp()
    assert (await ask(rig, **intl, auth_code="4829", ts=later))["outcome"] == "allow"


async def test_unknown_account_code_and_a_change_followed_at_once(rig: Rig) -> None:
    await with_code(rig)
    answer = await ask(rig, caller=BOB, dialled="3125550100", account_code="9999")
    assert (answer["outcome"], answer["reason"]) == ("deny", "Unknown account code")
    assert (await ask(rig, caller=BOB, dialled="2125550100"))["outcome"] == "allow"
    body = {"name": "default", "classes": ["local"]}
    assert (
        await rig.client.put("/api/policies/default", json=body, headers=rig.as_("alice"))
    ).status_code == 200
    assert (await ask(rig, caller=BOB, dialled="2125550100"))["outcome"] == "allow"  # cached until the event
    await handle(rig.ctx, Event("outbound.changed", {"customer_id": "globex"}))
    answer = await ask(rig, caller=BOB, dialled="2125550100")
    # denied by the new default now; Bob's code would lift him to "international", which allows it
    assert (answer["outcome"], answer["reason"]) == ("collect-code", "Authorization code required")


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"dialled": "911"}, "caller", "caller must be a non-empty string of at most 32 characters"),
        ({"caller": BOB}, "dialled", "dialled must be a non-empty string of at most 32 characters"),
        (
            {"caller": BOB, "dialled": "911", "auth_code": "12ab"},
            "auth_code",
            "auth_code must be the digits keyed (1 to 16), or null",
        ),
        (
            {"caller": BOB, "dialled": "911", "ts": "now"},
            "ts",
            "ts must be a time in epoch seconds (a number) or null",
        ),
    ],
)
async def test_bad_questions_name_the_field(rig: Rig, body: dict[str, Any], field: str, message: str) -> None:
    r = await rig.client.post("/network/decide", json=body, headers=rig.as_("switch"))
    assert (r.status_code, r.json()["errors"]) == (422, [{"field": field, "message": message}])


async def test_an_undialable_number_is_denied_with_the_reason(rig: Rig) -> None:
    await rig.setup()
    answer = await ask(rig, caller=BOB, dialled="12")
    assert (answer["outcome"], answer["code"], answer["class"]) == ("deny", 403, None)
    assert answer["reason"].startswith("Not a dialable number: ")

"""The outbound pages through the real app and kit middleware, with the fake assertion verifier
(outbound_support's rig: alice edits Globex, vic only views it, wendy is Initech's, pat is
provider staff): what the tables show, what each form stores, errors next to their inputs with
nothing changed, who may see and change what, and the directory user page's link here."""

from __future__ import annotations

import html as htmlib
import re
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from assertion_fakes import NamedVerifier, caller_for
from outbound_support import BOB, LOBBY, T0, Rig, rig
from sqlalchemy import func, select

from dispatcher.registry import load_manifests
from resources.kit.manifest import NavEntry
from resources.outbound import repository as repo
from resources.outbound.codes import verify_code
from resources.outbound.manifest import MANIFEST
from resources.outbound.models import AuditRow, CodeRow
from resources.outbound.views import routes

__all__ = ["rig"]

GUESSABLE = "is too easy to guess (one digit repeated or a straight run); choose another"
BAD_COUNTRY = (
    "'XX' is not a country code (ISO 3166 alpha-2 in capitals, such as GB; 001 for non-geographic numbers)"
)
NAME_HINT = "1 to 40 lowercase letters, digits or dashes, starting with a letter or digit, like sales"
DASH = "\N{EN DASH}"
NO_CAPS = {"minutes_per_day": None, "minutes_per_month": None, "spend_per_day": None, "spend_per_month": None}


def as_(name: str) -> dict[str, str]:
    return {"X-Switchboard-Assertion": name, "HX-Request": "true"}


def text(fragment: str) -> str:
    """The visible text of an HTML fragment, whitespace collapsed."""
    spaced = " ".join(htmlib.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())
    return re.sub(r" ([.,;])", r"\1", spaced)


def row(page: str, attr: str, key: str) -> str:
    """The table row `<tr {attr}="{key}">…</tr>` of a page."""
    found = re.search(rf'<tr {attr}="{re.escape(key)}"[^>]*>(.*?)</tr>', page, re.S)
    assert found is not None, f"no row {attr}={key}"
    return found.group(1)


def cell(row_html: str, attr: str) -> str:
    found = re.search(rf"<td[^>]* {attr}[ >](.*?)</td>", row_html, re.S)
    assert found is not None, f"no cell {attr}"
    return text(found.group(1))


def keys(page: str, attr: str) -> list[str]:
    return re.findall(rf'<tr {attr}="([^"]+)"', page)


def field_error(page: str, input_id: str) -> str:
    found = re.search(rf'<p class="field-error" id="{re.escape(input_id)}-error">(.*?)</p>', page, re.S)
    assert found is not None, f"no error at {input_id}"
    return htmlib.unescape(found.group(1))


def value_of(page: str, input_id: str) -> str:
    found = re.search(rf'id="{re.escape(input_id)}" name="[^"]+" type="[^"]+"\s*value="([^"]*)"', page)
    assert found is not None, f"no input {input_id}"
    return htmlib.unescape(found.group(1))


async def ready(rig: Rig) -> None:
    await rig.setup()
    r = await rig.client.put(
        f"/api/lines/{BOB}/authorization-code", json={"code": "4829"}, headers=as_("alice")
    )
    assert r.status_code == 204


async def config(rig: Rig) -> dict[str, Any]:
    r = await rig.client.get("/api/config", headers=as_("alice"))
    assert r.status_code == 200
    body: dict[str, Any] = r.json()
    return body


async def code_row(rig: Rig, number: str) -> CodeRow | None:
    async with rig.ctx.maker() as session:
        return await repo.code(session, number)


async def audit_count(rig: Rig) -> int:
    async with rig.ctx.maker() as session:
        return int((await session.execute(select(func.count()).select_from(AuditRow))).scalar_one())


Form = dict[str, str | list[str]]


async def post(
    rig: Rig,
    path: str,
    form: Mapping[str, str | list[str]] | None = None,
    *,
    user: str = "alice",
    **fields: str,
) -> httpx.Response:
    return await rig.client.post(path, data={**(form or {}), **fields}, headers=as_(user))


POLICY_FORM: Form = {
    "mode": "edit",
    "name": "default",
    "classes": ["local", "long-distance"],
    "countries.allow": "",
    "countries.deny": "",
    "any_time": "on",
    "hours.zone": "",
    **{f"hours.weekly.{d}": "" for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
    **{f"caps.{c}": "" for c in NO_CAPS},
    "account_code": "none",
}


# --- the lines page ---------------------------------------------------------------------------


async def test_the_lines_table_shows_the_policy_each_line_dials_under_and_its_code_state(rig: Rig) -> None:
    await ready(rig)
    r = await rig.client.get("/lines", headers=as_("alice"))
    assert r.status_code == 200
    assert r.headers["X-Switchboard-Page"] == "Outbound%20calling"
    assert keys(r.text, "data-line") == [BOB, LOBBY]
    bob, lobby = row(r.text, "data-line", BOB), row(r.text, "data-line", LOBBY)
    assert [cell(bob, a) for a in ("data-group", "data-policy", "data-elevated", "data-code")] == [
        "—",
        "default (default)",
        "international",
        "code set",
    ]
    assert [cell(lobby, a) for a in ("data-group", "data-policy", "data-elevated", "data-code")] == [
        "lobby",
        "lobby (group lobby)",
        "—",
        "not set",
    ]
    assert [cell(bob, "data-usage"), cell(lobby, "data-usage")] == ["today 0 / this month 0"] * 2
    assert "4829" not in r.text
    assert '<h2 id="line-form">New line</h2>' in r.text  # alice may edit


async def test_wrong_codes_and_a_lock_show_in_the_table_until_the_lock_lapses(rig: Rig) -> None:
    await ready(rig)
    async with rig.ctx.maker() as session, session.begin():
        code = await repo.code(session, BOB)
        assert code is not None
        code.failures, code.locked_until = 5, T0 + timedelta(minutes=15)
    r = await rig.client.get("/lines", headers=as_("alice"))
    assert (
        cell(row(r.text, "data-line", BOB), "data-code")
        == "code set 5 wrong in a row locked until 2026-12-07 16:15 UTC"
    )
    rig.clock.now = T0 + timedelta(minutes=15)
    r = await rig.client.get("/lines", headers=as_("alice"))
    assert cell(row(r.text, "data-line", BOB), "data-code") == "code set 5 wrong in a row"


async def test_a_guessable_code_is_refused_inline_and_a_good_one_is_set_without_being_shown(rig: Rig) -> None:
    await ready(rig)
    before, audits = await code_row(rig, BOB), await audit_count(rig)
    assert before is not None
    for bad, message in (
        ("1111", GUESSABLE),
        ("4567", GUESSABLE),
        ("12a4", "may only hold the digits 0 to 9"),
        ("908", "must be 4 to 12 digits long"),
    ):
        r = await post(rig, f"/lines/{BOB}/code", code=bad)
        assert r.status_code == 422
        assert field_error(r.text, "field-code") == message
        assert bad not in r.text
        assert '<h2 id="line-form">Edit line +13125550142</h2>' in r.text  # still on Bob's line
    after = await code_row(rig, BOB)
    assert after is not None
    assert (after.hash, after.set_at, after.failures) == (before.hash, before.set_at, 0)
    assert await audit_count(rig) == audits

    r = await post(rig, f"/lines/{BOB}/code", code="5190")
    assert r.status_code == 200
    assert text(re.search(r"<p [^>]*data-notice>(.*?)</p>", r.text, re.S).group(1)) == (  # type: ignore[union-attr]
        "The authorization code of +13125550142 is set."
    )
    assert "5190" not in r.text
    tag = re.search(r'<input [^>]*id="field-code"[^>]*>', r.text, re.S)
    assert tag is not None
    assert 'type="password"' in tag.group(0)
    assert "value=" not in tag.group(0)
    changed = await code_row(rig, BOB)
    assert changed is not None
    assert changed.hash != before.hash
    assert verify_code(rig.ctx.hasher, changed.hash, "5190") is True
    assert verify_code(rig.ctx.hasher, changed.hash, "4829") is False


async def test_removing_a_code_and_deleting_a_line(rig: Rig) -> None:
    await ready(rig)
    r = await rig.client.get(f"/lines?edit={BOB.replace('+', '%2B')}", headers=as_("alice"))
    assert 'data-confirm="Delete the line +13125550142 and its authorization code?' in r.text
    assert "data-clear-code" in r.text
    r = await post(rig, f"/lines/{BOB}/code/delete")
    assert r.status_code == 200
    assert "The authorization code of +13125550142 is removed." in r.text
    assert cell(row(r.text, "data-line", BOB), "data-code") == "not set"
    assert "data-clear-code" not in r.text
    assert await code_row(rig, BOB) is None
    r = await post(rig, f"/lines/{BOB}/code/delete")  # nothing left to remove
    assert r.status_code == 422
    assert "Line +13125550142 has no authorization code." in r.text

    r = await post(rig, f"/lines/{LOBBY}/delete")
    assert r.status_code == 200
    assert "Line +13125550190 deleted." in r.text
    assert keys(r.text, "data-line") == [BOB]
    assert [line["number"] for line in (await config(rig))["lines"]] == [BOB]


async def test_the_directory_link_fills_in_a_new_line_for_its_user(rig: Rig) -> None:
    await ready(rig)
    r = await rig.client.get("/lines?user_id=u-42&label=Carol+%28support%29", headers=as_("alice"))
    assert value_of(r.text, "field-label") == "Carol (support)"
    assert '<input type="hidden" name="user_id" value="u-42">' in r.text
    assert "data-user-lines" not in r.text
    carol = {"number": "+13125550177", "label": "Carol (support)", "user_id": "u-42", "group": "lobby"}
    r = await post(rig, "/lines", {"mode": "new", **carol, "policy": "", "elevated": ""})
    assert r.status_code == 200
    assert "Line +13125550177 added." in r.text
    assert cell(row(r.text, "data-line", "+13125550177"), "data-policy") == "lobby (group lobby)"
    lines = {line["number"]: line for line in (await config(rig))["lines"]}
    assert lines["+13125550177"] == {
        "number": "+13125550177",
        "label": "Carol (support)",
        "user_id": "u-42",
        "group": "lobby",
        "policy": None,
        "elevated": None,
        "effective_policy": "lobby",
        "authorization_code": {"set": False, "failures": 0, "locked_until": None},
    }
    r = await rig.client.get("/lines?user_id=u-42&label=Carol", headers=as_("alice"))
    assert text(re.search(r"<p [^>]*data-user-lines>(.*?)</p>", r.text, re.S).group(1)) == (  # type: ignore[union-attr]
        "This user already has a line: +13125550177."
    )


async def test_line_form_errors_are_inline_keep_the_typed_values_and_change_nothing(rig: Rig) -> None:
    await ready(rig)
    before, audits = await config(rig), await audit_count(rig)
    dave = "+13125550188"
    cases: list[tuple[dict[str, str], str, str]] = [
        (
            {"number": "555-0142"},
            "field-number",
            "must be the line's number in E.164 form, like +13125550142",
        ),
        ({"number": BOB}, "field-number", "Line +13125550142 already exists; edit it in the table"),
        ({"number": dave, "policy": "nope"}, "field-policy", "there is no policy 'nope'; create it first"),
        ({"number": dave, "group": "sales"}, "field-group", "there is no group 'sales'; create it first"),
        ({"number": dave, "elevated": "Intl"}, "field-elevated", NAME_HINT),
    ]
    for form, input_id, message in cases:
        r = await post(rig, "/lines", {"mode": "new", "label": "Dave", **form})
        assert r.status_code == 422, form
        assert field_error(r.text, input_id) == message
        assert value_of(r.text, "field-label") == "Dave"
        assert value_of(r.text, "field-number") == form["number"]
    assert await config(rig) == before
    assert await audit_count(rig) == audits

    r = await post(rig, "/lines", mode="edit", number=BOB, label="Bob", elevated="international")  # unchanged
    assert r.status_code == 422
    assert (
        '<p class="alert alert--error" role="alert" data-form-error>'
        "Line +13125550142 is already configured like that.</p>"
    ) in r.text

    r = await post(rig, "/lines", mode="edit", number=BOB, label="Bob (sales)", policy="international")
    assert r.status_code == 200
    assert "Line +13125550142 saved." in r.text
    assert cell(row(r.text, "data-line", BOB), "data-policy") == "international (own)"


# --- policies -----------------------------------------------------------------------------------


async def test_a_policy_with_only_local_checked_saves_emergency_and_local(rig: Rig) -> None:
    await ready(rig)
    r = await rig.client.get("/policies?edit=default", headers=as_("alice"))
    assert r.status_code == 200
    assert '<input class="field__checkbox" id="class-emergency" type="checkbox" checked disabled>' in r.text
    assert (
        '<label class="field__label" for="class-emergency">emergency '
        '<span class="muted" data-emergency-note>always allowed</span></label>'
    ) in r.text
    assert re.search(
        r'id="class-long-distance" name="classes" type="checkbox" value="long-distance" checked>', r.text
    )
    assert re.search(
        r'id="class-international" name="classes" type="checkbox" value="international">', r.text
    )

    r = await post(rig, "/policies", {**POLICY_FORM, "classes": ["local"]})
    assert r.status_code == 200
    assert "Policy default saved." in r.text
    assert cell(row(r.text, "data-policy", "default"), "data-classes") == "local"
    policies = {p["name"]: p for p in (await config(rig))["policies"]}
    assert policies["default"] == {
        "name": "default",
        "classes": ["emergency", "local"],
        "countries": {"allow": [], "deny": []},
        "hours": None,
        "caps": NO_CAPS,
        "account_code": "none",
    }


async def test_a_full_policy_form_becomes_the_document(rig: Rig) -> None:
    await ready(rig)
    form: Form = {
        **POLICY_FORM,
        "mode": "new",
        "name": "night-shift",
        "classes": ["toll-free", "local", "international"],
        "countries.allow": "gb, FR",
        "countries.deny": "CU KP",
        "any_time": [],
        "hours.zone": "America/Chicago",
        "hours.weekly.mon": "08:00-12:00, 13:00 - 17:00",
        "hours.weekly.sat": "22:00-06:00",
        "caps.minutes_per_day": "600",
        "caps.spend_per_month": "0",
        "account_code": "forced",
    }
    r = await post(rig, "/policies", form)
    assert r.status_code == 200, r.text
    assert "Policy night-shift added." in r.text
    shown = row(r.text, "data-policy", "night-shift")
    assert cell(shown, "data-classes") == "toll-free, local, international"
    assert cell(shown, "data-countries") == "only FR, GB abroad; never CU, KP"
    assert cell(shown, "data-hours") == (
        f"America/Chicago: Mon 08:00-12:00, 13:00-17:00; Tue{DASH}Fri closed; Sat 22:00-06:00; Sun closed"
    )
    assert cell(shown, "data-caps") == "600 min a day; spend 0 a month"
    policies = {p["name"]: p for p in (await config(rig))["policies"]}
    assert policies["night-shift"] == {
        "name": "night-shift",
        "classes": ["emergency", "toll-free", "local", "international"],
        "countries": {"allow": ["FR", "GB"], "deny": ["CU", "KP"]},
        "hours": {
            "zone": "America/Chicago",
            "weekly": {
                "mon": ["08:00-12:00", "13:00-17:00"],
                "tue": [],
                "wed": [],
                "thu": [],
                "fri": [],
                "sat": ["22:00-06:00"],
                "sun": [],
            },
            "closures": [],
        },
        "caps": {**NO_CAPS, "minutes_per_day": 600, "spend_per_month": 0},
        "account_code": "forced",
    }
    r = await rig.client.get("/policies?edit=night-shift", headers=as_("alice"))  # the form shows it again
    inputs = ("field-countries-allow", "field-hours-mon", "field-caps-minutes-per-day")
    assert [value_of(r.text, i) for i in inputs] == ["FR, GB", "08:00-12:00, 13:00-17:00", "600"]
    assert 'id="field-any-time" name="any_time" type="checkbox" value="on">' in r.text  # unchecked


async def test_policy_errors_sit_next_to_their_fields_and_change_nothing(rig: Rig) -> None:
    await ready(rig)
    before, audits = await config(rig), await audit_count(rig)
    timed: Form = {"any_time": [], "hours.zone": "America/Chicago"}
    cases: list[tuple[Form, str, str, str]] = [
        ({"countries.deny": "CU, XX"}, "field-countries-deny", BAD_COUNTRY, "CU, XX"),
        ({"countries.allow": "GB, GB"}, "field-countries-allow", "'GB' is listed twice", "GB, GB"),
        ({**timed, "hours.weekly.tue": "8-12"}, "field-hours-tue",
         "'8-12' is not \"HH:MM-HH:MM\" (24-hour clock, e.g. \"08:00-17:30\")", "8-12"),
        ({**timed, "hours.weekly.mon": "09:00-12:00, 11:00-13:00"}, "field-hours-mon",
         "09:00-12:00 and 11:00-13:00 overlap", "09:00-12:00, 11:00-13:00"),
        ({"any_time": [], "hours.zone": "Mars/Olympus"}, "field-hours-zone",
         "'Mars/Olympus' is not a known IANA time zone", "Mars/Olympus"),
        ({"caps.minutes_per_day": "lots"}, "field-caps-minutes-per-day",
         "must be a whole number of minutes from 0 to 10,000,000, or null", "lots"),
        ({"caps.spend_per_day": "-1"}, "field-caps-spend-per-day",
         "must be a whole number of minor units from 0 to 100,000,000,000, or null", "-1"),
    ]  # fmt: skip
    for change, input_id, message, typed in cases:
        r = await post(rig, "/policies", {**POLICY_FORM, **change})
        assert r.status_code == 422, change
        assert field_error(r.text, input_id) == message
        assert value_of(r.text, input_id) == typed
        assert re.search(
            r'id="class-long-distance" name="classes" type="checkbox" value="long-distance" checked>', r.text
        )
        assert re.search(r'id="class-toll-free" name="classes" type="checkbox" value="toll-free">', r.text)
    r = await post(rig, "/policies", {**POLICY_FORM, "classes": ["local", "teleport"]})
    found = re.search(r'<p class="field-error" id="classes-error">(.*?)</p>', r.text)
    assert found is not None
    assert htmlib.unescape(found.group(1)) == (
        "'teleport' is not a calling class (use emergency, operator, directory, service, toll-free, premium, "
        "local, long-distance, international)"
    )
    r = await post(rig, "/policies", {**POLICY_FORM, "mode": "new", "name": "Sales Team"})
    assert field_error(r.text, "field-name") == NAME_HINT
    r = await post(rig, "/policies", {**POLICY_FORM, "mode": "new", "name": "lobby"})
    assert field_error(r.text, "field-name") == "Policy lobby already exists; edit it in the table"
    assert await config(rig) == before
    assert await audit_count(rig) == audits


async def test_a_policy_in_use_cannot_be_deleted_and_says_who_uses_it(rig: Rig) -> None:
    await ready(rig)
    r = await post(rig, "/policies/lobby/delete")
    assert r.status_code == 422
    assert (
        '<p class="alert alert--error" role="alert" data-form-error>Policy lobby is used by group lobby; '
        "change that first.</p>"
    ) in r.text
    assert '<h2 id="policy-form">Edit policy lobby</h2>' in r.text
    assert keys(r.text, "data-policy") == ["default", "international", "lobby"]
    r = await post(rig, "/policies", {**POLICY_FORM, "mode": "new", "name": "spare"})
    assert r.status_code == 200
    r = await post(rig, "/policies/spare/delete")
    assert r.status_code == 200
    assert "Policy spare deleted." in r.text
    assert keys(r.text, "data-policy") == ["default", "international", "lobby"]


async def test_editing_hours_keeps_the_policy_s_closures(rig: Rig) -> None:
    await ready(rig)
    closures = [{"from": "2026-12-24T12:00", "to": "2026-12-27T00:00", "reason": "Holidays"}]
    lobby = {
        "name": "lobby",
        "classes": ["local"],
        "hours": {**(await config(rig))["policies"][2]["hours"], "closures": closures},
    }
    assert (await rig.client.put("/api/policies/lobby", json=lobby, headers=as_("alice"))).status_code == 200
    r = await rig.client.get("/policies?edit=lobby", headers=as_("alice"))
    assert "This policy also has 1 closure (set through the API); saving keeps it." in r.text
    assert cell(row(r.text, "data-policy", "lobby"), "data-hours") == (
        f"America/Chicago: Mon{DASH}Fri 08:00-18:00; Sat{DASH}Sun closed (+1 closures)"
    )
    office = {f"hours.weekly.{d}": "08:00-18:00" for d in ("mon", "tue", "wed", "thu", "fri")}
    form = {**POLICY_FORM, "name": "lobby", "classes": ["local", "long-distance"], "any_time": [],
            "hours.zone": "America/Chicago", **office}  # fmt: skip
    r = await post(rig, "/policies", form)
    assert r.status_code == 200
    stored = {p["name"]: p for p in (await config(rig))["policies"]}["lobby"]
    assert stored["classes"] == ["emergency", "local", "long-distance"]
    assert stored["hours"]["closures"] == closures


# --- groups and account codes ------------------------------------------------------------------


async def test_groups_add_edit_and_delete(rig: Rig) -> None:
    await ready(rig)
    r = await rig.client.get("/groups", headers=as_("alice"))
    assert keys(r.text, "data-group") == ["lobby"]
    assert text(row(r.text, "data-group", "lobby")) == "lobby lobby — 1 Edit lobby"
    r = await post(rig, "/groups", mode="new", name="sales", policy="", description="Sales floor")
    assert r.status_code == 422
    assert field_error(r.text, "field-policy") == NAME_HINT
    assert value_of(r.text, "field-description") == "Sales floor"
    r = await post(
        rig, "/groups", mode="new", name="sales", policy="international", description="Sales floor"
    )
    assert r.status_code == 200
    assert "Group sales added." in r.text
    r = await post(rig, "/groups", mode="edit", name="sales", policy="default", description="Sales floor")
    assert "Group sales saved." in r.text
    assert cell(row(r.text, "data-group", "sales"), "data-group-policy") == "default"
    r = await post(rig, "/groups/lobby/delete")
    assert r.status_code == 422
    assert "Group lobby is used by line +13125550190; change that first." in r.text
    r = await post(rig, "/groups/sales/delete")
    assert "Group sales deleted." in r.text
    assert [g["name"] for g in (await config(rig))["groups"]] == ["lobby"]


async def test_account_codes_add_edit_and_delete(rig: Rig) -> None:
    await ready(rig)
    r = await post(rig, "/account-codes", mode="new", code="12", description="Too short")
    assert r.status_code == 422
    assert field_error(r.text, "field-code") == "must be 4 to 12 digits long"
    r = await post(rig, "/account-codes", mode="new", code="1001", description="Again")
    assert field_error(r.text, "field-code") == "Account code 1001 already exists; edit it in the table"
    r = await post(rig, "/account-codes", mode="new", code="3003", description="Initrode (client)")
    assert "Account code 3003 added." in r.text
    r = await post(rig, "/account-codes", mode="edit", code="3003", description="Initrode")
    assert "Account code 3003 saved." in r.text
    r = await post(rig, "/account-codes/1001/delete")
    assert "Account code 1001 deleted." in r.text
    assert keys(r.text, "data-account-code") == ["3003"]
    assert (await config(rig))["account_codes"] == [{"code": "3003", "description": "Initrode"}]


# --- the audit ----------------------------------------------------------------------------------


async def test_the_audit_shows_who_changed_what_before_and_after(rig: Rig) -> None:
    await ready(rig)
    await post(rig, "/policies", {**POLICY_FORM, "name": "lobby", "classes": ["local", "long-distance"]})
    await post(rig, f"/lines/{BOB}/code", code="5190")
    r = await rig.client.get("/audit", headers=as_("alice"))
    assert r.status_code == 200
    rows = re.findall(r"<tr data-audit-row (.*?)</tr>", r.text, re.S)
    assert len(rows) == 10  # 7 objects, the first code, the policy, the new code
    assert (
        text("<x " + rows[0])
        == "2026-12-07 16:00 UTC alice@globex code.set line +13125550142 code: set → set"
    )
    assert text("<x " + rows[1]) == (
        "2026-12-07 16:00 UTC alice@globex change policy lobby classes: emergency, local → emergency, local, "
        "long-distance hours.zone: America/Chicago → — hours.weekly.mon: 08:00-18:00 → — hours.weekly.tue: "
        "08:00-18:00 → — hours.weekly.wed: 08:00-18:00 → — hours.weekly.thu: 08:00-18:00 → — "
        "hours.weekly.fri: 08:00-18:00 → —"
    )
    assert (
        text("<x " + rows[2]) == "2026-12-07 16:00 UTC alice@globex code.set line +13125550142 code: — → set"
    )
    assert "4829" not in r.text
    assert "5190" not in r.text


# --- who may see and change what -----------------------------------------------------------------


async def test_another_customer_sees_none_of_globex(rig: Rig) -> None:
    await ready(rig)
    for path, attr in (
        ("/lines", "data-line"),
        ("/policies", "data-policy"),
        ("/groups", "data-group"),
        ("/account-codes", "data-account-code"),
        ("/audit", "data-audit-row"),
    ):
        r = await rig.client.get(path, headers=as_("wendy"))
        assert r.status_code == 200
        assert f"<tr {attr}" not in r.text
        assert [w for w in (BOB, LOBBY, "alice@globex", "1001") if w in r.text] == []
        assert (await rig.client.get(f"{path}?customer=globex", headers=as_("wendy"))).status_code == 404
    before = await config(rig)
    for path, form in (
        ("/lines?customer=globex", {"mode": "new", "number": "+13125550199"}),
        (f"/lines/{BOB}/code?customer=globex", {"code": "5190"}),
        (f"/lines/{BOB}/delete?customer=globex", {}),
        ("/policies/lobby/delete?customer=globex", {}),
    ):
        assert (await post(rig, path, form, user="wendy")).status_code == 404
    assert await config(rig) == before


async def test_a_viewer_gets_no_forms_and_a_403_on_every_change(rig: Rig) -> None:
    await ready(rig)
    for path in (
        "/lines",
        "/policies",
        "/groups",
        "/account-codes",
        f"/lines?edit={BOB.replace('+', '%2B')}",
    ):
        r = await rig.client.get(path, headers=as_("viewer"))
        assert r.status_code == 200
        assert "<form" not in r.text
        assert ">Edit<" not in r.text
    assert keys((await rig.client.get("/lines", headers=as_("viewer"))).text, "data-line") == [BOB, LOBBY]
    before, audits, code = await config(rig), await audit_count(rig), await code_row(rig, BOB)
    for path, form in (
        ("/lines", {"mode": "new", "number": "+13125550199"}),
        (f"/lines/{BOB}/code", {"code": "5190"}),
        (f"/lines/{BOB}/code/delete", {}),
        (f"/lines/{LOBBY}/delete", {}),
        ("/policies", {**POLICY_FORM, "classes": ["local"]}),
        ("/policies/international/delete", {}),
        ("/groups", {"mode": "new", "name": "sales", "policy": "default"}),
        ("/groups/lobby/delete", {}),
        ("/account-codes", {"mode": "new", "code": "3003"}),
        ("/account-codes/1001/delete", {}),
    ):
        r = await post(rig, path, form, user="viewer")
        assert r.status_code == 403, path
        assert r.json()["detail"] == "you may view outbound calling but not change it"
    assert await config(rig) == before
    assert await audit_count(rig) == audits
    after = await code_row(rig, BOB)
    assert after is not None
    assert code is not None
    assert after.hash == code.hash


async def test_provider_staff_name_the_customer_and_every_link_keeps_it(rig: Rig) -> None:
    await ready(rig)
    r = await rig.client.get("/lines", headers=as_("pat"))
    assert r.status_code == 200
    assert '<form class="toolbar" method="get" action="/outbound/lines">' in r.text
    assert '<input class="field__input" id="ob-customer" name="customer" type="text" required>' in r.text
    r = await rig.client.get("/lines?customer=globex", headers=as_("pat"))
    assert keys(r.text, "data-line") == [BOB, LOBBY]
    assert '<p class="muted" data-customer>Customer <strong>globex</strong></p>' in r.text
    assert 'href="/outbound/lines?customer=globex&amp;edit=%2B13125550142#line-form"' in r.text
    assert 'href="/outbound/policies?customer=globex"' in r.text
    assert 'action="/outbound/lines?customer=globex"' in r.text
    r = await post(
        rig,
        "/lines?customer=globex",
        user="pat",
        mode="edit",
        number=LOBBY,
        label="Lobby (east)",
        group="lobby",
    )
    assert r.status_code == 200
    assert "Line +13125550190 saved." in r.text
    assert {line["number"]: line["label"] for line in (await config(rig))["lines"]}[LOBBY] == "Lobby (east)"


# --- the manifest -------------------------------------------------------------------------------


def test_every_page_route_has_a_rule_with_the_right_action_and_the_menu_entry() -> None:
    samples = {"{number}": BOB, "{name}": "lobby"}
    seen = []
    for route in routes():
        path = route.path
        for param, value in samples.items():
            path = path.replace(param, value)
        for method in sorted((route.methods or set()) - {"HEAD"}):
            matching = [r.action for r in MANIFEST.rules_for("customer", method) if r.matches(method, path)]
            seen.append((method, path, matching))
    expected_view = {("GET", p) for p in ("/lines", "/policies", "/groups", "/account-codes", "/audit")}
    assert sorted(seen) == sorted(
        (m, p, ["outbound:view"] if (m, p) in expected_view else ["outbound:edit"]) for m, p, _ in seen
    )
    assert len(seen) == 15
    assert MANIFEST.nav == (
        NavEntry(title="Outbound calling", path="/outbound/lines", action="outbound:view", order=40),
    )
    orders = {e.title: e.order for m in load_manifests().values() for e in m.nav}
    assert orders["Call centers"] < orders["Outbound calling"] < orders["Toll-free admin"]


# --- the directory's user page links here -------------------------------------------------------


@dataclass
class Directory:
    client: httpx.AsyncClient
    ids: dict[str, str]
    verifier: NamedVerifier
    resolve: Any


@pytest.fixture
async def directory(tmp_path: Path) -> AsyncIterator[Directory]:
    from resources.directory import authn
    from resources.directory.app import create_app
    from resources.directory.context import Context, transaction
    from resources.directory.demo import load_demo
    from resources.directory.settings import DirectorySettings
    from resources.kit.db import create_engine, create_sessionmaker
    from resources.kit.events import InProcessBus
    from resources.kit.migrate import upgrade

    settings = DirectorySettings(
        name="directory", data_dir=tmp_path, database_url=f"sqlite+aiosqlite:///{tmp_path / 'directory.db'}",
        db_schema=None, jwks_path=tmp_path / "jwks.json", bus=InProcessBus(), argon2_time_cost=1,
        argon2_memory_kib=1024, argon2_parallelism=1,
    )  # fmt: skip
    tree = Path(__file__).resolve().parents[3] / "resources" / "directory" / "migrations"
    await upgrade(migrations_dir=tree, url=settings.database_url, schema=None)
    engine = create_engine(url=settings.database_url, schema=None)
    ctx = Context.build(settings=settings, maker=create_sessionmaker(engine))
    actions = tuple(a for m in load_manifests().values() for a in m.actions)
    ids = await load_demo(maker=ctx.maker, hasher=ctx.hasher, actions=actions)

    async def resolve(username: str) -> Any:
        async with transaction(ctx, write=False) as tx:
            principal = await authn.resolve_principal(tx=tx, user_id=ids[username])
        assert principal is not None
        return caller_for(principal, "directory")

    verifier = NamedVerifier({u: await resolve(u) for u in ("admin", "alice@globex", "bob@globex")})
    app = create_app(settings, verifier=verifier, context=ctx)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app), base_url="http://directory"
        ) as client:
            yield Directory(client=client, ids=ids, verifier=verifier, resolve=resolve)
    finally:
        await engine.dispose()


LINK = re.compile(r'<a href="([^"]*)" data-outbound-link>Set what this user may dial</a>')


async def test_the_directory_user_page_links_to_a_new_line_for_that_user(directory: Directory) -> None:
    bob, alice = directory.ids["bob@globex"], directory.ids["alice@globex"]
    r = await directory.client.get(f"/users/{bob}", headers={"X-Switchboard-Assertion": "alice@globex"})
    assert r.status_code == 200
    assert LINK.findall(r.text) == [f"/outbound/lines?user_id={bob}&amp;label=Bob+User"]
    r = await directory.client.get(f"/users/{bob}", headers={"X-Switchboard-Assertion": "admin"})
    assert LINK.findall(r.text) == [f"/outbound/lines?customer=globex&amp;user_id={bob}&amp;label=Bob+User"]

    # bob may now see the directory's users, but not outbound calling: no link for him
    grant = {"roles": ["customer-user"], "entitlements": [{"action": "directory:view-users", "scope": None}]}
    r = await directory.client.put(
        f"/api/users/{bob}/entitlements", json=grant, headers={"X-Switchboard-Assertion": "alice@globex"}
    )
    assert r.status_code == 200, r.text
    directory.verifier.callers["bob@globex"] = await directory.resolve("bob@globex")
    r = await directory.client.get(f"/users/{alice}", headers={"X-Switchboard-Assertion": "bob@globex"})
    assert r.status_code == 200
    assert "Alice Admin" in r.text
    assert LINK.findall(r.text) == []
    assert "Outbound calling" not in r.text

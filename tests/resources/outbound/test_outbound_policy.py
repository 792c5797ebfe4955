"""Outbound policies: parsing with exact field paths, and decide()'s rules in their order."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from resources.kit.hours import parse_hours
from resources.outbound.classes import CallingClass, Classified
from resources.outbound.policy import Caps, Policy, PolicyError, Usage, Verdict, decide, parse_policy

E = CallingClass
OFFICE_HOURS = {"zone": "America/Chicago", "weekly": {d: ["08:00-18:00"] for d in ("mon", "tue", "wed")}}
NOON = datetime(2026, 3, 2, 18, 0, tzinfo=UTC)  # Monday 12:00 in Chicago
EVENING = datetime(2026, 3, 3, 3, 0, tzinfo=UTC)  # Monday 21:00 in Chicago

EMERGENCY = Classified(E.EMERGENCY, None, None, "911")
LOCAL = Classified(E.LOCAL, "+13125550100", "US", "3125550100")
TO_CANADA = Classified(E.LONG_DISTANCE, "+14165550100", "CA", "14165550100")
TO_LONDON = Classified(E.INTERNATIONAL, "+442079460000", "GB", "011442079460000")
TO_HAVANA = Classified(E.INTERNATIONAL, "+5378123456", "CU", "0115378123456")
TO_SANTO_DOMINGO = Classified(E.INTERNATIONAL, "+18095551234", "DO", "18095551234")
ALL_CLASSES = frozenset(CallingClass)
NOTHING = Policy(classes=frozenset())
NO_USAGE = Usage()


def allow(call: Classified) -> Verdict:
    return Verdict("allow", "Allowed", None, call.call_class)


def deny(call: Classified, reason: str) -> Verdict:
    return Verdict("deny", reason, None, call.call_class)


EXAMPLE = {
    "classes": ["local", "long-distance", "toll-free"],
    "countries": {"allow": ["GB", "CA"], "deny": ["CU"]},
    "hours": OFFICE_HOURS,
    "caps": {
        "minutes_per_day": 600,
        "minutes_per_month": None,
        "spend_per_day": None,
        "spend_per_month": 50000,
    },
    "account_code": "optional",
}


def test_parse_policy_and_back() -> None:
    policy = parse_policy(EXAMPLE)
    assert policy == Policy(
        classes=frozenset({E.EMERGENCY, E.LOCAL, E.LONG_DISTANCE, E.TOLL_FREE}),
        allow_countries=frozenset({"GB", "CA"}),
        deny_countries=frozenset({"CU"}),
        hours=parse_hours(OFFICE_HOURS),
        caps=Caps(minutes_per_day=600, spend_per_month=50000),
        account_code="optional",
    )
    assert policy.as_json() == {
        "classes": ["emergency", "toll-free", "local", "long-distance"],
        "countries": {"allow": ["CA", "GB"], "deny": ["CU"]},
        "hours": parse_hours(OFFICE_HOURS).as_json(),
        "caps": {
            "minutes_per_day": 600,
            "minutes_per_month": None,
            "spend_per_day": None,
            "spend_per_month": 50000,
        },
        "account_code": "optional",
    }
    assert parse_policy(policy.as_json()) == policy


@pytest.mark.parametrize("classes", [[], ["emergency"]])
def test_emergency_is_always_in_the_classes_listed_or_not(classes: list[str]) -> None:
    assert parse_policy({"classes": classes}) == Policy(classes=frozenset({E.EMERGENCY}))


def test_non_geographic_numbers_have_a_country_code_for_the_lists() -> None:
    policy = parse_policy({"classes": ["international"], "countries": {"deny": ["001"]}})
    assert policy.deny_countries == frozenset({"001"})


CLASS_NAMES = (
    "emergency, operator, directory, service, toll-free, premium, local, long-distance, international"
)
COUNTRY_HINT = (
    "is not a country code (ISO 3166 alpha-2 in capitals, such as GB; 001 for non-geographic numbers)"
)
CAP_FIELDS = "minutes_per_day, minutes_per_month, spend_per_day, spend_per_month"
MINUTES = "must be a whole number of minutes from 0 to 10,000,000, or null"
SPEND = "must be a whole number of minor units from 0 to 100,000,000,000, or null"


@pytest.mark.parametrize(
    ("raw", "field", "message"),
    [
        ([], "policy", "must be an object with classes, countries, hours, caps, account_code"),
        ({"classes": [], "limits": {}}, "policy", "unknown field 'limits'"),
        ({}, "classes", "must list the calling classes this line may dial (may be empty)"),
        ({"classes": "local"}, "classes", "must list the calling classes this line may dial (may be empty)"),
        (
            {"classes": ["local", "long-distance", "intl"]},
            "classes[2]",
            f"'intl' is not a calling class (use {CLASS_NAMES})",
        ),
        ({"classes": [3]}, "classes[0]", f"3 is not a calling class (use {CLASS_NAMES})"),
        ({"classes": ["local", "local"]}, "classes[1]", "'local' is listed twice"),
        ({"classes": [], "countries": None}, "countries", "must be an object with allow and deny lists"),
        ({"classes": [], "countries": {"block": []}}, "countries", "unknown field 'block'"),
        (
            {"classes": [], "countries": {"deny": "CU"}},
            "countries.deny",
            "must be a list of country codes such as GB",
        ),
        ({"classes": [], "countries": {"deny": ["cu"]}}, "countries.deny[0]", f"'cu' {COUNTRY_HINT}"),
        ({"classes": [], "countries": {"allow": ["GB", "XX"]}}, "countries.allow[1]", f"'XX' {COUNTRY_HINT}"),
        ({"classes": [], "countries": {"allow": [44]}}, "countries.allow[0]", f"44 {COUNTRY_HINT}"),
        ({"classes": [], "countries": {"deny": ["CU", "CU"]}}, "countries.deny[1]", "'CU' is listed twice"),
        (
            {"classes": [], "hours": {"zone": "Mars/Olympus", "weekly": {}}},
            "hours.zone",
            "'Mars/Olympus' is not a known IANA time zone",
        ),
        (
            {"classes": [], "hours": {"zone": "UTC", "weekly": {"mon": ["9-5"]}}},
            "hours.weekly.mon[0]",
            '\'9-5\' is not "HH:MM-HH:MM" (24-hour clock, e.g. "08:00-17:30")',
        ),
        ({"classes": [], "caps": None}, "caps", f"must be an object with {CAP_FIELDS}"),
        ({"classes": [], "caps": {"minutes": 5}}, "caps", "unknown field 'minutes'"),
        ({"classes": [], "caps": {"minutes_per_day": -1}}, "caps.minutes_per_day", MINUTES),
        ({"classes": [], "caps": {"minutes_per_month": True}}, "caps.minutes_per_month", MINUTES),
        ({"classes": [], "caps": {"minutes_per_month": 10_000_001}}, "caps.minutes_per_month", MINUTES),
        ({"classes": [], "caps": {"spend_per_day": 1.5}}, "caps.spend_per_day", SPEND),
        ({"classes": [], "caps": {"spend_per_month": "500"}}, "caps.spend_per_month", SPEND),
        ({"classes": [], "account_code": "always"}, "account_code", "must be one of none, optional, forced"),
        ({"classes": [], "account_code": None}, "account_code", "must be one of none, optional, forced"),
    ],
)
def test_bad_policies_name_the_field(raw: Any, field: str, message: str) -> None:
    with pytest.raises(PolicyError) as caught:
        parse_policy(raw)
    assert (caught.value.field, caught.value.message) == (field, message)


def test_fields_are_checked_in_the_order_of_the_document() -> None:
    with pytest.raises(PolicyError) as caught:
        parse_policy({"classes": ["intl"], "countries": {"deny": ["cu"]}, "account_code": "x"})
    assert caught.value.field == "classes[0]"


def test_caps_at_the_bounds_parse() -> None:
    caps = {
        "minutes_per_day": 0,
        "minutes_per_month": 10_000_000,
        "spend_per_day": 0,
        "spend_per_month": 10**11,
    }
    assert parse_policy({"classes": [], "caps": caps}).caps == Caps(0, 10_000_000, 0, 10**11)


EVERYTHING_REACHED = Usage(minutes_today=10, minutes_month=10, spend_today=10, spend_month=10)
ZERO_CAPS = Caps(minutes_per_day=0, minutes_per_month=0, spend_per_day=0, spend_per_month=0)


@pytest.mark.parametrize(
    ("policy", "usage", "at"),
    [
        (NOTHING, NO_USAGE, NOON),
        (Policy(classes=frozenset({E.LOCAL}), caps=ZERO_CAPS), EVERYTHING_REACHED, NOON),
        (Policy(classes=ALL_CLASSES, hours=parse_hours(OFFICE_HOURS)), NO_USAGE, EVENING),
        (Policy(classes=frozenset(), account_code="forced"), NO_USAGE, NOON),
    ],
)
def test_emergency_is_always_allowed(policy: Policy, usage: Usage, at: datetime) -> None:
    expected = Verdict("allow", "Emergency calls are always allowed", None, E.EMERGENCY)
    assert decide(policy=policy, call=EMERGENCY, usage=usage, at=at) == expected
    assert decide(policy=policy, call=EMERGENCY, usage=usage, at=at, elevated=policy) == expected


@pytest.mark.parametrize(
    ("call_class", "reason"),
    [
        (E.OPERATOR, "Operator calls are not allowed"),
        (E.DIRECTORY, "Directory assistance calls are not allowed"),
        (E.SERVICE, "Service code calls are not allowed"),
        (E.TOLL_FREE, "Toll-free calls are not allowed"),
        (E.PREMIUM, "Premium-rate calls are not allowed"),
        (E.LOCAL, "Local calls are not allowed"),
        (E.LONG_DISTANCE, "Long-distance calls are not allowed"),
        (E.INTERNATIONAL, "International calls are not allowed"),
    ],
)
def test_each_class_must_be_listed(call_class: CallingClass, reason: str) -> None:
    call = Classified(call_class, None, None, "x")
    assert decide(policy=NOTHING, call=call, usage=NO_USAGE, at=NOON) == deny(call, reason)
    listed = Policy(classes=frozenset({call_class}))
    assert decide(policy=listed, call=call, usage=NO_USAGE, at=NOON) == allow(call)


LD_AND_INTERNATIONAL = frozenset({E.LONG_DISTANCE, E.INTERNATIONAL})


@pytest.mark.parametrize(
    ("allow_countries", "deny_countries", "call", "expected"),
    [
        ((), ("CU",), TO_HAVANA, deny(TO_HAVANA, "Calls to CU are not allowed")),
        ((), ("CU",), TO_LONDON, allow(TO_LONDON)),
        (("CU", "GB"), ("CU",), TO_HAVANA, deny(TO_HAVANA, "Calls to CU are not allowed")),  # deny wins
        (("GB",), (), TO_LONDON, allow(TO_LONDON)),
        (("GB",), (), TO_SANTO_DOMINGO, deny(TO_SANTO_DOMINGO, "Calls to DO are not allowed")),
        (("GB",), (), TO_CANADA, allow(TO_CANADA)),  # the allow list restricts international only
        ((), ("CA",), TO_CANADA, deny(TO_CANADA, "Calls to CA are not allowed")),  # the deny list, any class
    ],
)
def test_country_lists(
    allow_countries: tuple[str, ...], deny_countries: tuple[str, ...], call: Classified, expected: Verdict
) -> None:
    policy = Policy(
        classes=LD_AND_INTERNATIONAL,
        allow_countries=frozenset(allow_countries),
        deny_countries=frozenset(deny_countries),
    )
    assert decide(policy=policy, call=call, usage=NO_USAGE, at=NOON) == expected


def test_hours() -> None:
    policy = Policy(classes=frozenset({E.LOCAL}), hours=parse_hours(OFFICE_HOURS))
    assert decide(policy=policy, call=LOCAL, usage=NO_USAGE, at=NOON) == allow(LOCAL)
    assert decide(policy=policy, call=LOCAL, usage=NO_USAGE, at=EVENING) == deny(
        LOCAL, "Outside the hours this line may dial"
    )


@pytest.mark.parametrize(
    ("caps", "usage", "expected"),
    [
        (Caps(minutes_per_day=600), Usage(minutes_today=599), allow(LOCAL)),
        (Caps(minutes_per_day=600), Usage(minutes_today=600), deny(LOCAL, "Daily minute limit reached")),
        (Caps(minutes_per_month=9000), Usage(minutes_month=8999), allow(LOCAL)),
        (
            Caps(minutes_per_month=9000),
            Usage(minutes_month=9000),
            deny(LOCAL, "Monthly minute limit reached"),
        ),
        (Caps(spend_per_day=2500), Usage(spend_today=2499), allow(LOCAL)),
        (Caps(spend_per_day=2500), Usage(spend_today=2501), deny(LOCAL, "Daily spend limit reached")),
        (Caps(spend_per_month=50000), Usage(spend_month=49999), allow(LOCAL)),
        (Caps(spend_per_month=50000), Usage(spend_month=50000), deny(LOCAL, "Monthly spend limit reached")),
        (Caps(minutes_per_day=0), NO_USAGE, deny(LOCAL, "Daily minute limit reached")),
        (ZERO_CAPS, EVERYTHING_REACHED, deny(LOCAL, "Daily minute limit reached")),  # first cap in the table
        (
            Caps(minutes_per_day=600, spend_per_month=50000),
            Usage(minutes_today=10, spend_month=50000),
            deny(LOCAL, "Monthly spend limit reached"),
        ),
    ],
)
def test_caps(caps: Caps, usage: Usage, expected: Verdict) -> None:
    policy = Policy(classes=frozenset({E.LOCAL}), caps=caps)
    assert decide(policy=policy, call=LOCAL, usage=usage, at=NOON) == expected


def test_rules_apply_in_order_class_country_hours_caps() -> None:
    strict = Policy(
        classes=frozenset({E.LOCAL}),
        deny_countries=frozenset({"CU"}),
        hours=parse_hours(OFFICE_HOURS),
        caps=ZERO_CAPS,
    )
    verdict = decide(policy=strict, call=TO_HAVANA, usage=EVERYTHING_REACHED, at=EVENING)
    assert verdict == deny(TO_HAVANA, "International calls are not allowed")
    country = replace(strict, classes=frozenset({E.INTERNATIONAL}))
    verdict = decide(policy=country, call=TO_HAVANA, usage=EVERYTHING_REACHED, at=EVENING)
    assert verdict == deny(TO_HAVANA, "Calls to CU are not allowed")
    assert decide(policy=strict, call=LOCAL, usage=EVERYTHING_REACHED, at=EVENING) == deny(
        LOCAL, "Outside the hours this line may dial"
    )
    assert decide(policy=strict, call=LOCAL, usage=EVERYTHING_REACHED, at=NOON) == deny(
        LOCAL, "Daily minute limit reached"
    )


DOMESTIC = Policy(classes=frozenset({E.LOCAL, E.LONG_DISTANCE}), deny_countries=frozenset({"CU"}))
WORLD = Policy(classes=frozenset({E.LOCAL, E.LONG_DISTANCE, E.INTERNATIONAL}))
AUTHORIZATION = Verdict("collect-code", "Authorization code required", "authorization", E.INTERNATIONAL)


@pytest.mark.parametrize(
    ("policy", "call", "usage", "at", "elevated", "expected"),
    [
        # denied by class or country, and the code's policy allows it: ask for the code
        (DOMESTIC, TO_LONDON, NO_USAGE, NOON, WORLD, AUTHORIZATION),
        (DOMESTIC, TO_HAVANA, NO_USAGE, NOON, WORLD, AUTHORIZATION),
        (
            Policy(classes=LD_AND_INTERNATIONAL, deny_countries=frozenset({"CU"})),
            TO_HAVANA,
            NO_USAGE,
            NOON,
            WORLD,
            AUTHORIZATION,
        ),
        # the account code a forced policy wants comes after the authorization code
        (DOMESTIC, TO_LONDON, NO_USAGE, NOON, replace(WORLD, account_code="forced"), AUTHORIZATION),
        # the code's policy would deny it too: no point asking
        (
            DOMESTIC,
            TO_HAVANA,
            NO_USAGE,
            NOON,
            replace(WORLD, deny_countries=frozenset({"CU"})),
            deny(TO_HAVANA, "International calls are not allowed"),
        ),
        (
            DOMESTIC,
            TO_LONDON,
            NO_USAGE,
            EVENING,
            replace(WORLD, hours=parse_hours(OFFICE_HOURS)),
            deny(TO_LONDON, "International calls are not allowed"),
        ),
        (
            DOMESTIC,
            TO_LONDON,
            Usage(minutes_today=5),
            NOON,
            replace(WORLD, caps=Caps(minutes_per_day=5)),
            deny(TO_LONDON, "International calls are not allowed"),
        ),
        # hours and caps are never lifted by a code
        (
            Policy(classes=frozenset({E.LOCAL}), hours=parse_hours(OFFICE_HOURS)),
            LOCAL,
            NO_USAGE,
            EVENING,
            WORLD,
            deny(LOCAL, "Outside the hours this line may dial"),
        ),
        (
            Policy(classes=frozenset({E.LOCAL}), caps=Caps(spend_per_day=100)),
            LOCAL,
            Usage(spend_today=100),
            NOON,
            WORLD,
            deny(LOCAL, "Daily spend limit reached"),
        ),
        # without an elevated policy there is nothing to ask for
        (DOMESTIC, TO_LONDON, NO_USAGE, NOON, None, deny(TO_LONDON, "International calls are not allowed")),
        # once the code is verified the caller decides with the elevated policy
        (WORLD, TO_LONDON, NO_USAGE, NOON, None, allow(TO_LONDON)),
    ],
)
def test_authorization_codes(
    policy: Policy, call: Classified, usage: Usage, at: datetime, elevated: Policy | None, expected: Verdict
) -> None:
    assert decide(policy=policy, call=call, usage=usage, at=at, elevated=elevated) == expected


ACCOUNT = Verdict("collect-code", "Account code required", "account", E.LOCAL)


@pytest.mark.parametrize(
    ("account_code", "given", "call", "expected"),
    [
        ("forced", False, LOCAL, ACCOUNT),
        ("forced", True, LOCAL, allow(LOCAL)),
        ("optional", False, LOCAL, allow(LOCAL)),
        ("none", False, LOCAL, allow(LOCAL)),
        ("forced", False, TO_LONDON, deny(TO_LONDON, "International calls are not allowed")),  # deny first
    ],
)
def test_account_codes(account_code: Any, given: bool, call: Classified, expected: Verdict) -> None:
    policy = Policy(classes=frozenset({E.LOCAL}), account_code=account_code)
    assert decide(policy=policy, call=call, usage=NO_USAGE, at=NOON, account_code_given=given) == expected


def test_forced_account_code_after_the_authorization_code() -> None:
    forced_world = Policy(classes=LD_AND_INTERNATIONAL, account_code="forced")
    assert decide(policy=forced_world, call=TO_LONDON, usage=NO_USAGE, at=NOON) == Verdict(
        "collect-code", "Account code required", "account", E.INTERNATIONAL
    )
    verdict = decide(policy=forced_world, call=TO_LONDON, usage=NO_USAGE, at=NOON, account_code_given=True)
    assert verdict == allow(TO_LONDON)


def test_a_naive_instant_is_refused() -> None:
    with pytest.raises(ValueError, match="naive datetime given"):
        decide(policy=WORLD, call=LOCAL, usage=NO_USAGE, at=datetime(2026, 3, 2, 12, 0))

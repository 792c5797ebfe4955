"""Outbound policies: what one user's line may dial, and the decision for one call.

A policy lists the calling classes the line may dial (`classes.CallingClass`), countries it
may and may not call, the hours it may dial in (`resources.kit.hours`, the same rules as a
call-center site's hours: IANA zone, overnight intervals, closures), caps on minutes and spend
per day and per month, and whether the user must key an account code (a billing label such as
a client or matter number, recorded on the call's CDR) before the call goes out.

`decide` answers the switch for one call, default deny, with the reason as a SIP reason phrase:

1. Emergency calls are always allowed: whatever the classes, countries, hours and caps say and
   without any code (Kari's Law and RAY BAUM'S Act: a multi-line system must let every user
   dial 911 directly, with no prefix and no code). A policy cannot take emergency away; listing
   it in `classes` or leaving it out changes nothing.
2. The rules in `RULES`, in order: the call's class must be listed; its country must not be on
   the deny list (any class: deny wins, even over the allow list and over domestic calls); an
   international call's country must be on the allow list when that list is not empty; the
   line must be inside its hours; no cap may be reached (usage ≥ cap, counted in whole minutes
   and integer minor units, so a cap of 0 leaves emergency calls only). Caps are checked when a
   call starts; a call that runs past a cap is not cut off here.
3. A call denied by its class or its country may be lifted by an authorization code: when the
   caller passes `elevated`, the policy that a code would grant, and that policy would let the
   call through, the answer is "collect-code" (authorization) instead of "deny". The switch
   prompts for the code; once the code is verified the caller decides again with
   `policy=elevated` (and no `elevated`). Hours and caps are never lifted by a code.
4. An allowed call on a line whose account code is "forced" is "collect-code" (account) until
   the user has keyed one (`account_code_given`); "optional" lets the call through and records
   a code if one was keyed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import phonenumbers

from resources.kit.errors import FieldError
from resources.kit.hours import Hours, HoursError, parse_hours
from resources.outbound.classes import CallingClass, Classified

AccountCode = Literal["none", "optional", "forced"]
ACCOUNT_CODES: tuple[AccountCode, ...] = ("none", "optional", "forced")
Outcome = Literal["allow", "deny", "collect-code"]
CodeKind = Literal["authorization", "account"]
NON_GEOGRAPHIC = "001"  # phonenumbers' region for +800 freephone, +881 satellite, …
MAX_MINUTES = 10_000_000
MAX_SPEND = 100_000_000_000  # minor units
FIELDS = ("classes", "countries", "hours", "caps", "account_code")
CAP_FIELDS = ("minutes_per_day", "minutes_per_month", "spend_per_day", "spend_per_month")

ALLOWED = "Allowed"
EMERGENCY_ALLOWED = "Emergency calls are always allowed"
AUTHORIZATION_REQUIRED = "Authorization code required"
ACCOUNT_REQUIRED = "Account code required"
OUTSIDE_HOURS = "Outside the hours this line may dial"
CLASS_DENIED: Mapping[CallingClass, str] = {
    CallingClass.OPERATOR: "Operator calls are not allowed",
    CallingClass.DIRECTORY: "Directory assistance calls are not allowed",
    CallingClass.SERVICE: "Service code calls are not allowed",
    CallingClass.TOLL_FREE: "Toll-free calls are not allowed",
    CallingClass.PREMIUM: "Premium-rate calls are not allowed",
    CallingClass.LOCAL: "Local calls are not allowed",
    CallingClass.LONG_DISTANCE: "Long-distance calls are not allowed",
    CallingClass.INTERNATIONAL: "International calls are not allowed",
}


class PolicyError(FieldError):
    """A policy that cannot be used; `field` names the part of the input (`countries.deny[0]`)."""


@dataclass(frozen=True)
class Caps:
    """Limits per user; None is no cap. Spend in integer minor units (cents)."""

    minutes_per_day: int | None = None
    minutes_per_month: int | None = None
    spend_per_day: int | None = None
    spend_per_month: int | None = None


@dataclass(frozen=True)
class Usage:
    """What the user has used so far today and this month (whole minutes, minor units)."""

    minutes_today: int = 0
    minutes_month: int = 0
    spend_today: int = 0
    spend_month: int = 0


@dataclass(frozen=True)
class Policy:
    classes: frozenset[CallingClass]
    allow_countries: frozenset[str] = frozenset()  # empty: any country (deny list aside)
    deny_countries: frozenset[str] = frozenset()
    hours: Hours | None = None  # None: any time
    caps: Caps = field(default_factory=Caps)
    account_code: AccountCode = "none"

    def as_json(self) -> dict[str, Any]:
        return {
            "classes": [c.value for c in CallingClass if c in self.classes],
            "countries": {"allow": sorted(self.allow_countries), "deny": sorted(self.deny_countries)},
            "hours": self.hours.as_json() if self.hours else None,
            "caps": {name: getattr(self.caps, name) for name in CAP_FIELDS},
            "account_code": self.account_code,
        }


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome
    reason: str  # a SIP reason phrase
    code_kind: CodeKind | None  # which code to collect when outcome is "collect-code"
    call_class: CallingClass


Check = Callable[[Policy, Classified, Usage, datetime], str | None]  # the reason it fails, or None


@dataclass(frozen=True)
class Rule:
    name: str
    liftable: bool  # an authorization code may lift a denial by this rule
    check: Check


def _class_rule(policy: Policy, call: Classified, usage: Usage, at: datetime) -> str | None:
    return None if call.call_class in policy.classes else CLASS_DENIED[call.call_class]


def _country_rule(policy: Policy, call: Classified, usage: Usage, at: datetime) -> str | None:
    country = call.country
    if country is None:
        return None
    if country in policy.deny_countries:
        return f"Calls to {country} are not allowed"
    international = call.call_class is CallingClass.INTERNATIONAL
    if international and policy.allow_countries and country not in policy.allow_countries:
        return f"Calls to {country} are not allowed"
    return None


def _hours_rule(policy: Policy, call: Classified, usage: Usage, at: datetime) -> str | None:
    return None if policy.hours is None or policy.hours.is_open(at) else OUTSIDE_HOURS


CAPS: tuple[tuple[Callable[[Caps], int | None], Callable[[Usage], int], str], ...] = (
    (lambda c: c.minutes_per_day, lambda u: u.minutes_today, "Daily minute limit reached"),
    (lambda c: c.minutes_per_month, lambda u: u.minutes_month, "Monthly minute limit reached"),
    (lambda c: c.spend_per_day, lambda u: u.spend_today, "Daily spend limit reached"),
    (lambda c: c.spend_per_month, lambda u: u.spend_month, "Monthly spend limit reached"),
)


def _caps_rule(policy: Policy, call: Classified, usage: Usage, at: datetime) -> str | None:
    for cap_of, used, reason in CAPS:
        cap = cap_of(policy.caps)
        if cap is not None and used(usage) >= cap:
            return reason
    return None


RULES: tuple[Rule, ...] = (
    Rule("class", liftable=True, check=_class_rule),
    Rule("country", liftable=True, check=_country_rule),
    Rule("hours", liftable=False, check=_hours_rule),
    Rule("caps", liftable=False, check=_caps_rule),
)


def decide(
    *,
    policy: Policy,
    call: Classified,
    usage: Usage,
    at: datetime,
    elevated: Policy | None = None,
    account_code_given: bool = False,
) -> Verdict:
    """The switch's answer for `call` on a line under `policy` at `at` (an aware instant)."""
    if at.tzinfo is None:
        raise ValueError("naive datetime given; use an aware (UTC) instant")
    kind = call.call_class
    if kind is CallingClass.EMERGENCY:
        return Verdict("allow", EMERGENCY_ALLOWED, None, kind)
    for rule in RULES:
        reason = rule.check(policy, call, usage, at)
        if reason is None:
            continue
        if rule.liftable and elevated is not None:
            # would the code's policy let it through? (an account code may still follow)
            lifted = decide(policy=elevated, call=call, usage=usage, at=at, account_code_given=True)
            if lifted.outcome == "allow":
                return Verdict("collect-code", AUTHORIZATION_REQUIRED, "authorization", kind)
        return Verdict("deny", reason, None, kind)
    if policy.account_code == "forced" and not account_code_given:
        return Verdict("collect-code", ACCOUNT_REQUIRED, "account", kind)
    return Verdict("allow", ALLOWED, None, kind)


def parse_policy(raw: Mapping[str, Any]) -> Policy:
    """`{"classes": ["local", "long-distance"], "countries": {"allow": [], "deny": ["CU"]},
    "hours": {…kit hours…} or null, "caps": {"minutes_per_day": 600, …}, "account_code": "optional"}`.
    `classes` is required (an empty list leaves emergency calls only); the rest may be left out:
    no country lists, any time, no caps, no account code."""
    if not isinstance(raw, Mapping):
        raise PolicyError("policy", f"must be an object with {', '.join(FIELDS)}")
    unknown = sorted(set(raw) - set(FIELDS))
    if unknown:
        raise PolicyError("policy", f"unknown field {unknown[0]!r}")
    classes = _classes(raw.get("classes"))
    allow, deny = _countries(raw.get("countries", {}))
    try:
        hours = None if raw.get("hours") is None else parse_hours(raw["hours"])
    except HoursError as exc:
        raise PolicyError(exc.field, exc.message) from None
    account_code = raw.get("account_code", "none")
    if account_code not in ACCOUNT_CODES:
        raise PolicyError("account_code", f"must be one of {', '.join(ACCOUNT_CODES)}")
    return Policy(
        classes=classes,
        allow_countries=allow,
        deny_countries=deny,
        hours=hours,
        caps=_caps(raw.get("caps", {})),
        account_code=account_code,
    )


def _classes(raw: Any) -> frozenset[CallingClass]:
    """The listed classes, plus emergency (always allowed, listed or not)."""
    if not isinstance(raw, Sequence) or isinstance(raw, str):
        raise PolicyError("classes", "must list the calling classes this line may dial (may be empty)")
    out: list[CallingClass] = []
    for n, value in enumerate(raw):
        try:
            kind = CallingClass(value) if isinstance(value, str) else None
        except ValueError:
            kind = None
        if kind is None:
            names = ", ".join(c.value for c in CallingClass)
            raise PolicyError(f"classes[{n}]", f"{value!r} is not a calling class (use {names})")
        if kind in out:
            raise PolicyError(f"classes[{n}]", f"{value!r} is listed twice")
        out.append(kind)
    return frozenset([*out, CallingClass.EMERGENCY])


def _countries(raw: Any) -> tuple[frozenset[str], frozenset[str]]:
    if not isinstance(raw, Mapping):
        raise PolicyError("countries", "must be an object with allow and deny lists")
    unknown = sorted(set(raw) - {"allow", "deny"})
    if unknown:
        raise PolicyError("countries", f"unknown field {unknown[0]!r}")
    allow = _country_list("countries.allow", raw.get("allow", []))
    return allow, _country_list("countries.deny", raw.get("deny", []))


def _country_list(where: str, raw: Any) -> frozenset[str]:
    if not isinstance(raw, Sequence) or isinstance(raw, str):
        raise PolicyError(where, "must be a list of country codes such as GB")
    out: list[str] = []
    for n, code in enumerate(raw):
        known = isinstance(code, str) and (code in phonenumbers.SUPPORTED_REGIONS or code == NON_GEOGRAPHIC)
        if not known:
            raise PolicyError(
                f"{where}[{n}]",
                f"{code!r} is not a country code (ISO 3166 alpha-2 in capitals, such as GB; "
                "001 for non-geographic numbers)",
            )
        if code in out:
            raise PolicyError(f"{where}[{n}]", f"{code!r} is listed twice")
        out.append(code)
    return frozenset(out)


def _caps(raw: Any) -> Caps:
    if not isinstance(raw, Mapping):
        raise PolicyError("caps", f"must be an object with {', '.join(CAP_FIELDS)}")
    unknown = sorted(set(raw) - set(CAP_FIELDS))
    if unknown:
        raise PolicyError("caps", f"unknown field {unknown[0]!r}")
    values: dict[str, int | None] = {}
    for name in CAP_FIELDS:
        value = raw.get(name)
        top, unit = (MAX_MINUTES, "minutes") if name.startswith("minutes") else (MAX_SPEND, "minor units")
        bad = isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= top
        if value is not None and bad:
            raise PolicyError(f"caps.{name}", f"must be a whole number of {unit} from 0 to {top:,}, or null")
        values[name] = value
    return Caps(**values)

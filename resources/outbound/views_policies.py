"""The policies page (`/policies`): every policy of the customer in a table, and the policy form
(new, or `?edit=<name>`): calling classes as checkboxes (emergency is always allowed and shown so),
countries allowed and denied as comma-separated ISO codes, hours (a zone and one field per
weekday such as `08:00-12:00, 13:00-17:00`, blank = closed; "any time" = no hours), the four caps
(blank = none) and the account code. A policy's closures are kept as they are (the API sets them).

The form becomes the API's document and goes through `service.put`; a refusal shows the form
again as typed with each message next to its input (`classes[0]`, `countries.deny[1]`,
`hours.weekly.mon[0]`, `caps.minutes_per_day`); deleting a policy still in use (409) says who
uses it at the top of the form.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from resources.kit.errors import FieldError, ProblemError
from resources.kit.hours import WEEKDAYS, Hours
from resources.outbound import service
from resources.outbound.classes import CallingClass
from resources.outbound.context import transaction
from resources.outbound.models import POLICY
from resources.outbound.policy import ACCOUNT_CODES, CAP_FIELDS, Policy
from resources.outbound.views_common import (
    FORM,
    Who,
    ctx_of,
    errors_of,
    page,
    render,
    require_edit,
    split_list,
    text_fields,
    whole_number,
)

TITLE = "Outbound calling policies"
CLASSES = tuple(c.value for c in CallingClass if c is not CallingClass.EMERGENCY)
DAY_NAMES = dict(zip(WEEKDAYS, ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday",
                                "Sunday"), strict=True))  # fmt: skip
DAY_FIELDS = tuple(f"hours.weekly.{d}" for d in WEEKDAYS)
CAP_INPUTS = tuple(f"caps.{c}" for c in CAP_FIELDS)
CAP_LABELS = {
    "minutes_per_day": "Minutes a day",
    "minutes_per_month": "Minutes a month",
    "spend_per_day": "Spend a day (minor units, e.g. cents)",
    "spend_per_month": "Spend a month (minor units, e.g. cents)",
}
ACCOUNT_CODE_TEXT = {
    "none": "Not asked for",
    "optional": "Optional: recorded when keyed",
    "forced": "Forced: every call needs one",
}
INPUTS = ("name", "classes", "countries.allow", "countries.deny", "hours.zone", *DAY_FIELDS, *CAP_INPUTS,
          "account_code")  # fmt: skip


@dataclass(frozen=True)
class PolicyRow:
    name: str
    policy: Policy
    classes: str
    hours: str
    caps: str
    used_by: int  # groups and lines that name it


def hours_text(hours: Hours | None) -> str:
    """`any time`, or `America/Chicago: Mon-Fri 08:00-18:00; Sat-Sun closed` (a run of equal days
    as one, with an en dash)."""
    if hours is None:
        return "any time"
    runs: list[tuple[int, int, str]] = []  # first day, last day, intervals
    for n, day in enumerate(hours.weekly):
        text = ", ".join(str(i) for i in day) or "closed"
        if runs and runs[-1][2] == text:
            runs[-1] = (runs[-1][0], n, text)
        else:
            runs.append((n, n, text))
    short = [WEEKDAYS[n].capitalize() for n in range(7)]
    parts = [(short[a] if a == b else f"{short[a]}\N{EN DASH}{short[b]}") + f" {text}" for a, b, text in runs]
    closures = f" (+{len(hours.closures)} closures)" if hours.closures else ""
    return f"{hours.zone}: {'; '.join(parts)}{closures}"


def caps_text(policy: Policy) -> str:
    words = {"minutes_per_day": "{} min a day", "minutes_per_month": "{} min a month",
             "spend_per_day": "spend {} a day", "spend_per_month": "spend {} a month"}  # fmt: skip
    parts = [words[c].format(v) for c in CAP_FIELDS if (v := getattr(policy.caps, c)) is not None]
    return "; ".join(parts) or "none"


def rows_of(config: service.Config) -> list[PolicyRow]:
    out = []
    for name in sorted(config.policies):
        p = config.policies[name]
        users = sum(1 for g in config.groups.values() if g.policy == name)
        users += sum(1 for line in config.lines.values() if name in (line.policy, line.elevated))
        classes = ", ".join(
            c.value for c in CallingClass if c in p.classes and c is not CallingClass.EMERGENCY
        )
        row = PolicyRow(name, p, classes or "emergency only", hours_text(p.hours), caps_text(p), users)
        out.append(row)
    return out


def form_of(name: str, policy: Policy | None) -> dict[str, Any]:
    """The form's values for a stored policy (None: a new one)."""
    if policy is None:
        blank: dict[str, Any] = {k: "" for k in INPUTS}
        return {**blank, "classes": [], "any_time": True, "account_code": "none"}
    hours = policy.hours
    out: dict[str, Any] = {
        "name": name,
        "classes": [c.value for c in policy.classes],
        "countries.allow": ", ".join(sorted(policy.allow_countries)),
        "countries.deny": ", ".join(sorted(policy.deny_countries)),
        "any_time": hours is None,
        "hours.zone": hours.zone if hours else "",
        "account_code": policy.account_code,
    }
    for n, key in enumerate(DAY_FIELDS):
        out[key] = ", ".join(str(i) for i in hours.weekly[n]) if hours else ""
    for cap, key in zip(CAP_FIELDS, CAP_INPUTS, strict=True):
        value = getattr(policy.caps, cap)
        out[key] = "" if value is None else str(value)
    return out


def submitted(form: FormData) -> dict[str, Any]:
    """The form as typed (to show again after a refusal)."""
    fields = text_fields(form)
    return {**fields, "classes": [v for v in form.getlist("classes") if isinstance(v, str)],
            "any_time": "any_time" in fields}  # fmt: skip


def intervals(text: str) -> list[str]:
    """`"08:00-12:00, 13:00 - 17:00"` → `["08:00-12:00", "13:00-17:00"]`; blank: closed."""
    return [part.replace(" ", "") for part in text.split(",") if part.strip()]


def document_of(values: Mapping[str, Any], closures: list[dict[str, Any]]) -> dict[str, Any]:
    """The API's policy document from the form (`closures`: the stored policy's, kept)."""
    hours = None
    if not values["any_time"]:
        hours = {"zone": str(values.get("hours.zone", "")).strip(),
                 "weekly": {d: intervals(str(values.get(f"hours.weekly.{d}", ""))) for d in WEEKDAYS},
                 "closures": closures}  # fmt: skip
    return {
        "name": str(values.get("name", "")).strip(),
        "classes": [c for c in CLASSES if c in values["classes"]]
        + [c for c in values["classes"] if c not in CLASSES and c != CallingClass.EMERGENCY.value],
        "countries": {
            "allow": split_list(str(values.get("countries.allow", ""))),
            "deny": split_list(str(values.get("countries.deny", ""))),
        },
        "hours": hours,
        "caps": {c: whole_number(str(values.get(f"caps.{c}", ""))) for c in CAP_FIELDS},
        "account_code": values.get("account_code", "none"),
    }


async def policies_page(
    request: Request,
    whom: Who,
    *,
    edit: str | None = None,
    form: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    notice: str | None = None,
    status: int = 200,
) -> Response:
    async with transaction(ctx_of(request), write=False) as tx:
        config = await service.config(tx, caller=whom.caller, customer_id=whom.customer)
    wanted = edit if edit is not None else request.query_params.get("edit")
    editing = wanted if wanted in config.policies else None
    policy = config.policies[editing] if editing else None
    return render(request, "outbound/policies.html", TITLE, {
        "who": whom, "rows": rows_of(config), "editing": editing,
        "form": form if form is not None else form_of(editing or "", policy),
        "closures": len(policy.hours.closures) if policy and policy.hours else 0,
        "errors": errors or {}, "notice": notice, "classes": CLASSES, "days": DAY_NAMES,
        "cap_labels": CAP_LABELS, "account_codes": [(a, ACCOUNT_CODE_TEXT[a]) for a in ACCOUNT_CODES],
        "current": "policies",
    }, status=status)  # fmt: skip


@page(TITLE)
async def policies_get(request: Request, whom: Who) -> Response:
    return await policies_page(request, whom)


@page(TITLE)
async def save_policy(request: Request, whom: Who) -> Response:
    require_edit(request, whom)
    values = submitted(await request.form())
    editing = values.get("mode") == "edit"
    name = str(values.get("name", "")).strip()
    try:
        async with transaction(ctx_of(request), write=True) as tx:
            current = await service.config(tx, caller=whom.caller, customer_id=whom.customer)
            if not editing and name in current.policies:
                raise FieldError("name", f"Policy {name} already exists; edit it in the table").problem()
            stored = current.policies.get(name)
            kept = stored.hours.as_json()["closures"] if stored and stored.hours else []
            _, created = await service.put(
                tx, caller=whom.caller, customer_id=whom.customer, kind=POLICY, name=name,
                raw=document_of(values, kept),
            )  # fmt: skip
    except ProblemError as exc:
        return await policies_page(request, whom, edit=name if editing else "", form=values,
                                   errors=errors_of(exc, INPUTS), status=422)  # fmt: skip
    notice = f"Policy {name} {'added' if created else 'saved'}."
    return await policies_page(request, whom, edit=name, notice=notice)


@page(TITLE)
async def delete_policy(request: Request, whom: Who) -> Response:
    require_edit(request, whom)
    name = str(request.path_params["name"])
    try:
        async with transaction(ctx_of(request), write=True) as tx:
            await service.remove(tx, caller=whom.caller, customer_id=whom.customer, kind=POLICY, name=name)
    except ProblemError as exc:
        return await policies_page(
            request, whom, edit=name, errors={FORM: errors_of(exc, ())[FORM]}, status=422
        )
    return await policies_page(request, whom, edit="", notice=f"Policy {name} deleted.")


def policy_routes() -> list[Route]:
    return [
        Route("/policies", policies_get, methods=["GET"]),
        Route("/policies", save_policy, methods=["POST"]),
        Route("/policies/{name}/delete", delete_policy, methods=["POST"]),
    ]

"""The distributions page (`/distributions`): the distributions in effect now — method, members
and shares, overflow chain, after-hours and all-busy treatments, scheduled changes — with an edit
form per distribution, a new one, and removal. Every change goes through
`service.change_distribution`; errors come back next to the input the field names (as on the
sites page)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from resources.callcenter import service
from resources.callcenter.context import transaction
from resources.callcenter.distribution import MAX_MEMBERS, TREATMENT_KINDS, Distribution, Method, Treatment
from resources.callcenter.models import DISTRIBUTION
from resources.callcenter.views_common import (
    Who,
    ctx_of,
    effective_moment,
    page,
    problem_text,
    render,
    text_fields,
    utc_text,
    whole_number,
)
from resources.callcenter.views_sites import Scheduled, saved, scheduled
from resources.kit.errors import FieldError, ProblemError, ValidationFailed

TITLE = "Call-center distributions"
METHODS = [(m.value, text) for m, text in zip(Method, (
    "Percent — fixed shares of calls (total 100)", "Weighted — round-robin by weight (1 to 1000)",
    "Least busy — the lowest occupancy first", "Longest idle — the site offered a call longest ago first",
), strict=True)]  # fmt: skip
TREATMENTS = [("", "None (the switch answers the call busy)"), *zip(TREATMENT_KINDS, (
    "Announcement (its name)", "Ring-to number (E.164)", "Voicemail (a site)"), strict=True)]  # fmt: skip
SHARED = (Method.PERCENT.value, Method.WEIGHTED.value)  # the methods with shares
_MEMBER_KEY = re.compile(r"^member_(\d{1,2})_(site|share)$")
_OVERFLOW_KEY = re.compile(r"^overflow_(\d{1,2})$")
_MEMBER = re.compile(r"^members\[(\d+)\](?:\.(site|share))?$")
_OVERFLOW = re.compile(r"^overflow\[(\d+)\]$")
_TREATMENT = re.compile(r"^(after_hours|all_busy)(?:\.(kind|target))?$")


def treatment_text(t: Treatment | None, busy: str) -> str:
    if t is None:
        return f"none ({busy})"
    return {"announcement": f"announcement {t.target}", "ring-to": f"ring {t.target}",
            "voicemail": f"voicemail at site {t.target}"}[t.kind]  # fmt: skip


def form_of(d: Distribution | None, site_count: int) -> dict[str, Any]:
    """The edit form's values (None: the empty new-distribution form)."""
    members: list[tuple[str, str]] = []
    overflow: list[str] = []
    values = {"name": "", "method": Method.PERCENT.value}
    treatments: dict[str, Treatment | None] = {"after_hours": None, "all_busy": None}
    if d is not None:
        values = {"name": d.name, "method": d.method.value}
        shares = d.method.value in SHARED
        members = [(m.site, str(m.share) if shares else "") for m in d.members]
        overflow = list(d.overflow)
        treatments = {"after_hours": d.after_hours, "all_busy": d.all_busy}
    member_rows = min(MAX_MEMBERS, max(len(members) + 1, site_count))
    overflow_rows = min(MAX_MEMBERS, max(len(overflow) + 1, 2))
    out: dict[str, Any] = {
        **values,
        "members": [*members, *([("", "")] * (member_rows - len(members)))],
        "overflow": [*overflow, *([""] * (overflow_rows - len(overflow)))],
        "effective_at": "",
        "effective_zone": "",
    }
    for where, t in treatments.items():
        out[f"{where}_kind"], out[f"{where}_target"] = (t.kind, t.target) if t else ("", "")
    return out


def submitted(fields: Mapping[str, str]) -> dict[str, Any]:
    members: dict[int, dict[str, str]] = {}
    overflow: dict[int, str] = {}
    for key, value in fields.items():
        if match := _MEMBER_KEY.match(key):
            members.setdefault(int(match.group(1)), {})[match.group(2)] = value
        elif match := _OVERFLOW_KEY.match(key):
            overflow[int(match.group(1))] = value
    keys = ("name", "method", "after_hours_kind", "after_hours_target", "all_busy_kind", "all_busy_target",
            "effective_at", "effective_zone")  # fmt: skip
    return {
        **{k: fields.get(k, "") for k in keys},
        "members": [(m.get("site", ""), m.get("share", "")) for _, m in sorted(members.items())],
        "overflow": [site for _, site in sorted(overflow.items())],
    }


def document_of(form: Mapping[str, Any], name: str) -> tuple[dict[str, Any], list[int], list[int]]:
    """The JSON `parse_distribution` reads, and the form rows its members and overflow sites came from."""
    members, member_rows, overflow, overflow_rows = [], [], [], []
    for n, (site, share) in enumerate(form["members"]):
        if site.strip() or share.strip():
            share_of = {"share": whole_number(share)} if share.strip() else {}
            members.append({"site": site.strip(), **share_of})
            member_rows.append(n)
    for n, site in enumerate(form["overflow"]):
        if site.strip():
            overflow.append(site.strip())
            overflow_rows.append(n)
    raw: dict[str, Any] = {"name": name, "method": form["method"], "members": members, "overflow": overflow}
    for where in ("after_hours", "all_busy"):
        kind, target = form[f"{where}_kind"].strip(), form[f"{where}_target"].strip()
        raw[where] = {"kind": kind, "target": target} if kind or target else None
    return raw, member_rows, overflow_rows


def input_of(field: str, member_rows: list[int], overflow_rows: list[int]) -> str:
    if field in ("name", "method", "members", "overflow", "effective_at", "effective_zone"):
        return field
    if (m := _MEMBER.match(field)) and int(m.group(1)) < len(member_rows):
        return f"member_{member_rows[int(m.group(1))]}_{m.group(2) or 'site'}"
    if (m := _OVERFLOW.match(field)) and int(m.group(1)) < len(overflow_rows):
        return f"overflow_{overflow_rows[int(m.group(1))]}"
    if m := _TREATMENT.match(field):
        return f"{m.group(1)}_{m.group(2) or 'kind'}"
    return "form"


def errors_of(exc: ProblemError, member_rows: list[int], overflow_rows: list[int]) -> dict[str, str]:
    if not isinstance(exc, ValidationFailed):
        return {"form": problem_text(exc)}
    out: dict[str, str] = {}
    for e in exc.errors:
        key = input_of(e["field"], member_rows, overflow_rows)
        out.setdefault(key, problem_text(exc) if key == "form" else e["message"])
    return out


async def distributions_page(
    request: Request,
    whom: Who,
    *,
    errors: dict[str, dict[str, str]] | None = None,
    forms: dict[str, dict[str, Any]] | None = None,
    notice: str | None = None,
    status: int = 200,
) -> Response:
    """`errors`, `forms`: by form ("new", "edit-main", "delete-main", "cancel-main")."""
    async with transaction(ctx_of(request), write=False) as tx:
        config = await service.config_at(tx, caller=whom.caller, customer_id=whom.customer)
        plans: dict[str, list[Scheduled]] = {}
        for name, d in sorted(config.distributions.items()):
            rows = await service.history(
                tx, caller=whom.caller, customer_id=whom.customer, kind=DISTRIBUTION, name=name
            )
            plans[name] = scheduled(rows, now=tx.now, current=d.as_json(), zone=None)
        now = tx.now
    sites = sorted(config.sites)
    edit_forms = {f"edit-{n}": form_of(d, len(sites)) for n, d in config.distributions.items()}
    return render(request, "callcenter/distributions.html", TITLE, {
        "who": whom, "distributions": [config.distributions[n] for n in sorted(config.distributions)],
        "scheduled": plans, "sites": sites, "methods": METHODS, "treatments": TREATMENTS, "shared": SHARED,
        "form_values": edit_forms | {"new": form_of(None, len(sites))} | (forms or {}),
        "errors": errors or {}, "notice": notice, "utc": utc_text(now), "treatment_text": treatment_text,
        "current": "distributions",
    }, status=status)  # fmt: skip


@page(TITLE)
async def distributions_get(request: Request, whom: Who) -> Response:
    return await distributions_page(request, whom)


async def _save(request: Request, whom: Who, *, key: str, name: str | None = None) -> Response:
    """Create (`name` None: the form names it) or change a distribution."""
    form = submitted(text_fields(await request.form()))
    new = name is None
    name = form["name"].strip() if name is None else name
    raw, member_rows, overflow_rows = document_of(form, name)
    try:
        async with transaction(ctx_of(request), write=True) as tx:
            if new:
                config = await service.config_at(tx, caller=whom.caller, customer_id=whom.customer)
                if name in config.distributions:
                    raise FieldError(
                        "name", f"there is already a distribution {name}; change it with its Edit form"
                    )
            when = effective_moment(form, default_zone="UTC", zone_field="effective_zone")
            row = await service.change_distribution(
                tx, caller=whom.caller, customer_id=whom.customer, raw=raw, effective_at=when
            )
            now = tx.now
    except FieldError as exc:
        return await distributions_page(request, whom, errors={key: errors_of(exc.problem(), [], [])},
                                        forms={key: form}, status=422)  # fmt: skip
    except ProblemError as exc:
        if exc.status == 404:
            raise
        errors = {key: errors_of(exc, member_rows, overflow_rows)}
        return await distributions_page(request, whom, errors=errors, forms={key: form}, status=422)
    notice = f"Distribution {name} saved: {saved(row, None, now)}"
    return await distributions_page(request, whom, notice=notice)


@page(TITLE)
async def create(request: Request, whom: Who) -> Response:
    return await _save(request, whom, key="new")


@page(TITLE)
async def change(request: Request, whom: Who) -> Response:
    name = str(request.path_params["name"])
    return await _save(request, whom, key=f"edit-{name}", name=name)


@page(TITLE)
async def delete(request: Request, whom: Who) -> Response:
    name = str(request.path_params["name"])
    try:
        async with transaction(ctx_of(request), write=True) as tx:
            row = await service.remove(
                tx, caller=whom.caller, customer_id=whom.customer, kind=DISTRIBUTION, name=name
            )
    except ProblemError as exc:
        if exc.status == 404:
            raise
        errors = {f"delete-{name}": {"form": problem_text(exc)}}
        return await distributions_page(request, whom, errors=errors, status=422)
    notice = f"Distribution {name} removed (revision {row.number})."
    return await distributions_page(request, whom, notice=notice)


def distribution_routes() -> list[Route]:
    return [
        Route("/distributions", distributions_get, methods=["GET"]),
        Route("/distributions", create, methods=["POST"]),
        Route("/distributions/{name}", change, methods=["POST"]),
        Route("/distributions/{name}/delete", delete, methods=["POST"]),
    ]

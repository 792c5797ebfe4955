"""HTML pages of the outbound resource (htmx, server-rendered content; the gateway adds the shell,
the menu and CSRF). Under `/outbound/…` in the portal:

* `/lines` — the lines, the policy each dials under, the minutes it used today and this month
  against its caps (usage.py, read from the table), its authorization code's state, the line
  form (new or `?edit=<number>`; `?user_id=&label=` fill in a new line, the directory's user
  page links so), setting and removing a line's authorization code, deleting a line (here)
* `/policies` — policies and their form (views_policies.py)
* `/groups`, `/account-codes` — simple tables with their forms (views_objects.py)
* `/audit` — who changed what, newest first (views_audit.py)

Forms post to the resource and get the page back: 200 with a notice, or 422 with the errors next
to their inputs and the form as typed (views_common.py). An authorization code is never shown:
not in the table, not in a message, not in the re-rendered form.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from resources.kit.errors import FieldError, ProblemError
from resources.outbound import repository as repo
from resources.outbound import service
from resources.outbound.codes import Lockout, is_locked
from resources.outbound.context import transaction
from resources.outbound.documents import Line
from resources.outbound.models import LINE, CodeRow
from resources.outbound.service import DEFAULT_POLICY, Config
from resources.outbound.usage import Tally, read_tallies, zone_of
from resources.outbound.views_audit import audit_routes
from resources.outbound.views_common import (
    Who,
    ctx_of,
    errors_of,
    page,
    render,
    require_edit,
    text_fields,
    utc_text,
)
from resources.outbound.views_objects import object_routes
from resources.outbound.views_policies import policy_routes

TITLE = "Outbound calling"
LINE_INPUTS = ("number", "label", "user_id", "group", "policy", "elevated")
CODE_INPUTS = ("code",)


@dataclass(frozen=True)
class LineRow:
    line: Line
    policy: str | None  # the policy it dials under; None: emergency calls only
    via: str  # where that policy comes from: "own", "group lobby", "default"
    code_set: bool
    failures: int
    locked_until: str | None  # while locked now
    used: str  # "today 3 of 2 / this month 3": minutes against the caps of the policy it dials under


def via_of(config: Config, line: Line, name: str | None) -> str:
    """Config.policy_of's order: the line's own, its group's, the customer's default."""
    if name is None:
        return ""
    if name == line.policy:
        return "own"
    group = config.groups.get(line.group) if line.group else None
    if group is not None and name == group.policy:
        return f"group {group.name}"
    return "default" if name == DEFAULT_POLICY else ""


def used_text(minutes_today: int, minutes_month: int, per_day: int | None, per_month: int | None) -> str:
    def of(used: int, cap: int | None) -> str:
        return f"{used}" if cap is None else f"{used} of {cap}"

    return f"today {of(minutes_today, per_day)} / this month {of(minutes_month, per_month)}"


def rows_of(
    config: Config, codes: Mapping[str, CodeRow], tallies: Mapping[str, Tally], now: datetime
) -> list[LineRow]:
    out = []
    for number in sorted(config.lines):
        line = config.lines[number]
        name, policy = config.policy_of(line)
        tally = tallies.get(number)
        usage = tally.usage(now) if tally is not None else None
        code = codes.get(number)
        locked = code is not None and is_locked(
            Lockout(failures=code.failures, locked_until=code.locked_until), now
        )
        out.append(
            LineRow(
                line=line,
                policy=name,
                via=via_of(config, line, name),
                code_set=code is not None,
                failures=code.failures if code else 0,
                locked_until=utc_text(code.locked_until) if code and code.locked_until and locked else None,
                used=used_text(
                    usage.minutes_today if usage else 0,
                    usage.minutes_month if usage else 0,
                    policy.caps.minutes_per_day,
                    policy.caps.minutes_per_month,
                ),
            )
        )
    return out


def line_form(line: Line | None, request: Request) -> dict[str, str]:
    """The line form's values: the line's, or a new line's (`?user_id=&label=` fill it in)."""
    if line is not None:
        doc = line.as_json()
        return {k: "" if doc[k] is None else str(doc[k]) for k in LINE_INPUTS}
    q = request.query_params
    return {"number": "", "label": q.get("label", ""), "user_id": q.get("user_id", ""), "group": "",
            "policy": "", "elevated": ""}  # fmt: skip


async def lines_page(
    request: Request,
    whom: Who,
    *,
    edit: str | None = None,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    code_errors: dict[str, str] | None = None,
    alert: str | None = None,
    notice: str | None = None,
    status: int = 200,
) -> Response:
    async with transaction(ctx_of(request), write=False) as tx:
        config = await service.config(tx, caller=whom.caller, customer_id=whom.customer)
        codes = {c.line_number: c for c in await repo.codes(tx.session, customer_id=whom.customer)}
        zones = {n: zone_of(config.policy_of(line)[1]) for n, line in config.lines.items()}
        tallies = await read_tallies(tx.session, zones, now=tx.now)
        now = tx.now
    rows = rows_of(config, codes, tallies, now)
    wanted = edit if edit is not None else request.query_params.get("edit")
    editing = next((r for r in rows if r.line.number == wanted), None)
    user_id = request.query_params.get("user_id") if editing is None else None
    policies = sorted(config.policies)
    return render(request, "outbound/lines.html", TITLE, {
        "who": whom, "rows": rows, "editing": editing,
        "form": form if form is not None else line_form(editing.line if editing else None, request),
        "errors": errors or {}, "code_errors": code_errors or {}, "alert": alert, "notice": notice,
        "group_options": [("", "No group"), *((g, g) for g in sorted(config.groups))],
        "policy_options": [("", "None: the group's, else default"), *((p, p) for p in policies)],
        "elevated_options": [("", "None"), *((p, p) for p in policies)],
        "user_lines": [r.line.number for r in rows if user_id and r.line.user_id == user_id],
        "current": "lines",
    }, status=status)  # fmt: skip


@page(TITLE)
async def lines_get(request: Request, whom: Who) -> Response:
    return await lines_page(request, whom)


def _document(fields: Mapping[str, str]) -> dict[str, Any]:
    def optional(key: str) -> str | None:
        return fields.get(key, "").strip() or None

    return {"number": fields.get("number", "").strip(), "label": fields.get("label", ""),
            "user_id": optional("user_id"), "group": optional("group"), "policy": optional("policy"),
            "elevated": optional("elevated")}  # fmt: skip


@page(TITLE)
async def save_line(request: Request, whom: Who) -> Response:
    """The line form: a new line (`mode=new`; a number already in use is refused) or a change."""
    require_edit(request, whom)
    fields = text_fields(await request.form())
    editing = fields.get("mode") == "edit"
    document = _document(fields)
    number = document["number"]
    try:
        async with transaction(ctx_of(request), write=True) as tx:
            if not editing:
                current = await service.config(tx, caller=whom.caller, customer_id=whom.customer)
                if number in current.lines:
                    raise FieldError(
                        "number", f"Line {number} already exists; edit it in the table"
                    ).problem()
            _, created = await service.put(
                tx, caller=whom.caller, customer_id=whom.customer, kind=LINE, name=number, raw=document
            )
    except ProblemError as exc:
        return await lines_page(
            request, whom, edit=number if editing else "", form=fields, status=422,
            errors=errors_of(exc, LINE_INPUTS),
        )  # fmt: skip
    notice = f"Line {number} {'added' if created else 'saved'}."
    return await lines_page(request, whom, edit=number, notice=notice)


def _number(request: Request) -> str:
    return str(request.path_params["number"])


@page(TITLE)
async def delete_line(request: Request, whom: Who) -> Response:
    require_edit(request, whom)
    number = _number(request)
    try:
        async with transaction(ctx_of(request), write=True) as tx:
            await service.remove(tx, caller=whom.caller, customer_id=whom.customer, kind=LINE, name=number)
    except ProblemError as exc:
        return await lines_page(request, whom, edit=number, alert=errors_of(exc, ())["form"], status=422)
    return await lines_page(request, whom, edit="", notice=f"Line {number} deleted.")


@page(TITLE)
async def set_code(request: Request, whom: Who) -> Response:
    """A new authorization code for the line; the answer never repeats it."""
    require_edit(request, whom)
    number = _number(request)
    fields = text_fields(await request.form())
    try:
        async with transaction(ctx_of(request), write=True) as tx:
            await service.set_code(
                tx, caller=whom.caller, customer_id=whom.customer, number=number, raw=fields.get("code", "")
            )
    except ProblemError as exc:
        return await lines_page(
            request, whom, edit=number, code_errors=errors_of(exc, CODE_INPUTS), status=422
        )
    return await lines_page(request, whom, edit=number, notice=f"The authorization code of {number} is set.")


@page(TITLE)
async def clear_code(request: Request, whom: Who) -> Response:
    require_edit(request, whom)
    number = _number(request)
    try:
        async with transaction(ctx_of(request), write=True) as tx:
            await service.clear_code(tx, caller=whom.caller, customer_id=whom.customer, number=number)
    except ProblemError as exc:
        return await lines_page(request, whom, edit=number, code_errors=errors_of(exc, ()), status=422)
    notice = f"The authorization code of {number} is removed."
    return await lines_page(request, whom, edit=number, notice=notice)


def line_routes() -> list[Route]:
    return [
        Route("/lines", lines_get, methods=["GET"]),
        Route("/lines", save_line, methods=["POST"]),
        Route("/lines/{number}/delete", delete_line, methods=["POST"]),
        Route("/lines/{number}/code", set_code, methods=["POST"]),
        Route("/lines/{number}/code/delete", clear_code, methods=["POST"]),
    ]


def routes() -> list[Route]:
    return [*line_routes(), *policy_routes(), *object_routes(), *audit_routes()]

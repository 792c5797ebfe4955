"""History pages: one site's or distribution's revisions (`/{kind}/{name}/revisions`) with
cancel (scheduled ones) and roll back (ones that took effect), and the audit log (`/audit`).

Cancel and roll back post from the revisions page or, for scheduled changes, from the sites and
distributions lists (`back=list`); the page they came from comes back, with a refusal inline.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from resources.callcenter import service
from resources.callcenter.context import transaction
from resources.callcenter.models import DISTRIBUTION, SITE, AuditRow, RevisionRow
from resources.callcenter.routes import number_of
from resources.callcenter.timeline import Revision, in_effect
from resources.callcenter.views_common import (
    BASE,
    Who,
    changes,
    ctx_of,
    local_text,
    page,
    problem_text,
    render,
    text_fields,
    utc_text,
)
from resources.callcenter.views_distributions import distributions_page
from resources.callcenter.views_sites import sites_page
from resources.kit.errors import ProblemError

PLURAL = {SITE: "sites", DISTRIBUTION: "distributions"}
STATUS = {"in-effect": ("In effect", "success"), "scheduled": ("Scheduled", "warning"),
          "cancelled": ("Cancelled", "neutral"), "past": ("Superseded", "neutral")}  # fmt: skip


def zone_of(document: Any) -> str | None:
    """A site document's time zone (None: not a site, or none)."""
    hours = document.get("hours") if isinstance(document, dict) else None
    zone = hours.get("zone") if isinstance(hours, dict) else None
    return zone if isinstance(zone, str) and zone else None


@dataclass(frozen=True)
class Line:
    """One revision as the history table shows it."""

    row: RevisionRow
    status: str  # in-effect | scheduled | cancelled | past
    effective_local: str  # in the site's zone ("" for distributions)
    effective_utc: str
    created_utc: str
    changes: list[tuple[str, str, str]]  # against the revision before it (not cancelled)
    can_cancel: bool
    can_rollback: bool
    document: str  # pretty JSON ("" for a removal)


def lines(rows: list[RevisionRow], *, now: datetime) -> list[Line]:
    timeline = [Revision(r.number, r.effective_at, r.document, r.cancelled) for r in rows]
    current = in_effect(timeline, now)
    zones = [z for z in (zone_of(r.document) for r in rows) if z]
    out, before = [], None
    for row in sorted(rows, key=lambda r: r.number):
        if row.cancelled:
            status = "cancelled"
        elif row.effective_at > now:
            status = "scheduled"
        else:
            status = "in-effect" if current is not None and current.number == row.number else "past"
        zone = zone_of(row.document) or (zones[-1] if zones else None)
        out.append(Line(
            row=row, status=status, effective_local=local_text(row.effective_at, zone) if zone else "",
            effective_utc=utc_text(row.effective_at), created_utc=utc_text(row.created_at),
            changes=changes(before, row.document), can_cancel=status == "scheduled",
            can_rollback=status == "past" and (current is None or current.document != row.document),
            document=json.dumps(row.document, indent=2) if row.document is not None else "",
        ))  # fmt: skip
        if not row.cancelled:
            before = row.document
    return list(reversed(out))  # newest first


async def revisions_page(
    request: Request, whom: Who, kind: str, *, notice: str | None = None, error: str | None = None,
    status: int = 200,
) -> Response:  # fmt: skip
    name = str(request.path_params["name"])
    async with transaction(ctx_of(request), write=False) as tx:
        rows = await service.history(tx, caller=whom.caller, customer_id=whom.customer, kind=kind, name=name)
        now = tx.now
    noun = "Site" if kind == SITE else "Distribution"
    return render(request, "callcenter/revisions.html", f"{noun} {name}: history", {
        "who": whom, "kind": kind, "plural": PLURAL[kind], "noun": noun, "name": name,
        "lines": lines(rows, now=now), "statuses": STATUS, "notice": notice, "error": error,
        "utc": utc_text(now), "current": PLURAL[kind],
    }, status=status)  # fmt: skip


def history_get(kind: str) -> Callable[[Request], Awaitable[Response]]:
    @page("History")
    async def endpoint(request: Request, whom: Who) -> Response:
        return await revisions_page(request, whom, kind)

    return endpoint


def revision_action(kind: str, verb: str) -> Callable[[Request], Awaitable[Response]]:
    """POST …/revisions/{number}/cancel | rollback."""

    @page("History")
    async def endpoint(request: Request, whom: Who) -> Response:
        name, number = str(request.path_params["name"]), number_of(request)
        back = text_fields(await request.form()).get("back")
        action = service.cancel_revision if verb == "cancel" else service.rollback_to
        try:
            async with transaction(ctx_of(request), write=True) as tx:
                row = await action(
                    tx, caller=whom.caller, customer_id=whom.customer, kind=kind, name=name, number=number
                )
        except ProblemError as exc:
            if exc.status == 404:
                raise
            if back == "list":
                listing = sites_page if kind == SITE else distributions_page
                errors = {f"cancel-{name}": {"form": problem_text(exc)}}
                return await listing(request, whom, errors=errors, status=422)
            return await revisions_page(request, whom, kind, error=problem_text(exc), status=422)
        if verb == "cancel":
            notice = f"Revision {number} of {name} is cancelled; it will not take effect."
        else:
            notice = f"{name} is back to revision {number}: revision {row.number} is in effect now."
        if back == "list":
            listing = sites_page if kind == SITE else distributions_page
            return await listing(request, whom, notice=notice)
        return await revisions_page(request, whom, kind, notice=notice)

    return endpoint


# --- the audit log ----------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditLine:
    row: AuditRow
    utc: str
    local: str  # in the site's zone ("" for distributions)
    changes: list[tuple[str, str, str]]  # none for a cancel: nothing in effect changed
    before: str  # pretty JSON
    after: str
    link: str  # the object's history page


def audit_lines(rows: list[AuditRow], query: str) -> list[AuditLine]:
    out = []
    for r in rows:
        zone = zone_of(r.after) or zone_of(r.before)
        out.append(AuditLine(
            row=r, utc=r.at.strftime("%Y-%m-%d %H:%M:%S UTC"), local=local_text(r.at, zone) if zone else "",
            changes=[] if r.action.endswith(".cancel") else changes(r.before, r.after),
            before=json.dumps(r.before, indent=2) if r.before is not None else "",
            after=json.dumps(r.after, indent=2) if r.after is not None else "",
            link=f"{BASE}/{PLURAL.get(r.kind, 'sites')}/{r.name}/revisions{query}",
        ))  # fmt: skip
    return out


@page("Call-center changes")
async def audit_page(request: Request, whom: Who) -> Response:
    ctx = ctx_of(request)
    async with transaction(ctx, write=False) as tx:
        rows = await service.audit_log(
            tx, caller=whom.caller, customer_id=whom.customer, limit=ctx.audit_page
        )
    return render(request, "callcenter/audit.html", "Call-center changes", {
        "who": whom, "lines": audit_lines(rows, whom.query), "limit": ctx.audit_page, "current": "audit",
    })  # fmt: skip


def history_routes() -> list[Route]:
    out = [Route("/audit", audit_page, methods=["GET"])]
    for kind, plural in PLURAL.items():
        base = f"/{plural}/{{name}}/revisions"
        out += [
            Route(base, history_get(kind), methods=["GET"]),
            Route(f"{base}/{{number}}/cancel", revision_action(kind, "cancel"), methods=["POST"]),
            Route(f"{base}/{{number}}/rollback", revision_action(kind, "rollback"), methods=["POST"]),
        ]
    return out

"""The audit page (`/audit`): the customer's newest changes first — who, when (UTC), what
(create, change, delete, code.set, code.clear), which object, and what each changed value was
before and after. An authorization code appears only as "set"."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from resources.outbound import service
from resources.outbound.context import transaction
from resources.outbound.models import AuditRow
from resources.outbound.views_common import Who, changes, ctx_of, flatten, page, render, utc_text

TITLE = "Outbound calling changes"
OBJECT_PAGES = {"policy": "/policies", "group": "/groups", "line": "/lines", "account-code": "/account-codes"}


def audit_changes(row: AuditRow) -> list[tuple[str, str, str]]:
    """What changed; a replaced authorization code ("set" before and after) shows as such."""
    found = changes(row.before, row.after)
    if found or row.after is None:
        return found
    before = flatten(row.before or {})
    return [(k, before.get(k, ""), v) for k, v in flatten(row.after).items()]


@page(TITLE)
async def audit_page(request: Request, whom: Who) -> Response:
    ctx = ctx_of(request)
    async with transaction(ctx, write=False) as tx:
        rows = await service.audit_log(
            tx, caller=whom.caller, customer_id=whom.customer, limit=ctx.audit_page
        )
    return render(request, "outbound/audit.html", TITLE, {
        "who": whom, "rows": rows, "changes": audit_changes, "utc_text": utc_text, "pages": OBJECT_PAGES,
        "limit": ctx.audit_page, "current": "audit",
    })  # fmt: skip


def audit_routes() -> list[Route]:
    return [Route("/audit", audit_page, methods=["GET"])]

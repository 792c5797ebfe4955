"""The change-log page (`/audit`, action `tollfree:view-audit`): a GET filter form, the matching
rows newest first, and a link to the next, older page. A bad filter is shown next to its field
(422) and lists nothing; a customer the caller does not serve is a plain 404."""

from __future__ import annotations

from collections.abc import Collection
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from resources.kit.errors import ValidationFailed
from resources.kit.middleware import caller_of
from resources.tollfree import access, audit_log
from resources.tollfree.context import transaction
from resources.tollfree.views_common import ctx_of, field_errors, render

TITLE = "Network changes"


async def audit_log_page(request: Request) -> Response:
    caller = caller_of(request)
    form = {k: v for k, v in request.query_params.items() if k in audit_log.PARAMS}
    try:
        query = audit_log.parse_query(dict(request.query_params))
    except ValidationFailed as exc:
        async with transaction(ctx_of(request), write=False) as tx:
            visible = await audit_log.visible_customers(tx, caller)
        return render(request, "tollfree/audit_log.html", TITLE, {
            "page": None, "form": form, "errors": field_errors(exc), "staff": access.is_staff(caller),
            "customer_options": _options(visible), "older": None, "newest": None,
        }, status=422)  # fmt: skip
    async with transaction(ctx_of(request), write=False) as tx:
        page = await audit_log.search(tx, caller=caller, query=query)
    older = None if page.next_before is None else urlencode(query.params(before=page.next_before))
    newest = urlencode(query.params(before=None)) if query.before is not None else None
    return render(request, "tollfree/audit_log.html", TITLE, {
        "page": page, "form": form, "errors": {}, "staff": access.is_staff(caller),
        "customer_options": _options(page.customers), "older": older, "newest": newest,
        "changes": audit_log.changes,
    })  # fmt: skip


def _options(customers: Collection[str] | None) -> list[tuple[str, str]] | None:
    """The customer filter's choices (None: the provider types an id)."""
    if customers is None:
        return None
    return [("", "All your customers"), *((c, c) for c in sorted(customers))]


def audit_log_routes() -> list[Route]:
    return [Route("/audit", audit_log_page, methods=["GET"])]

"""The staff queue page (`/queue`, `tickets:work`): the open tickets of every customer the caller
reaches, soonest due first (a "chat waiting" marker on those whose chat's last message is a
customer's), filtered by status, customer, assignee and text; tick tickets and
assign them (and/or move them) in one go — all or nothing (the first refusal names the ticket
and changes none)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from resources.kit.errors import ProblemError
from resources.kit.middleware import caller_of
from resources.tickets import chat, service
from resources.tickets.context import transaction
from resources.tickets.lifecycle import OPEN_STATUSES, STATUSES
from resources.tickets.repository import Filter
from resources.tickets.sla import state_of
from resources.tickets.views_common import ctx_of, errors_of, render, text_fields

TITLE = "Ticket queue"
QUEUE_LIMIT = 200
FILTERS = ("status", "customer", "assignedTo", "q")


def _filters(request: Request) -> dict[str, str]:
    return {k: request.query_params.get(k, "").strip()[:200] for k in FILTERS}


async def queue_page(
    request: Request,
    *,
    notice: str | None = None,
    alert: str | None = None,
    form: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    caller = caller_of(request)
    chosen = _filters(request)
    wanted = chosen["status"]
    f = Filter(
        status=(wanted,) if wanted in STATUSES else OPEN_STATUSES,
        customer=chosen["customer"] or None,
        assigned_to=chosen["assignedTo"] or None,
        text=chosen["q"] or None,
    )
    async with transaction(ctx_of(request), write=False) as tx:
        rows, total = await service.queue(tx, caller=caller, f=f, offset=0, limit=QUEUE_LIMIT)
        waiting = await chat.waiting(tx, ticket_ids=[r.id for r in rows])
        now = tx.now
    return render(
        request,
        "tickets/queue.html",
        TITLE,
        {
            "rows": rows,
            "total": total,
            "sla": lambda t: state_of(t, now),
            "waiting": waiting,
            "filters": chosen,
            "statuses": STATUSES,
            "notice": notice,
            "alert": alert,
            "form": form or {},
            "me": caller.username,
            "current": "queue",
        },
        status=status,
    )


async def queue_get(request: Request) -> Response:
    return await queue_page(request)


async def bulk_post(request: Request) -> Response:
    caller = caller_of(request)
    form = await request.form()
    fields = text_fields(form)
    ids = [str(i) for i in form.getlist("ids")]
    raw: dict[str, Any] = {"ids": ids}
    if fields.get("assigned_to", "").strip():
        raw["assignedTo"] = fields["assigned_to"].strip()
    if fields.get("status", "").strip():
        raw["status"] = fields["status"].strip()
    try:
        async with transaction(ctx_of(request), write=True) as tx:
            rows = await service.bulk(tx, caller=caller, raw=raw)
    except ProblemError as exc:
        if exc.status == 403:
            raise
        return await queue_page(
            request, alert=next(iter(errors_of(exc, {}).values())), form=fields, status=422
        )
    return await queue_page(request, notice=f"{len(rows)} ticket{'' if len(rows) == 1 else 's'} updated.")


def queue_routes() -> list[Route]:
    return [
        Route("/queue", queue_get, methods=["GET"]),
        Route("/queue/bulk", bulk_post, methods=["POST"]),
    ]

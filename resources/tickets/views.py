"""HTML pages of the tickets resource (htmx, server-rendered content; the gateway adds the shell,
the menu and CSRF). Under `/tickets/…` in the portal:

* `/list` — the tickets the caller sees (customers: their company's; staff: with the customer),
  status, severity, SLA state and due time; `?status=` filters
* `/new` — the new-ticket form; `?alarm=<id>&object=<…>&problem=<…>` fills it in (the alarm page
  links so: "open a ticket for this"), the alarm becomes a related entity
* `/ticket/{id}` — the ticket: details, SLA, related entities, notes (internal ones for staff
  only), attachments (upload and download), history, and the moves the caller may take; staff
  set severity and the assignee there
* `/queue` — the staff queue (views_queue.py)
* the ticket page's chat panel and "Talk to us" (`/chat/new`): views_chat.py, chat_ws.py

Forms post to the resource and get the page back: 200 with a notice, or 422 with the errors next
to their inputs and the form as typed. Forms carry the ticket's version: a page left open while
someone else changed the ticket is refused (412) rather than overwriting.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from resources.kit.errors import ProblemError
from resources.kit.middleware import caller_of
from resources.tickets import access, chat, service
from resources.tickets.alarms import cleared_alarm
from resources.tickets.attachments import check_upload
from resources.tickets.context import transaction
from resources.tickets.lifecycle import FINAL, moves_for
from resources.tickets.models import SEVERITIES, TICKET_TYPES
from resources.tickets.repository import Filter
from resources.tickets.routes import read_upload
from resources.tickets.sla import state_of
from resources.tickets.views_common import BASE, FORM, ctx_of, errors_of, refusal, render, text_fields
from resources.tickets.views_queue import queue_routes

LIST_TITLE, NEW_TITLE = "Tickets", "New ticket"
NEW_INPUTS = {
    "name": "name",
    "description": "description",
    "severity": "severity",
    "ticketType": "ticket_type",
    "relatedParty": "customer",
    "relatedEntity": "alarm",
}
LIST_LIMIT = 200


async def list_page(request: Request) -> Response:
    caller = caller_of(request)
    status = request.query_params.get("status") or None
    customer = request.query_params.get("customer") or None
    f = Filter(status=(status,) if status else (), customer=customer)
    async with transaction(ctx_of(request), write=False) as tx:
        rows, total = await service.search(tx, caller=caller, f=f, offset=0, limit=LIST_LIMIT)
        now = tx.now
    return render(
        request,
        "tickets/list.html",
        LIST_TITLE,
        {
            "rows": rows,
            "total": total,
            "sla": lambda t: state_of(t, now),
            "staff": access.is_staff(caller),
            "can_open": caller.has(access.OPEN),
            "status": status or "",
            "customer": customer or "",
            "current": "list",
        },
    )


def prefill(request: Request) -> dict[str, str]:
    """The new-ticket form from `?alarm=&object=&problem=` (the alarm page's link)."""
    q = request.query_params
    alarm, obj, problem = (q.get(k, "").strip()[:200] for k in ("alarm", "object", "problem"))
    name = problem or (f"Alarm {alarm}" if alarm else "")
    about = f" on {obj}" if obj else ""
    description = f"Alarm {alarm}{about}: {problem or 'see the alarm'}" if alarm else ""
    return {
        "name": name,
        "description": description,
        "severity": "major" if alarm else "minor",
        "ticket_type": "trouble",
        "customer": q.get("customer", ""),
        "alarm": alarm,
        "object": obj,
    }


def new_page(
    request: Request, form: dict[str, str], *, errors: dict[str, str] | None = None, status: int = 200
) -> Response:
    caller = caller_of(request)
    return render(
        request,
        "tickets/new.html",
        NEW_TITLE,
        {
            "form": form,
            "errors": errors or {},
            "staff": access.is_staff(caller),
            "severity_options": [(s, s.capitalize()) for s in SEVERITIES],
            "type_options": [(t, t.capitalize()) for t in TICKET_TYPES],
            "current": "new",
        },
        status=status,
    )


async def new_get(request: Request) -> Response:
    return new_page(request, prefill(request))


def new_body(fields: dict[str, str]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": fields.get("name", ""),
        "description": fields.get("description", ""),
        "severity": fields.get("severity", ""),
        "ticketType": fields.get("ticket_type", "trouble"),
        "channel": "alarm" if fields.get("alarm") else "portal",
    }
    if fields.get("alarm"):
        body["relatedEntity"] = [{"role": "alarm", "id": fields["alarm"], "@referredType": "Alarm"}]
    return {k: (v if not isinstance(v, str) or v.strip() else None) for k, v in body.items()}


async def new_post(request: Request) -> Response:
    caller = caller_of(request)
    fields = text_fields(await request.form())
    customer = fields.get("customer", "").strip() or None
    try:
        async with transaction(ctx_of(request), write=True) as tx:
            row = await service.create(
                tx, caller=caller, raw=new_body(fields), channel="portal", customer=customer
            )
    except ProblemError as exc:
        refusal(exc)
        return new_page(request, fields, errors=errors_of(exc, NEW_INPUTS), status=422)
    # a whole page load of the ticket (not a swap into this one): its chat script must run, and
    # htmx does not run scripts it swaps in (allowScriptTags is off)
    target = f"/tickets/ticket/{row.id}?opened=1"
    if request.headers.get("HX-Request") == "true":
        return Response(status_code=200, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


async def ticket_page(
    request: Request,
    ticket_id: str,
    *,
    notice: str | None = None,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    caller = caller_of(request)
    ctx = ctx_of(request)
    async with transaction(ctx, write=False) as tx:
        d = await service.detail(tx, caller=caller, ticket_id=ticket_id)
        _, messages = await chat.transcript(tx, caller=caller, ticket_id=ticket_id)
        now = tx.now
    role = access.role_of(caller)
    t = d.ticket
    talks = access.chat_refusal(caller, t.customer_id, tenancy=ctx.tenancy.current) is None
    return render(
        request,
        "tickets/ticket.html",
        f"Ticket {t.id}",
        {
            "t": t,
            "d": d,
            "sla": state_of(t, now),
            "role": role,
            "staff": role == "staff",
            "moves": moves_for(t, role, now=now, reopen_days=ctx_of(request).reopen_days),
            "alarm_cleared": cleared_alarm(t, d.history),
            "notice": notice,
            "errors": errors or {},
            "form": form or {},
            "severity_options": [(s, s.capitalize()) for s in SEVERITIES],
            "attachment_url": f"/api/tickets/troubleTicket/{t.id}/attachment/",
            "chat_messages": messages,
            "chat_viewer": access.chat_role(caller) if talks else None,
            "chat_open": t.status not in FINAL,
            "chat_presence": ctx.chat.presence(t.id),
            "chat_ws_url": f"{BASE}/{t.id}/chat/ws",
            "current": "ticket",
        },
        status=status,
        headers=headers,
    )


def _id(request: Request) -> str:
    return str(request.path_params["id"])


async def _change(
    request: Request, raw: dict[str, Any], fields: dict[str, str], *, inputs: dict[str, str], notice: str
) -> Response:
    """A merge patch from a page form (with the version the page showed as If-Match)."""
    caller = caller_of(request)
    ticket_id = _id(request)
    version = fields.get("version", "").strip()
    try:
        async with transaction(ctx_of(request), write=True) as tx:
            await service.patch(tx, caller=caller, ticket_id=ticket_id, raw=raw, if_match=version or None)
    except ProblemError as exc:
        refusal(exc)
        return await ticket_page(request, ticket_id, errors=errors_of(exc, inputs), form=fields, status=422)
    return await ticket_page(request, ticket_id, notice=notice)


async def status_post(request: Request) -> Response:
    fields = text_fields(await request.form())
    to = fields.get("status", "")
    raw: dict[str, Any] = {"status": to}
    if fields.get("reason", "").strip():
        raw["statusChangeReason"] = fields["reason"]
    return await _change(
        request, raw, fields, inputs={"statusChangeReason": "reason"}, notice=f"The ticket is {to} now."
    )


async def note_post(request: Request) -> Response:
    fields = text_fields(await request.form())
    note = {"text": fields.get("text", "").strip() or None, "internal": fields.get("internal") == "on"}
    return await _change(request, {"note": note}, fields, inputs={"note": "text"}, notice="Note added.")


async def work_post(request: Request) -> Response:
    fields = text_fields(await request.form())
    raw: dict[str, Any] = {}
    if fields.get("severity"):
        raw["severity"] = fields["severity"]
    if "assigned_to" in fields:
        raw["assignedTo"] = fields["assigned_to"].strip() or None
    return await _change(
        request, raw, fields, inputs={"severity": "severity", "assignedTo": "assigned_to"}, notice="Saved."
    )


async def attachment_post(request: Request) -> Response:
    caller = caller_of(request)
    ctx = ctx_of(request)
    ticket_id = _id(request)
    try:
        filename, declared, content = await read_upload(request, ctx.max_attachment_bytes)
        upload = check_upload(
            filename=filename, content_type=declared, content=content, limit=ctx.max_attachment_bytes
        )
        async with transaction(ctx, write=True) as tx:
            row = await service.add_attachment(tx, caller=caller, ticket_id=ticket_id, upload=upload)
    except ProblemError as exc:
        refusal(exc)
        errors = errors_of(exc, {"file": "file"})
        return await ticket_page(
            request, ticket_id, errors={"file": errors.get("file") or errors[FORM]}, status=422
        )
    return await ticket_page(request, ticket_id, notice=f"{row.name} attached.")


async def ticket_get(request: Request) -> Response:
    ticket_id = _id(request)
    opened = request.query_params.get("opened") == "1"  # just opened from the form (new_post)
    return await ticket_page(request, ticket_id, notice=f"Ticket {ticket_id} is open." if opened else None)


def routes() -> list[Route]:
    return [
        Route("/list", list_page, methods=["GET"]),
        Route("/new", new_get, methods=["GET"]),
        Route("/new", new_post, methods=["POST"]),
        *queue_routes(),
        Route("/ticket/{id}", ticket_get, methods=["GET"]),
        Route("/ticket/{id}/status", status_post, methods=["POST"]),
        Route("/ticket/{id}/note", note_post, methods=["POST"]),
        Route("/ticket/{id}/attachment", attachment_post, methods=["POST"]),
        Route("/ticket/{id}/work", work_post, methods=["POST"]),
    ]

"""JSON API (`/api/...`, customer plane; the browser sees `/api/tickets/...`). Thin: parse →
service → serialise. Errors are RFC 9457 problems; 422 carries `errors: [{"field", "message"}]`.

* `GET /api/tmf-api/troubleTicket/v4/troubleTicket` `?status=&severity=&ticketType=&customer=`
  `&assignedTo=&fields=&offset=&limit=` → the tickets the caller sees, newest first;
  `X-Total-Count` (all matching), `X-Result-Count`
* `POST …/troubleTicket` → 201 (Location, ETag)
* `GET …/troubleTicket/{id}` → with notes, attachments and status changes (ETag)
* `PATCH …/troubleTicket/{id}` (`application/merge-patch+json`, else 415; `If-Match` → 412 when
  stale) `status` + `statusChangeReason`, `note` (appended), `severity`, `assignedTo` (staff)
* `POST /api/troubleTicket/{id}/attachment` (multipart, field `file`) → 201;
  `GET /api/troubleTicket/{id}/attachment/{aid}` → the file (attachment, nosniff)
* `GET /api/troubleTicket/{id}/chat` → the chat transcript `{"ticket", "messages"}` (chat.py)
* `GET /api/queue?status=&customer=&assignedTo=&q=&offset=&limit=` (staff) → soonest due first;
  `POST /api/queue/bulk` `{ids, assignedTo?, status?, statusChangeReason?}` → all or nothing
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from resources.kit.errors import FieldError, ProblemError
from resources.kit.middleware import caller_of
from resources.kit.requests import json_object
from resources.tickets import chat, service
from resources.tickets.attachments import check_upload, content_disposition
from resources.tickets.context import Context, transaction
from resources.tickets.lifecycle import OPEN_STATUSES, STATUSES
from resources.tickets.models import SEVERITIES, TICKET_TYPES
from resources.tickets.repository import Filter
from resources.tickets.schemas import attachment_json, etag, parse_fields, ticket_json

TMF = "/api/tmf-api/troubleTicket/v4/troubleTicket"
MERGE_PATCH = "application/merge-patch+json"
FORM_OVERHEAD = 64 * 1024  # multipart framing and the other fields besides the file


def ctx_of(request: Request) -> Context:
    ctx: Context = request.app.state.ctx
    return ctx


def _choices(request: Request, key: str, allowed: tuple[str, ...]) -> tuple[str, ...]:
    raw = request.query_params.get(key)
    if raw is None or raw == "":
        return ()
    values = tuple(v.strip() for v in raw.split(",") if v.strip())
    bad = [v for v in values if v not in allowed]
    if bad:
        raise FieldError(key, f"must be one or more of {', '.join(allowed)} (comma-separated)").problem()
    return values


def _whole(request: Request, key: str, default: int, *, low: int, high: int) -> int:
    raw = request.query_params.get(key)
    if raw is None:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise FieldError(key, f"must be a whole number from {low} to {high}").problem()
    return int(raw)


def _optional(request: Request, key: str, limit: int = 200) -> str | None:
    raw = request.query_params.get(key)
    if raw is None or not raw.strip():
        return None
    if len(raw) > limit:
        raise FieldError(key, f"must be at most {limit} characters").problem()
    return raw.strip()


def paging(request: Request) -> tuple[int, int]:
    ctx = ctx_of(request)
    offset = _whole(request, "offset", 0, low=0, high=10**9)
    return offset, _whole(request, "limit", ctx.page_size, low=1, high=ctx.max_page_size)


def list_filter(request: Request, *, default_status: tuple[str, ...] = ()) -> Filter:
    return Filter(
        status=_choices(request, "status", STATUSES) or default_status,
        severity=_choices(request, "severity", SEVERITIES),
        ticket_type=_choices(request, "ticketType", TICKET_TYPES),
        customer=_optional(request, "customer", 64),
        assigned_to=_optional(request, "assignedTo"),
        text=_optional(request, "q"),
    )


def page_response(items: list[dict[str, Any]], total: int) -> JSONResponse:
    return JSONResponse(items, headers={"X-Total-Count": str(total), "X-Result-Count": str(len(items))})


async def list_tickets(request: Request) -> Response:
    caller = caller_of(request)
    fields = parse_fields(request.query_params.get("fields"))
    f, (offset, limit) = list_filter(request), paging(request)
    async with transaction(ctx_of(request), write=False) as tx:
        rows, total = await service.search(tx, caller=caller, f=f, offset=offset, limit=limit)
        now = tx.now
    return page_response([ticket_json(r, now=now, fields=fields) for r in rows], total)


async def create_ticket(request: Request) -> Response:
    caller = caller_of(request)
    body = await json_object(request)
    customer = _optional(request, "customer", 64)
    async with transaction(ctx_of(request), write=True) as tx:
        row = await service.create(tx, caller=caller, raw=body, channel="api", customer=customer)
        out = ticket_json(row, now=tx.now)
    return JSONResponse(out, status_code=201, headers={"Location": out["href"], "ETag": etag(row)})


async def get_ticket(request: Request) -> Response:
    caller = caller_of(request)
    fields = parse_fields(request.query_params.get("fields"))
    async with transaction(ctx_of(request), write=False) as tx:
        d = await service.detail(tx, caller=caller, ticket_id=request.path_params["id"])
        out = ticket_json(
            d.ticket, now=tx.now, fields=fields, notes=d.notes, attachments=d.attachments, history=d.history
        )
    return JSONResponse(out, headers={"ETag": etag(d.ticket)})


async def patch_ticket(request: Request) -> Response:
    caller = caller_of(request)
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != MERGE_PATCH:
        raise ProblemError(415, detail=f"send the patch as {MERGE_PATCH} (RFC 7396)")
    body = await json_object(request)
    ticket_id = request.path_params["id"]
    async with transaction(ctx_of(request), write=True) as tx:
        row = await service.patch(
            tx, caller=caller, ticket_id=ticket_id, raw=body, if_match=request.headers.get("if-match")
        )
    async with transaction(ctx_of(request), write=False) as tx:
        d = await service.detail(tx, caller=caller, ticket_id=row.id)
        out = ticket_json(d.ticket, now=tx.now, notes=d.notes, attachments=d.attachments, history=d.history)
    return JSONResponse(out, headers={"ETag": etag(d.ticket)})


async def read_upload(request: Request, limit: int) -> tuple[str | None, str | None, bytes]:
    """(filename, declared type, bytes) of the multipart field `file`; 413 past the limit."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "multipart/form-data":
        raise ProblemError(415, detail="send the file as multipart/form-data (field file)")
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > limit + FORM_OVERHEAD:
        raise ProblemError(413, detail=f"an attachment may be at most {limit // (1024 * 1024)} MB")
    async with request.form(max_files=1, max_fields=10) as form:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise FieldError("file", "choose a file to attach").problem()
        content = await upload.read(limit + 1)
        return upload.filename, upload.content_type, content


async def upload_attachment(request: Request) -> Response:
    caller = caller_of(request)
    ctx = ctx_of(request)
    filename, declared, content = await read_upload(request, ctx.max_attachment_bytes)
    upload = check_upload(
        filename=filename, content_type=declared, content=content, limit=ctx.max_attachment_bytes
    )
    async with transaction(ctx, write=True) as tx:
        row = await service.add_attachment(
            tx, caller=caller, ticket_id=request.path_params["id"], upload=upload
        )
    return JSONResponse(attachment_json(row), status_code=201)


def download(name: str, media_type: str, content: bytes) -> Response:
    return Response(
        content,
        media_type=media_type,
        headers={
            "Content-Disposition": content_disposition(name),
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Cache-Control": "private, no-store",
        },
    )


async def get_attachment(request: Request) -> Response:
    caller = caller_of(request)
    async with transaction(ctx_of(request), write=False) as tx:
        row = await service.attachment(
            tx, caller=caller, ticket_id=request.path_params["id"], attachment_id=request.path_params["aid"]
        )
    return download(row.name, row.media_type, row.content)


async def get_chat(request: Request) -> Response:
    caller = caller_of(request)
    async with transaction(ctx_of(request), write=False) as tx:
        row, messages = await chat.transcript(tx, caller=caller, ticket_id=request.path_params["id"])
    return JSONResponse({"ticket": row.id, "messages": [chat.message_json(m) for m in messages]})


async def get_queue(request: Request) -> Response:
    caller = caller_of(request)
    f, (offset, limit) = list_filter(request, default_status=OPEN_STATUSES), paging(request)
    async with transaction(ctx_of(request), write=False) as tx:
        rows, total = await service.queue(tx, caller=caller, f=f, offset=offset, limit=limit)
        now = tx.now
    return page_response([ticket_json(r, now=now) for r in rows], total)


async def post_bulk(request: Request) -> Response:
    caller = caller_of(request)
    body = await json_object(request)
    async with transaction(ctx_of(request), write=True) as tx:
        rows = await service.bulk(tx, caller=caller, raw=body)
        out = [ticket_json(r, now=tx.now) for r in rows]
    return JSONResponse({"items": out})


def routes() -> list[Route]:
    return [
        Route(TMF, list_tickets, methods=["GET"]),
        Route(TMF, create_ticket, methods=["POST"]),
        Route(TMF + "/{id}", get_ticket, methods=["GET"]),
        Route(TMF + "/{id}", patch_ticket, methods=["PATCH"]),
        Route("/api/troubleTicket/{id}/attachment", upload_attachment, methods=["POST"]),
        Route("/api/troubleTicket/{id}/attachment/{aid}", get_attachment, methods=["GET"]),
        Route("/api/troubleTicket/{id}/chat", get_chat, methods=["GET"]),
        Route("/api/queue", get_queue, methods=["GET"]),
        Route("/api/queue/bulk", post_bulk, methods=["POST"]),
    ]

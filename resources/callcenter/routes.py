"""JSON API (`/api/...`, customer plane; the browser sees `/api/callcenter/...`). Thin: parse →
service → serialise. `{kind}` is `sites` or `distributions`. A customer user works on its own
customer; provider staff name one with `?customer=<id>`. Times are ISO 8601 with an offset
(answers are UTC). Errors are RFC 9457 problems; 422 carries `errors: [{"field", "message"}]`.

* `GET /api/{kind}?at=` → `{"customer", "at", "items": [document]}` (what is in effect at `at`,
  default now)
* `PUT /api/{kind}/{name}` body = the document, plus `"effective_at"` (optional, default now) →
  the new revision
* `DELETE /api/{kind}/{name}?effective_at=` → the removing revision
* `GET /api/{kind}/{name}/revisions` → `{"items": [revision]}`
* `POST /api/{kind}/{name}/revisions/{number}/cancel` | `/rollback` → the revision cancelled /
  the new one
* `GET /api/audit?limit=` → `{"items": [audit row]}`, newest first
* `GET /api/live` → each site now: open, capacity, live calls, occupancy, and the traffic live
  view's selection for its offered / answered / ASA figures
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from resources.callcenter import service
from resources.callcenter.context import Context, transaction
from resources.callcenter.models import DISTRIBUTION, SITE, RevisionRow
from resources.callcenter.schemas import audit_json, live_json, moment, revision_json
from resources.kit.caller import Caller
from resources.kit.errors import FieldError, ProblemError
from resources.kit.middleware import caller_of
from resources.kit.requests import customer_of, json_object

KINDS = {"sites": SITE, "distributions": DISTRIBUTION}


def ctx_of(request: Request) -> Context:
    ctx: Context = request.app.state.ctx
    return ctx


Handler = Callable[[Request, Caller, str], Awaitable[Response]]
KindHandler = Callable[[Request, Caller, str, str], Awaitable[Response]]  # … plus the kind


def for_kind(handler: KindHandler, kind: str) -> Handler:
    async def run(request: Request, caller: Caller, customer: str) -> Response:
        return await handler(request, caller, customer, kind)

    return run


def endpoint(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    async def run(request: Request) -> Response:
        caller = caller_of(request)
        return await handler(request, caller, customer_of(request, caller))

    return run


async def list_items(request: Request, caller: Caller, customer: str, kind: str) -> Response:
    ctx = ctx_of(request)
    at = moment(request.query_params.get("at"), "at")
    async with transaction(ctx, write=False) as tx:
        config = await service.config_at(tx, caller=caller, customer_id=customer, at=at)
        when = at or tx.now
    objects = config.sites if kind == SITE else config.distributions
    items = [objects[name].as_json() for name in sorted(objects)]
    return JSONResponse({"customer": customer, "at": when.isoformat(), "items": items})


async def put_item(request: Request, caller: Caller, customer: str, kind: str) -> Response:
    ctx = ctx_of(request)
    body = await json_object(request)
    effective_at = moment(body.pop("effective_at", None), "effective_at")
    name = request.path_params["name"]
    if body.setdefault("name", name) != name:
        raise FieldError("name", f"the body names {body['name']!r} but the address names {name!r}").problem()
    change = service.change_site if kind == SITE else service.change_distribution
    async with transaction(ctx, write=True) as tx:
        row = await change(tx, caller=caller, customer_id=customer, raw=body, effective_at=effective_at)
    return JSONResponse(revision_json(row), status_code=201 if row.number == 1 else 200)


async def delete_item(request: Request, caller: Caller, customer: str, kind: str) -> Response:
    ctx = ctx_of(request)
    effective_at = moment(request.query_params.get("effective_at"), "effective_at")
    async with transaction(ctx, write=True) as tx:
        row = await service.remove(
            tx,
            caller=caller,
            customer_id=customer,
            kind=kind,
            name=request.path_params["name"],
            effective_at=effective_at,
        )
    return JSONResponse(revision_json(row))


async def revisions(request: Request, caller: Caller, customer: str, kind: str) -> Response:
    ctx = ctx_of(request)
    async with transaction(ctx, write=False) as tx:
        rows = await service.history(
            tx, caller=caller, customer_id=customer, kind=kind, name=request.path_params["name"]
        )
    return JSONResponse({"items": [revision_json(r) for r in rows]})


def number_of(request: Request) -> int:
    raw = request.path_params["number"]
    if not raw.isdigit() or len(raw) > 9:
        raise ProblemError(404, detail=f"no such revision: {raw[:20]}")
    return int(raw)


def revision_verb(verb: Callable[..., Awaitable[RevisionRow]]) -> KindHandler:
    """POST …/revisions/{number}/cancel | rollback: the service verb on that revision."""

    async def run(request: Request, caller: Caller, customer: str, kind: str) -> Response:
        ctx = ctx_of(request)
        async with transaction(ctx, write=True) as tx:
            row = await verb(
                tx,
                caller=caller,
                customer_id=customer,
                kind=kind,
                name=request.path_params["name"],
                number=number_of(request),
            )
        return JSONResponse(revision_json(row))

    return run


cancel = revision_verb(service.cancel_revision)
rollback = revision_verb(service.rollback_to)


async def audit(request: Request, caller: Caller, customer: str) -> Response:
    ctx = ctx_of(request)
    raw = request.query_params.get("limit") or str(ctx.audit_page)
    if not raw.isdigit() or not 1 <= int(raw) <= ctx.audit_page:
        raise FieldError("limit", f"must be a whole number from 1 to {ctx.audit_page}").problem()
    async with transaction(ctx, write=False) as tx:
        rows = await service.audit_log(tx, caller=caller, customer_id=customer, limit=int(raw))
    return JSONResponse({"items": [audit_json(r) for r in rows]})


async def live(request: Request, caller: Caller, customer: str) -> Response:
    async with transaction(ctx_of(request), write=False) as tx:
        sites = await service.live_view(tx, caller=caller, customer_id=customer)
    return JSONResponse({"customer": customer, "sites": [live_json(customer, s) for s in sites]})


def routes() -> list[Route]:
    out = [
        Route("/api/audit", endpoint(audit), methods=["GET"]),
        Route("/api/live", endpoint(live), methods=["GET"]),
    ]
    for plural, kind in KINDS.items():
        base = f"/api/{plural}"
        out += [
            Route(base, endpoint(for_kind(list_items, kind)), methods=["GET"]),
            Route(f"{base}/{{name}}", endpoint(for_kind(put_item, kind)), methods=["PUT"]),
            Route(f"{base}/{{name}}", endpoint(for_kind(delete_item, kind)), methods=["DELETE"]),
            Route(f"{base}/{{name}}/revisions", endpoint(for_kind(revisions, kind)), methods=["GET"]),
            Route(
                f"{base}/{{name}}/revisions/{{number}}/cancel",
                endpoint(for_kind(cancel, kind)),
                methods=["POST"],
            ),
            Route(
                f"{base}/{{name}}/revisions/{{number}}/rollback",
                endpoint(for_kind(rollback, kind)),
                methods=["POST"],
            ),
        ]
    return out

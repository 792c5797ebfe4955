"""JSON API (`/api/...`, customer plane; the browser sees `/api/events/...`). Thin: parse →
service → serialise. Errors are RFC 9457 problems; 422 carries `errors: [{"field", "message"}]`.
Provider and reseller staff may narrow any list to one customer with `?customer=<id>`; the
threshold routes need one (a customer's users leave it out).

TMF642 v4 (tmf.py has the shape):
* `GET /api/tmf-api/alarmManagement/v4/alarm?<attribute>=<v>[,<v>…]&fields=&offset=&limit=` →
  newest raised first; headers `X-Total-Count` (all that matched) and `X-Result-Count` (this page)
* `GET /api/tmf-api/alarmManagement/v4/alarm/{id}`
* `PATCH /api/tmf-api/alarmManagement/v4/alarm/{id}` (`application/merge-patch+json`, else 415)
  `{"ackState": "acknowledged"|"unacknowledged", "comment": [{"comment": "text"}]}` (appended)

Own:
* `GET /api/feed?after=<seq>&limit=` → `{"items": [log rows in seq order], "next": <seq>}`
* `GET /api/open-count` → `{"open_unacknowledged": n}`
* `GET /api/thresholds`; `GET|PUT|DELETE /api/thresholds/{metric}/{target}`
* `GET /api/subscriptions`; `POST /api/subscriptions` (201, a webhook's `secret` only here);
  `DELETE /api/subscriptions/{id}` (204) — subscriptions.py
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from resources.events import service, subscriptions, thresholds
from resources.events.context import Context, transaction
from resources.events.schemas import entry_json
from resources.events.service import FEED_DEFAULT, FEED_MAX
from resources.events.tmf import (
    BASE,
    MERGE_PATCH,
    alarm_json,
    parse_list_query,
    parse_patch,
    select_fields,
)
from resources.kit.errors import FieldError, ProblemError
from resources.kit.middleware import caller_of
from resources.kit.requests import CUSTOMER_MAX, customer_of, json_object


def ctx_of(request: Request) -> Context:
    ctx: Context = request.app.state.ctx
    return ctx


def named_customer(request: Request) -> str | None:
    named = request.query_params.get("customer")
    if named is not None and (not named or len(named) > CUSTOMER_MAX):
        raise FieldError("customer", "must be a customer id").problem()
    return named


async def list_alarms(request: Request) -> Response:
    caller = caller_of(request)
    query = parse_list_query(request.query_params)
    async with transaction(ctx_of(request), write=False) as tx:
        page = await service.alarms(tx, caller=caller, query=query, customer=named_customer(request))
    items = [select_fields(alarm_json(a), query.fields) for a in page.alarms]
    return JSONResponse(items, headers={"X-Total-Count": str(page.total), "X-Result-Count": str(len(items))})


async def get_alarm(request: Request) -> Response:
    caller = caller_of(request)
    async with transaction(ctx_of(request), write=False) as tx:
        row = await service.alarm(tx, caller=caller, alarm_id=request.path_params["alarm_id"])
    return JSONResponse(select_fields(alarm_json(row), parse_list_query(_fields_only(request)).fields))


def _fields_only(request: Request) -> dict[str, str]:
    return {k: v for k, v in request.query_params.items() if k == "fields"}


async def patch_alarm(request: Request) -> Response:
    caller = caller_of(request)
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != MERGE_PATCH:
        raise ProblemError(415, detail=f"send the change as {MERGE_PATCH}")
    change = parse_patch(await json_object(request))
    async with transaction(ctx_of(request), write=True) as tx:
        row = await service.patch(tx, caller=caller, alarm_id=request.path_params["alarm_id"], change=change)
    return JSONResponse(alarm_json(row))


def _whole(request: Request, name: str, default: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18 or not int(raw) <= high:
        raise FieldError(name, f"must be a whole number from 0 to {high}").problem()
    return int(raw)


async def feed(request: Request) -> Response:
    caller = caller_of(request)
    after = _whole(request, "after", 0, 10**18)
    limit = _whole(request, "limit", FEED_DEFAULT, FEED_MAX)
    if limit < 1:
        raise FieldError("limit", f"must be a whole number from 1 to {FEED_MAX}").problem()
    async with transaction(ctx_of(request), write=False) as tx:
        rows, cursor = await service.feed(
            tx, caller=caller, after=after, limit=limit, customer=named_customer(request)
        )
    return JSONResponse({"items": [entry_json(r) for r in rows], "next": cursor})


async def open_count(request: Request) -> Response:
    caller = caller_of(request)
    async with transaction(ctx_of(request), write=False) as tx:
        count = await service.open_count(tx, caller=caller, customer=named_customer(request))
    return JSONResponse({"open_unacknowledged": count})


def _address(request: Request) -> tuple[str, str]:
    return str(request.path_params["metric"]), str(request.path_params["target"])


async def list_thresholds(request: Request) -> Response:
    caller = caller_of(request)
    customer = customer_of(request, caller)
    async with transaction(ctx_of(request), write=False) as tx:
        found = await thresholds.listing(tx, caller=caller, customer_id=customer)
    return JSONResponse({"customer": customer, "items": [thresholds.threshold_json(t) for t in found]})


async def get_threshold(request: Request) -> Response:
    caller = caller_of(request)
    metric, target = _address(request)
    async with transaction(ctx_of(request), write=False) as tx:
        found = await thresholds.get(
            tx, caller=caller, customer_id=customer_of(request, caller), metric=metric, target=target
        )
    return JSONResponse(thresholds.threshold_json(found))


async def put_threshold(request: Request) -> Response:
    caller = caller_of(request)
    metric, target = _address(request)
    body: dict[str, Any] = await json_object(request)
    async with transaction(ctx_of(request), write=True) as tx:
        found, created = await thresholds.put(
            tx,
            caller=caller,
            customer_id=customer_of(request, caller),
            metric=metric,
            target=target,
            body=body,
        )
    return JSONResponse(thresholds.threshold_json(found), status_code=201 if created else 200)


async def delete_threshold(request: Request) -> Response:
    caller = caller_of(request)
    metric, target = _address(request)
    async with transaction(ctx_of(request), write=True) as tx:
        await thresholds.remove(
            tx, caller=caller, customer_id=customer_of(request, caller), metric=metric, target=target
        )
    return Response(status_code=204)


async def list_subscriptions(request: Request) -> Response:
    caller = caller_of(request)
    customer = customer_of(request, caller)
    async with transaction(ctx_of(request), write=False) as tx:
        found = await subscriptions.listing(tx, caller=caller, customer_id=customer)
    return JSONResponse({"customer": customer, "items": [subscriptions.subscription_json(s) for s in found]})


async def create_subscription(request: Request) -> Response:
    caller = caller_of(request)
    customer = customer_of(request, caller)
    body: dict[str, Any] = await json_object(request)
    async with transaction(ctx_of(request), write=True) as tx:
        row, secret = await subscriptions.create(tx, caller=caller, customer_id=customer, body=body)
    return JSONResponse(subscriptions.subscription_json(row, secret=secret), status_code=201)


async def delete_subscription(request: Request) -> Response:
    caller = caller_of(request)
    customer = customer_of(request, caller)
    async with transaction(ctx_of(request), write=True) as tx:
        await subscriptions.remove(
            tx,
            caller=caller,
            customer_id=customer,
            subscription_id=str(request.path_params["subscription_id"]),
        )
    return Response(status_code=204)


def routes() -> list[Route]:
    return [
        Route(BASE, list_alarms, methods=["GET"]),
        Route(BASE + "/{alarm_id}", get_alarm, methods=["GET"]),
        Route(BASE + "/{alarm_id}", patch_alarm, methods=["PATCH"]),
        Route("/api/feed", feed, methods=["GET"]),
        Route("/api/open-count", open_count, methods=["GET"]),
        Route("/api/thresholds", list_thresholds, methods=["GET"]),
        Route("/api/thresholds/{metric}/{target}", get_threshold, methods=["GET"]),
        Route("/api/thresholds/{metric}/{target}", put_threshold, methods=["PUT"]),
        Route("/api/thresholds/{metric}/{target}", delete_threshold, methods=["DELETE"]),
        Route("/api/subscriptions", list_subscriptions, methods=["GET"]),
        Route("/api/subscriptions", create_subscription, methods=["POST"]),
        Route("/api/subscriptions/{subscription_id}", delete_subscription, methods=["DELETE"]),
    ]

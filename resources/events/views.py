"""HTML pages of the events resource (htmx, server-rendered content; the gateway adds the shell,
the menu and CSRF). Under `/events/…` in the portal:

* `/alarms?state=open|all|raised|updated|cleared&severity=` — the alarms (severity badge, object,
  cause, problem, raised, changed, ack state; ack/unack buttons with `events:manage`), newest
  first; the rows reload live (`/alarms/rows`, live.py's websocket; every 30 s without it).
  Customer users see their own; reseller staff their customers'; provider staff every
  customer's (`?customer=` narrows).
* `/alarms/count` — the open unacknowledged alarms as a small fragment (for the menu).
* `/alarms/{id}` — one alarm: its attributes, correlated alarms, comments and history (its log
  rows); acknowledge / unacknowledge / comment with `events:manage`.
* `/thresholds` — views_thresholds.py.
* `/alarms/subscriptions`, `/alarms/outbox` — views_notify.py.

Forms post to the resource and get the page back: 200 with a notice, 422 with the error next to
its input and the form as typed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from resources.events import access, engine, service
from resources.events.access import MANAGE
from resources.events.context import transaction
from resources.events.routes import ctx_of, named_customer
from resources.events.tmf import MAX_COMMENT, SEVERITIES_ALL, ListQuery, comment_text
from resources.events.views_common import BADGES, BASE, url
from resources.events.views_notify import notify_routes
from resources.events.views_thresholds import threshold_routes
from resources.kit.caller import Caller
from resources.kit.errors import ProblemError
from resources.kit.middleware import caller_of
from resources.kit.pages import problem_text, text_fields

TITLE = "Alarms"
STATE_FILTERS = {
    "open": ("raised", "updated"),
    "all": (),
    "raised": ("raised",),
    "updated": ("updated",),
    "cleared": ("cleared",),
}
PAGE_ROWS = 200


def render(
    request: Request, name: str, title: str, context: Mapping[str, Any], *, status: int = 200
) -> Response:
    values = {"base": BASE, "url": url, "badges": BADGES, **context}
    return request.app.state.templates.render(  # type: ignore[no-any-return]
        request, name, values, title=title, status=status
    )


def filters_of(request: Request) -> tuple[str, str, ListQuery]:
    state = request.query_params.get("state", "open")
    state = state if state in STATE_FILTERS else "open"
    severity = request.query_params.get("severity", "")
    severity = severity if severity in SEVERITIES_ALL else ""
    filters: dict[str, tuple[str, ...]] = {}
    if STATE_FILTERS[state]:
        filters["state"] = STATE_FILTERS[state]
    if severity:
        filters["perceived_severity"] = (severity,)
    return state, severity, ListQuery(filters=filters, fields=None, offset=0, limit=PAGE_ROWS)


async def _list_context(request: Request, caller: Caller) -> dict[str, Any]:
    state, severity, query = filters_of(request)
    customer = named_customer(request)
    async with transaction(ctx_of(request), write=False) as tx:
        page = await service.alarms(tx, caller=caller, query=query, customer=customer)
        count = await service.open_count(tx, caller=caller, customer=customer)
    return {
        "alarms": page.alarms,
        "total": page.total,
        "open_count": count,
        "state": state,
        "severity": severity,
        "customer": customer,
        "many": caller.customer_id is None,  # staff: show whose alarm it is
        "can_manage": caller.has(MANAGE),
        "states": list(STATE_FILTERS),
        "severities": SEVERITIES_ALL,
        "rows_url": url("/alarms/rows", state=state, severity=severity, customer=customer),
        "ws_url": url("/alarms/ws", customer=customer),
    }


async def list_page(request: Request, *, notice: str | None = None, alert: str | None = None) -> Response:
    caller = caller_of(request)
    context = await _list_context(request, caller)
    return render(request, "events/alarms.html", TITLE, {**context, "notice": notice, "alert": alert})


async def alarms_get(request: Request) -> Response:
    return await list_page(request)


async def rows_get(request: Request) -> Response:
    caller = caller_of(request)
    context = await _list_context(request, caller)
    return request.app.state.templates.render(  # type: ignore[no-any-return]
        request, "events/_rows.html", {"base": BASE, "url": url, "badges": BADGES, **context}
    )


async def count_get(request: Request) -> Response:
    caller = caller_of(request)
    async with transaction(ctx_of(request), write=False) as tx:
        count = await service.open_count(tx, caller=caller, customer=named_customer(request))
    label = f"{count} open unacknowledged alarm{'' if count == 1 else 's'}"
    kind = "danger" if count else "neutral"
    return HTMLResponse(
        f'<span class="badge badge--{kind}" data-open-count="{count}" title="{label}">{count}</span>'
    )


async def detail_page(
    request: Request,
    *,
    notice: str | None = None,
    errors: dict[str, str] | None = None,
    typed: str = "",
    status: int = 200,
) -> Response:
    caller = caller_of(request)
    async with transaction(ctx_of(request), write=False) as tx:
        alarm, history = await service.history(tx, caller=caller, alarm_id=request.path_params["alarm_id"])
    title = f"Alarm: {alarm.probable_cause} on {alarm.alarmed_object}"
    return render(request, "events/alarm.html", title, {
        "alarm": alarm, "history": history, "can_manage": caller.has(MANAGE), "notice": notice,
        "errors": errors or {}, "typed": typed, "customer": named_customer(request),
        "max_comment": MAX_COMMENT,
    }, status=status)  # fmt: skip


async def detail_get(request: Request) -> Response:
    return await detail_page(request)


def _action(verb: str) -> Any:
    async def post(request: Request) -> Response:
        caller = caller_of(request)
        fields = text_fields(await request.form())
        to_list = fields.get("return") == "list"
        alarm_id = str(request.path_params["alarm_id"])
        try:
            text = comment_text(fields.get("comment", ""), "comment") if verb == "comment" else ""
            async with transaction(ctx_of(request), write=True) as tx:
                alarm = await service.alarm(tx, caller=caller, alarm_id=alarm_id)
                access.require_manage(caller, alarm.customer_id, tenancy=tx.ctx.tenancy.current)
                if verb == "ack":
                    await engine.acknowledge(tx, alarm, actor=caller.username)
                elif verb == "unack":
                    await engine.unacknowledge(tx, alarm, actor=caller.username)
                else:
                    await engine.comment(tx, alarm, actor=caller.username, text=text)
        except ProblemError as exc:
            if exc.status in (403, 404):
                raise
            return await detail_page(
                request, errors={"comment": problem_text(exc)}, typed=fields.get("comment", ""), status=422
            )
        done = {"ack": "acknowledged", "unack": "unacknowledged", "comment": "commented"}[verb]
        notice = f"Alarm {alarm.probable_cause} on {alarm.alarmed_object} {done}."
        if to_list:
            return await list_page(request, notice=notice)
        return await detail_page(request, notice=notice)

    return post


def routes() -> list[Route]:
    return [
        *notify_routes(),  # before /alarms/{alarm_id}
        Route("/alarms", alarms_get, methods=["GET"]),
        Route("/alarms/rows", rows_get, methods=["GET"]),
        Route("/alarms/count", count_get, methods=["GET"]),
        Route("/alarms/{alarm_id}", detail_get, methods=["GET"]),
        Route("/alarms/{alarm_id}/ack", _action("ack"), methods=["POST"]),
        Route("/alarms/{alarm_id}/unack", _action("unack"), methods=["POST"]),
        Route("/alarms/{alarm_id}/comment", _action("comment"), methods=["POST"]),
        *threshold_routes(),
    ]

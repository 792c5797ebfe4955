"""HTML pages of the traffic resource (server-rendered content; the gateway adds the shell).

`/live` is the live monitor (its numbers arrive over the websocket, traffic.js); `/history`,
`/calls` and `/calls/{call_id}` work without JavaScript (GET forms, plain links, CSV downloads
with `format=csv`); `/ingest` is the staff's view of the ingest writer. Bad input re-renders the
page with status 422 and the message next to its field; never a 500.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from resources.kit.db import unit_of_work
from resources.kit.errors import ValidationFailed
from resources.kit.middleware import caller_of
from resources.traffic import service
from resources.traffic.model import DISPOSITIONS
from resources.traffic.routes import csv_response, ctx_of, params_of
from resources.traffic.schemas import (
    CALL_CLASSES,
    DISPOSITION_WORDS,
    parse_call_query,
    parse_history_query,
    parse_selection,
)


def when(epoch: float | None, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
    return "—" if epoch is None else datetime.fromtimestamp(epoch, UTC).strftime(fmt)


def pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f} %"


def secs(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f} s"


HISTORY = "traffic/history.html"
CALLS = "traffic/calls.html"
UI = {
    "when": when, "pct": pct, "secs": secs, "words": DISPOSITION_WORDS, "dispositions": DISPOSITIONS,
    "classes": CALL_CLASSES, "quote": lambda s: quote(s, safe=""),
}  # fmt: skip


def render(
    request: Request, name: str, title: str, context: Mapping[str, Any], *, status: int = 200
) -> Response:
    return request.app.state.templates.render(  # type: ignore[no-any-return]
        request, name, {"ui": UI, **context}, title=title, status=status
    )


def with_errors(context: dict[str, Any], errors: list[dict[str, str]]) -> dict[str, Any]:
    """`errors` (field → first message) for the fields, `error_list` for the summary."""
    by_field: dict[str, str] = {}
    for e in errors:
        by_field.setdefault(e["field"], e["message"])
    return {**context, "errors": by_field, "error_list": errors}


def _sentence(text: str) -> str:
    text = text[:1].upper() + text[1:]
    return text if text.endswith(".") else text + "."


# --- live ----------------------------------------------------------------------------------------


async def live_page(request: Request) -> Response:
    ctx, caller = ctx_of(request), caller_of(request)
    choices = service.choices(caller=caller, numbers=ctx.numbers)
    try:
        selected = parse_selection(request.query_params.get("select"))
    except ValidationFailed:
        selected = "all"
    return render(request, "traffic/live.html", "Live traffic", {
        "choices": choices, "selected": selected, "window": ctx.settings.live_window,
        "recent": ctx.settings.recent_calls,
    })  # fmt: skip


# --- history -------------------------------------------------------------------------------------


async def history_page(request: Request) -> Response:
    ctx, caller = ctx_of(request), caller_of(request)
    params = params_of(request)
    today = datetime.fromtimestamp(ctx.clock(), UTC).date()
    form = {k: params.get(k, "").strip() for k in ("select", "day", "from", "to")}
    context: dict[str, Any] = {
        "choices": service.choices(caller=caller, numbers=ctx.numbers), "form": form, "errors": {},
        "error_list": [], "history": None, "csv_url": None,
    }  # fmt: skip
    try:
        value, period = parse_history_query(params, today=today)
        async with unit_of_work(ctx.maker, write=False) as session:
            h = await service.history(
                session, caller=caller, numbers=ctx.numbers, value=value, period=period,
                bucket_seconds=ctx.settings.bucket_seconds,
            )  # fmt: skip
    except ValidationFailed as exc:
        return render(request, HISTORY, "Traffic history", with_errors(context, exc.errors), status=422)
    except service.NotVisible as exc:
        errors = [{"field": exc.field or "select", "message": _sentence(exc.detail or "not found")}]
        return render(request, HISTORY, "Traffic history", with_errors(context, errors), status=422)
    if params.get("format") == "csv":
        return csv_response(service.history_csv(h), f"traffic-{period.start:%Y%m%d}.csv")
    form["select"] = "" if value == "all" else value  # "+1800…" typed in a URL arrives as " 1800…"
    if not form["day"] and not form["from"]:
        form["day"] = period.start.date().isoformat()
    query = {k: v for k, v in form.items() if v}
    context.update(
        history=h, series=h.series(), csv_url="/traffic/history?" + urlencode({**query, "format": "csv"})
    )
    return render(request, HISTORY, "Traffic history", context)


# --- call records --------------------------------------------------------------------------------


async def calls_page(request: Request) -> Response:
    ctx, caller = ctx_of(request), caller_of(request)
    params = params_of(request)
    params.pop("limit", None)  # pages of DEFAULT_LIMIT (the API takes a limit)
    form = {k: params.get(k, "").strip() for k in ("number", "disposition", "class", "from", "to")}
    visible = service.choices(caller=caller, numbers=ctx.numbers)
    context: dict[str, Any] = {
        "form": form, "errors": {}, "error_list": [], "page": None, "next_url": None, "csv_url": None,
        "numbers": [c.number for c in visible if c.number], "paged": bool(params.get("before")),
    }  # fmt: skip
    try:
        query = parse_call_query(params)
        async with unit_of_work(ctx.maker, write=False) as session:
            if params.get("format") == "csv":
                text = await service.export_calls(session, caller=caller, numbers=ctx.numbers, query=query)
                return csv_response(text, "calls.csv")
            page = await service.search_calls(session, caller=caller, numbers=ctx.numbers, query=query)
    except ValidationFailed as exc:
        return render(request, CALLS, "Call records", with_errors(context, exc.errors), status=422)
    except service.NotVisible as exc:
        errors = [{"field": exc.field or "number", "message": _sentence(exc.detail or "not found")}]
        return render(request, CALLS, "Call records", with_errors(context, errors), status=422)
    query_args = {k: v for k, v in form.items() if v}
    context.update(
        page=page,
        csv_url="/traffic/calls?" + urlencode({**query_args, "format": "csv"}),
        next_url="/traffic/calls?" + urlencode({**query_args, "before": page.next_cursor})
        if page.next_cursor
        else None,
        first_url="/traffic/calls?" + urlencode(query_args) if query_args else "/traffic/calls",
    )
    return render(request, CALLS, "Call records", context)


async def call_page(request: Request) -> Response:
    ctx = ctx_of(request)
    call_id = str(request.path_params["call_id"])
    async with unit_of_work(ctx.maker, write=False) as session:
        record = await service.get_call(
            session, caller=caller_of(request), numbers=ctx.numbers, call_id=call_id
        )
    # an outbound call's number is the customer's calling line, not a toll-free number
    outbound = record.call_class is not None or ctx.numbers.is_line(record.number)
    return render(request, "traffic/call.html", f"Call {call_id}", {"call": record, "outbound": outbound})


# --- ingest --------------------------------------------------------------------------------------


async def ingest_page(request: Request) -> Response:
    caller_of(request)
    stats = ctx_of(request).ingestor.stats()
    return render(request, "traffic/ingest.html", "Traffic ingest", {"stats": stats})


def routes() -> list[Route]:
    return [
        Route("/live", live_page, methods=["GET"]),
        Route("/history", history_page, methods=["GET"]),
        Route("/calls", calls_page, methods=["GET"]),
        Route("/calls/{call_id}", call_page, methods=["GET"]),
        Route("/ingest", ingest_page, methods=["GET"]),
    ]

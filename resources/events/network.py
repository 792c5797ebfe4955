"""Conditions from network elements (network plane).

    POST /network/conditions   one Condition (JSON fields) or an array of up to 1000
    POST /network/probes       the switch's site probing: {"target", "state": down|up, "at"} (probes.py)
    GET  /network/probe-list   the dispatcher list file of every known site (text/plain)

Only a network element may report (`events:report`, scope kind "service"; the caller's kind must
be "element"): its identity becomes each condition's `source` (`element:<name>`), whatever the body
says. The conditions are observed in order in one transaction → 202 `{"accepted": n}`; a bad one
refuses the whole request (422, `errors[].field` like `[2].severity`).
"""

from __future__ import annotations

import dataclasses
import json

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from resources.events.access import REPORT
from resources.events.intake import MAX_BATCH, ConditionError, parse_condition, report
from resources.events.probes import ProbeError, parse_probe
from resources.events.routes import ctx_of
from resources.kit.errors import ProblemError, ValidationFailed
from resources.kit.middleware import caller_of

MAX_BODY = 1_000_000


def _element(request: Request) -> str:
    caller = caller_of(request)
    if caller.kind != "element" or not caller.has(REPORT):
        raise ProblemError(403, detail="only a network element may report conditions")
    return caller.subject


async def _json(request: Request) -> object:
    raw_bytes = await request.body()
    if len(raw_bytes) > MAX_BODY:
        raise ProblemError(413, detail=f"the body is larger than {MAX_BODY} bytes")
    try:
        return json.loads(raw_bytes or b"null")
    except (ValueError, RecursionError):
        raise ValidationFailed([{"field": "body", "message": "The body is not valid JSON."}]) from None


async def probes(request: Request) -> Response:
    element = _element(request)
    try:
        probe = parse_probe(await _json(request))
        condition = ctx_of(request).probes.condition(probe, element=element)
    except ProbeError as exc:
        raise ValidationFailed([{"field": exc.field, "message": exc.message}]) from None
    if condition is not None:
        await report(ctx_of(request), [condition])
    return JSONResponse({"accepted": 1 if condition is not None else 0}, status_code=202)


async def probe_list(request: Request) -> Response:
    _element(request)
    return PlainTextResponse(ctx_of(request).probes.dispatcher_list())


async def conditions(request: Request) -> Response:
    caller = caller_of(request)
    _element(request)
    raw = await _json(request)
    items = raw if isinstance(raw, list) else [raw]
    if not 0 < len(items) <= MAX_BATCH:
        raise ValidationFailed([{"field": "body", "message": f"send 1 to {MAX_BATCH} conditions"}])
    errors: list[dict[str, str]] = []
    parsed = []
    for i, item in enumerate(items):
        if isinstance(item, dict):
            item = {**item, "source": caller.subject}
        try:
            parsed.append(parse_condition(item, where=f"[{i}]" if isinstance(raw, list) else ""))
        except ConditionError as exc:
            errors += exc.errors
    if errors:
        raise ValidationFailed(errors)
    await report(ctx_of(request), [dataclasses.replace(c, source=caller.subject) for c in parsed])
    return JSONResponse({"accepted": len(parsed)}, status_code=202)


def routes() -> list[BaseRoute]:
    return [
        Route("/network/conditions", conditions, methods=["POST"]),
        Route("/network/probes", probes, methods=["POST"]),
        Route("/network/probe-list", probe_list, methods=["GET"]),
    ]

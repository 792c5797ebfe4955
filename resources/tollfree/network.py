"""The SCP on the network plane (contract "SCP answers"): the per-call route query and status.

    POST /network/route[?format=json|rtjson]   {"dnis", "ani", "ts", "callid"}
    GET  /network/status

This is the hot path of every toll-free call, so the endpoints are plain ASGI apps: one
``json.loads`` of the body, a synchronous ``ScpStore.route``, one ``json.dumps`` of the answer.
The kit's AssertionMiddleware has already checked the assertion and the network plane.
"""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from resources.kit.asgi import TS_MESSAGE, Disconnected, answer_format, epoch_ts, read_body, send_json
from resources.kit.errors import ValidationFailed, problem
from resources.tollfree.answer import answer_json
from resources.tollfree.compiler import Query
from resources.tollfree.rtjson import callcenter_request, to_rtjson
from resources.tollfree.scp import RouteResult, ScpStore

MAX_BODY = 16_384
MAX_CALL_ID = 256

_NANP = re.compile(r"(?:\+1|1)?([2-9][0-9]{9})")
_E164 = re.compile(r"\+[1-9][0-9]{6,14}")

MESSAGES = {
    "json": "the body is not valid JSON",
    "body": "the body must be a JSON object",
    "dnis": "dnis must be a North American number like +18005550100, 18005550100 or 8005550100",
    "ani": "ani must be a phone number like +13125550100 or 3125550100, or null",
    "ts": TS_MESSAGE,
    "callid": f"callid must be a string of at most {MAX_CALL_ID} characters, or null",
    "format": "format must be json or rtjson",
}


def normalise_dnis(value: Any) -> str | None:
    """``+18005550100`` / ``18005550100`` / ``8005550100`` → ``+18005550100``; None when invalid."""
    if not isinstance(value, str):
        return None
    match = _NANP.fullmatch(value)
    return "+1" + match.group(1) if match else None


def normalise_ani(value: Any) -> tuple[bool, str | None]:
    """(ok, E.164 or None). NANP numbers in any of the dnis forms; other E.164 numbers as given;
    null/absent/"" = no calling number."""
    if value is None or value == "":
        return True, None
    if not isinstance(value, str):
        return False, None
    match = _NANP.fullmatch(value)
    if match:
        return True, "+1" + match.group(1)
    if _E164.fullmatch(value):
        return True, value
    return False, None


def parse_query(raw: bytes, *, now: float) -> Query | list[dict[str, str]]:
    """The body as a Query, or the field errors (422)."""
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        return [{"field": "body", "message": MESSAGES["json"]}]
    if not isinstance(data, dict):
        return [{"field": "body", "message": MESSAGES["body"]}]
    errors: list[dict[str, str]] = []
    dnis = normalise_dnis(data.get("dnis"))
    if dnis is None:
        errors.append({"field": "dnis", "message": MESSAGES["dnis"]})
    ok, ani = normalise_ani(data.get("ani"))
    if not ok:
        errors.append({"field": "ani", "message": MESSAGES["ani"]})
    ts = epoch_ts(data.get("ts"), now=now)
    if ts is None:
        errors.append({"field": "ts", "message": MESSAGES["ts"]})
    call_id = data.get("callid")
    if call_id is not None and (not isinstance(call_id, str) or len(call_id) > MAX_CALL_ID):
        errors.append({"field": "callid", "message": MESSAGES["callid"]})
    if errors or dnis is None or ts is None:
        return errors
    return Query(dnis=dnis, ani=ani, ts=ts, call_id=call_id)


def answer_body(query: Query, result: RouteResult) -> dict[str, Any]:
    """`?format=json`: the query echoed, the version that answered, the answer (and, for a
    distribution, the call-center router's request, as in rtjson)."""
    callcenter = callcenter_request(
        result.answer,
        number=query.dnis,
        version=result.version,
        customer_id=result.customer_id,
        call_id=query.call_id,
        ts=query.ts,
    )
    return {
        "number": query.dnis,
        "call_id": query.call_id,
        "ts": query.ts,
        "version": result.version,
        "version_id": result.version_id,
        **answer_json(result.answer),
        **({"callcenter": callcenter} if callcenter is not None else {}),
    }


def rtjson_body(query: Query, result: RouteResult, *, announce_uri: str | None) -> dict[str, Any]:
    """`?format=rtjson`: Kamailio's rtjson, each route tagged with number, version, destination."""
    return to_rtjson(
        result.answer,
        announce_uri=announce_uri,
        number=query.dnis,
        version=result.version,
        customer_id=result.customer_id,
        call_id=query.call_id,
        ts=query.ts,
    )


class RouteEndpoint:
    """POST /network/route — an ASGI app (no Request object, no pydantic)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        ctx = scope["app"].state.ctx
        store: ScpStore = ctx.scp
        fmt = answer_format(scope)
        try:
            raw = await read_body(receive, MAX_BODY)
        except Disconnected:
            return
        if raw is None:
            await problem(413, detail=f"the body must be at most {MAX_BODY} bytes")(scope, receive, send)
            return
        errors: list[dict[str, str]] = []
        if fmt is None:
            errors.append({"field": "format", "message": MESSAGES["format"]})
        parsed = parse_query(raw, now=store.now())
        if isinstance(parsed, list):
            errors += parsed
        if errors or isinstance(parsed, list) or fmt is None:
            await ValidationFailed(errors).response()(scope, receive, send)
            return
        result = store.route(parsed)
        if fmt == "json":
            payload = answer_body(parsed, result)
        else:
            payload = rtjson_body(parsed, result, announce_uri=ctx.settings.announce_uri)
        await send_json(send, 200, payload)


class StatusEndpoint:
    """GET /network/status — what the SCP has loaded."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send_json(send, 200, scope["app"].state.ctx.scp.status())


def routes() -> list[BaseRoute]:
    return [
        Route("/network/route", RouteEndpoint(), methods=["POST"]),
        Route("/network/status", StatusEndpoint(), methods=["GET"]),
    ]

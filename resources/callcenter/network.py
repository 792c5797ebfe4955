"""The call-center router on the network plane: where a toll-free call that reached a
distribution goes.

    POST /network/route[?format=json|rtjson]
         {"customer", "distribution", "dnis", "callid", "ts", "ring_timeout",
          "number", "version", "path", "carrier"}

The toll-free SCP answers a `distribution:<name>` leaf with this body ready-made
(`switchboard.callcenter` of its rtjson); kamailio.cfg posts it here and relays to the routes of
the answer, with failover, exactly as it does with the SCP's. `number`, `version`, `path` and
`carrier` are the SCP's and come back in `switchboard`, so traffic records the call as before.

The answer: the ordered sites (`outcome` "route"), or — no site can take the call — the
distribution's after-hours or all-busy treatment: an announcement (to the media server when one
is configured, else SIP 480), a ring-to number (to the PSTN gateway) or a voicemail site. With
no treatment the switch answers 480 "Call centers closed" or 486 "All call centers busy".
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from resources.callcenter.context import Context
from resources.callcenter.distribution import NAME, Treatment
from resources.callcenter.router import Decision
from resources.kit.asgi import TS_MESSAGE, Disconnected, answer_format, epoch_ts, read_body, send_json
from resources.kit.errors import ValidationFailed, problem
from resources.kit.rtjson import NO_MEDIA_SERVER, route_header, serial_route, site_route_uri

MAX_BODY = 16_384
MAX_TEXT = 256
DEFAULT_RING_SECONDS = 20
NO_TREATMENT = {"after-hours": (480, "Call centers closed"), "all-busy": (486, "All call centers busy")}


def _text(data: dict[str, Any], key: str, errors: list[dict[str, str]], *, required: bool) -> str | None:
    value = data.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value or len(value) > MAX_TEXT:
        need = "a non-empty string" + ("" if required else ", or null")
        errors.append({"field": key, "message": f"{key} must be {need} of at most {MAX_TEXT} characters"})
        return None
    return value


def parse_request(raw: bytes, *, now: float) -> dict[str, Any] | list[dict[str, str]]:
    """The body's fields (ts defaulted to now, ring_timeout to 20 s), or the field errors."""
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        return [{"field": "body", "message": "the body is not valid JSON"}]
    if not isinstance(data, dict):
        return [{"field": "body", "message": "the body must be a JSON object"}]
    errors: list[dict[str, str]] = []
    out: dict[str, Any] = {
        key: _text(data, key, errors, required=True) for key in ("customer", "distribution", "dnis")
    }
    for key in ("callid", "number", "path", "carrier"):
        out[key] = _text(data, key, errors, required=False)
    if out["distribution"] is not None and not NAME.match(out["distribution"]):
        errors.append(
            {"field": "distribution", "message": "distribution must be a distribution name, like main"}
        )
    out["ts"] = epoch_ts(data.get("ts"), now=now)
    if out["ts"] is None:
        errors.append({"field": "ts", "message": TS_MESSAGE})
    for key, default, low, high in (
        ("ring_timeout", DEFAULT_RING_SECONDS, 5, 120),
        ("version", None, 1, 2**31),
    ):
        value = data.get(key, default)
        if value is None and default is None:
            out[key] = None
        elif isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            errors.append({"field": key, "message": f"{key} must be a whole number from {low} to {high}"})
        else:
            out[key] = value
    return errors or out


def answer_json(decision: Decision) -> dict[str, Any]:
    """`?format=json`: the decision, with each site's URI."""
    choice = decision.choice
    return {
        "distribution": decision.distribution,
        **choice.as_json(),
        "uris": {name: decision.sites[name].uri for name in choice.sites},
    }


def to_rtjson(decision: Decision, request: dict[str, Any], *, ctx: Context) -> dict[str, Any]:
    choice, dnis = decision.choice, request["dnis"]
    number, version = request["number"], request["version"]
    ring_ms = request["ring_timeout"] * 1000
    routes: list[dict[str, Any]] = []
    dests: list[str] = []
    code: int | None = None
    reason: str | None = None
    for name in choice.sites:
        dest = f"site:{name}"
        dests.append(dest)
        routes.append(
            serial_route(
                site_route_uri(decision.sites[name].uri, dnis),
                header=route_header(number, version, f"dest={dest}"),
                ring_ms=ring_ms,
            )
        )
    if choice.outcome != "route":
        treatment = choice.treatment
        if treatment is None:
            code, reason = NO_TREATMENT[choice.outcome]
        else:
            route, dest, code, reason = _treatment(treatment, decision, dnis=dnis, ctx=ctx)
            if route is not None:
                routes.append(
                    serial_route(
                        route, header=route_header(number, version, f"treatment={dest}"), ring_ms=ring_ms
                    )
                )
                dests.append(dest)
    path = ",".join(p for p in (request["path"], f"distribution:{decision.distribution}") if p)
    return {
        "version": "1.0",
        "routing": "serial",
        "routes": routes,
        "switchboard": {
            "outcome": choice.outcome,
            "code": code,
            "reason": reason,
            "version": version,
            "number": number,
            "dests": dests,
            "carrier": request["carrier"],
            "path": path,
            "distribution": decision.distribution,
            "skipped": [f"{site} {why}" for site, why in choice.skipped],
        },
    }


def _treatment(
    treatment: Treatment, decision: Decision, *, dnis: str, ctx: Context
) -> tuple[str | None, str, int | None, str | None]:
    """(route URI or None, destination label, SIP code, reason) of a treatment."""
    if treatment.kind == "ring-to":
        return ctx.pstn_uri.format(number=treatment.target), treatment.target, None, None
    if treatment.kind == "voicemail":
        site = decision.sites.get(treatment.target)
        if site is not None:
            return site_route_uri(site.uri, dnis), f"site:{site.name}", None, None
        return None, "", 480, f"voicemail site {treatment.target} is not configured"
    if ctx.announce_uri is None:
        return None, "", NO_MEDIA_SERVER, f"announcement {treatment.target} (no media server)"
    return ctx.announce_uri.format(treatment=treatment.target), f"announce:{treatment.target}", None, None


class RouteEndpoint:
    """POST /network/route — a plain ASGI app, like the SCP's."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        ctx: Context = scope["app"].state.ctx
        fmt = answer_format(scope)
        try:
            raw = await read_body(receive, MAX_BODY)
        except Disconnected:
            return
        if raw is None:
            await problem(413, detail=f"the body must be at most {MAX_BODY} bytes")(scope, receive, send)
            return
        parsed = parse_request(raw, now=ctx.clock().timestamp())
        errors = parsed if isinstance(parsed, list) else []
        if fmt is None:
            errors.append({"field": "format", "message": "format must be json or rtjson"})
        if errors or isinstance(parsed, list):
            await ValidationFailed(errors).response()(scope, receive, send)
            return
        decision = await ctx.router.decide(
            customer_id=parsed["customer"],
            distribution=parsed["distribution"],
            call_id=parsed["callid"] or "",
            at=datetime.fromtimestamp(parsed["ts"], UTC),
        )
        if decision is None:
            detail = f"customer {parsed['customer']} has no distribution {parsed['distribution']}"
            await problem(404, detail=detail)(scope, receive, send)
            return
        payload = answer_json(decision) if fmt == "json" else to_rtjson(decision, parsed, ctx=ctx)
        await send_json(send, 200, payload)


def routes() -> list[BaseRoute]:
    return [Route("/network/route", RouteEndpoint(), methods=["POST"])]

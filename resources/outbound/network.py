"""The outbound decision on the network plane (the switch asks on every outbound INVITE).

    POST /network/decide   {"caller", "dialled", "callid", "ts", "auth_code", "account_code"}

`caller` is the calling line's number as the PBX presents it (E.164, or NANP 10 / 11 digits);
`dialled` the request-URI user part; `auth_code` / `account_code` the digits the user keyed for
this call (kamailio.cfg takes them from the `X-Switchboard-Auth-Code` /
`X-Switchboard-Account-Code` headers and never relays those). The answer (decision.py):

    {"outcome": "allow" | "deny" | "collect-code", "code": 200 | 403 | 484, "reason",
     "collect": "authorization" | "account" | null, "class", "number", "country",
     "customer", "line", "account_code"}

The switch relays an allowed call (with class and account code on its CDR), replies 403 with
the reason to a denied one, and 484 with `X-Switchboard-Collect: <kind>` when a code is needed.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from resources.kit.asgi import TS_MESSAGE, Disconnected, epoch_ts, read_body, send_json
from resources.kit.errors import ValidationFailed, problem
from resources.outbound.context import Context

MAX_BODY = 4096
MAX_DIALLED = 32
_NANP = re.compile(r"(?:\+1|1)?([2-9][0-9]{9})")
_CODE = re.compile(r"[0-9]{1,16}")


def normalise_caller(value: str) -> str:
    match = _NANP.fullmatch(value)
    return "+1" + match.group(1) if match else value


def parse_request(raw: bytes, *, now: float) -> dict[str, Any] | list[dict[str, str]]:
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        return [{"field": "body", "message": "the body is not valid JSON"}]
    if not isinstance(data, dict):
        return [{"field": "body", "message": "the body must be a JSON object"}]
    errors: list[dict[str, str]] = []
    out: dict[str, Any] = {}
    for key in ("caller", "dialled"):
        value = data.get(key)
        if not isinstance(value, str) or not 0 < len(value) <= MAX_DIALLED:
            errors.append(
                {
                    "field": key,
                    "message": f"{key} must be a non-empty string of at most {MAX_DIALLED} characters",
                }
            )
        out[key] = value
    for key in ("auth_code", "account_code"):
        value = data.get(key)
        if value in (None, ""):
            out[key] = None
        elif not isinstance(value, str) or not _CODE.fullmatch(value):
            errors.append({"field": key, "message": f"{key} must be the digits keyed (1 to 16), or null"})
        else:
            out[key] = value
    out["ts"] = epoch_ts(data.get("ts"), now=now)
    if out["ts"] is None:
        errors.append({"field": "ts", "message": TS_MESSAGE})
    if errors:
        return errors
    out["caller"] = normalise_caller(out["caller"])
    return out


class DecideEndpoint:
    """POST /network/decide — a plain ASGI app, like the SCP's."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        ctx: Context = scope["app"].state.ctx
        try:
            raw = await read_body(receive, MAX_BODY)
        except Disconnected:
            return
        if raw is None:
            await problem(413, detail=f"the body must be at most {MAX_BODY} bytes")(scope, receive, send)
            return
        parsed = parse_request(raw, now=ctx.clock().timestamp())
        if isinstance(parsed, list):
            await ValidationFailed(parsed).response()(scope, receive, send)
            return
        answer = await ctx.decider.decide(
            caller=parsed["caller"],
            dialled=parsed["dialled"],
            at=datetime.fromtimestamp(parsed["ts"], UTC),
            auth_code=parsed["auth_code"],
            account_code=parsed["account_code"],
        )
        await send_json(send, 200, answer.as_json())


def routes() -> list[BaseRoute]:
    return [Route("/network/decide", DecideEndpoint(), methods=["POST"])]

"""An `Answer` as Kamailio `rtjson` (serial routing: primary first, then route-advance).

A route answer becomes one route per destination; `fr_inv_timer` is the ring timeout, so an
unanswered call advances to the next destination. A reject (and an announcement when there is no
media server) has no routes: kamailio.cfg replies ``switchboard.code`` itself.

A route to a call-center distribution (`distribution:<name>`, always a node's only destination)
has no routes either: ``switchboard.callcenter`` is the body kamailio.cfg posts to the callcenter
resource's router, whose rtjson answer (the sites in order) it relays instead.
"""

from __future__ import annotations

from typing import Any

from resources.kit.rtjson import FR_TIMER_MS, NO_MEDIA_SERVER, route_header, serial_route
from resources.tollfree.catalog import DISTRIBUTION
from resources.tollfree.compiler import Answer


def to_rtjson(
    answer: Answer,
    *,
    announce_uri: str | None,
    number: str | None = None,
    version: int | None = None,
    fr_timer_ms: int = FR_TIMER_MS,
    customer_id: str | None = None,
    call_id: str | None = None,
    ts: float | None = None,
) -> dict[str, Any]:
    """Kamailio rtjson for `answer`. `number` (the dialled TFN) and `version` (the routing
    record's version) go into each route's ``X-Switchboard-Route`` header and the summary;
    `customer_id`, `call_id` and `ts` into the call-center request of a distribution."""
    routes: list[dict[str, Any]] = []
    code, reason = answer.code, answer.reason
    path = ",".join(step.node for step in answer.path)
    callcenter = callcenter_request(
        answer, number=number, version=version, customer_id=customer_id, call_id=call_id, ts=ts
    )
    if answer.outcome == "route" and callcenter is None:  # (a distribution: the router answers the sites)
        for d in answer.destinations:
            routes.append(
                serial_route(
                    d.uri,
                    header=route_header(number, version, f"dest={d.dest}"),
                    ring_ms=d.ring_timeout * 1000,
                    fr_timer_ms=fr_timer_ms,
                )
            )
    elif answer.outcome == "announce":
        treatment = answer.treatment or ""
        if announce_uri is None:
            code = NO_MEDIA_SERVER
            reason = reason or f"announcement {treatment} (no media server)"
        else:
            routes.append(
                serial_route(
                    announce_uri.format(treatment=treatment),
                    header=route_header(number, version, f"treatment={treatment}"),
                    ring_ms=60_000,
                    fr_timer_ms=fr_timer_ms,
                )
            )
    return {
        "version": "1.0",
        "routing": "serial",
        "routes": routes,
        # what the switch reports to traffic with each call (evapi events, acc_json CDR extras)
        "switchboard": {
            "outcome": answer.outcome,
            "code": code,
            "reason": reason,
            "version": version,
            "number": number,
            "dests": [d.dest for d in answer.destinations],
            "carrier": answer.carrier,
            "path": path,
            **({"callcenter": callcenter} if callcenter is not None else {}),
        },
    }


def callcenter_request(
    answer: Answer,
    *,
    number: str | None,
    version: int | None,
    customer_id: str | None,
    call_id: str | None,
    ts: float | None,
) -> dict[str, Any] | None:
    """The body for the call-center router (`POST /callcenter/route`) when the answer routes to
    a distribution (its only destination), else None."""
    first = answer.destinations[0] if answer.destinations else None
    if answer.outcome != "route" or first is None or not first.dest.startswith(DISTRIBUTION):
        return None
    return {
        "customer": customer_id,
        "distribution": first.dest.removeprefix(DISTRIBUTION),
        "dnis": number,
        "callid": call_id,
        "ts": ts,
        "ring_timeout": first.ring_timeout,
        "number": number,
        "version": version,
        "path": ",".join(step.node for step in answer.path),
        "carrier": answer.carrier,
    }

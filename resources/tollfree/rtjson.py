"""An `Answer` as Kamailio `rtjson` (serial routing: primary first, then route-advance).

A route answer becomes one route per destination; `fr_inv_timer` is the ring timeout, so an
unanswered call advances to the next destination. A reject (and an announcement when there is no
media server) has no routes: kamailio.cfg replies ``switchboard.code`` itself.
"""

from __future__ import annotations

from typing import Any

from resources.kit.rtjson import FR_TIMER_MS, NO_MEDIA_SERVER, route_header, serial_route
from resources.tollfree.compiler import Answer


def to_rtjson(
    answer: Answer,
    *,
    announce_uri: str | None,
    number: str | None = None,
    version: int | None = None,
    fr_timer_ms: int = FR_TIMER_MS,
) -> dict[str, Any]:
    """Kamailio rtjson for `answer`. `number` (the dialled TFN) and `version` (the routing
    record's version) go into each route's ``X-Switchboard-Route`` header and the summary."""
    routes: list[dict[str, Any]] = []
    code, reason = answer.code, answer.reason
    if answer.outcome == "route":
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
            "path": ",".join(step.node for step in answer.path),
        },
    }

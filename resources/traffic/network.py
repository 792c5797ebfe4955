"""Call events and CDRs from network elements (contract "Wire format"):

    POST /network/events   one JSON record or an array of them
    GET  /network/status   {"ingest": Ingestor.stats(), "numbers": N, "live": {...}}

Plain ASGI apps (the hot path of every reported call): read the body under `max_body`, parse
(wire.parse_body), count the rejections, `await ingestor.submit` — which returns only once the
accepted records are committed — and answer:

* 200 `{"accepted", "duplicates", "rejected": [{"index", "reason", "field", "message"}]}`;
* 422 problem JSON when every record was rejected (`errors` + the same `rejected` list);
* 400 / 413 problem JSON for a body that is not usable at all;
* 503 problem JSON when the records could not be stored (nothing was acknowledged: retry).

The kit's AssertionMiddleware has checked the assertion and the network plane; the reporting
element is the caller's subject `element:<name>`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from resources.kit.asgi import Disconnected, read_body, send_json
from resources.kit.errors import problem
from resources.traffic.ingest import IngestClosed, Ingestor
from resources.traffic.model import CallEvent, Rejection
from resources.traffic.numbers import NumberDirectory
from resources.traffic.wire import BodyError, parse_body, unknown_number

log = logging.getLogger("resources.traffic")


def element_of(scope: Scope) -> str:
    """The reporting element's name: the caller's subject without its `element:` prefix."""
    caller = (scope.get("state") or {}).get("caller")
    subject: str = getattr(caller, "subject", "") or "unknown"
    return subject.removeprefix("element:")


def rejection_json(r: Rejection) -> dict[str, Any]:
    return {"index": r.index, "reason": r.reason, "field": r.field, "message": r.message}


def _unknown_after_all(
    events: Sequence[CallEvent], rejections: list[Rejection], unknown: tuple[int, ...]
) -> list[Rejection]:
    """Events the store found unknown (the number went away meanwhile) as rejections carrying
    their body index: events are the body's records that were not rejected, in order."""
    rejected = {r.index for r in rejections}
    indices = [i for i in range(len(events) + len(rejected)) if i not in rejected]
    return [unknown_number(events[i], index=indices[i]) for i in unknown]


class EventsEndpoint:
    """POST /network/events."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        ctx = scope["app"].state.ctx
        ingestor: Ingestor = ctx.ingestor
        directory: NumberDirectory = ctx.numbers
        settings = ctx.settings
        element = element_of(scope)
        try:
            raw = await read_body(receive, settings.max_body)
        except Disconnected:
            return
        if raw is None:
            detail = f"the body must be at most {settings.max_body} bytes"
            ingestor.count_rejected(
                element, [Rejection(index=None, reason="too-large", field="body", message=detail)]
            )
            await problem(413, detail=detail)(scope, receive, send)
            return
        try:
            events, rejections = parse_body(
                raw, element=element, now=ctx.clock(), numbers=directory.get, max_records=settings.max_records
            )
        except BodyError as exc:
            reason: Any = "too-large" if exc.status == 413 else "malformed"
            ingestor.count_rejected(
                element, [Rejection(index=None, reason=reason, field="body", message=exc.message)]
            )
            await problem(exc.status, detail=exc.message)(scope, receive, send)
            return
        ingestor.count_rejected(element, rejections)
        if rejections and not events:
            await self._all_rejected(rejections)(scope, receive, send)
            return
        try:
            result = await ingestor.submit(events)
        except IngestClosed:
            await problem(503, detail="ingest is not running; retry")(scope, receive, send)
            return
        except Exception:
            # the writer logged it; nothing of this request was acknowledged
            await problem(503, detail="the records could not be stored; retry")(scope, receive, send)
            return
        if result.unknown:
            late = _unknown_after_all(events, rejections, result.unknown)
            ingestor.count_rejected(element, late)
            rejections = sorted([*rejections, *late], key=lambda r: r.index or 0)
            if result.accepted + result.duplicates == 0:
                await self._all_rejected(rejections)(scope, receive, send)
                return
        await send_json(
            send,
            200,
            {
                "accepted": result.accepted,
                "duplicates": result.duplicates,
                "rejected": [rejection_json(r) for r in rejections],
            },
        )

    @staticmethod
    def _all_rejected(rejections: list[Rejection]) -> Any:
        n = len(rejections)
        detail = rejections[0].message if n == 1 else f"all {n} records were rejected"
        return problem(
            422,
            "Invalid input",
            detail,
            errors=[{"field": f"{r.index}.{r.field}", "message": r.message} for r in rejections],
            rejected=[rejection_json(r) for r in rejections],
        )


class StatusEndpoint:
    """GET /network/status — what ingest has done, how many numbers it knows, the live state."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        ctx = scope["app"].state.ctx
        stats = getattr(ctx.live, "stats", None)
        live = stats() if callable(stats) else {}
        await send_json(
            send, 200, {"ingest": ctx.ingestor.stats(), "numbers": len(ctx.numbers), "live": live}
        )


def routes() -> list[BaseRoute]:
    return [
        Route("/network/events", EventsEndpoint(), methods=["POST"]),
        Route("/network/status", StatusEndpoint(), methods=["GET"]),
    ]

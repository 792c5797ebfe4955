"""Conditions into the engine, from wherever they come: the bus (`events.condition`, payload = the
Condition's fields as JSON), the network plane (network.py) and in-process callers (the
detectors' runtime: `await report(ctx, [condition, …])`).

`parse_condition` checks a JSON condition and names every bad field; a bad one from the bus is
logged and dropped.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from resources.events import engine
from resources.events.conditions import ALARM_TYPES, SEVERITIES, Condition
from resources.events.context import Context, transaction
from resources.events.models import AlarmRow
from resources.kit.events import Event

log = logging.getLogger("resources.events")

OBJECT_RE = re.compile(r"^[a-z]+:\S{1,200}$")
CAUSE_RE = re.compile(r"^[a-z][A-Za-z0-9]{0,63}$")
MAX_ID, MAX_RESELLERS, MAX_PROBLEM, MAX_SOURCE = 64, 10, 500, 256
MAX_BATCH = 1000


class ConditionError(ValueError):
    def __init__(self, errors: list[dict[str, str]]) -> None:
        super().__init__("; ".join(f"{e['field']}: {e['message']}" for e in errors))
        self.errors = errors


def _text(raw: Any, limit: int) -> str | None:
    return raw if isinstance(raw, str) and 0 < len(raw) <= limit else None


def parse_condition(raw: Any, *, where: str = "") -> Condition:
    """One Condition from its JSON fields; ConditionError listing every bad field
    (`where` prefixes the field names, e.g. `[3].severity` in a batch)."""
    if not isinstance(raw, dict):
        raise ConditionError([{"field": where or "body", "message": "a condition is a JSON object"}])
    errors: list[dict[str, str]] = []

    def bad(name: str, message: str) -> None:
        errors.append({"field": f"{where}{'.' if where else ''}{name}", "message": message})

    customer = _text(raw.get("customer_id"), MAX_ID)
    if customer is None:
        bad("customer_id", f"the customer id (1 to {MAX_ID} characters)")
    resellers = raw.get("resellers", [])
    if (
        not isinstance(resellers, list)
        or len(resellers) > MAX_RESELLERS
        or not all(_text(r, MAX_ID) for r in resellers)
    ):
        bad("resellers", f"the customer's reseller chain: a list of at most {MAX_RESELLERS} org ids")
        resellers = []
    obj = raw.get("alarmed_object")
    if not isinstance(obj, str) or len(obj) > 256 or not OBJECT_RE.match(obj):
        bad("alarmed_object", "what is affected, as kind:id (number:+18005550100, site:east)")
    cause = raw.get("probable_cause")
    if not isinstance(cause, str) or not CAUSE_RE.match(cause):
        bad("probable_cause", "a camelCase token of at most 64 characters, like lowAnswerSeizureRatio")
    if raw.get("alarm_type") not in ALARM_TYPES:
        bad("alarm_type", f"one of {', '.join(ALARM_TYPES)}")
    if raw.get("severity") not in SEVERITIES:
        bad("severity", f"one of {', '.join(SEVERITIES)}")
    problem = _text(raw.get("specific_problem"), MAX_PROBLEM)
    if problem is None:
        bad("specific_problem", f"one sentence of 1 to {MAX_PROBLEM} characters")
    active = raw.get("active")
    if not isinstance(active, bool):
        bad("active", "true (the condition holds) or false (it has ended)")
    at = raw.get("at")
    if isinstance(at, bool) or not isinstance(at, int | float) or not math.isfinite(at) or at < 0:
        bad("at", "epoch seconds of the observation")
    source = _text(raw.get("source"), MAX_SOURCE)
    if source is None:
        bad("source", f"who observed it (1 to {MAX_SOURCE} characters)")
    if errors:
        raise ConditionError(errors)
    return Condition(
        customer_id=str(customer),
        resellers=tuple(str(r) for r in resellers),
        alarmed_object=str(obj),
        probable_cause=str(cause),
        alarm_type=raw["alarm_type"],
        severity=raw["severity"],
        specific_problem=str(problem),
        active=bool(active),
        at=float(at),  # type: ignore[arg-type]
        source=str(source),
    )


def condition_json(condition: Condition) -> dict[str, Any]:
    """The bus payload of a condition (what `parse_condition` reads back)."""
    out = asdict(condition)
    out["resellers"] = list(condition.resellers)
    return out


async def report(ctx: Context, conditions: Sequence[Condition]) -> list[AlarmRow | None]:
    """Observe the conditions in one transaction, in order; the changed alarms' log rows go out
    as `events.alarm` after it committed. The in-process entry point (detectors, network.py)."""
    async with transaction(ctx, write=True) as tx:
        return [await engine.observe(tx, c) for c in conditions]


async def on_condition(ctx: Context, event: Event) -> None:
    """`events.condition` from the bus: a bad payload is logged and dropped."""
    try:
        condition = parse_condition(event.payload)
    except ConditionError as exc:
        log.warning("events.condition: dropping a malformed condition: %s", exc)
        return
    await report(ctx, [condition])


async def sweep(ctx: Context) -> int:
    """Clear the alarms whose hysteresis has run out; how many."""
    async with transaction(ctx, write=False) as tx:
        due = await engine.due(tx)
    if not due:  # the usual case: no write transaction every second
        return 0
    async with transaction(ctx, write=True) as tx:
        return len(await engine.sweep(tx))

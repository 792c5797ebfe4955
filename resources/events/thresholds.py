"""A customer's quality thresholds (conditions.Threshold): checking one, storing it with an audit
row, and telling the detectors.

* metric `asr` | `ner`; target `number:+18005550100`, `number:*`, `site:<name>`, `site:*`;
  0 < raise_below < clear_at ≤ 1; window_seconds 60..3600; min_calls 1..10000; severity one of
  conditions.SEVERITIES.
* `events.thresholds` `{"thresholds": [Threshold fields…]}`: every customer's, sorted by
  customer, metric, target — after a change, at start and on `events.thresholds-wanted`.
"""

from __future__ import annotations

import re
from dataclasses import asdict
from typing import Any

from resources.events import access, audit
from resources.events import repository as repo
from resources.events.conditions import SEVERITIES, Threshold
from resources.events.context import THRESHOLDS_TOPIC, Context, Tx, transaction
from resources.events.models import ThresholdRow
from resources.kit.caller import Caller
from resources.kit.errors import ProblemError, ValidationFailed
from resources.kit.sites import SITE_NAME_RE

METRICS = ("asr", "ner")
NUMBER_RE = re.compile(r"^number:(\+[1-9][0-9]{6,14}|\*)$")
SITE_RE = re.compile(r"^site:(\*|.+)$")
WINDOW = (60, 3600)
MIN_CALLS = (1, 10000)
BODY_FIELDS = ("window_seconds", "min_calls", "raise_below", "clear_at", "severity")


def _target_ok(target: str) -> bool:
    if NUMBER_RE.match(target):
        return True
    site = SITE_RE.match(target)
    return site is not None and (site.group(1) == "*" or SITE_NAME_RE.match(site.group(1)) is not None)


def _whole(raw: Any) -> int | None:
    return raw if isinstance(raw, int) and not isinstance(raw, bool) else None


def _ratio(raw: Any) -> float | None:
    return float(raw) if isinstance(raw, int | float) and not isinstance(raw, bool) else None


def parse_threshold(customer_id: str, metric: str, target: str, body: dict[str, Any]) -> Threshold:
    """The threshold the address and body describe; ValidationFailed naming every bad field."""
    errors: list[dict[str, str]] = []
    if metric not in METRICS:
        errors.append({"field": "metric", "message": "the metric is asr or ner"})
    if not _target_ok(target):
        errors.append(
            {
                "field": "target",
                "message": "the target is number:+E.164, number:*, site:<name> or site:* (a site name "
                "is 1 to 32 lowercase letters, digits or dashes)",
            }
        )
    unknown = sorted(k for k in body if k not in BODY_FIELDS and k not in ("metric", "target", "customer_id"))
    errors += [{"field": k, "message": f"{k} is not a threshold field"} for k in unknown]
    window = _whole(body.get("window_seconds"))
    if window is None or not WINDOW[0] <= window <= WINDOW[1]:
        errors.append(
            {"field": "window_seconds", "message": f"the window is {WINDOW[0]} to {WINDOW[1]} seconds"}
        )
    calls = _whole(body.get("min_calls"))
    if calls is None or not MIN_CALLS[0] <= calls <= MIN_CALLS[1]:
        errors.append(
            {"field": "min_calls", "message": f"the minimum is {MIN_CALLS[0]} to {MIN_CALLS[1]} calls"}
        )
    below, clear = _ratio(body.get("raise_below")), _ratio(body.get("clear_at"))
    if below is None or not 0 < below < 1:
        errors.append({"field": "raise_below", "message": "raise below a ratio between 0 and 1 (like 0.5)"})
    if clear is None or not 0 < clear <= 1:
        errors.append({"field": "clear_at", "message": "clear at a ratio above 0, at most 1 (like 0.6)"})
    elif below is not None and 0 < below < 1 and not below < clear:
        errors.append({"field": "clear_at", "message": "clear at a ratio above the one that raises"})
    severity = body.get("severity")
    if severity not in SEVERITIES:
        errors.append({"field": "severity", "message": f"the severity is one of {', '.join(SEVERITIES)}"})
    if errors:
        raise ValidationFailed(errors)
    return Threshold(
        customer_id=customer_id,
        target=target,
        metric=metric,  # type: ignore[arg-type]
        window_seconds=int(window or 0),
        min_calls=int(calls or 0),
        raise_below=float(below or 0),
        clear_at=float(clear or 0),
        severity=severity,  # type: ignore[arg-type]
    )


def threshold_of(row: ThresholdRow) -> Threshold:
    return Threshold(
        customer_id=row.customer_id,
        target=row.target,
        metric=row.metric,  # type: ignore[arg-type]
        window_seconds=row.window_seconds,
        min_calls=row.min_calls,
        raise_below=row.raise_below,
        clear_at=row.clear_at,
        severity=row.severity,  # type: ignore[arg-type]
    )


def threshold_json(threshold: Threshold) -> dict[str, Any]:
    return asdict(threshold)


def _document(threshold: Threshold) -> dict[str, Any]:
    return {k: getattr(threshold, k) for k in BODY_FIELDS}


async def listing(tx: Tx, *, caller: Caller, customer_id: str) -> list[Threshold]:
    access.require_view(caller, customer_id, tenancy=tx.ctx.tenancy.current)
    return [threshold_of(r) for r in await repo.thresholds(tx.session, customer_id=customer_id)]


async def get(tx: Tx, *, caller: Caller, customer_id: str, metric: str, target: str) -> Threshold:
    access.require_view(caller, customer_id, tenancy=tx.ctx.tenancy.current)
    row = await repo.threshold(tx.session, customer_id=customer_id, metric=metric, target=target)
    if row is None:
        raise ProblemError(404, detail=f"no {metric} threshold on {target}")
    return threshold_of(row)


async def put(
    tx: Tx, *, caller: Caller, customer_id: str, metric: str, target: str, body: dict[str, Any]
) -> tuple[Threshold, bool]:
    """Create or replace; (threshold, created)."""
    access.require_manage(caller, customer_id, tenancy=tx.ctx.tenancy.current)
    threshold = parse_threshold(customer_id, metric, target, body)
    row = await repo.threshold(tx.session, customer_id=customer_id, metric=metric, target=target)
    before = _document(threshold_of(row)) if row is not None else None
    after = _document(threshold)
    if before == after:
        return threshold, False
    if row is None:
        row = ThresholdRow(customer_id=customer_id, target=target, metric=metric)
        tx.session.add(row)
    for k, v in after.items():
        setattr(row, k, v)
    row.updated_at, row.updated_by = tx.now, caller.username
    _audit(
        tx, caller, customer_id, f"{metric} {target}", "create" if before is None else "change", before, after
    )
    return threshold, before is None


async def remove(tx: Tx, *, caller: Caller, customer_id: str, metric: str, target: str) -> None:
    access.require_manage(caller, customer_id, tenancy=tx.ctx.tenancy.current)
    row = await repo.threshold(tx.session, customer_id=customer_id, metric=metric, target=target)
    if row is None:
        raise ProblemError(404, detail=f"no {metric} threshold on {target}")
    _audit(tx, caller, customer_id, f"{metric} {target}", "delete", _document(threshold_of(row)), None)
    await tx.session.delete(row)


def _audit(
    tx: Tx,
    caller: Caller,
    customer_id: str,
    name: str,
    action: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    audit.record(
        tx, caller, customer_id, kind="threshold", name=name, action=action, before=before, after=after
    )
    tx.thresholds_changed = True


async def publish_thresholds(ctx: Context) -> None:
    """`events.thresholds` with every customer's thresholds."""
    async with transaction(ctx, write=False) as tx:
        rows = await repo.thresholds(tx.session)
    await ctx.bus.publish(THRESHOLDS_TOPIC, {"thresholds": [threshold_json(threshold_of(r)) for r in rows]})

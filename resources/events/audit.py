"""Audit rows (`events_audit`): who (actor id + name), when, from which session, what changed
(before/after) — for thresholds and subscriptions alike."""

from __future__ import annotations

from typing import Any

from resources.events.context import Tx
from resources.events.models import AuditRow
from resources.kit.caller import Caller


def record(
    tx: Tx,
    caller: Caller,
    customer_id: str,
    *,
    kind: str,
    name: str,
    action: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    tx.session.add(
        AuditRow(
            at=tx.now,
            actor_id=caller.subject,
            actor_name=caller.username,
            session=caller.session,
            customer_id=customer_id,
            kind=kind,
            name=name,
            action=action,
            before=before,
            after=after,
        )
    )

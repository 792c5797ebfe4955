"""Audit rows: who (actor id + name), when, from which session, what changed (before/after)."""

from __future__ import annotations

from typing import Any

from resources.kit.caller import Caller
from resources.tollfree import repository as repo
from resources.tollfree.context import Tx
from resources.tollfree.models import AuditRow, Version


async def record(
    tx: Tx,
    *,
    caller: Caller,
    action: str,
    customer_id: str | None,
    target: str | None,
    version: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """One audit row: who (id + name), when, from which session, what (before/after)."""
    await repo.add_audit(
        tx.session,
        AuditRow(
            at=tx.now,
            actor_id=caller.subject,
            actor_name=caller.username,
            session=caller.session,
            customer_id=customer_id,
            target=target,
            version=version,
            action=action,
            before=before,
            after=after,
        ),
    )


async def record_version(
    tx: Tx,
    *,
    caller: Caller,
    action: str,
    version: Version,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """The audit row of a change to one version (its customer, target and number)."""
    await record(
        tx,
        caller=caller,
        action=action,
        customer_id=version.customer_id,
        target=version.target,
        version=version.number,
        before=before,
        after=after,
    )

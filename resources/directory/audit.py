"""Audit rows: who, when, what changed (before/after), from which session (DESIGN.md §4)."""

from __future__ import annotations

from typing import Any

from resources.directory import repository as repo
from resources.directory.context import Tx
from resources.kit.caller import Caller


async def record(
    tx: Tx,
    *,
    event: str,
    org_id: str | None,
    subject: str | None,
    caller: Caller | None = None,
    actor_id: str | None = None,
    actor_username: str | None = None,
    ip: str | None = None,
    session: str | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    body: dict[str, Any] = dict(detail or {})
    if before is not None:
        body["before"] = before
    if after is not None:
        body["after"] = after
    if caller is not None:
        actor_id = actor_id or caller.subject
        actor_username = actor_username or caller.username
        session = session or caller.session
        if caller.request_id:
            body.setdefault("request_id", caller.request_id)
    await repo.add_audit(
        tx.session,
        at=tx.now,
        event=event,
        actor_id=actor_id,
        actor_username=actor_username,
        org_id=org_id,
        subject=subject,
        ip=ip,
        session=session,
        detail=body,
    )

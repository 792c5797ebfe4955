"""What the service returns: frozen views of routing records, audit rows and the customer's
catalog (templates, labels, sites). Pages (views.py) and the JSON API (schemas.py) render them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from resources.tollfree import lifecycle
from resources.tollfree.models import AuditRow, Event, Version
from resources.tollfree.plan import Issue


@dataclass(frozen=True, kw_only=True)
class EventView:
    from_state: str | None
    to_state: str
    at: datetime
    actor: str
    session: str | None
    detail: dict[str, Any]


@dataclass(frozen=True, kw_only=True)
class VersionView:
    id: str
    target: str
    customer_id: str
    number: int
    state: str
    document: dict[str, Any]
    snapshot: dict[str, Any] | None
    issues: tuple[Issue, ...]
    effective_at: datetime | None
    created_at: datetime
    created_by: str
    activated_at: datetime | None
    superseded_at: datetime | None
    rolled_back_from: int | None
    note: str
    events: tuple[EventView, ...] = ()

    @property
    def editable(self) -> bool:
        return self.state in lifecycle.DRAFTS

    @property
    def verbs(self) -> list[str]:
        return lifecycle.allowed(self.state)


@dataclass(frozen=True, kw_only=True)
class TargetView:
    target: str  # "+18005550100" or "*EASTWEST"
    kind: str  # "number" | "template"
    customer_id: str
    description: str
    reseller_chain: tuple[str, ...]
    can_edit: bool
    active: VersionView | None
    pending: tuple[VersionView, ...]  # PENDING and HOLD, by effective time
    drafts: tuple[VersionView, ...]  # SAVED and INVALID
    history: tuple[VersionView, ...]  # OLD and FAILED, newest first


@dataclass(frozen=True, kw_only=True)
class NumberView:
    tfn: str
    customer_id: str
    description: str
    reseller_chain: tuple[str, ...]
    active: VersionView | None
    pending: tuple[VersionView, ...]
    drafts: tuple[VersionView, ...]


@dataclass(frozen=True, kw_only=True)
class AuditView:
    at: datetime
    actor_id: str
    actor_name: str
    session: str | None
    customer_id: str | None
    target: str | None
    version: int | None
    action: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


def version_view(v: Version, events: Sequence[Event] = ()) -> VersionView:
    return VersionView(
        id=v.id,
        target=v.target,
        customer_id=v.customer_id,
        number=v.number,
        state=v.state,
        document=v.document,
        snapshot=v.snapshot,
        issues=tuple(Issue(i.get("node"), str(i["field"]), str(i["message"])) for i in v.issues or ()),
        effective_at=v.effective_at,
        created_at=v.created_at,
        created_by=v.created_by,
        activated_at=v.activated_at,
        superseded_at=v.superseded_at,
        rolled_back_from=v.rolled_back_from,
        note=v.note,
        events=tuple(
            EventView(
                from_state=e.from_state,
                to_state=e.to_state,
                at=e.at,
                actor=e.actor,
                session=e.session,
                detail=e.detail,
            )
            for e in events
        ),
    )


def audit_view(row: AuditRow) -> AuditView:
    return AuditView(
        at=row.at,
        actor_id=row.actor_id,
        actor_name=row.actor_name,
        session=row.session,
        customer_id=row.customer_id,
        target=row.target,
        version=row.version,
        action=row.action,
        before=row.before,
        after=row.after,
    )


@dataclass(frozen=True, kw_only=True)
class TemplateView:
    name: str  # "*EASTWEST"
    customer_id: str
    description: str
    active_version: int | None
    can_edit: bool


@dataclass(frozen=True, kw_only=True)
class LabelView:
    customer_id: str
    name: str
    kind: str
    values: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class SiteView:
    customer_id: str
    name: str
    uri: str
    description: str


@dataclass(frozen=True, kw_only=True)
class ImportResult:
    rows: int
    at: datetime

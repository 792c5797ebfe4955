"""Routing records: targets, versions, their lifecycle, simulation and audit.

Every function is keyword-only after `tx` (one transaction: commit and the bus events happen
when the `transaction()` block ends) and takes the `Caller`. Access is decided in access.py on
every call: a target the caller may not see answers 404, exactly like an unknown one.
Customer-wide objects (templates, labels, sites), numbers and origin data live in customers.py
and are re-exported here, so callers import one module.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from resources.kit.caller import Caller
from resources.kit.errors import ProblemError, ValidationFailed
from resources.tollfree import access, lifecycle
from resources.tollfree import repository as repo
from resources.tollfree.audit import record_version
from resources.tollfree.catalog import Catalog
from resources.tollfree.compiler import PlanInvalid, compile_plan
from resources.tollfree.context import Tx
from resources.tollfree.diff import Change, diff_documents
from resources.tollfree.document import empty_document
from resources.tollfree.manifest import EDIT_ROUTING, VIEW
from resources.tollfree.models import Version
from resources.tollfree.plan import Issue
from resources.tollfree.schemas import fail, issue_errors
from resources.tollfree.shapes import (
    AuditView,
    EventView,
    ImportResult,
    LabelView,
    NumberView,
    SiteView,
    TargetView,
    TemplateView,
    VersionView,
    audit_view,
    version_view,
)
from resources.tollfree.targets import Resolved, check, customer_catalog, issues_json, resolve, version_row

SCHEDULER = access.system_caller("scheduler")

__all__ = [
    "AuditView",
    "EventView",
    "ImportResult",
    "LabelView",
    "NumberView",
    "SiteView",
    "TargetView",
    "TemplateView",
    "VersionView",
    "activate",
    "activate_due",
    "assign_number",
    "audit",
    "cancel",
    "create_template",
    "create_version",
    "customer_catalog",
    "delete_label",
    "delete_site",
    "diff",
    "get_target",
    "get_version",
    "hold",
    "import_origin",
    "list_labels",
    "list_numbers",
    "list_sites",
    "list_templates",
    "list_versions",
    "release",
    "resolve",
    "rollback",
    "save_label",
    "save_site",
    "save_version",
    "simulate",
    "unassign_number",
    "whatif",
]  # fmt: skip


def _state_of(v: Version) -> dict[str, Any]:
    return {
        "state": v.state,
        "effective_at": v.effective_at.isoformat() if v.effective_at else None,
    }


async def full_view(tx: Tx, v: Version) -> VersionView:
    """The version with its event rows (what a change returns)."""
    return version_view(v, await repo.events_of(tx.session, v.id))


async def _move(tx: Tx, caller: Caller, v: Version, verb: str, **detail: Any) -> Version:
    return await lifecycle.transition(
        tx.session,
        v,
        verb,
        actor=caller.username,
        session_ref=caller.session,
        at=tx.now,
        detail=detail or None,
    )


def _document(document: Any) -> dict[str, Any]:
    if not isinstance(document, dict):
        raise fail("document", "The plan must be a JSON object.")
    return document


# --- reading -----------------------------------------------------------------------------------


async def list_numbers(tx: Tx, *, caller: Caller) -> list[NumberView]:
    """The numbers the caller may see, with their active, pending and draft versions."""
    customer = caller.customer_id if caller.kind == "customer" else None
    if caller.kind == "customer" and customer is None:
        return []
    numbers = [
        n
        for n in await repo.list_numbers(tx.session, customer_id=customer)
        if access.can_number(
            caller,
            access.NumberRef(
                tfn=n.tfn, customer_id=n.customer_id, reseller_chain=tuple(n.reseller_chain or ())
            ),
            VIEW,
        )
    ]
    states = lifecycle.DRAFTS | lifecycle.SCHEDULED | {lifecycle.ACTIVE}
    by_target: dict[str, list[Version]] = {}
    for v in await repo.versions_for(tx.session, targets=[n.tfn for n in numbers], states=states):
        by_target.setdefault(v.target, []).append(v)
    out = []
    for n in numbers:
        versions = [v for v in by_target.get(n.tfn, []) if v.customer_id == n.customer_id]
        active, pending, drafts, _ = _split(versions)
        out.append(
            NumberView(
                tfn=n.tfn,
                customer_id=n.customer_id,
                description=n.description,
                reseller_chain=tuple(n.reseller_chain or ()),
                active=active,
                pending=pending,
                drafts=drafts,
            )
        )
    return out


def _split(
    versions: Sequence[Version],
) -> tuple[VersionView | None, tuple[VersionView, ...], tuple[VersionView, ...], tuple[VersionView, ...]]:
    views = [version_view(v) for v in versions]
    active = next((v for v in views if v.state == lifecycle.ACTIVE), None)
    pending = sorted(
        (v for v in views if v.state in lifecycle.SCHEDULED),
        key=lambda v: (v.effective_at or v.created_at, v.number),
    )
    drafts = [v for v in views if v.state in lifecycle.DRAFTS]
    history = sorted(
        (v for v in views if v.state in (lifecycle.OLD, lifecycle.FAILED)), key=lambda v: -v.number
    )
    return active, tuple(pending), tuple(drafts), tuple(history)


async def get_target(tx: Tx, *, caller: Caller, target: str, action: str = VIEW) -> TargetView:
    found = await resolve(tx, caller=caller, target=target, action=action)
    versions = await repo.versions_of(tx.session, target=found.target, customer_id=found.customer_id)
    active, pending, drafts, history = _split(versions)
    if active is not None:
        active = version_view(
            next(v for v in versions if v.id == active.id), await repo.events_of(tx.session, active.id)
        )
    return TargetView(
        target=found.target,
        kind=found.kind,
        customer_id=found.customer_id,
        description=found.description,
        reseller_chain=found.reseller_chain,
        can_edit=found.can_edit,
        active=active,
        pending=pending,
        drafts=drafts,
        history=history,
    )


async def list_versions(tx: Tx, *, caller: Caller, target: str) -> list[VersionView]:
    found = await resolve(tx, caller=caller, target=target)
    versions = await repo.versions_of(tx.session, target=found.target, customer_id=found.customer_id)
    return [version_view(v) for v in versions]


async def get_version(tx: Tx, *, caller: Caller, target: str, number: int) -> VersionView:
    found = await resolve(tx, caller=caller, target=target)
    return await full_view(tx, await version_row(tx, found, number))


async def audit(tx: Tx, *, caller: Caller, target: str) -> list[AuditView]:
    """The target's audit rows, newest first."""
    found = await resolve(tx, caller=caller, target=target)
    rows = await repo.audit_of(tx.session, target=found.target, customer_id=found.customer_id)
    return [audit_view(r) for r in rows]


async def diff(
    tx: Tx, *, caller: Caller, target: str, number: int, against: int | None = None
) -> list[Change]:
    """What version `number` changes compared with version `against` (None: the ACTIVE one;
    nothing active: against an empty record)."""
    found = await resolve(tx, caller=caller, target=target)
    v = await version_row(tx, found, number)
    if against is not None:
        base: dict[str, Any] | None = (await version_row(tx, found, against)).document
    else:
        active = await repo.active_version(tx.session, found.target)
        base = active.document if active is not None and active.customer_id == found.customer_id else None
    return diff_documents(base, v.document)


# --- drafts --------------------------------------------------------------------------------------


async def create_version(
    tx: Tx,
    *,
    caller: Caller,
    target: str,
    document: Any = None,
    from_version: int | None = None,
    note: str = "",
) -> VersionView:
    """A new draft: `document`, else a copy of version `from_version`, else of the ACTIVE
    version, else an empty record. Saved as SAVED, or INVALID with its issues."""
    found = await resolve(tx, caller=caller, target=target, action=EDIT_ROUTING, lock=True)
    if document is None and from_version is not None:
        document = (await version_row(tx, found, from_version)).document
    elif document is None:
        active = await repo.active_version(tx.session, found.target)
        ok = active is not None and active.customer_id == found.customer_id
        document = active.document if ok and active is not None else empty_document()
    return await _new_version(tx, caller, found, _document(document), note=note)


async def _new_version(
    tx: Tx,
    caller: Caller,
    found: Resolved,
    document: dict[str, Any],
    *,
    note: str,
    issues: list[Issue] | None = None,
    rolled_back_from: int | None = None,
) -> VersionView:
    if issues is None:
        issues = check(tx, found, document, await customer_catalog(tx, found.customer_id))
    v = Version(
        id=uuid.uuid4().hex,
        target=found.target,
        customer_id=found.customer_id,
        number=await repo.next_number(tx.session, found.target),
        state=lifecycle.INVALID if issues else lifecycle.SAVED,
        document=document,
        snapshot=None,
        issues=issues_json(issues),
        effective_at=None,
        created_at=tx.now,
        created_by=caller.username,
        activated_at=None,
        superseded_at=None,
        rolled_back_from=rolled_back_from,
        note=note[:2000],
    )
    tx.session.add(v)
    await tx.session.flush()
    await lifecycle.created(tx.session, v, actor=caller.username, session_ref=caller.session, at=tx.now)
    await record_version(
        tx,
        caller=caller,
        action="version.create",
        version=v,
        after={"state": v.state, "document": document, "note": v.note, "rolled_back_from": rolled_back_from},
    )
    return await full_view(tx, v)


async def save_version(
    tx: Tx, *, caller: Caller, target: str, number: int, document: Any, note: str | None = None
) -> VersionView:
    """Replace a draft's document (re-validated: SAVED ↔ INVALID). Other states → 409."""
    found = await resolve(tx, caller=caller, target=target, action=EDIT_ROUTING, lock=True)
    v = await version_row(tx, found, number)
    if v.state not in lifecycle.DRAFTS:
        raise ProblemError(
            409,
            detail=f"version {number} is {v.state}; only drafts (SAVED, INVALID) can be edited",
            state=v.state,
        )
    document = _document(document)
    before = {"state": v.state, "document": v.document, "note": v.note}
    issues = check(tx, found, document, await customer_catalog(tx, found.customer_id))
    v.document, v.issues = document, issues_json(issues)
    if note is not None:
        v.note = note[:2000]
    if issues and v.state == lifecycle.SAVED:
        await _move(tx, caller, v, "invalidate", issues=len(issues))
    elif not issues and v.state == lifecycle.INVALID:
        await _move(tx, caller, v, "revalidate")
    await tx.session.flush()
    after = {"state": v.state, "document": v.document, "note": v.note}
    if after != before:
        await record_version(
            tx,
            caller=caller,
            action="version.save",
            version=v,
            before=before,
            after=after,
        )
    return await full_view(tx, v)


# --- lifecycle ---------------------------------------------------------------------------------


async def activate(
    tx: Tx, *, caller: Caller, target: str, number: int, effective_at: datetime | None = None
) -> VersionView:
    """Schedule a draft for `effective_at` (None or now: activate now, through PENDING). A
    PENDING version: `effective_at` None activates it now, a future time reschedules it.
    Invalid plans → 422 with `errors` naming node ids; a time in the past → 422."""
    found = await resolve(tx, caller=caller, target=target, action=EDIT_ROUTING, lock=True)
    v = await version_row(tx, found, number)
    if effective_at is not None and effective_at.tzinfo is None:
        raise fail("effective_at", "Give the time with its zone.")
    if effective_at is not None and effective_at < tx.now:
        raise fail("effective_at", "The effective time is in the past; leave it empty to activate now.")
    when = effective_at or tx.now
    before = _state_of(v)
    if v.state in lifecycle.DRAFTS:
        catalog = await customer_catalog(tx, found.customer_id)
        issues = check(tx, found, v.document, catalog)
        if issues:
            raise ValidationFailed(
                issue_errors(issues), detail=f"version {number} has {len(issues)} problem(s)"
            )
        if v.state == lifecycle.INVALID:
            v.issues = []
            await _move(tx, caller, v, "revalidate")
        v.snapshot = catalog.used_by(v.document).to_json()
        v.effective_at = when
        await _move(tx, caller, v, "schedule", effective_at=when.isoformat())
    elif v.state == lifecycle.PENDING and effective_at is not None:
        v.effective_at = when  # reschedule
    else:
        lifecycle.next_state(v.state, "activate")  # 409 for anything but PENDING
        v.effective_at = when
    if when <= tx.now:
        await _make_active(tx, caller, v)
    tx.plans_changed(found.target)
    await record_version(
        tx,
        caller=caller,
        action="version.activate",
        version=v,
        before=before,
        after=_state_of(v),
    )
    return await full_view(tx, v)


async def _make_active(tx: Tx, caller: Caller, v: Version) -> None:
    """PENDING → ACTIVE; the previous ACTIVE version → OLD first (one ACTIVE at any instant)."""
    previous = await repo.active_version(tx.session, v.target)
    if previous is not None and previous.id != v.id:
        before = _state_of(previous)
        await _move(tx, caller, previous, "supersede", by=v.number)
        await record_version(
            tx,
            caller=caller,
            action="version.supersede",
            version=previous,
            before=before,
            after=_state_of(previous),
        )
    await _move(tx, caller, v, "activate")


async def _verb(tx: Tx, *, caller: Caller, target: str, number: int, verb: str) -> VersionView:
    found = await resolve(tx, caller=caller, target=target, action=EDIT_ROUTING, lock=True)
    v = await version_row(tx, found, number)
    before = _state_of(v)
    await _move(tx, caller, v, verb)
    if verb == "cancel":
        v.effective_at, v.snapshot = None, None
    elif verb == "release" and v.effective_at is not None and v.effective_at <= tx.now:
        await _make_active(tx, caller, v)  # its time came while it was held
    tx.plans_changed(found.target)
    await record_version(
        tx,
        caller=caller,
        action=f"version.{verb}",
        version=v,
        before=before,
        after=_state_of(v),
    )
    return await full_view(tx, v)


async def hold(tx: Tx, *, caller: Caller, target: str, number: int) -> VersionView:
    """PENDING → HOLD: the change will not take effect until released."""
    return await _verb(tx, caller=caller, target=target, number=number, verb="hold")


async def release(tx: Tx, *, caller: Caller, target: str, number: int) -> VersionView:
    """HOLD → PENDING (activated at once when its effective time has passed)."""
    return await _verb(tx, caller=caller, target=target, number=number, verb="release")


async def cancel(tx: Tx, *, caller: Caller, target: str, number: int) -> VersionView:
    """PENDING or HOLD → SAVED: back to an editable draft."""
    return await _verb(tx, caller=caller, target=target, number=number, verb="cancel")


async def rollback(tx: Tx, *, caller: Caller, target: str, number: int) -> VersionView:
    """A new version with version `number`'s document and frozen catalog, activated now.
    Only a version that was active (OLD) can be rolled back to."""
    found = await resolve(tx, caller=caller, target=target, action=EDIT_ROUTING, lock=True)
    old = await version_row(tx, found, number)
    if old.state != lifecycle.OLD:
        raise ProblemError(
            409,
            detail=f"version {number} is {old.state}; only a formerly active (OLD) "
            "version can be rolled back to",
            state=old.state,
        )
    catalog = Catalog.from_json(old.snapshot)
    issues = check(tx, found, old.document, catalog)
    if issues:
        raise ValidationFailed(issue_errors(issues), detail=f"version {number} no longer validates")
    view = await _new_version(
        tx,
        caller,
        found,
        old.document,
        note=f"Rollback to version {number}",
        issues=[],
        rolled_back_from=number,
    )
    v = await version_row(tx, found, view.number)
    v.snapshot, v.effective_at = catalog.used_by(old.document).to_json(), tx.now
    await _move(tx, caller, v, "schedule", rollback_of=number)
    await _make_active(tx, caller, v)
    tx.plans_changed(found.target)
    await record_version(
        tx,
        caller=caller,
        action="version.rollback",
        version=v,
        before={"rolled_back_from": number},
        after=_state_of(v),
    )
    return await full_view(tx, v)


async def activate_due(tx: Tx, *, now: datetime) -> list[str]:
    """The scheduler: every PENDING version whose time came becomes ACTIVE (the previous one
    OLD), or FAILED when it no longer compiles. Returns the targets that changed."""
    changed: list[str] = []
    for v in await repo.due_versions(tx.session, now):
        await repo.lock_target(tx.session, v.target)  # queue behind a user's activation (PostgreSQL)
        await tx.session.refresh(v)
        if v.state != lifecycle.PENDING:  # held or cancelled while we waited for the lock
            continue
        before = _state_of(v)
        try:
            compile_plan(v.document, catalog=Catalog.from_json(v.snapshot), settings=tx.ctx.compile_settings)
        except PlanInvalid as exc:
            await _move(tx, SCHEDULER, v, "fail", errors=issue_errors(exc.issues))
            action = "version.fail"
        else:
            await _make_active(tx, SCHEDULER, v)
            action = "version.activate"
        await record_version(
            tx,
            caller=SCHEDULER,
            action=action,
            version=v,
            before=before,
            after=_state_of(v),
        )
        if v.target not in changed:
            changed.append(v.target)
    tx.plans_changed(*changed)
    return changed


# customer-wide objects, numbers, origin data; simulation (those modules import nothing from here)
from resources.tollfree.customers import (  # noqa: E402
    assign_number,
    create_template,
    delete_label,
    delete_site,
    import_origin,
    list_labels,
    list_sites,
    list_templates,
    save_label,
    save_site,
    unassign_number,
)
from resources.tollfree.simulation import simulate, whatif  # noqa: E402

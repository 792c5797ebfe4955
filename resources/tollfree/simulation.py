"""The simulator (one call through a version) and what-if (a batch of calls through a draft
and through what is active now). Read-only; the same access rules as every other service call."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from resources.kit.caller import Caller
from resources.kit.errors import ProblemError, ValidationFailed
from resources.tollfree import repository as repo
from resources.tollfree.catalog import Catalog
from resources.tollfree.compiler import Answer, CompiledPlan, PlanInvalid, Query, compile_plan
from resources.tollfree.context import Tx
from resources.tollfree.models import Version
from resources.tollfree.schemas import issue_errors
from resources.tollfree.targets import Resolved, customer_catalog, resolve, version_row
from resources.tollfree.whatif import WhatIf, replay


async def simulate(
    tx: Tx,
    *,
    caller: Caller,
    target: str,
    number: int | None = None,
    ani: str | None = None,
    at: datetime | None = None,
    call_id: str | None = None,
) -> Answer:
    """Where a call from `ani` at `at` (default now) would go under version `number` (None:
    the ACTIVE one). Drafts use the catalog as it is now; scheduled versions their snapshot."""
    found = await resolve(tx, caller=caller, target=target)
    v = await _pick(tx, found, number)
    catalog = await _catalog_of(tx, found, v)
    plan = _compile(tx, v.document, catalog)
    resolve_template = await _template_resolver(tx, plan)
    when = at or tx.now
    query = Query(dnis=found.target, ani=ani, ts=when.timestamp(), call_id=call_id)
    return plan.evaluate(query, origin=tx.ctx.scp.origin, resolve=resolve_template)


MAX_CALLS = 100_000


async def whatif(tx: Tx, *, caller: Caller, target: str, number: int, calls: Sequence[Query]) -> WhatIf:
    """Replay `calls` through version `number` and through the ACTIVE version (None when there
    is none): per-destination counts, shares and deltas."""
    if len(calls) > MAX_CALLS:
        raise ValidationFailed([{"field": "calls", "message": f"At most {MAX_CALLS} calls."}])
    found = await resolve(tx, caller=caller, target=target)
    v = await version_row(tx, found, number)
    after = _compile(tx, v.document, await _catalog_of(tx, found, v))
    active = await repo.active_version(tx.session, found.target)
    before = None
    if active is not None and active.customer_id == found.customer_id:
        before = _compile(tx, active.document, Catalog.from_json(active.snapshot))
    resolve_after = await _template_resolver(tx, after)
    resolve_before = await _template_resolver(tx, before) if before is not None else resolve_after

    def resolve_any(name: str) -> CompiledPlan | None:
        return resolve_after(name) or resolve_before(name)

    return replay(calls, before=before, after=after, origin=tx.ctx.scp.origin, resolve=resolve_any)


async def _pick(tx: Tx, found: Resolved, number: int | None) -> Version:
    if number is not None:
        return await version_row(tx, found, number)
    active = await repo.active_version(tx.session, found.target)
    if active is None or active.customer_id != found.customer_id:
        raise ProblemError(409, detail=f"{found.target} has no active version; pick a version to simulate")
    return active


async def _catalog_of(tx: Tx, found: Resolved, v: Version) -> Catalog:
    """A scheduled or past version: the catalog it froze; a draft: the catalog as it is now."""
    if v.snapshot is not None:
        return Catalog.from_json(v.snapshot)
    return await customer_catalog(tx, found.customer_id)


def _compile(tx: Tx, document: Any, catalog: Catalog) -> CompiledPlan:
    try:
        return compile_plan(document, catalog=catalog, settings=tx.ctx.compile_settings)
    except PlanInvalid as exc:
        raise ValidationFailed(issue_errors(exc.issues), detail="the plan is not valid") from None


async def _template_resolver(tx: Tx, plan: CompiledPlan) -> Callable[[str], CompiledPlan | None]:
    """For a pointer record: its template's ACTIVE version, compiled (else nothing)."""
    if plan.template is None:
        return lambda name: None
    active = await repo.active_version(tx.session, plan.template)
    if active is None:
        return lambda name: None
    try:
        compiled = compile_plan(
            active.document, catalog=Catalog.from_json(active.snapshot), settings=tx.ctx.compile_settings
        )
    except PlanInvalid:
        return lambda name: None
    name = plan.template
    return lambda wanted: compiled if wanted == name else None

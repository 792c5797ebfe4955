"""callcenter service: sites and distributions as effective-dated revisions, checked and audited.

Each function takes the transaction and the caller, asks `access` first and answers problem
errors (404 not visible, 403 not allowed, 409 conflicting, 422 invalid with the field). A change
is a new revision (timeline.py) effective now or at a given later instant; the audit row records
who, when, from which session, and what was in effect at that instant before and after. A
committed change publishes `callcenter.changed` for the customer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from resources.callcenter import access
from resources.callcenter import repository as repo
from resources.callcenter.context import Tx
from resources.callcenter.distribution import Distribution, parse_distribution
from resources.callcenter.models import DISTRIBUTION, SITE, AuditRow, RevisionRow
from resources.callcenter.overflow import NO_OVERFLOW, SiteOverflow
from resources.callcenter.sites import Site, parse_site
from resources.callcenter.timeline import Revision, cancel, document_at, in_effect, new_revision, rollback
from resources.kit.caller import Caller
from resources.kit.errors import FieldError, ProblemError

T = TypeVar("T")


@dataclass(frozen=True)
class Config:
    """What is in effect for one customer at one instant."""

    sites: dict[str, Site]
    distributions: dict[str, Distribution]


async def config_at(tx: Tx, *, caller: Caller, customer_id: str, at: datetime | None = None) -> Config:
    """The customer's sites and distributions in effect at `at` (default now) that the caller sees."""
    view = access.require_view(caller, customer_id, tenancy=tx.ctx.tenancy.current)
    config = await _config(tx, customer_id=customer_id, at=at or tx.now)
    return Config(
        sites={n: s for n, s in config.sites.items() if access.visible([n], view)},
        distributions={n: d for n, d in config.distributions.items() if access.visible(d.sites(), view)},
    )


@dataclass(frozen=True)
class SiteLive:
    """A site now: open by its hours, capacity, live calls (the router's count: traffic's
    reports plus its own offers not yet reported), occupancy, and the calls that overflowed past
    it or to it over the last 15 minutes (overflow.py)."""

    site: Site
    open: bool
    live: int
    overflow: SiteOverflow = NO_OVERFLOW

    @property
    def occupancy(self) -> float | None:
        return self.live / self.site.capacity if self.site.capacity else None


async def live_view(tx: Tx, *, caller: Caller, customer_id: str) -> list[SiteLive]:
    """The caller's sites as the router sees them now, by name."""
    config = await config_at(tx, caller=caller, customer_id=customer_id)
    router, now = tx.ctx.router, tx.now
    epoch = now.timestamp()
    out = []
    for name in sorted(config.sites):
        site = config.sites[name]
        live = router.occupancy.live(customer_id=customer_id, site=name, now=epoch)
        overflow = router.overflows.of(customer_id=customer_id, site=name, now=epoch)
        out.append(SiteLive(site=site, open=site.hours.is_open(now), live=live, overflow=overflow))
    return out


async def history(tx: Tx, *, caller: Caller, customer_id: str, kind: str, name: str) -> list[RevisionRow]:
    """Every revision of one site or distribution, by number (404 when not visible or none)."""
    view = access.require_view(caller, customer_id, tenancy=tx.ctx.tenancy.current)
    rows = await repo.revisions(tx.session, customer_id=customer_id, kind=_kind(kind), name=name)
    if not rows or not access.visible(_sites_named(kind, name, rows), view):
        raise ProblemError(404, detail=f"no such {kind}: {name}")
    return rows


async def change_site(
    tx: Tx, *, caller: Caller, customer_id: str, raw: Any, effective_at: datetime | None = None
) -> RevisionRow:
    """Create or change a site from `effective_at` on (default now)."""
    access.require_view(caller, customer_id, tenancy=tx.ctx.tenancy.current)
    site = _parsed(lambda: parse_site(raw))
    access.require_edit(caller, customer_id, [site.name])
    return await _change(
        tx,
        caller=caller,
        customer_id=customer_id,
        kind=SITE,
        name=site.name,
        document=site.as_json(),
        effective_at=effective_at,
    )


async def change_distribution(
    tx: Tx, *, caller: Caller, customer_id: str, raw: Any, effective_at: datetime | None = None
) -> RevisionRow:
    """Create or change a distribution; every site it names must exist when it takes effect."""
    access.require_view(caller, customer_id, tenancy=tx.ctx.tenancy.current)
    at = effective_at or tx.now
    config = await _config(tx, customer_id=customer_id, at=at)
    distribution = _parsed(lambda: parse_distribution(raw, sites=config.sites))
    before = config.distributions.get(distribution.name)
    access.require_edit(caller, customer_id, [*distribution.sites(), *(before.sites() if before else ())])
    return await _change(
        tx,
        caller=caller,
        customer_id=customer_id,
        kind=DISTRIBUTION,
        name=distribution.name,
        document=distribution.as_json(),
        effective_at=effective_at,
    )


async def remove(
    tx: Tx, *, caller: Caller, customer_id: str, kind: str, name: str, effective_at: datetime | None = None
) -> RevisionRow:
    """Remove a site or distribution from `effective_at` on; a site still named by a
    distribution then cannot go (409)."""
    kind = _kind(kind)
    rows = await history(tx, caller=caller, customer_id=customer_id, kind=kind, name=name)
    access.require_edit(caller, customer_id, _sites_named(kind, name, rows))
    at = effective_at or tx.now
    if kind == SITE:
        users = sorted(
            d.name
            for d in (await _config(tx, customer_id=customer_id, at=at)).distributions.values()
            if name in d.sites()
        )
        if users:
            raise ProblemError(
                409, detail=f"site {name} is used by distribution {users[0]}; change that first"
            )
    return await _change(
        tx,
        caller=caller,
        customer_id=customer_id,
        kind=kind,
        name=name,
        document=None,
        effective_at=at,
        rows=rows,
    )


async def cancel_revision(
    tx: Tx, *, caller: Caller, customer_id: str, kind: str, name: str, number: int
) -> RevisionRow:
    """Cancel a scheduled revision (one that has not taken effect)."""
    rows = await history(tx, caller=caller, customer_id=customer_id, kind=kind, name=name)
    access.require_edit(caller, customer_id, _sites_named(kind, name, rows))
    timeline = [_revision(r) for r in rows]
    _parsed(lambda: cancel(timeline, number, now=tx.now))
    row = next(r for r in rows if r.number == number)
    row.cancelled = True
    _audit(tx, caller, customer_id, kind, name, number, "cancel", before=row.document, after=None)
    tx.changed.add(customer_id)
    return row


async def rollback_to(
    tx: Tx, *, caller: Caller, customer_id: str, kind: str, name: str, number: int
) -> RevisionRow:
    """A new revision, effective now, restoring revision `number` (a distribution's sites must
    still exist)."""
    rows = await history(tx, caller=caller, customer_id=customer_id, kind=kind, name=name)
    timeline = [_revision(r) for r in rows]
    restored = _parsed(lambda: rollback(timeline, number, now=tx.now))
    if kind == DISTRIBUTION and restored.document is not None:
        return await change_distribution(tx, caller=caller, customer_id=customer_id, raw=restored.document)
    if restored.document is None:
        return await remove(tx, caller=caller, customer_id=customer_id, kind=kind, name=name)
    return await change_site(tx, caller=caller, customer_id=customer_id, raw=restored.document)


async def audit_log(tx: Tx, *, caller: Caller, customer_id: str, limit: int = 100) -> list[AuditRow]:
    view = access.require_view(caller, customer_id, tenancy=tx.ctx.tenancy.current)
    rows = await repo.audit(tx.session, customer_id=customer_id, limit=limit)
    return [r for r in rows if view is None or _audit_sites(r) <= view]


# --- for the switch (network plane: the element's action was checked; no customer caller) ---------


@dataclass(frozen=True)
class SwitchConfig:
    """What the router uses for one customer: the configuration in effect at `at`, and the
    instant the next scheduled revision takes effect (None: none), when it must be read again."""

    config: Config
    next_change: datetime | None


async def switch_config(tx: Tx, *, customer_id: str, at: datetime) -> SwitchConfig:
    config = await _config(tx, customer_id=customer_id, at=at)
    rows = await repo.revisions_of_customer(tx.session, customer_id=customer_id)
    later = [r.effective_at for r in rows if not r.cancelled and r.effective_at > at]
    return SwitchConfig(config=config, next_change=min(later, default=None))


async def distribution_names(tx: Tx, *, at: datetime) -> dict[str, list[str]]:
    """Per customer, the distributions in effect at `at` or scheduled to come into effect later
    (what a toll-free plan may name; the tollfree resource keeps a replica)."""
    names: dict[str, set[str]] = {}
    by_object: dict[tuple[str, str], list[Revision]] = {}
    for row in await repo.revisions_of_every_customer(tx.session, kind=DISTRIBUTION):
        by_object.setdefault((row.customer_id, row.name), []).append(_revision(row))
    for (customer_id, name), timeline in by_object.items():
        current = in_effect(timeline, at)
        later = [r for r in timeline if not r.cancelled and r.effective_at > at and r.document is not None]
        if (current is not None and current.document is not None) or later:
            names.setdefault(customer_id, set()).add(name)
    return {c: sorted(n) for c, n in sorted(names.items())}


# --- inside -----------------------------------------------------------------------------------


async def _change(
    tx: Tx,
    *,
    caller: Caller,
    customer_id: str,
    kind: str,
    name: str,
    document: dict[str, Any] | None,
    effective_at: datetime | None,
    rows: list[RevisionRow] | None = None,  # the object's revisions, when the caller read them already
) -> RevisionRow:
    if rows is None:
        rows = await repo.revisions(tx.session, customer_id=customer_id, kind=kind, name=name)
    timeline = [_revision(r) for r in rows]
    at = effective_at or tx.now
    before = document_at(timeline, at)
    if document is not None and before == document:
        raise FieldError(kind, f"{kind} {name} is already configured like that then").problem()
    revision = _parsed(lambda: new_revision(timeline, document=document, effective_at=at, now=tx.now))
    row = RevisionRow(
        customer_id=customer_id,
        kind=kind,
        name=name,
        number=revision.number,
        effective_at=revision.effective_at,
        document=document,
        cancelled=False,
        created_at=tx.now,
        created_by=caller.subject,
        created_by_name=caller.username,
    )
    repo.add(tx.session, row)
    action = "remove" if document is None else "create" if before is None else "change"
    _audit(tx, caller, customer_id, kind, name, revision.number, action, before=before, after=document)
    tx.changed.add(customer_id)
    return row


async def _config(tx: Tx, *, customer_id: str, at: datetime) -> Config:
    sites: dict[str, Site] = {}
    for name, doc in _in_effect(
        await repo.revisions_of_kind(tx.session, customer_id=customer_id, kind=SITE), at
    ):
        sites[name] = parse_site(doc)
    distributions: dict[str, Distribution] = {}
    rows = await repo.revisions_of_kind(tx.session, customer_id=customer_id, kind=DISTRIBUTION)
    for name, doc in _in_effect(rows, at):
        distributions[name] = parse_distribution(doc, sites=sites)
    return Config(sites=sites, distributions=distributions)


def _in_effect(rows: list[RevisionRow], at: datetime) -> list[tuple[str, dict[str, Any]]]:
    by_name: dict[str, list[Revision]] = {}
    for row in rows:
        by_name.setdefault(row.name, []).append(_revision(row))
    out = []
    for name, timeline in by_name.items():
        current = in_effect(timeline, at)
        if current is not None and current.document is not None:
            out.append((name, current.document))
    return out


def _revision(row: RevisionRow) -> Revision:
    return Revision(
        number=row.number, effective_at=row.effective_at, document=row.document, cancelled=row.cancelled
    )


def _sites_named(kind: str, name: str, rows: list[RevisionRow]) -> set[str]:
    """The sites an object's revisions name (for scope checks): the site itself, or every
    member and overflow site any revision of the distribution had."""
    if kind == SITE:
        return {name}
    return {s for r in rows if r.document for s in _doc_sites(r.document)}


def _doc_sites(document: dict[str, Any]) -> set[str]:
    members = {str(m.get("site")) for m in document.get("members") or [] if isinstance(m, dict)}
    return members | {str(s) for s in document.get("overflow") or []}


def _audit_sites(row: AuditRow) -> set[str]:
    if row.kind == SITE:
        return {row.name}
    return set().union(*(_doc_sites(d) for d in (row.before, row.after) if d))


def _audit(
    tx: Tx,
    caller: Caller,
    customer_id: str,
    kind: str,
    name: str,
    revision: int | None,
    action: str,
    *,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    repo.add(
        tx.session,
        AuditRow(
            at=tx.now,
            actor_id=caller.subject,
            actor_name=caller.username,
            session=caller.session,
            customer_id=customer_id,
            kind=kind,
            name=name,
            revision=revision,
            action=f"{kind}.{action}",
            before=before,
            after=after,
        ),
    )


def _kind(kind: str) -> str:
    if kind not in (SITE, DISTRIBUTION):
        raise ProblemError(404, detail=f"no such kind: {kind}")
    return kind


def _parsed(make: Callable[[], T]) -> T:
    """`make()`, with a parser's or timeline's FieldError as a 422 problem naming the field."""
    try:
        return make()
    except FieldError as exc:
        raise exc.problem() from None

"""Finding a routing target the caller may see, and checking a plan against its catalog.

Shared by service.py (versions, lifecycle) and simulation.py (simulator, what-if)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from resources.kit.caller import Caller
from resources.kit.errors import ProblemError
from resources.tollfree import access
from resources.tollfree import repository as repo
from resources.tollfree.catalog import Catalog
from resources.tollfree.catalog import Label as CatalogLabel
from resources.tollfree.catalog import Site as CatalogSite
from resources.tollfree.context import Tx
from resources.tollfree.manifest import EDIT_ROUTING, VIEW
from resources.tollfree.models import Version
from resources.tollfree.plan import Issue
from resources.tollfree.schemas import is_target
from resources.tollfree.validation import validate


@dataclass(frozen=True, kw_only=True)
class Resolved:
    """A target the caller may see (access already decided)."""

    target: str
    kind: str
    customer_id: str
    description: str
    reseller_chain: tuple[str, ...]
    can_edit: bool


async def resolve(tx: Tx, *, caller: Caller, target: str, action: str = VIEW, lock: bool = False) -> Resolved:
    """The target if the caller may see it (else 404) and, for EDIT_ROUTING, change it (else
    403). `lock`: hold the target's row until commit (serialises writers on PostgreSQL)."""
    if not isinstance(target, str) or not is_target(target):
        raise access.not_found()
    if target.startswith("*"):
        template = await (repo.lock_template if lock else repo.get_template)(tx.session, target)
        if template is None:
            raise access.not_found()
        chains = await repo.customer_chains(tx.session, template.customer_id)
        if not access.can_customer(caller, template.customer_id, chains, VIEW):
            raise access.not_found()
        can_edit = access.can_edit_customer(caller, template.customer_id, chains)
        if action == EDIT_ROUTING and not can_edit:
            raise access.forbidden("changing a template needs tollfree:edit-routing on all of your numbers")
        return Resolved(
            target=target,
            kind="template",
            customer_id=template.customer_id,
            description=template.description,
            reseller_chain=(),
            can_edit=can_edit,
        )
    number = await (repo.lock_number if lock else repo.get_number)(tx.session, target)
    if number is None:
        raise access.not_found()
    ref = access.NumberRef(
        tfn=number.tfn, customer_id=number.customer_id, reseller_chain=tuple(number.reseller_chain or ())
    )
    if not access.can_number(caller, ref, VIEW):
        raise access.not_found()
    can_edit = access.can_number(caller, ref, EDIT_ROUTING)
    if action == EDIT_ROUTING and not can_edit:
        raise access.forbidden("you may not change the routing of this number")
    return Resolved(
        target=target,
        kind="number",
        customer_id=number.customer_id,
        description=number.description,
        reseller_chain=ref.reseller_chain,
        can_edit=can_edit,
    )


async def customer_catalog(tx: Tx, customer_id: str) -> Catalog:
    """Everything a plan of this customer may refer to, as it is now."""
    labels = await repo.list_labels(tx.session, customer_id=customer_id)
    sites = await repo.list_sites(tx.session, customer_id=customer_id)
    templates = await repo.list_templates(tx.session, customer_id=customer_id)
    return Catalog(
        labels={lb.name: CatalogLabel(lb.name, lb.kind, tuple(lb.values)) for lb in labels},
        sites={s.name: CatalogSite(s.name, s.uri) for s in sites},
        templates=frozenset(t.name for t in templates),
        distributions=tx.ctx.distributions.of(customer_id),
        distributions_reported=tx.ctx.distributions.reported,
    )


def check(tx: Tx, target: Resolved, document: Any, catalog: Catalog) -> list[Issue]:
    issues = validate(document, catalog=catalog, origin=tx.ctx.scp.origin)
    if target.kind == "template" and isinstance(document, dict) and "template" in document:
        issues.insert(0, Issue(None, "template", "A template cannot point to another template."))
    return issues


def issues_json(issues: Sequence[Issue]) -> list[dict[str, Any]]:
    return [{"node": i.node, "field": i.field, "message": i.message} for i in issues]


async def version_row(tx: Tx, target: Resolved, number: int) -> Version:
    v = await repo.get_version(
        tx.session, target=target.target, customer_id=target.customer_id, number=number
    )
    if v is None:
        raise ProblemError(404, detail=f"{target.target} has no version {number}")
    return v

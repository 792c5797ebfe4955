"""Customer-wide objects (templates, labels, sites), number assignment and origin data.

Same rules as service.py: keyword-only after `tx`, access decided in access.py on every call,
an audit row for every change. A customer the caller may not see answers 404.
"""

from __future__ import annotations

from collections.abc import Sequence

from resources.kit.caller import Caller
from resources.kit.errors import ProblemError, ValidationFailed
from resources.kit.tenancy import Org
from resources.tollfree import access, lifecycle, repository_pool
from resources.tollfree import repository as repo
from resources.tollfree.audit import record
from resources.tollfree.context import Tx
from resources.tollfree.manifest import EDIT_ROUTING, MANAGE_NUMBERS, VIEW
from resources.tollfree.models import LabelRow, Number, SiteRow, Template
from resources.tollfree.origin import OriginData, parse_origin_csv
from resources.tollfree.schemas import (
    issue_errors,
    parse_customer_id,
    parse_label,
    parse_reseller_chain,
    parse_site,
    parse_template_name,
    parse_text,
    parse_tfn,
)
from resources.tollfree.shapes import ImportResult, LabelView, NumberView, SiteView, TemplateView
from resources.tollfree.tenancy import load_tenancy, require_tenancy


async def _visible_customers(tx: Tx, caller: Caller, action: str) -> set[str] | None:
    """None: every customer (provider); else the customers whose objects the caller sees."""
    if not caller.has(action):
        return set()
    if access.is_provider(caller):
        return None
    if caller.kind == "customer":
        return {caller.customer_id} if caller.customer_id else set()
    if caller.kind == "reseller":
        return {
            n.customer_id
            for n in await repo.list_numbers(tx.session)
            if caller.org_id in (n.reseller_chain or ())
        }
    return set()


async def _customer(
    tx: Tx,
    caller: Caller,
    customer_id: str | None,
    action: str,
    *,
    unscoped: bool = False,
    staff: bool = False,
) -> str:
    """The customer an object belongs to: the caller's own, or (staff) the one named. 404 when
    the caller may not see it; 403 when it may see but not change it."""
    if customer_id is None:
        if caller.customer_id is None or caller.kind != "customer":
            raise ValidationFailed([{"field": "customer_id", "message": "Name the customer."}])
        customer_id = caller.customer_id
    customer_id = parse_customer_id(customer_id)
    chains = await repo.customer_chains(tx.session, customer_id)
    if not access.can_customer(caller, customer_id, chains, VIEW) and not (
        access.is_staff(caller) and access.can_customer(caller, customer_id, chains, action)
    ):
        raise access.not_found("no such customer")
    if staff and not access.can_manage(caller, customer_id, chains):
        raise access.forbidden("only provider or reseller staff may change sites")
    if not staff and not access.can_customer(caller, customer_id, chains, action, unscoped=unscoped):
        raise access.forbidden(
            "changing templates and labels needs tollfree:edit-routing on all of the customer's numbers"
        )
    return customer_id


async def _tenancy_customer(tx: Tx, caller: Caller, customer_id: str) -> tuple[bool, Org | None]:
    """(checked, org): the customer as the tenancy replica knows it — org None when the id is
    not a customer there. Only the system caller (demo loader, CLI) may name a customer before
    the first picture arrived: (False, None); anyone else gets 503 then."""
    if access.is_system(caller) and not len(await load_tenancy(tx.session)):
        return False, None
    tenancy = await require_tenancy(tx.session)
    org = tenancy.get(customer_id)
    if org is None or org.kind != "customer":
        return True, None
    if tenancy.is_suspended(customer_id):
        raise ProblemError(409, detail=f"{customer_id} is suspended")
    return True, org


# --- templates -----------------------------------------------------------------------------------


async def list_templates(tx: Tx, *, caller: Caller, customer_id: str | None = None) -> list[TemplateView]:
    visible = await _visible_customers(tx, caller, VIEW)
    rows = await repo.list_templates(tx.session, customer_id=customer_id)
    rows = [t for t in rows if visible is None or t.customer_id in visible]
    actives = {
        v.target: v.number
        for v in await repo.versions_for(
            tx.session, targets=[t.name for t in rows], states=[lifecycle.ACTIVE]
        )
    }
    out = []
    for t in rows:
        chains = await repo.customer_chains(tx.session, t.customer_id)
        out.append(
            TemplateView(
                name=t.name,
                customer_id=t.customer_id,
                description=t.description,
                active_version=actives.get(t.name),
                can_edit=access.can_edit_customer(caller, t.customer_id, chains),
            )
        )
    return out


async def create_template(
    tx: Tx, *, caller: Caller, name: str, description: str = "", customer_id: str | None = None
) -> TemplateView:
    """A new template (no versions yet). Names are unique across customers → 409 when taken."""
    target = parse_template_name(name)
    description = parse_text(description, field="description")
    customer_id = await _customer(tx, caller, customer_id, EDIT_ROUTING, unscoped=True)
    if await repo.get_template(tx.session, target) is not None:
        raise ProblemError(409, detail=f"the template name {target} is taken")
    tx.session.add(Template(name=target, customer_id=customer_id, description=description, created_at=tx.now))
    await tx.session.flush()
    await record(
        tx,
        caller=caller,
        action="template.create",
        customer_id=customer_id,
        target=target,
        after={"name": target, "description": description},
    )
    return TemplateView(
        name=target, customer_id=customer_id, description=description, active_version=None, can_edit=True
    )


# --- labels --------------------------------------------------------------------------------------


def label_view(row: LabelRow) -> LabelView:
    return LabelView(customer_id=row.customer_id, name=row.name, kind=row.kind, values=tuple(row.values))


async def list_labels(tx: Tx, *, caller: Caller, customer_id: str | None = None) -> list[LabelView]:
    visible = await _visible_customers(tx, caller, VIEW)
    rows = await repo.list_labels(tx.session, customer_id=customer_id)
    return [label_view(r) for r in rows if visible is None or r.customer_id in visible]


async def save_label(
    tx: Tx, *, caller: Caller, name: str, kind: str, values: Sequence[str], customer_id: str | None = None
) -> LabelView:
    """Create or replace a label. Versions already scheduled keep the values they froze."""
    name, kind, parsed = parse_label(name, kind, list(values) if isinstance(values, list | tuple) else values)
    customer_id = await _customer(tx, caller, customer_id, EDIT_ROUTING, unscoped=True)
    row = await repo.get_label(tx.session, customer_id, name)
    before = None if row is None else {"kind": row.kind, "values": list(row.values)}
    if row is None:
        row = LabelRow(customer_id=customer_id, name=name, kind=kind, values=list(parsed))
        tx.session.add(row)
    else:
        row.kind, row.values = kind, list(parsed)
    await tx.session.flush()
    after = {"kind": kind, "values": list(parsed)}
    if before != after:
        await record(
            tx,
            caller=caller,
            action="label.save",
            customer_id=customer_id,
            target=f"@{name}",
            before=before,
            after=after,
        )
    return label_view(row)


async def delete_label(tx: Tx, *, caller: Caller, name: str, customer_id: str | None = None) -> None:
    customer_id = await _customer(tx, caller, customer_id, EDIT_ROUTING, unscoped=True)
    row = await repo.get_label(tx.session, customer_id, name) if isinstance(name, str) else None
    if row is None:
        raise access.not_found("no such label")
    before = {"kind": row.kind, "values": list(row.values)}
    await tx.session.delete(row)
    await tx.session.flush()
    await record(
        tx, caller=caller, action="label.delete", customer_id=customer_id, target=f"@{name}", before=before
    )


# --- sites ---------------------------------------------------------------------------------------


def site_view(row: SiteRow) -> SiteView:
    return SiteView(customer_id=row.customer_id, name=row.name, uri=row.uri, description=row.description)


async def list_sites(tx: Tx, *, caller: Caller, customer_id: str | None = None) -> list[SiteView]:
    visible = await _visible_customers(tx, caller, VIEW)
    rows = await repo.list_sites(tx.session, customer_id=customer_id)
    return [site_view(r) for r in rows if visible is None or r.customer_id in visible]


async def save_site(
    tx: Tx, *, caller: Caller, customer_id: str, name: str, uri: str, description: str = ""
) -> SiteView:
    """Create or replace a call-center site (provider or reseller staff)."""
    name, uri = parse_site(name, uri)
    description = parse_text(description, field="description")
    customer_id = await _customer(tx, caller, customer_id, MANAGE_NUMBERS, staff=True)
    checked, org = await _tenancy_customer(tx, caller, customer_id)
    if checked and org is None:
        raise access.not_found("no such customer")
    row = await repo.get_site(tx.session, customer_id, name)
    before = None if row is None else {"uri": row.uri, "description": row.description}
    if row is None:
        row = SiteRow(customer_id=customer_id, name=name, uri=uri, description=description)
        tx.session.add(row)
    else:
        row.uri, row.description = uri, description
    await tx.session.flush()
    after = {"uri": uri, "description": description}
    if before != after:
        tx.mark_numbers()
        await record(
            tx,
            caller=caller,
            action="site.save",
            customer_id=customer_id,
            target=f"site:{name}",
            before=before,
            after=after,
        )
    return site_view(row)


async def delete_site(tx: Tx, *, caller: Caller, customer_id: str, name: str) -> None:
    customer_id = await _customer(tx, caller, customer_id, MANAGE_NUMBERS, staff=True)
    row = await repo.get_site(tx.session, customer_id, name) if isinstance(name, str) else None
    if row is None:
        raise access.not_found("no such site")
    before = {"uri": row.uri, "description": row.description}
    await tx.session.delete(row)
    await tx.session.flush()
    tx.mark_numbers()
    await record(
        tx, caller=caller, action="site.delete", customer_id=customer_id, target=f"site:{name}", before=before
    )


# --- numbers (provider staff) -------------------------------------------------------------------


def _number_state(n: Number) -> dict[str, object]:
    return {
        "customer_id": n.customer_id,
        "reseller_chain": list(n.reseller_chain or ()),
        "description": n.description,
    }


async def assign_number(
    tx: Tx,
    *,
    caller: Caller,
    tfn: str,
    customer_id: str,
    reseller_chain: Sequence[str] = (),
    description: str = "",
) -> NumberView:
    """Give a toll-free number to a customer. Provider staff only; 409 when already assigned."""
    access.require_provider(caller)
    errors: list[dict[str, str]] = []
    parsed: dict[str, object] = {}
    for key, parse, value in (
        ("tfn", parse_tfn, tfn),
        ("customer_id", parse_customer_id, customer_id),
        (
            "reseller_chain",
            parse_reseller_chain,
            list(reseller_chain) if isinstance(reseller_chain, tuple) else reseller_chain,
        ),
        ("description", lambda v: parse_text(v, field="description"), description),
    ):
        try:
            parsed[key] = parse(value)
        except ValidationFailed as exc:
            errors += exc.errors
    if errors:
        raise ValidationFailed(errors)
    number = str(parsed["tfn"])
    if await repo.get_number(tx.session, number) is not None:
        raise ProblemError(409, detail=f"{number} is already assigned")
    pooled = await repository_pool.get_entry(tx.session, number)
    if pooled is not None:
        raise ProblemError(
            409,
            detail=f"{number} is in {pooled.holder}'s pool: take it out of the pool or assign it from there",
        )
    chain = parsed["reseller_chain"]
    assert isinstance(chain, tuple)
    chain = await _directory_chain(tx, caller, str(parsed["customer_id"]), chain)
    row = Number(
        tfn=number,
        customer_id=str(parsed["customer_id"]),
        reseller_chain=list(chain),
        description=str(parsed["description"]),
        assigned_at=tx.now,
        assigned_by=caller.username,
    )
    tx.session.add(row)
    await tx.session.flush()
    await record(
        tx,
        caller=caller,
        action="number.assign",
        customer_id=row.customer_id,
        target=number,
        after=_number_state(row),
    )
    tx.plans_changed(number)
    tx.mark_numbers()
    return NumberView(
        tfn=number,
        customer_id=row.customer_id,
        description=row.description,
        reseller_chain=chain,
        active=None,
        pending=(),
        drafts=(),
    )


async def _directory_chain(
    tx: Tx, caller: Caller, customer_id: str, given: tuple[str, ...]
) -> tuple[str, ...]:
    """The customer's reseller chain from the tenancy replica; a chain in the request must be
    exactly that (422 otherwise, and for an id that is not a customer; 409 when suspended)."""
    checked, org = await _tenancy_customer(tx, caller, customer_id)
    if not checked:
        return given
    if org is None:
        raise ValidationFailed(
            [{"field": "customer_id", "message": f"{customer_id} is not a customer in the directory."}]
        )
    if given and given != org.chain:
        shown = ", ".join(org.chain) or "none (a direct customer)"
        message = f"{customer_id}'s resellers are {shown}; leave the chain out or give exactly that."
        raise ValidationFailed([{"field": "reseller_chain", "message": message}])
    return org.chain


async def unassign_number(tx: Tx, *, caller: Caller, tfn: str) -> None:
    """Take a number back: its ACTIVE version becomes OLD, scheduled ones drafts again (the
    history stays with the customer it belonged to). Provider staff only."""
    access.require_provider(caller)
    number = await repo.lock_number(tx.session, parse_tfn(tfn))
    if number is None:
        raise access.not_found("no such number")
    live = lifecycle.SCHEDULED | {lifecycle.ACTIVE}
    for v in await repo.versions_of(
        tx.session, target=number.tfn, customer_id=number.customer_id, states=live
    ):
        verb = "supersede" if v.state == lifecycle.ACTIVE else "cancel"
        await lifecycle.transition(
            tx.session,
            v,
            verb,
            actor=caller.username,
            session_ref=caller.session,
            at=tx.now,
            detail={"unassigned": True},
        )
        if verb == "cancel":
            v.effective_at, v.snapshot = None, None
    before = _number_state(number)
    await tx.session.delete(number)
    await tx.session.flush()
    await record(
        tx,
        caller=caller,
        action="number.unassign",
        customer_id=before["customer_id"],  # type: ignore[arg-type]
        target=tfn,
        before=before,
    )
    tx.plans_changed(number.tfn)
    tx.mark_numbers()


# --- origin data (provider staff) ---------------------------------------------------------------


async def import_origin(tx: Tx, *, caller: Caller, csv_text: str) -> ImportResult:
    """Replace the origin data (NPA-NXX → LATA, state, rate centre) with a CSV import. Any
    problem → 422 naming the line, and nothing changes."""
    access.require_provider(caller)
    if not isinstance(csv_text, str) or not csv_text.strip():
        raise ValidationFailed([{"field": "csv", "message": "The file is empty."}])
    rows, issues = parse_origin_csv(csv_text)
    if issues:
        raise ValidationFailed(issue_errors(issues), detail=f"{len(issues)} problem(s) in the file")
    before = await repo.origin_count(tx.session)
    count = await repo.replace_origin(tx.session, rows)
    await record(
        tx,
        caller=caller,
        action="origin.import",
        customer_id=None,
        target=None,
        before={"rows": before},
        after={"rows": count},
    )
    tx.mark_origin()
    return ImportResult(rows=count, at=tx.now)


async def load_origin(tx: Tx) -> OriginData:
    """The imported origin data as the engine uses it (for callers outside the runtime)."""
    return OriginData.build(await repo.origin_rows(tx.session))

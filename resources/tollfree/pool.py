"""Number pools: the provider puts toll-free numbers into a reseller's pool; the reseller's staff
assign them to customers below the reseller; a reseller's customer's number that is taken back
returns to the pool it came from.

* Provider staff see every pool, put numbers in (`add_to_pool`), take them out
  (`remove_from_pool`) and may assign from any pool (to a customer below its holder) — or
  directly to any customer as before (`customers.assign_number`).
* Reseller staff see only their own pool (another's answers 404, like a number that does not
  exist) and assign from it only to customers below them in the tenancy replica (tenancy.py):
  unknown or not below → 404 naming the customer and the reseller; suspended → 409.
* `unassign_number` takes a number back from its customer (customers.unassign_number does the
  work) and puts it into the pool it was assigned from (its `pool.assign` audit row), else the
  nearest reseller's above the customer; the provider's direct customers' numbers go nowhere.

Every move is an audit row (`pool.add`, `pool.remove`, `pool.assign`, `pool.return`, plus
`number.unassign`); moves in and out of `tollfree_numbers` call `tx.mark_numbers()` (other
resources replicate assignments) and `tx.plans_changed` (the SCP reloads the number).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from resources.kit.caller import Caller
from resources.kit.errors import ProblemError, ValidationFailed
from resources.tollfree import access, customers
from resources.tollfree import repository as repo
from resources.tollfree import repository_pool as pool_repo
from resources.tollfree.audit import record
from resources.tollfree.context import Tx
from resources.tollfree.manifest import MANAGE_NUMBERS
from resources.tollfree.models import Number, PoolEntry
from resources.tollfree.schemas import fail, parse_customer_id, parse_text, parse_tfn
from resources.tollfree.shapes import NumberView
from resources.tollfree.tenancy import load_tenancy, require_tenancy

NOT_IN_YOUR_POOL = "no such number in your pool"
NOT_IN_ANY_POOL = "no such number in any pool"


@dataclass(frozen=True, kw_only=True)
class PoolNumber:
    tfn: str
    holder: str  # the reseller whose pool it is in
    chain: tuple[str, ...]  # the holder's reseller chain, top-most first
    added_at: datetime
    added_by: str


def _view(row: PoolEntry) -> PoolNumber:
    chain = tuple(row.chain or ())
    return PoolNumber(
        tfn=row.tfn, holder=row.holder, chain=chain, added_at=row.added_at, added_by=row.added_by
    )


def _state(row: PoolEntry) -> dict[str, Any]:
    return {"pool": row.holder, "chain": list(row.chain or ())}


def _require_staff(caller: Caller) -> None:
    if not (access.is_staff(caller) and caller.has(MANAGE_NUMBERS)):
        raise access.forbidden("only provider or reseller staff manage number pools")


class NotInPool(ProblemError):
    """404: the number is in no pool the caller sees (pages let it through as an error page)."""

    def __init__(self, caller: Caller) -> None:
        super().__init__(404, detail=NOT_IN_ANY_POOL if access.is_provider(caller) else NOT_IN_YOUR_POOL)


def _not_found(caller: Caller) -> ProblemError:
    return NotInPool(caller)


def _path_tfn(caller: Caller, tfn: str) -> str:
    """A number named by a URL: anything malformed simply is not in the pool."""
    try:
        return parse_tfn(tfn)
    except ValidationFailed:
        raise _not_found(caller) from None


async def _visible_entry(tx: Tx, caller: Caller, tfn: str) -> PoolEntry:
    entry = await pool_repo.lock_entry(tx.session, _path_tfn(caller, tfn))
    if entry is None or not (access.is_provider(caller) or entry.holder == caller.org_id):
        raise _not_found(caller)
    return entry


# --- reading ------------------------------------------------------------------------------------


async def list_pool(tx: Tx, *, caller: Caller, reseller: str | None = None) -> list[PoolNumber]:
    """Provider: every pool (or `reseller`'s); reseller staff: their own pool only (naming
    another reseller → 404)."""
    _require_staff(caller)
    if not access.is_provider(caller):
        if reseller is not None and reseller != caller.org_id:
            raise access.not_found("no such pool")
        reseller = caller.org_id
    return [_view(r) for r in await pool_repo.list_pool(tx.session, holder=reseller)]


async def assignable_customers(tx: Tx, *, caller: Caller) -> dict[str, list[str]]:
    """For each pool the caller sees: the customers below its holder it may assign to now
    (not suspended)."""
    _require_staff(caller)
    tenancy = await load_tenancy(tx.session)
    holders = {p.holder for p in await list_pool(tx, caller=caller)}
    if not access.is_provider(caller):
        holders.add(caller.org_id)
    return {h: tenancy.customers_below(h) for h in sorted(holders)}


# --- provider: into and out of a pool -----------------------------------------------------------


async def add_to_pool(tx: Tx, *, caller: Caller, tfn: str, reseller: str) -> PoolNumber:
    """Put a free number into a reseller's pool (provider staff). 409 when the number is
    assigned or pooled already, or the reseller is suspended."""
    access.require_provider(caller)
    errors: list[dict[str, str]] = []
    try:
        number = parse_tfn(tfn)
    except ValidationFailed as exc:
        errors += exc.errors
    if not isinstance(reseller, str) or not reseller.strip():
        errors.append({"field": "reseller", "message": "Name the reseller, like acme."})
    if errors:
        raise ValidationFailed(errors)
    reseller = reseller.strip()
    tenancy = await require_tenancy(tx.session)
    org = tenancy.get(reseller)
    if org is None or org.kind != "reseller":
        raise fail("reseller", f"{reseller} is not a reseller.")
    if tenancy.is_suspended(reseller):
        raise ProblemError(409, detail=f"{reseller} is suspended")
    if (assigned := await repo.get_number(tx.session, number)) is not None:
        raise ProblemError(409, detail=f"{number} is assigned to {assigned.customer_id}")
    if (pooled := await pool_repo.get_entry(tx.session, number)) is not None:
        raise ProblemError(409, detail=f"{number} is already in the pool of {pooled.holder}")
    chain = list(org.chain) or [reseller]
    row = PoolEntry(tfn=number, holder=reseller, chain=chain, added_at=tx.now, added_by=caller.username)
    tx.session.add(row)
    await tx.session.flush()
    await record(tx, caller=caller, action="pool.add", customer_id=None, target=number, after=_state(row))
    return _view(row)


async def remove_from_pool(tx: Tx, *, caller: Caller, tfn: str) -> None:
    """Take a number out of a pool: it belongs to nobody again (provider staff)."""
    access.require_provider(caller)
    entry = await _visible_entry(tx, caller, tfn)
    before = _state(entry)
    await tx.session.delete(entry)
    await tx.session.flush()
    await record(tx, caller=caller, action="pool.remove", customer_id=None, target=entry.tfn, before=before)


# --- assigning from a pool, and back ------------------------------------------------------------


async def assign_from_pool(
    tx: Tx, *, caller: Caller, tfn: str, customer_id: str, description: str = ""
) -> NumberView:
    """Give a pooled number to a customer below the pool's holder; the number's reseller chain
    is the customer's (from the tenancy replica)."""
    _require_staff(caller)
    entry = await _visible_entry(tx, caller, tfn)
    errors: list[dict[str, str]] = []
    try:
        customer_id = parse_customer_id(customer_id)
    except ValidationFailed as exc:
        errors += exc.errors
    try:
        description = parse_text(description, field="description")
    except ValidationFailed as exc:
        errors += exc.errors
    if errors:
        raise ValidationFailed(errors)
    tenancy = await require_tenancy(tx.session)
    org = tenancy.get(customer_id)
    if org is None or not tenancy.is_customer_below(customer_id, entry.holder):
        raise access.not_found(f"no customer {customer_id} below {entry.holder}")
    if tenancy.is_suspended(customer_id):
        raise ProblemError(409, detail=f"{customer_id} is suspended")
    if (assigned := await repo.get_number(tx.session, entry.tfn)) is not None:
        raise ProblemError(409, detail=f"{entry.tfn} is assigned to {assigned.customer_id}")
    before = _state(entry)
    row = Number(
        tfn=entry.tfn,
        customer_id=customer_id,
        reseller_chain=list(org.chain),
        description=description,
        assigned_at=tx.now,
        assigned_by=caller.username,
    )
    await tx.session.delete(entry)
    tx.session.add(row)
    await tx.session.flush()
    after = {"customer_id": customer_id, "reseller_chain": list(org.chain), "description": description}
    await record(
        tx, caller=caller, action=pool_repo.POOL_ASSIGN, customer_id=customer_id, target=row.tfn,
        before=before, after=after,
    )  # fmt: skip
    tx.plans_changed(row.tfn)
    tx.mark_numbers()
    return NumberView(
        tfn=row.tfn,
        customer_id=customer_id,
        description=description,
        reseller_chain=tuple(org.chain),
        active=None,
        pending=(),
        drafts=(),
    )


async def unassign_number(tx: Tx, *, caller: Caller, tfn: str) -> PoolNumber | None:
    """Take a number back from its customer (provider staff; see customers.unassign_number)
    and return it to the pool it came from, else the nearest reseller's above the customer.
    None: a direct customer's number, which goes nowhere."""
    access.require_provider(caller)
    number = await repo.get_number(tx.session, parse_tfn(tfn))
    if number is None:
        raise access.not_found("no such number")
    tfn, customer_id, chain = number.tfn, number.customer_id, list(number.reseller_chain or ())
    holder = await pool_repo.assigned_from(tx.session, tfn=tfn, customer_id=customer_id)
    if holder not in chain:
        holder = chain[-1] if chain else None
    await customers.unassign_number(tx, caller=caller, tfn=tfn)
    if holder is None or await pool_repo.get_entry(tx.session, tfn) is not None:
        return None
    row = PoolEntry(
        tfn=tfn,
        holder=holder,
        chain=chain[: chain.index(holder) + 1],
        added_at=tx.now,
        added_by=caller.username,
    )
    tx.session.add(row)
    await tx.session.flush()
    await record(
        tx, caller=caller, action="pool.return", customer_id=customer_id, target=tfn,
        before={"customer_id": customer_id, "reseller_chain": chain}, after=_state(row),
    )  # fmt: skip
    return _view(row)

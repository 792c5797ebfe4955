"""Who may see and change what (pure, default deny). Every service function asks here.

* Provider staff (`kind == "provider"`, and trusted service-plane callers such as the CLI and
  the demo loader) see everything.
* Reseller staff see numbers whose `reseller_chain` contains their `org_id`, and the customers
  that own such numbers.
* Customer users see their own customer's numbers and, when their entitlement for the action is
  scoped (a set of TFNs), only those numbers.
* Templates and labels (customer-wide objects) are seen with any `tollfree:view` and changed
  only with an **unscoped** `tollfree:edit-routing`.

The service answers 404 for anything `can_*` refuses on VIEW (no leak of existence) and 403 for
a visible target the caller may not change.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from resources.kit.caller import Caller
from resources.kit.caller import system_caller as kit_system_caller
from resources.kit.errors import ProblemError
from resources.tollfree.manifest import ACTIONS, EDIT_ROUTING, MANAGE_NUMBERS, VIEW


@dataclass(frozen=True, kw_only=True)
class NumberRef:
    """What access needs to know about a number."""

    tfn: str
    customer_id: str
    reseller_chain: tuple[str, ...]


def system_caller(name: str = "system") -> Caller:
    """A provider-wide caller for the demo loader, the CLI and the scheduler; audited as
    `service:<name>`."""
    return kit_system_caller(name, (a.name for a in ACTIONS))


def is_provider(caller: Caller) -> bool:
    return caller.kind == "provider" or is_system(caller)


def is_system(caller: Caller) -> bool:
    """An in-process system caller (demo loader, CLI, scheduler): the service plane reaches
    only `/internal/…` over the wire, never the portal routes that change numbers."""
    return caller.kind == "service" and caller.plane == "service"


def is_staff(caller: Caller) -> bool:
    return is_provider(caller) or caller.kind == "reseller"


def _scope(caller: Caller, action: str) -> tuple[bool, frozenset[str] | None]:
    """(held, scope): scope None = everything within the caller's tenancy."""
    if not caller.has(action):
        return False, None
    return True, caller.scope_for(action)


def _tenant_of_number(caller: Caller, number: NumberRef) -> bool:
    if is_provider(caller):
        return True
    if caller.kind == "reseller":
        return caller.org_id in number.reseller_chain
    if caller.kind == "customer":
        return caller.customer_id is not None and number.customer_id == caller.customer_id
    return False


def _tenant_of_customer(caller: Caller, customer_id: str, chains: Iterable[Iterable[str]]) -> bool:
    """`chains`: the reseller chains of the customer's numbers (a reseller serves the customers
    it sells numbers to)."""
    if is_provider(caller):
        return True
    if caller.kind == "reseller":
        return any(caller.org_id in chain for chain in chains)
    if caller.kind == "customer":
        return caller.customer_id is not None and customer_id == caller.customer_id
    return False


def can_number(caller: Caller, number: NumberRef, action: str = VIEW) -> bool:
    held, scope = _scope(caller, action)
    if not held or not _tenant_of_number(caller, number):
        return False
    return scope is None or number.tfn in scope


def can_customer(
    caller: Caller,
    customer_id: str,
    chains: Iterable[Iterable[str]],
    action: str = VIEW,
    *,
    unscoped: bool = False,
) -> bool:
    """Customer-wide objects (templates, labels, sites). `unscoped`: the entitlement must
    cover all of the customer's numbers (changing a template or label reaches every number)."""
    held, scope = _scope(caller, action)
    if not held or not _tenant_of_customer(caller, customer_id, chains):
        return False
    return not unscoped or scope is None


def can_edit_customer(caller: Caller, customer_id: str, chains: Iterable[Iterable[str]]) -> bool:
    return can_customer(caller, customer_id, list(chains), EDIT_ROUTING, unscoped=True)


def can_manage(caller: Caller, customer_id: str, chains: Iterable[Iterable[str]]) -> bool:
    """Sites: provider or reseller staff holding `tollfree:manage-numbers` for that customer."""
    return is_staff(caller) and can_customer(caller, customer_id, chains, MANAGE_NUMBERS)


def require_provider(caller: Caller, action: str = MANAGE_NUMBERS) -> None:
    if not (is_provider(caller) and caller.has(action)):
        raise ProblemError(403, detail="only provider staff may do this")


def not_found(what: str = "no such target") -> ProblemError:
    return ProblemError(404, detail=what)


def forbidden(detail: str) -> ProblemError:
    return ProblemError(403, detail=detail)

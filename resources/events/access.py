"""Who may see and change which customer's alarms and thresholds (pure, default deny).

* Provider staff and in-process system callers (demo loader, CLI) reach every customer.
* Customer users reach their own customer only: `events:view` to see alarms, the feed and the
  thresholds; `events:manage` to acknowledge, unacknowledge, comment and change thresholds.
* Reseller staff reach the customers below their reseller in the tenancy tree the directory
  publishes (`resources.kit.tenancy`, replicated in memory); before the first picture arrives
  they reach none (the safe default).

404 for a customer or alarm the caller may not see (no leak of existence), 403 for a visible one
it may not change.
"""

from __future__ import annotations

from resources.kit.caller import Caller
from resources.kit.errors import ProblemError
from resources.kit.tenancy import Tenancy

VIEW = "events:view"
MANAGE = "events:manage"
REPORT = "events:report"


def is_provider(caller: Caller) -> bool:
    return caller.kind == "provider" or (caller.kind == "service" and caller.plane == "service")


def reaches(caller: Caller, customer_id: str, tenancy: Tenancy | None = None) -> bool:
    if is_provider(caller):
        return True
    if caller.kind == "reseller":
        return tenancy is not None and tenancy.is_customer_below(customer_id, caller.org_id)
    return caller.customer_id is not None and caller.customer_id == customer_id


def customers_seen(caller: Caller, tenancy: Tenancy, named: str | None = None) -> list[str] | None:
    """The customers whose alarms a list shows: `named` alone (404 when not reached), else every
    customer (None) for provider staff, those below the reseller for reseller staff, the own one
    for a customer's users."""
    if not caller.has(VIEW):
        raise ProblemError(404, detail="no such customer")
    if named is not None:
        if not reaches(caller, named, tenancy):
            raise ProblemError(404, detail="no such customer")
        return [named]
    if is_provider(caller):
        return None
    if caller.kind == "reseller":
        return tenancy.customers_below(caller.org_id, suspended=True)
    return [caller.customer_id] if caller.customer_id is not None else []


def can_see(caller: Caller, customer_id: str, tenancy: Tenancy | None) -> bool:
    return caller.has(VIEW) and reaches(caller, customer_id, tenancy)


def require_view(caller: Caller, customer_id: str, *, tenancy: Tenancy | None = None) -> None:
    if not can_see(caller, customer_id, tenancy):
        raise ProblemError(404, detail="no such customer")


def require_manage(caller: Caller, customer_id: str, *, tenancy: Tenancy | None = None) -> None:
    require_view(caller, customer_id, tenancy=tenancy)
    if not caller.has(MANAGE):
        raise ProblemError(403, detail="you may view alarms but not manage them")

"""Who may see and change which customer's outbound configuration (pure, default deny).

* Provider staff and in-process system callers (demo loader, CLI) reach every customer.
* Customer users reach their own customer only: `outbound:view` to see lines, policies, groups,
  account codes and the audit; `outbound:edit` to change them and set authorization codes.
* Reseller staff reach the customers below their reseller in the tenancy tree the directory
  publishes (`resources.kit.tenancy`, replicated in memory); before the first picture arrives
  they reach none (the safe default).

404 for a customer the caller may not see (no leak of existence), 403 for a visible one it may
not change.
"""

from __future__ import annotations

from resources.kit.caller import Caller
from resources.kit.errors import ProblemError
from resources.kit.tenancy import Tenancy

VIEW = "outbound:view"
EDIT = "outbound:edit"


def is_provider(caller: Caller) -> bool:
    return caller.kind == "provider" or (caller.kind == "service" and caller.plane == "service")


def reaches(caller: Caller, customer_id: str, tenancy: Tenancy | None = None) -> bool:
    if is_provider(caller):
        return True
    if caller.kind == "reseller":
        return tenancy is not None and tenancy.is_customer_below(customer_id, caller.org_id)
    return caller.customer_id is not None and caller.customer_id == customer_id


def require_view(caller: Caller, customer_id: str, *, tenancy: Tenancy | None = None) -> None:
    if not caller.has(VIEW) or not reaches(caller, customer_id, tenancy):
        raise ProblemError(404, detail="no such customer")


def require_edit(caller: Caller, customer_id: str, *, tenancy: Tenancy | None = None) -> None:
    require_view(caller, customer_id, tenancy=tenancy)
    if not caller.has(EDIT):
        raise ProblemError(403, detail="you may view outbound calling but not change it")

"""Who may see and change which call-center objects (pure, default deny). Every service
function asks here.

* Provider staff (`kind == "provider"`) and in-process system callers (demo loader, CLI) reach
  every customer.
* Customer users reach their own customer only. With a scoped `callcenter:view` they see only
  the sites in the scope and the distributions whose every site is in it; with a scoped
  `callcenter:edit` they change only those sites, and a distribution only when every site it
  names, before and after the change, is in the scope.
* Reseller staff reach the customers below their reseller in the tenancy tree the directory
  publishes (`resources.kit.tenancy`, replicated in memory); before the first picture arrives
  they reach none (the safe default).

Refusals: 404 for a customer or object the caller may not see (no leak of existence), 403 for a
visible object it may not change.
"""

from __future__ import annotations

from collections.abc import Iterable

from resources.kit.caller import Caller
from resources.kit.errors import ProblemError
from resources.kit.tenancy import Tenancy

VIEW = "callcenter:view"
EDIT = "callcenter:edit"


def is_provider(caller: Caller) -> bool:
    return caller.kind == "provider" or (caller.kind == "service" and caller.plane == "service")


def reaches(caller: Caller, customer_id: str, tenancy: Tenancy | None = None) -> bool:
    if is_provider(caller):
        return True
    if caller.kind == "reseller":
        return tenancy is not None and tenancy.is_customer_below(customer_id, caller.org_id)
    return caller.customer_id is not None and caller.customer_id == customer_id


def require_view(
    caller: Caller, customer_id: str, *, tenancy: Tenancy | None = None
) -> frozenset[str] | None:
    """The view scope; 404 when the caller may not see this customer's call centers at all."""
    if not caller.has(VIEW) or not reaches(caller, customer_id, tenancy):
        raise ProblemError(404, detail="no such customer")
    return caller.scope_for(VIEW)  # the sites it is limited to; None: all the customer's


def visible(sites: Iterable[str], view: frozenset[str] | None) -> bool:
    return view is None or set(sites) <= view


def require_edit(caller: Caller, customer_id: str, sites: Iterable[str]) -> None:
    """403 unless the caller may change everything naming these sites."""
    if not caller.has(EDIT):
        raise ProblemError(403, detail="you may view call centers but not change them")
    edit = caller.scope_for(EDIT)
    outside = sorted(set(sites) - edit) if edit is not None else []
    if outside:
        raise ProblemError(403, detail=f"your entitlement does not cover site {outside[0]}")

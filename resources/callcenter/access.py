"""Who may see and change which call-center objects (pure, default deny). Every service
function asks here.

* Provider staff (`kind == "provider"`) and in-process system callers (demo loader, CLI) reach
  every customer.
* Customer users reach their own customer only. With a scoped `callcenter:view` they see only
  the sites in the scope and the distributions whose every site is in it; with a scoped
  `callcenter:edit` they change only those sites, and a distribution only when every site it
  names, before and after the change, is in the scope.
* Reseller staff are refused for now: the resource does not yet hold the reseller tree of its
  customers (issue 12 follows tollfree's replicated tenancy), and refusing is the safe default.

Refusals: 404 for a customer or object the caller may not see (no leak of existence), 403 for a
visible object it may not change.
"""

from __future__ import annotations

from collections.abc import Iterable

from resources.kit.caller import Caller
from resources.kit.errors import ProblemError

VIEW = "callcenter:view"
EDIT = "callcenter:edit"


def is_provider(caller: Caller) -> bool:
    return caller.kind == "provider" or (caller.kind == "service" and caller.plane == "service")


def reaches(caller: Caller, customer_id: str) -> bool:
    return is_provider(caller) or (caller.customer_id is not None and caller.customer_id == customer_id)


def require_view(caller: Caller, customer_id: str) -> frozenset[str] | None:
    """The view scope; 404 when the caller may not see this customer's call centers at all."""
    if not caller.has(VIEW) or not reaches(caller, customer_id):
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

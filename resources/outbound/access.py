"""Who may see and change which customer's outbound configuration (pure, default deny).

* Provider staff and in-process system callers (demo loader, CLI) reach every customer.
* Customer users reach their own customer only: `outbound:view` to see lines, policies, groups,
  account codes and the audit; `outbound:edit` to change them and set authorization codes.
* Reseller staff are refused until the resource holds a replica of the tenancy tree (as
  tollfree does); refusing is the safe default.

404 for a customer the caller may not see (no leak of existence), 403 for a visible one it may
not change.
"""

from __future__ import annotations

from resources.kit.caller import Caller
from resources.kit.errors import ProblemError

VIEW = "outbound:view"
EDIT = "outbound:edit"


def is_provider(caller: Caller) -> bool:
    return caller.kind == "provider" or (caller.kind == "service" and caller.plane == "service")


def require_view(caller: Caller, customer_id: str) -> None:
    reaches = is_provider(caller) or (caller.customer_id is not None and caller.customer_id == customer_id)
    if not caller.has(VIEW) or not reaches:
        raise ProblemError(404, detail="no such customer")


def require_edit(caller: Caller, customer_id: str) -> None:
    require_view(caller, customer_id)
    if not caller.has(EDIT):
        raise ProblemError(403, detail="you may view outbound calling but not change it")

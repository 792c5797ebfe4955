"""Who may see and work which tickets (pure, default deny).

* Provider staff and in-process system callers (demo loader, CLI) reach every customer's tickets.
* Reseller staff reach the tickets of the customers below their reseller in the tenancy tree the
  directory publishes (`resources.kit.tenancy`, replicated in memory); before the first picture
  arrives they reach none (the safe default).
* Customer users reach their own customer's tickets only.

`tickets:view` to see, `tickets:open` (customers) to open tickets, add notes and attachments and
take the customer's transitions (cancel, reopen, close); `tickets:work` (staff only) for the
staff's transitions, internal notes, severity and assignment and the queue.

A ticket the caller may not see is a 404 (no leak of existence); a visible one it may not change
a 403.

The chat of a ticket ("Talk to us", chat.py): the customer's users who see it (`tickets:view`)
and the staff who work it (`tickets:work`, reaching the customer); `chat_refusal` says why not.
"""

from __future__ import annotations

from typing import Literal

from resources.kit.caller import Caller
from resources.kit.errors import ProblemError
from resources.kit.tenancy import Tenancy

VIEW = "tickets:view"
OPEN = "tickets:open"
WORK = "tickets:work"
Role = Literal["customer", "staff"]


def is_provider(caller: Caller) -> bool:
    return caller.kind == "provider" or (caller.kind == "service" and caller.plane == "service")


def is_staff(caller: Caller) -> bool:
    """Staff of the provider or a reseller (or an in-process system caller)."""
    return is_provider(caller) or caller.kind == "reseller"


def reaches(caller: Caller, customer_id: str, tenancy: Tenancy | None = None) -> bool:
    if is_provider(caller):
        return True
    if caller.kind == "reseller":
        return tenancy is not None and tenancy.is_customer_below(customer_id, caller.org_id)
    return caller.customer_id is not None and caller.customer_id == customer_id


def visible_customers(caller: Caller, tenancy: Tenancy | None) -> list[str] | None:
    """The customers whose tickets the caller may list: None = every customer; [] = none."""
    if not caller.has(VIEW):
        return []
    if is_provider(caller):
        return None
    if caller.kind == "reseller":
        return tenancy.customers_below(caller.org_id, suspended=True) if tenancy is not None else []
    return [caller.customer_id] if caller.customer_id else []


def role_of(caller: Caller) -> Role | None:
    """In which role the caller acts on a ticket it sees: staff with `tickets:work`, customer
    users with `tickets:open`; None: it may only look."""
    if is_staff(caller):
        return "staff" if caller.has(WORK) else None
    return "customer" if caller.has(OPEN) else None


def require_view(caller: Caller, customer_id: str, *, tenancy: Tenancy | None, what: str) -> None:
    if not caller.has(VIEW) or not reaches(caller, customer_id, tenancy):
        raise ProblemError(404, detail=f"no such ticket: {what}")


def require_role(caller: Caller) -> Role:
    role = role_of(caller)
    if role is None:
        raise ProblemError(403, detail="you may view tickets but not change them")
    return role


def require_work(caller: Caller) -> None:
    if not is_staff(caller) or not caller.has(WORK):
        raise ProblemError(403, detail="only staff working tickets (tickets:work) may do this")


def require_open(caller: Caller, customer_id: str, *, tenancy: Tenancy | None) -> None:
    """Opening a ticket for a customer: its users with `tickets:open`, or staff reaching it with
    `tickets:open` or `tickets:work`."""
    if not reaches(caller, customer_id, tenancy) or not caller.has(VIEW):
        raise ProblemError(404, detail=f"no such customer: {customer_id}")
    if not (caller.has(OPEN) or (is_staff(caller) and caller.has(WORK))):
        raise ProblemError(403, detail="you may view tickets but not open them")


def chat_refusal(caller: Caller, customer_id: str | None, *, tenancy: Tenancy | None) -> str | None:
    """Why the caller may not take part in the chat of a ticket of `customer_id` (None: it may;
    `customer_id` None: the ticket is not known yet, only the entitlements are checked)."""
    if not caller.has(VIEW):
        return "you may not see tickets (tickets:view)"
    if is_staff(caller) and not caller.has(WORK):
        return "only staff working tickets (tickets:work) take part in chats"
    if customer_id is not None and not reaches(caller, customer_id, tenancy):
        return "this ticket is not one of your company's"
    return None


def chat_role(caller: Caller) -> Role:
    return "staff" if is_staff(caller) else "customer"

"""What the tickets resource declares: actions, rules (default deny), the menu entries."""

from __future__ import annotations

from typing import Any

from resources.kit.manifest import Action, Manifest, NavEntry, Rule, rule_table
from resources.tickets.access import OPEN, VIEW, WORK

TMF = "/api/tmf-api/troubleTicket/v4/troubleTicket"

ACTIONS = (
    Action(
        name=VIEW,
        description="See your company's trouble tickets: status, SLA, notes, attachments, history",
    ),
    Action(
        name=OPEN,
        description=(
            "Open trouble tickets for your company, add notes and attachments, cancel, reopen or close them"
        ),
    ),
    Action(
        name=WORK,
        description=(
            "Work tickets (staff): the queue, start, hold, resolve or reject, internal notes, severity, "
            "assignment, bulk updates"
        ),
        staff_only=True,
    ),
)


def _rules() -> tuple[Rule, ...]:
    # PATCH, notes, attachments and status changes need only tickets:view at the dispatcher: which
    # of them a caller may make depends on the field and the move (tickets:open for the
    # customer's, tickets:work for staff's), and the service decides that (access.py, lifecycle.py).
    customer = [
        # the pages (views*.py)
        ("GET", "/list", VIEW),
        ("GET", "/new", OPEN),
        ("POST", "/new", OPEN),
        ("GET", "/queue", WORK),
        ("POST", "/queue/bulk", WORK),
        ("GET", "/ticket/{id}", VIEW),
        ("POST", "/ticket/{id}/status", VIEW),
        ("POST", "/ticket/{id}/note", VIEW),
        ("POST", "/ticket/{id}/attachment", VIEW),
        ("POST", "/ticket/{id}/work", WORK),
        # the chat ("Talk to us"; chat_ws.py, views_chat.py): who takes part is the service's
        # decision (access.chat_refusal: customer users seeing the ticket, staff with tickets:work)
        ("GET", "/chat/new", OPEN),
        ("POST", "/chat/new", OPEN),
        ("POST", "/ticket/{id}/chat", VIEW),
        ("WS", "/{id}/chat/ws", VIEW),
        ("GET", "/chat.js", VIEW),
        # the JSON API (routes.py)
        ("GET", TMF, VIEW),
        ("POST", TMF, OPEN),
        ("GET", TMF + "/{id}", VIEW),
        ("PATCH", TMF + "/{id}", VIEW),
        ("POST", "/api/troubleTicket/{id}/attachment", VIEW),
        ("GET", "/api/troubleTicket/{id}/attachment/{aid}", VIEW),
        ("GET", "/api/troubleTicket/{id}/chat", VIEW),
        ("GET", "/api/queue", WORK),
        ("POST", "/api/queue/bulk", WORK),
    ]
    return rule_table(customer=customer)


def _create_app(settings: Any) -> Any:
    from resources.tickets.app import create_app

    return create_app(settings)


async def _seed_demo(settings: Any) -> None:
    from resources.tickets.demo import seed

    await seed(settings)


MANIFEST = Manifest(
    name="tickets",
    title="Tickets",
    description="Trouble tickets (TMF621): open, follow and work service problems against an SLA",
    create_app=_create_app,
    demo=_seed_demo,
    actions=ACTIONS,
    rules=_rules(),
    nav=(
        NavEntry(title="Tickets", path="/tickets/list", action=VIEW, order=60),
        NavEntry(title="Ticket queue", path="/tickets/queue", action=WORK, order=61),
    ),
)

"""Demo seed (`switchboard demo`): two Globex tickets, so the pages are not empty — a major
trouble with a toll-free number, in progress and assigned to the provider admin (`admin`), and a
minor inquiry about an order, resolved. Running it again changes nothing."""

from __future__ import annotations

from resources.kit.caller import system_caller
from resources.kit.settings import ResourceSettings
from resources.tickets import repository as repo
from resources.tickets import service
from resources.tickets.access import OPEN, VIEW, WORK
from resources.tickets.context import open_context, transaction
from resources.tickets.repository import Filter
from resources.tickets.settings import TicketsSettings

CUSTOMER = "globex"
DEMO = system_caller("demo", (VIEW, OPEN, WORK))
TROUBLE = {
    "name": "Calls to +18005550100 drop after 30 seconds",
    "description": (
        "Since this morning every inbound call to our main toll-free number drops after about 30 s."
    ),
    "severity": "major",
    "ticketType": "trouble",
    "channel": "portal",
    "relatedEntity": [{"role": "number", "id": "+18005550100", "@referredType": "TollFreeNumber"}],
}
INQUIRY = {
    "name": "When will the second number be active?",
    "description": "We ordered a second toll-free number last week; when can we route calls to it?",
    "severity": "minor",
    "ticketType": "inquiry",
    "channel": "portal",
}


async def seed(settings: ResourceSettings) -> None:
    tickets = TicketsSettings.from_resource(settings)
    async with open_context(tickets) as (ctx, _engine), transaction(ctx, write=True) as tx:
        _, count = await repo.search(tx.session, Filter(customer=CUSTOMER), offset=0, limit=1)
        if count:
            return
        first = await service.create(tx, caller=DEMO, raw=TROUBLE, channel="portal", customer=CUSTOMER)
        await service.patch(
            tx,
            caller=DEMO,
            ticket_id=first.id,
            raw={
                "status": "inProgress",
                "assignedTo": "admin",
                "note": [
                    {"text": "Looking at the SIP traces of this morning's calls."},
                    {"text": "Probably the session timer on trunk 2.", "internal": True},
                ],
            },
        )
        second = await service.create(tx, caller=DEMO, raw=INQUIRY, channel="portal", customer=CUSTOMER)
        await service.patch(tx, caller=DEMO, ticket_id=second.id, raw={"status": "inProgress"})
        await service.patch(
            tx,
            caller=DEMO,
            ticket_id=second.id,
            raw={
                "status": "resolved",
                "statusChangeReason": "The number is active since Monday.",
            },
        )

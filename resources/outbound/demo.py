"""Demo seed (`switchboard demo`): Globex's outbound calling — a default policy (local, long
distance, toll-free), an international one that bob's authorization code (4829) lifts him to,
a lobby group (local and toll-free only, office hours), two lines and two account codes.
Running it again changes nothing."""

from __future__ import annotations

from typing import Any

from resources.kit.caller import system_caller
from resources.kit.settings import ResourceSettings
from resources.outbound import service
from resources.outbound.access import EDIT, VIEW
from resources.outbound.context import open_context, transaction
from resources.outbound.models import ACCOUNT_CODE, GROUP, LINE, POLICY
from resources.outbound.settings import OutboundSettings

CUSTOMER = "globex"
OFFICE = {
    "zone": "America/Chicago",
    "weekly": {d: ["08:00-18:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
}
OBJECTS: tuple[tuple[str, str, dict[str, Any]], ...] = (
    (POLICY, "default", {"name": "default", "classes": ["local", "long-distance", "toll-free", "directory"]}),
    (
        POLICY,
        "international",
        {
            "name": "international",
            "classes": ["local", "long-distance", "toll-free", "directory", "international"],
            "countries": {"allow": [], "deny": ["CU", "KP"]},
            "account_code": "forced",
        },
    ),
    (POLICY, "lobby", {"name": "lobby", "classes": ["local", "toll-free"], "hours": OFFICE}),
    (GROUP, "lobby", {"name": "lobby", "policy": "lobby", "description": "Lobby and break-room phones"}),
    (
        LINE,
        "+13125550142",
        {"number": "+13125550142", "label": "Bob (sales)", "elevated": "international"},
    ),
    (LINE, "+13125550190", {"number": "+13125550190", "label": "Lobby phone", "group": "lobby"}),
    (ACCOUNT_CODE, "1001", {"code": "1001", "description": "Acme Corp. (client)"}),
    (ACCOUNT_CODE, "2002", {"code": "2002", "description": "Internal: marketing"}),
)
BOB_CODE = "4829"
DEMO = system_caller("demo", (VIEW, EDIT))


async def seed(settings: ResourceSettings) -> None:
    outbound = OutboundSettings.from_resource(settings)
    async with open_context(outbound) as (ctx, _engine), transaction(ctx, write=True) as tx:
        current = await service.load(tx, customer_id=CUSTOMER)
        if current.lines:
            return
        for kind, name, raw in OBJECTS:
            await service.put(tx, caller=DEMO, customer_id=CUSTOMER, kind=kind, name=name, raw=raw)
        await service.set_code(tx, caller=DEMO, customer_id=CUSTOMER, number="+13125550142", raw=BOB_CODE)

"""Demo seed (`switchboard demo`): Globex's three call centers and one distribution over them.
Running it again changes nothing."""

from __future__ import annotations

from typing import Any

from resources.callcenter import service
from resources.callcenter.access import EDIT, VIEW
from resources.callcenter.context import Context, open_context, transaction
from resources.callcenter.settings import CallcenterSettings
from resources.kit.caller import system_caller
from resources.kit.settings import ResourceSettings

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
SITES: tuple[dict[str, Any], ...] = (
    {
        "name": "east",
        "uri": "sip:127.0.0.1:5071",
        "capacity": 5,
        "hours": {"zone": "America/New_York", "weekly": {d: ["08:00-18:00"] for d in WEEKDAYS}},
        "description": "Globex east call center (New York)",
    },
    {
        "name": "west",
        "uri": "sip:127.0.0.1:5072",
        "capacity": 10,
        "hours": {"zone": "America/Los_Angeles", "weekly": {d: ["07:00-19:00"] for d in WEEKDAYS}},
        "description": "Globex west call center (Los Angeles)",
    },
    {
        "name": "south",
        "uri": "sip:127.0.0.1:5074",
        "capacity": 3,
        "description": "Globex answering service, always open",
    },
)
DISTRIBUTION = {
    "name": "main",
    "method": "least-busy",
    "members": [{"site": "east"}, {"site": "west"}],
    "overflow": ["south"],
    "after_hours": {"kind": "announcement", "target": "closed"},
    "all_busy": {"kind": "ring-to", "target": "+13125550100"},
}
DEMO = system_caller("demo", (VIEW, EDIT))


async def seed(settings: ResourceSettings) -> None:
    async with open_context(CallcenterSettings.from_resource(settings)) as (ctx, _engine):
        await load_demo(ctx)


async def load_demo(ctx: Context) -> None:
    async with transaction(ctx, write=True) as tx:
        config = await service.config_at(tx, caller=DEMO, customer_id="globex")
        for raw in SITES:
            if raw["name"] not in config.sites:
                await service.change_site(tx, caller=DEMO, customer_id="globex", raw=raw)
        if DISTRIBUTION["name"] not in config.distributions:
            await service.change_distribution(tx, caller=DEMO, customer_id="globex", raw=DISTRIBUTION)

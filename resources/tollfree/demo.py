"""Demo seed (`switchboard demo`): Globex and Initech numbers, sites, labels, a template and live
plans, loaded through the service with a system caller (so it is audited like any change).
Idempotent: what exists is left alone."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from resources.kit.settings import ResourceSettings
from resources.tollfree import access, service
from resources.tollfree import repository as repo
from resources.tollfree.context import Context, open_context, transaction
from resources.tollfree.settings import TollfreeSettings

DEMO = access.system_caller("demo")
SCHEDULED_IN = timedelta(days=30)

SITES = (  # customer, name, uri, description
    ("globex", "east", "sip:127.0.0.1:5071", "Globex east call center"),
    ("globex", "west", "sip:127.0.0.1:5072", "Globex west call center"),
    ("initech", "main", "sip:127.0.0.1:5073", "Initech main office"),
)
NUMBERS = (  # tfn, customer, reseller chain, description
    ("+18005550100", "globex", (), "Globex sales"),
    ("+18005550101", "globex", (), "Globex support"),
    ("+18885550102", "globex", (), "Globex billing"),
    ("+18775550103", "initech", ("acme",), "Initech help desk"),
    ("+18665550104", "initech", ("acme",), "Initech printers"),
)
LABELS = (  # customer, name, kind, values
    ("globex", "HOLIDAYS", "date", ("01-01", "07-04", "12-25")),
    ("globex", "BIZHOURS", "tod", ("08:00-18:00",)),
    ("globex", "WEEKDAYS", "dow", ("MON-FRI",)),
    ("initech", "WEEKDAYS", "dow", ("MON-FRI",)),
)
TEMPLATE = ("globex", "*GLOBEX-STD", "Globex standard: east in business hours, else west")


def tel(site: str, *alternates: str) -> dict[str, Any]:
    return {
        "type": "tel",
        "dest": f"site:{site}",
        "alternates": [f"site:{a}" for a in alternates],
        "carrier": None,
        "ring_timeout": None,
    }


def decision(
    kind: str, branches: list[tuple[list[str], dict[str, Any]]], other: dict[str, Any]
) -> dict[str, Any]:
    node: dict[str, Any] = {"type": kind}
    if kind in ("tod", "dow", "date"):
        node |= {"tz": None, "dst": True}
    node["branches"] = [{"match": match, "then": then} for match, then in branches]
    node["other"] = other
    return node


def record(main: dict[str, Any], *, timezone: str = "America/New_York") -> dict[str, Any]:
    return {
        "format": 1,
        "timezone": timezone,
        "aos": {"states": [], "npas": [], "latas": [], "npanxx": []},
        "carrier": None,
        "switches": {},
        "sections": {"M": main},
    }


def business_hours(hours: str = "@BIZHOURS") -> dict[str, Any]:
    """Holidays: announcement; business hours: east (west if east fails); else west."""
    return record(
        decision(
            "date",
            [(["@HOLIDAYS"], {"type": "announce", "treatment": "closed-holiday"})],
            decision("tod", [([hours], tel("east", "west"))], tel("west", "east")),
        )
    )


def split_70_30() -> dict[str, Any]:
    return record(
        {
            "type": "pct",
            "branches": [
                {"percent": 70, "then": tel("east", "west")},
                {"percent": 30, "then": tel("west", "east")},
            ],
        }
    )


def initech_weekdays() -> dict[str, Any]:
    return record(
        decision("dow", [(["@WEEKDAYS"], tel("main"))], {"type": "announce", "treatment": "closed"}),
        timezone="America/Chicago",
    )


def template_plan() -> dict[str, Any]:
    return record(decision("tod", [(["@BIZHOURS"], tel("east", "west"))], tel("west")))


def plans() -> tuple[tuple[str, tuple[tuple[dict[str, Any], str, str], ...]], ...]:
    """target → (document, note, "now" | "future" | "draft") per version, in order."""
    return (
        ("*GLOBEX-STD", ((template_plan(), "Standard routing", "now"),)),
        (
            "+18005550100",
            (
                (business_hours(), "Business hours east, else west", "now"),
                (business_hours("07:00-19:00"), "Longer hours from next month", "future"),
            ),
        ),
        ("+18005550101", ((split_70_30(), "70/30 east/west", "now"),)),
        ("+18885550102", (({"format": 1, "template": "*GLOBEX-STD"}, "Use the standard template", "draft"),)),
        ("+18775550103", ((initech_weekdays(), "Weekdays to the main office", "now"),)),
    )


async def load_demo(*, ctx: Context) -> None:
    """Seed the demo data. Running it again changes nothing."""
    async with transaction(ctx, write=True) as tx:
        for tfn, customer_id, chain, description in NUMBERS:
            if await repo.get_number(tx.session, tfn) is None:
                await service.assign_number(
                    tx, caller=DEMO, tfn=tfn, customer_id=customer_id, reseller_chain=chain,
                    description=description,
                )  # fmt: skip
        for customer_id, name, uri, description in SITES:
            await service.save_site(
                tx, caller=DEMO, customer_id=customer_id, name=name, uri=uri, description=description
            )
        for customer_id, name, kind, values in LABELS:
            await service.save_label(
                tx, caller=DEMO, customer_id=customer_id, name=name, kind=kind, values=values
            )
        customer_id, name, description = TEMPLATE
        if await repo.get_template(tx.session, name) is None:
            await service.create_template(
                tx, caller=DEMO, customer_id=customer_id, name=name, description=description
            )
    for target, versions in plans():
        async with transaction(ctx, write=True) as tx:
            if await repo.next_number(tx.session, target) > 1:
                continue
            for document, note, when in versions:
                draft = await service.create_version(
                    tx, caller=DEMO, target=target, document=document, note=note
                )
                if when == "draft":
                    continue
                effective_at = tx.now + SCHEDULED_IN if when == "future" else None
                await service.activate(
                    tx, caller=DEMO, target=target, number=draft.number, effective_at=effective_at
                )


async def seed(settings: ResourceSettings) -> None:
    """`switchboard demo`'s hook (Manifest.demo): open the store and load the demo data."""
    async with open_context(TollfreeSettings.from_resource(settings)) as (ctx, _engine):
        await load_demo(ctx=ctx)

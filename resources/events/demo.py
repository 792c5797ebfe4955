"""Demo seed (`switchboard demo`): Globex's ASR threshold on every number (raise below 50 %, clear
at 60 %, 5-minute window, at least 20 calls, major), an e-mail subscription of Globex's NOC
(major or worse, raised and cleared: its mail lands in the demo outbox) and one of Initech's
(a customer of the reseller Acme: its mail is in Acme's brand), one open alarm and one cleared
one so the alarm page is not empty. Running it again changes nothing."""

from __future__ import annotations

from resources.events import engine, subscriptions, thresholds
from resources.events import repository as repo
from resources.events.access import MANAGE, VIEW
from resources.events.conditions import Condition
from resources.events.context import open_context, transaction
from resources.events.settings import EventsSettings
from resources.kit.caller import system_caller
from resources.kit.settings import ResourceSettings

CUSTOMER = "globex"
DEMO = system_caller("demo", (VIEW, MANAGE))
MAILBOXES = (("globex", "noc@globex.example"), ("initech", "carol@initech.example"))
THRESHOLD = {"window_seconds": 300, "min_calls": 20, "raise_below": 0.5, "clear_at": 0.6, "severity": "major"}


def samples(now: float) -> tuple[Condition, Condition]:
    """(the open alarm's condition, the cleared one's)."""
    common = {"customer_id": CUSTOMER, "resellers": (), "active": True, "at": now}
    open_one = Condition(
        alarmed_object="number:+18005550100",
        probable_cause="lowAnswerSeizureRatio",
        alarm_type="qualityOfServiceAlarm",
        severity="major",
        specific_problem="ASR 31 % over 5 min (threshold 50 %)",
        source="detector:asr",
        **common,  # type: ignore[arg-type]
    )
    cleared = Condition(
        alarmed_object="site:east",
        probable_cause="siteUnreachable",
        alarm_type="communicationsAlarm",
        severity="critical",
        specific_problem="Site east does not answer (SIP OPTIONS timed out)",
        source="switch:demo",
        **common,  # type: ignore[arg-type]
    )
    return open_one, cleared


async def seed(settings: ResourceSettings) -> None:
    events = EventsSettings.from_resource(settings)
    async with open_context(events) as (ctx, _engine), transaction(ctx, write=True) as tx:
        if await repo.thresholds(tx.session, customer_id=CUSTOMER):
            return
        await thresholds.put(
            tx, caller=DEMO, customer_id=CUSTOMER, metric="asr", target="number:*", body=dict(THRESHOLD)
        )
        for customer, address in MAILBOXES:
            await subscriptions.create(
                tx, caller=DEMO, customer_id=customer, body={"kind": "email", "address": address}
            )
        open_one, cleared = samples(tx.now.timestamp())
        await engine.observe(tx, open_one)
        gone = await engine.observe(tx, cleared)
        if gone is not None:
            await engine.transition(tx, gone, "clear")

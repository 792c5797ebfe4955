"""What the events resource runs while it serves:

* `events.condition` (in) → the engine (intake.py; a malformed one is logged and dropped);
* the clear sweep: every `sweep_interval` seconds, alarms whose condition stayed inactive
  `clear_after` seconds are cleared;
* `events.thresholds` (out) at start and on `events.thresholds-wanted` (the detectors ask so when
  they subscribe; after a change the transaction publishes it, context.py);
* the in-memory replica of the directory's tenancy tree (reseller staff's reach, access.py);
* the detectors (detect_runtime.py: ASR / NER thresholds and failed calls in a row from
  `traffic.delta`), whose conditions go into the engine (the `tollfree.numbers` picture they
  follow also gives the sites the switch probes, by SIP URI: probes.py);
* the sender (deliver.py): the outbox's deliveries out by mail and webhook, with its httpx client;
* with `SWITCHBOARD_EVENTS_SMTP_SINK=1` (the demo), the SMTP sink on the mail address, filing
  what it receives in the outbox table (smtp_sink.py, outbox_mail.py).

Each listener has its own subscription, so a burst of conditions cannot crowd a request for the
thresholds out of the bus queue."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from resources.events import intake, outbox_mail
from resources.events.conditions import CONDITION_TOPIC, Condition
from resources.events.context import THRESHOLDS_WANTED, Context
from resources.events.deliver import run_sender
from resources.events.detect_runtime import run_detectors
from resources.events.smtp_sink import Envelope, SmtpSink
from resources.events.thresholds import publish_thresholds
from resources.kit.events import Event
from resources.kit.follow import every, following
from resources.kit.tenancy import follow_tenancy

log = logging.getLogger("resources.events")


@asynccontextmanager
async def run_events(ctx: Context) -> AsyncIterator[None]:
    async def on_condition(event: Event) -> None:
        await intake.on_condition(ctx, event)

    async def on_wanted(event: Event) -> None:
        await publish_thresholds(ctx)

    async def on_subscribed(first_time: bool) -> None:
        await publish_thresholds(ctx)  # at start, and after a broken subscription

    async def step() -> None:
        await intake.sweep(ctx)

    async def emit(condition: Condition) -> None:
        await intake.report(ctx, [condition])

    async def on_mail(envelope: Envelope) -> None:
        await outbox_mail.store(ctx, envelope)

    sink: SmtpSink | None = None
    if ctx.outbound.smtp_sink:
        sink = SmtpSink(on_mail, host=ctx.outbound.smtp_host, port=ctx.outbound.smtp_port)
        try:
            await sink.start()
            log.info("events: demo SMTP sink on %s:%s", ctx.outbound.smtp_host, sink.port)
        except OSError as exc:  # another process has it (split mode): that one files the mail
            log.warning(
                "events: no SMTP sink on %s:%s: %s", ctx.outbound.smtp_host, ctx.outbound.smtp_port, exc
            )
            sink = None
    sweeper = asyncio.create_task(every(ctx.sweep_interval, step, log=log, what="events sweep"))
    try:
        async with (
            following(ctx.bus, (CONDITION_TOPIC,), on_event=on_condition, log=log, what=CONDITION_TOPIC),
            following(
                ctx.bus,
                (THRESHOLDS_WANTED,),
                on_event=on_wanted,
                on_subscribed=on_subscribed,
                log=log,
                what=THRESHOLDS_WANTED,
            ),
            follow_tenancy(ctx.bus, ctx.tenancy, log=log),
            run_detectors(
                bus=ctx.bus,
                emit=emit,
                log=log,
                failures_in_a_row=ctx.failures_in_a_row,
                on_numbers=ctx.probes.apply,
            ),
            run_sender(ctx),
        ):
            yield
    finally:
        sweeper.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sweeper
        if sink is not None:
            await sink.stop()

"""The sender: the outbox's pending deliveries out, by e-mail or webhook, at least once.

One round (`Sender.run_once`):
1. **Claim** (a short write transaction): the due pending rows that head their subscription's
   queue (no earlier pending row of the same subscription: a subscription hears of its alarms
   in seq order), oldest due first, at most `batch`; on PostgreSQL `FOR UPDATE SKIP LOCKED`, so
   two senders never claim one row. Claiming counts the attempt and moves `next_attempt_at` a
   lease (`LEASE` s) ahead: no other sender takes the row while it is being sent, and a sender
   that died mid-send leaves it to be retried after the lease (hence "at least once").
2. **Send** (no transaction open; different subscriptions in parallel): mail with smtplib in a
   thread (mail.py), webhooks with the runtime's httpx client (webhook.py).
3. **Settle** (a short write transaction): sent → `sent`, `sent_at`; failed → retried after
   2, 4, 8 … s (capped at 10 min), `failed` after `MAX_ATTEMPTS`; a webhook's 410 disables the
   subscription and fails its pending rows.

A restart resumes where it stopped: the rows are the state. The runtime runs a round every
`deliver_interval` s (`run_sender`), and at once again while a round found work.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from typing import Any

import httpx

from resources.events import outbox_repository as outbox
from resources.events import webhook
from resources.events.context import Context, transaction
from resources.events.mail import MailRenderer, brand_of, smtp_send
from resources.events.models import DeliveryRow, SubscriptionRow
from resources.events.notify import entry_of

log = logging.getLogger("resources.events")

MAX_ATTEMPTS = 12
FIRST_DELAY, MAX_DELAY = 2.0, 600.0
LEASE = 60.0  # s a claimed row is left alone by other senders while it is sent
BATCH = 20
MailSend = Callable[[EmailMessage, str, Sequence[str]], Awaitable[None]]


def backoff(attempts: int) -> float:
    """Seconds before the next try after `attempts` failed ones: 2, 4, 8, … at most 600."""
    return float(min(FIRST_DELAY * 2 ** (attempts - 1), MAX_DELAY))


@dataclass(frozen=True)
class Outcome:
    delivery_id: int
    subscription_id: str
    sent: bool
    gone: bool = False
    error: str | None = None


def _registry(ctx: Context) -> Any:
    if ctx.brands is not None:
        return ctx.brands
    from branding import BUILTIN_BRANDS_DIR, BrandRegistry

    return BrandRegistry.load([BUILTIN_BRANDS_DIR])


class Sender:
    def __init__(
        self, ctx: Context, *, http: httpx.AsyncClient, mail_send: MailSend | None = None, batch: int = BATCH
    ) -> None:
        self.ctx = ctx
        self.http = http
        self.batch = batch
        self.mail = MailRenderer(_registry(ctx), portal_url=ctx.outbound.portal_url)
        self._mail_send = mail_send or self._smtp

    async def _smtp(self, message: EmailMessage, sender: str, to: Sequence[str]) -> None:
        out = self.ctx.outbound
        await asyncio.to_thread(smtp_send, out.smtp_host, out.smtp_port, message, sender=sender, to=to)

    async def run_once(self) -> int:
        """One round; the number of deliveries tried."""
        claimed = await self._claim()
        if not claimed:
            return 0
        outcomes = await asyncio.gather(*(self._send(d, s) for d, s in claimed))
        await self._settle(outcomes)
        return len(outcomes)

    async def _claim(self) -> list[tuple[DeliveryRow, SubscriptionRow | None]]:
        async with transaction(self.ctx, write=False) as tx:  # idle rounds take no write lock
            if not await outbox.any_due(tx.session, now=tx.now):
                return []
        async with transaction(self.ctx, write=True) as tx:
            postgres = (await tx.session.connection()).dialect.name == "postgresql"
            rows = await outbox.claim_due(tx.session, now=tx.now, limit=self.batch, skip_locked=postgres)
            subs = await outbox.subscriptions_by_id(tx.session, sorted({r.subscription_id for r in rows}))
            for row in rows:
                row.attempts += 1
                row.next_attempt_at = tx.now + timedelta(seconds=LEASE)
        return [(r, subs.get(r.subscription_id)) for r in rows]

    async def _send(self, delivery: DeliveryRow, sub: SubscriptionRow | None) -> Outcome:
        def outcome(sent: bool, *, gone: bool = False, error: str | None = None) -> Outcome:
            return Outcome(delivery.id, delivery.subscription_id, sent, gone, error)

        if sub is None or sub.disabled_at is not None:
            return outcome(False, gone=True, error="the subscription is gone or disabled")
        entry = entry_of(delivery)
        now = self.ctx.clock()
        try:
            if delivery.channel == "webhook":
                answer = await webhook.post(
                    self.http,
                    url=str(sub.url),
                    secret=str(sub.secret),
                    entry=entry,
                    delivery_id=delivery.id,
                    timestamp=int(now.timestamp()),
                    timeout=self.ctx.outbound.webhook_timeout,
                )
                return outcome(answer.sent, gone=answer.gone, error=answer.error)
            brand = brand_of(
                self.mail.registry,
                self.ctx.tenancy.current,
                delivery.customer_id,
                delivery.payload.get("resellers", []),
            )
            to = str(sub.address)
            message = self.mail.message(
                brand=brand,
                to=to,
                entry=entry,
                severity=str(delivery.payload.get("severity", "")),
                delivery_id=delivery.id,
                now=now,
            )
            await self._mail_send(message, brand.email_from_address, [to])
            return outcome(True)
        except Exception as exc:  # a failed send is retried, never the loop's end
            return outcome(False, error=f"{type(exc).__name__}: {exc}"[:500])

    async def _settle(self, outcomes: Sequence[Outcome]) -> None:
        async with transaction(self.ctx, write=True) as tx:
            for o in outcomes:
                row = await tx.session.get(DeliveryRow, o.delivery_id, populate_existing=True)
                if row is None or row.state != "pending":
                    continue  # e.g. its subscription was deleted meanwhile
                if o.sent:
                    row.state, row.sent_at, row.last_error = "sent", tx.now, None
                    continue
                row.last_error = o.error
                if o.gone:
                    row.state = "failed"
                    sub = await tx.session.get(SubscriptionRow, o.subscription_id)
                    if sub is not None and sub.disabled_at is None:
                        sub.disabled_at, sub.disabled_reason = tx.now, (o.error or "gone")[:200]
                        log.warning("events: subscription %s disabled: %s", sub.id, o.error)
                    await outbox.fail_pending(
                        tx.session, subscription_id=o.subscription_id, reason="the subscription is disabled"
                    )
                elif row.attempts >= MAX_ATTEMPTS:
                    row.state = "failed"
                    log.warning(
                        "events: delivery %s failed after %s attempts: %s", row.id, row.attempts, o.error
                    )
                else:
                    row.next_attempt_at = tx.now + timedelta(seconds=backoff(row.attempts))


async def _loop(sender: Sender, interval: float) -> None:
    while True:
        try:
            busy = await sender.run_once() > 0
        except Exception:
            log.exception("events delivery round failed")
            busy = False
        await asyncio.sleep(0 if busy else interval)


@asynccontextmanager
async def run_sender(ctx: Context) -> AsyncIterator[Sender]:
    """The sender (with its own httpx client) running for the body of the `async with`."""
    async with httpx.AsyncClient(follow_redirects=False) as http:
        sender = Sender(ctx, http=http)
        task = asyncio.create_task(_loop(sender, ctx.outbound.deliver_interval), name="events-deliver")
        try:
            yield sender
        finally:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task

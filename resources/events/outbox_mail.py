"""The demo outbox: what the SMTP sink received (`events_outbox_mail`), kept newest `KEEP`, filed
by the `X-Switchboard-Customer` header the sender sets (mail.py), and read back for the page."""

from __future__ import annotations

from dataclasses import dataclass
from email import message_from_bytes, message_from_string, policy
from email.message import EmailMessage
from typing import cast

from resources.events import outbox_repository as outbox
from resources.events.context import Context, transaction
from resources.events.models import MailRow
from resources.events.smtp_sink import Envelope

KEEP = 500
CUSTOMER_HEADER = "X-Switchboard-Customer"


async def store(ctx: Context, envelope: Envelope) -> MailRow:
    message = message_from_bytes(envelope.data, policy=policy.default)
    customer = message.get(CUSTOMER_HEADER)
    row = MailRow(
        received_at=ctx.clock(),
        customer_id=str(customer).strip()[:64] if customer else None,
        mail_from=envelope.mail_from[:320],
        rcpt_to=list(envelope.rcpt_to),
        subject=str(message.get("Subject", ""))[:1000],
        message=envelope.data.decode("utf-8", "replace"),
    )
    async with transaction(ctx, write=True) as tx:
        await outbox.add_mail(tx.session, row, keep=KEEP)
    return row


@dataclass(frozen=True)
class Shown:
    """One stored mail as the page shows it."""

    row: MailRow
    sender: str
    to: str
    html: str | None
    text: str | None


def shown(row: MailRow) -> Shown:
    message = message_from_string(row.message, policy=policy.default)
    html_part, text_part = message.get_body(("html",)), message.get_body(("plain",))
    return Shown(
        row=row,
        sender=str(message.get("From", row.mail_from)),
        to=str(message.get("To", ", ".join(row.rcpt_to))),
        html=cast(EmailMessage, html_part).get_content() if html_part is not None else None,
        text=cast(EmailMessage, text_part).get_content() if text_part is not None else None,
    )

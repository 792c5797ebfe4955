"""Alarm mail: the brand the customer sees and the RFC 5322 message in it.

* The brand: the nearest reseller above the customer (the tenancy replica, else the alarm's
  reseller chain) whose brand the registry knows, else the provider's (`default`) — a reseller's
  customer never gets the provider's mail (DESIGN.md §5). Like the pages (kit/templating.py),
  brands published in the portal without files are not followed here.
* The message: multipart/alternative, text and HTML rendered from `events/mail_alarm.txt` and
  `events/mail_alarm.html` through the brand's loader chain (a brand may override either);
  From / Reply-To from the brand (branding.email_headers); `X-Switchboard-Customer` and
  `X-Switchboard-Delivery` name the customer and the delivery (the demo outbox files it by them).
* Subject: `[<brand name>] <SEVERITY> alarm <kind>: <specific problem, at most 72 characters…>`.
"""

from __future__ import annotations

import smtplib
from collections.abc import Sequence
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from jinja2 import FileSystemLoader

from branding import Brand, BrandEnvironments, BrandRegistry, document_context, email_headers
from resources.kit.tenancy import Tenancy

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
HTML, TEXT = "events/mail_alarm.html", "events/mail_alarm.txt"
SUBJECT_PROBLEM = 72
SMTP_TIMEOUT = 10.0


def brand_of(registry: BrandRegistry, tenancy: Tenancy, customer_id: str, resellers: Sequence[str]) -> Brand:
    known = tenancy.ancestors(customer_id)
    chain = [o.id for o in known[1:] if o.kind == "reseller"] if known else list(reversed(resellers))
    for reseller in chain:
        if reseller in registry:
            return registry.get(reseller)
    return registry.default


def portal_base(portal_url: str, brand: Brand) -> str:
    """The portal's address as the brand's customers use it (its first host, the port kept)."""
    parts = urlsplit(portal_url)
    host = brand.canonical_host
    if host is None:
        return portal_url.rstrip("/")
    netloc = host if parts.port is None else f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, netloc, "", "", "")).rstrip("/")


def one_line(text: str) -> str:
    return " ".join(text.split())


def subject_of(brand: Brand, *, kind: str, severity: str, problem: str) -> str:
    problem = one_line(problem)
    if len(problem) > SUBJECT_PROBLEM:
        cut = problem[: SUBJECT_PROBLEM - 1]
        cut = cut.rsplit(" ", 1)[0] if " " in cut and problem[SUBJECT_PROBLEM - 1] != " " else cut
        problem = cut.rstrip() + "…"  # at a word's end
    return f"[{one_line(brand.name)}] {severity.upper()} alarm {kind}: {problem}"


class MailRenderer:
    """Renders alarm mail per brand (one Jinja environment per brand, kept)."""

    def __init__(self, registry: BrandRegistry, *, portal_url: str) -> None:
        self.registry = registry
        self.portal_url = portal_url
        self._envs = BrandEnvironments(registry, [FileSystemLoader([TEMPLATES_DIR])])

    def message(
        self,
        *,
        brand: Brand,
        to: str,
        entry: dict[str, Any],
        severity: str,
        delivery_id: int,
        now: datetime,
    ) -> EmailMessage:
        alarm: dict[str, Any] = entry["alarm"]
        kind = str(entry["kind"])
        problem = str(alarm.get("specificProblem", ""))
        subject = subject_of(brand, kind=kind, severity=severity, problem=problem)
        base = portal_base(self.portal_url, brand)
        comments = alarm.get("comment") or []
        values = {
            "brand": brand,
            "doc": document_context(brand),
            "subject": subject,
            "kind": kind,
            "severity": severity,
            "entry": entry,
            "alarm": alarm,
            "object": (alarm.get("alarmedObject") or {}).get("id", ""),
            "last_comment": comments[-1] if kind == "commented" and comments else None,
            "link": f"{base}/events/alarms/{entry['alarm_id']}",
            "settings_link": f"{base}/events/alarms/subscriptions",
            "logo_url": f"{base}{brand.logo_url}" if brand.logo_url else None,
        }
        env = self._envs.get(brand.id)
        msg = EmailMessage()
        for name, value in email_headers(brand).items():
            msg[name] = value
        msg["To"] = to
        msg["Subject"] = subject
        msg["Date"] = format_datetime(now)
        msg["Message-ID"] = make_msgid(
            f"alarm-{delivery_id}", domain=brand.email_from_address.rpartition("@")[2]
        )
        msg["Auto-Submitted"] = "auto-generated"
        msg["X-Switchboard-Customer"] = str(entry["customer_id"])
        msg["X-Switchboard-Delivery"] = str(delivery_id)
        msg.set_content(env.get_template(TEXT).render(values))
        msg.add_alternative(env.get_template(HTML).render(values), subtype="html")
        return msg


def smtp_send(host: str, port: int, message: EmailMessage, *, sender: str, to: Sequence[str]) -> None:
    """Blocking: one SMTP session (EHLO, MAIL, RCPT, DATA, QUIT). Run it in a thread."""
    with smtplib.SMTP(host, port, timeout=SMTP_TIMEOUT) as smtp:
        smtp.send_message(message, from_addr=sender, to_addrs=list(to))

"""Signed webhook calls (Stripe-style signatures).

A delivery is `POST <url>` with the log row as JSON — `{"seq", "kind", "customer_id", "alarm_id",
"at", "actor", "alarm"}`, the same object as a feed item — and the headers

    Content-Type: application/json
    X-Switchboard-Delivery: <delivery id>   (the same on a retry: deduplicate by it)
    X-Switchboard-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>

To verify: split the header at "," and "=", recompute HMAC-SHA256 with the subscription's secret
over the timestamp, a dot and the raw body bytes, compare in constant time with `v1`, and refuse
a `t` more than five minutes from your clock (a replay). `verify()` below does exactly that.

The answer: 2xx = delivered; 410 = the endpoint is gone (the subscription is disabled);
anything else, or no answer within the timeout, is retried with backoff (deliver.py).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

import httpx

SIGNATURE = "X-Switchboard-Signature"
DELIVERY = "X-Switchboard-Delivery"
TOLERANCE = 300


def body_of(entry: dict[str, Any]) -> bytes:
    return json.dumps(entry, separators=(",", ":"), ensure_ascii=False).encode()


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(secret: str, header: str, body: bytes, *, now: float, tolerance: int = TOLERANCE) -> bool:
    """True when `header` signs `body` with `secret` at a time within `tolerance` s of `now`."""
    parts: dict[str, list[str]] = {}
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        parts.setdefault(key, []).append(value)
    stamps = parts.get("t", [])
    if len(stamps) != 1 or not stamps[0].isdigit() or abs(now - int(stamps[0])) > tolerance:
        return False
    expected = signature(secret, int(stamps[0]), body).rpartition("v1=")[2]
    return any(hmac.compare_digest(expected, v) for v in parts.get("v1", []))


@dataclass(frozen=True)
class Answer:
    sent: bool
    gone: bool = False
    error: str | None = None


async def post(
    client: httpx.AsyncClient,
    *,
    url: str,
    secret: str,
    entry: dict[str, Any],
    delivery_id: int,
    timestamp: int,
    timeout: float,  # noqa: ASYNC109 - httpx's own per-request timeout
) -> Answer:
    body = body_of(entry)
    headers = {
        "Content-Type": "application/json",
        DELIVERY: str(delivery_id),
        SIGNATURE: signature(secret, timestamp, body),
        "User-Agent": "Switchboard-Webhooks/1",
    }
    try:
        response = await client.post(url, content=body, headers=headers, timeout=timeout)
    except httpx.TimeoutException:
        return Answer(sent=False, error=f"no answer within {timeout:g} s")
    except httpx.HTTPError as exc:
        return Answer(sent=False, error=f"{type(exc).__name__}: {exc}"[:500])
    if 200 <= response.status_code < 300:
        return Answer(sent=True)
    if response.status_code == 410:
        return Answer(sent=False, gone=True, error="the endpoint answered 410 Gone")
    return Answer(sent=False, error=f"the endpoint answered {response.status_code}")

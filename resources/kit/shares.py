"""Reproducible splits of calls by share: the same call id always lands in the same bucket.

Used wherever calls are divided by percentage (a toll-free plan's percent node, a call-center
distribution's fixed shares), so a retried query for the same call gets the same answer and a
test can predict which calls go where.
"""

from __future__ import annotations

from hashlib import blake2b


def percent_bucket(call_id: str, node_id: str) -> int:
    """0 … 9999: the first 8 bytes (big-endian) of blake2b(f"{call_id}|{node_id}") mod 10000."""
    digest = blake2b(f"{call_id}|{node_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % 10000

"""Contributions -> history bucket increments (contract "Counting rules": a bucket starts at
`second - second % bucket_seconds`; late events land in the bucket of their own timestamps)."""

from __future__ import annotations

from collections.abc import Iterable

from resources.traffic.model import NFIELDS, Contribution, Key


def bucket_start(second: int, *, bucket_seconds: int) -> int:
    """The first epoch second of the bucket holding `second`."""
    return second - second % bucket_seconds


def bucket_increments(
    contributions: Iterable[Contribution], *, bucket_seconds: int
) -> dict[tuple[int, Key], list[int]]:
    """Sum `contributions` per (bucket start, key) into NFIELDS-long counter vectors."""
    if bucket_seconds <= 0:
        raise ValueError("bucket_seconds must be positive")
    out: dict[tuple[int, Key], list[int]] = {}
    for contribution in contributions:
        slot = (bucket_start(contribution.second, bucket_seconds=bucket_seconds), contribution.key)
        vector = out.get(slot)
        if vector is None:
            vector = out[slot] = [0] * NFIELDS
        vector[contribution.field] += contribution.amount
    return out

"""Overflowed calls per call-center site over the last 15 minutes, as the router counts them.

A call overflows past a site when the distribution's method would have considered the site but
the router left it out: closed by its hours, at capacity, or not answering (see
distribution.choose's `skipped`). The site the call went to first instead received it as
overflow. Calls a site refused once the switch tried it (busy, no answer, all trunks busy) and
the switch then took to the next route are traffic's failures of that site (its live view).

Counts are kept per minute in memory (a restarted router starts from zero, as its live calls do)
and summed over the window; minutes older than the window are dropped as calls arrive.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

WINDOW_SECONDS = 900
_MINUTES = WINDOW_SECONDS // 60
REASONS = ("closed", "at capacity", "not answering")
RECEIVED = "received"

Key = tuple[str, str]  # (customer id, site name)


@dataclass(frozen=True)
class SiteOverflow:
    """A site's overflow over the window: calls that passed it by, per reason, and calls it
    took first because other sites were passed by."""

    closed: int = 0
    at_capacity: int = 0
    not_answering: int = 0
    received: int = 0

    @property
    def overflowed(self) -> int:
        return self.closed + self.at_capacity + self.not_answering


NO_OVERFLOW = SiteOverflow()


class Overflows:
    def __init__(self) -> None:
        self._minutes: dict[Key, dict[int, Counter[str]]] = {}

    def record(
        self, *, customer_id: str, skipped: Sequence[tuple[str, str]], first: str | None, now: float
    ) -> None:
        """One call: the sites left out with why, and the site it went to first (None: none)."""
        if not skipped:
            return
        minute = int(now // 60)
        for site, reason in skipped:
            self._slot(customer_id, site, minute)[reason] += 1
        if first is not None:
            self._slot(customer_id, first, minute)[RECEIVED] += 1

    def of(self, *, customer_id: str, site: str, now: float) -> SiteOverflow:
        minutes = self._minutes.get((customer_id, site))
        if not minutes:
            return NO_OVERFLOW
        newest = int(now // 60)
        total: Counter[str] = Counter()
        for minute, counts in minutes.items():
            if newest - _MINUTES < minute <= newest:
                total.update(counts)
        return SiteOverflow(
            closed=total["closed"],
            at_capacity=total["at capacity"],
            not_answering=total["not answering"],
            received=total[RECEIVED],
        )

    def _slot(self, customer_id: str, site: str, minute: int) -> Counter[str]:
        minutes = self._minutes.setdefault((customer_id, site), {})
        for old in [m for m in minutes if m <= minute - _MINUTES]:
            del minutes[old]
        return minutes.setdefault(minute, Counter())

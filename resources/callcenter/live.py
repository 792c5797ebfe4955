"""Live calls per call-center site, for least-busy routing and the at-capacity check.

The traffic resource counts calls from the switch's events and publishes every changed call on
`traffic.delta` (`{"calls": [CallSummary…]}`; a call with no `end` is up). The router also
counts a call as soon as it sends it to a site, because the switch's `routed` event reaches
traffic (and comes back here) a few hundred milliseconds later: a burst of calls in that window
would otherwise all see the same "least busy" site. Such an offered call counts until traffic
reports it (then traffic's word holds) or until `pending_seconds` pass without a report (the
call never reached the switch, or traffic is down).

A call counts at one site at a time: the site traffic reports for it (the first site the switch
tried; see kamailio.cfg), else the site it was offered to. Traffic closes calls whose end was
lost (its sweep), so counts do not creep up.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

Key = tuple[str, str]  # (customer id, site name)


class Occupancy:
    def __init__(self, *, pending_seconds: float) -> None:
        self.pending_seconds = pending_seconds
        self._calls: dict[Key, dict[str, float | None]] = {}  # call id → pending until (None: reported)
        self._where: dict[str, Key] = {}
        self._last_offered: dict[Key, float] = {}

    def offered(self, *, customer_id: str, site: str, call_id: str, now: float) -> None:
        """The router sent `call_id` to `site` first."""
        key = (customer_id, site)
        self._last_offered[key] = now
        if self._where.get(call_id) is not None and self._calls[self._where[call_id]].get(call_id) is None:
            return  # traffic already reported this call; its word holds
        self._move(call_id, key, now + self.pending_seconds)

    def reported(self, calls: Iterable[Mapping[str, Any]]) -> None:
        """Calls from a `traffic.delta` payload (malformed items are skipped)."""
        for call in calls:
            call_id, customer_id, site = call.get("call_id"), call.get("customer_id"), call.get("site")
            if not isinstance(call_id, str) or not isinstance(customer_id, str):
                continue
            if call.get("end") is not None:
                self._drop(call_id)
            elif isinstance(site, str) and site:
                self._move(call_id, (customer_id, site), None)

    def live(self, *, customer_id: str, site: str, now: float) -> int:
        calls = self._calls.get((customer_id, site))
        if not calls:
            return 0
        expired = [c for c, until in calls.items() if until is not None and until <= now]
        for call_id in expired:
            self._drop(call_id)
        return len(calls)

    def last_offered(self, *, customer_id: str, site: str) -> float | None:
        return self._last_offered.get((customer_id, site))

    def _move(self, call_id: str, key: Key, until: float | None) -> None:
        self._drop(call_id)
        self._calls.setdefault(key, {})[call_id] = until
        self._where[call_id] = key

    def _drop(self, call_id: str) -> None:
        key = self._where.pop(call_id, None)
        if key is not None:
            self._calls[key].pop(call_id, None)

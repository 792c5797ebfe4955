"""Call centers: a number of trunks (simultaneous calls) per site. A call that finds every trunk
in use gets 503 (all trunks busy) and the switch advances to the next destination."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(slots=True)
class CallCenter:
    name: str
    capacity: int | None  # None: unlimited
    busy: int = 0
    peak: int = 0  # most trunks ever in use at once
    refused: int = 0  # seizures refused because the center was full

    def seize(self) -> bool:
        """Take a trunk; False (and counted as refused) when all are in use."""
        if self.capacity is not None and self.busy >= self.capacity:
            self.refused += 1
            return False
        self.busy += 1
        self.peak = max(self.peak, self.busy)
        return True

    def release(self) -> None:
        if self.busy <= 0:
            raise RuntimeError(f"call center {self.name}: release without a seized trunk")
        self.busy -= 1


class Centers:
    """Every site's center, created when first routed to: capacity from `capacities` by site
    name, else `default_capacity`."""

    def __init__(self, *, default_capacity: int | None, capacities: Mapping[str, int] | None = None) -> None:
        self.default_capacity = default_capacity
        self.capacities = dict(capacities or {})
        self._centers: dict[str, CallCenter] = {}

    def get(self, name: str) -> CallCenter:
        center = self._centers.get(name)
        if center is None:
            center = CallCenter(name, self.capacities.get(name, self.default_capacity))
            self._centers[name] = center
        return center

    def snapshot(self) -> dict[str, dict[str, int | None]]:
        return {
            name: {"capacity": c.capacity, "busy": c.busy, "peak": c.peak, "refused": c.refused}
            for name, c in sorted(self._centers.items())
        }

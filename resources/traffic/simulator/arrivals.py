"""Call arrivals: a non-homogeneous Poisson process, drawn by thinning (Lewis & Shedler 1979).

Candidates arrive as a homogeneous Poisson process at the `peak` rate (exponential gaps); a
candidate at t is kept with probability rate(t) / peak. The kept times are exactly a Poisson
process with intensity rate(t), as long as rate(t) ≤ peak everywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from random import Random


def arrival_times(
    rate: Callable[[float], float],
    *,
    peak: float,
    start: float,
    rng: Random,
    end: float | None = None,
) -> Iterator[float]:
    """Arrival instants after `start` (and before `end`, when given) of a Poisson process with
    intensity `rate(t)` calls per second, `0 ≤ rate(t) ≤ peak`. Deterministic for a seeded `rng`."""
    if peak <= 0:
        return
    t = start
    while True:
        t += rng.expovariate(peak)
        if end is not None and t >= end:
            return
        intensity = rate(t)
        if intensity > peak * (1 + 1e-9) or intensity < 0:
            raise ValueError(f"rate({t}) = {intensity} is outside [0, peak={peak}]")
        if rng.random() * peak < intensity:
            yield t

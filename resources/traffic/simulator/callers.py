"""Who calls: random North American callers, weighted by state, so the SCP's origin-dependent
routing (area of service, per-state branches) and the CDR's origin columns have something to do."""

from __future__ import annotations

from random import Random

# state → (weight, area codes of that state)
STATES: dict[str, tuple[float, tuple[str, ...]]] = {
    "CA": (0.20, ("213", "310", "415", "619", "916")),
    "NY": (0.18, ("212", "516", "718", "914")),
    "TX": (0.15, ("210", "214", "512", "713")),
    "IL": (0.12, ("312", "773", "847")),
    "FL": (0.12, ("305", "407", "813")),
    "GA": (0.08, ("404", "770")),
    "MA": (0.08, ("508", "617")),
    "WA": (0.07, ("206", "509")),
}
_NAMES = tuple(STATES)
_WEIGHTS = tuple(weight for weight, _ in STATES.values())


def random_caller(rng: Random) -> tuple[str, str]:
    """(ANI in E.164, its state): a valid NANP number (NXX 2-9, never N11) in a weighted state."""
    state = rng.choices(_NAMES, weights=_WEIGHTS)[0]
    npa = rng.choice(STATES[state][1])
    while True:
        nxx = f"{rng.randint(2, 9)}{rng.randint(0, 9)}{rng.randint(0, 9)}"
        if nxx[1:] != "11":
            break
    return f"+1{npa}{nxx}{rng.randint(0, 9999):04d}", state

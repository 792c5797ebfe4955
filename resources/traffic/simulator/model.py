"""The simulator's data: how callers and sites behave, one call's random draws, the SCP's answer.

Everything random about a call is drawn when it arrives (`draw_call`), from the one seeded
generator, in arrival order — so a seed reproduces the same calls however the network answers.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from random import Random
from typing import Any

from resources.traffic.simulator.callers import random_caller

MAX_ATTEMPTS = 8  # destinations per call the draws cover (an SCP answer rarely has more than 3)


@dataclass(frozen=True, kw_only=True)
class Behaviour:
    """Callers and call centers. Times in seconds."""

    holding_mean: float = 180.0  # talk time of an answered call (lognormal)
    holding_sigma: float = 0.8  # lognormal shape of the talk time
    answer_delay_mean: float = 6.0  # how long a site rings before an agent picks up (lognormal)
    answer_delay_sigma: float = 0.5
    no_answer_prob: float = 0.05  # per attempt: the site never picks up (ring-no-answer → next)
    busy_prob: float = 0.10  # per attempt at a number or carrier (not a site): 486 busy
    abandon_prob: float = 0.20  # a caller has limited patience …
    patience_mean: float = 20.0  # … exponential with this mean, counted from seizure
    ring_timeout: int = 20  # when the SCP's destination gives none

    def __post_init__(self) -> None:
        for name in ("holding_mean", "answer_delay_mean", "patience_mean"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be greater than 0")
        for name in ("holding_sigma", "answer_delay_sigma"):
            if not getattr(self, name) >= 0:
                raise ValueError(f"{name} must be 0 or more")
        for name in ("no_answer_prob", "busy_prob", "abandon_prob"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1")
        if self.ring_timeout < 1:
            raise ValueError("ring_timeout must be at least 1 second")


@dataclass(frozen=True)
class Attempt:
    """What one destination does with the call."""

    picks_up: bool  # False: rings until the ring timeout (or the caller gives up)
    delay: float  # seconds of ringing before pick-up
    busy: bool = False  # a number or carrier destination answers 486 at once


@dataclass(frozen=True, kw_only=True)
class CallSpec:
    call_id: str
    number: str  # dialled TFN, E.164
    ani: str
    state: str  # the caller's state
    seized: float  # epoch seconds the call arrived at the switch
    patience: float | None  # seconds after seizure the caller hangs up unanswered; None: waits
    holding: float  # talk seconds once answered
    attempts: tuple[Attempt, ...]


def lognormal(rng: Random, *, mean: float, sigma: float) -> float:
    """A lognormal draw with the given arithmetic mean (mu = ln(mean) - sigma**2 / 2)."""
    return rng.lognormvariate(math.log(mean) - sigma * sigma / 2, sigma)


def draw_call(rng: Random, *, call_id: str, number: str, seized: float, behaviour: Behaviour) -> CallSpec:
    ani, state = random_caller(rng)
    patience = rng.expovariate(1 / behaviour.patience_mean) if rng.random() < behaviour.abandon_prob else None
    holding = lognormal(rng, mean=behaviour.holding_mean, sigma=behaviour.holding_sigma)
    attempts = tuple(
        Attempt(
            picks_up=rng.random() >= behaviour.no_answer_prob,
            delay=lognormal(rng, mean=behaviour.answer_delay_mean, sigma=behaviour.answer_delay_sigma),
            busy=rng.random() < behaviour.busy_prob,
        )
        for _ in range(MAX_ATTEMPTS)
    )
    return CallSpec(
        call_id=call_id,
        number=number,
        ani=ani,
        state=state,
        seized=seized,
        patience=patience,
        holding=holding,
        attempts=attempts,
    )


@dataclass(frozen=True)
class Destination:
    dest: str  # "site:east", "+13125550100", "carrier:0288"
    uri: str | None
    carrier: str | None
    ring_timeout: int | None

    @property
    def site(self) -> str | None:
        return self.dest[5:] if self.dest.startswith("site:") else None


@dataclass(frozen=True)
class ScpAnswer:
    """The SCP's `?format=json` answer, the parts a switch uses."""

    outcome: str  # route, announce, reject
    destinations: tuple[Destination, ...]
    code: int | None
    reason: str | None
    version: int | None
    path: tuple[str, ...]

    @classmethod
    def from_json(cls, data: Any) -> ScpAnswer:
        """Parse an answer; ValueError when it is not one (the switch then fails the call 503)."""
        if not isinstance(data, Mapping):
            raise ValueError("the SCP answer is not a JSON object")
        outcome = data.get("outcome")
        if outcome not in ("route", "announce", "reject"):
            raise ValueError(f"unknown SCP outcome {outcome!r}")
        destinations: list[Destination] = []
        for raw in data.get("destinations") or ():
            if not isinstance(raw, Mapping) or not isinstance(raw.get("dest"), str):
                raise ValueError("an SCP destination has no dest")
            ring = raw.get("ring_timeout")
            destinations.append(
                Destination(
                    dest=raw["dest"],
                    uri=_text(raw.get("uri")),
                    carrier=_text(raw.get("carrier")) or _text(data.get("carrier")),
                    ring_timeout=ring if isinstance(ring, int) and not isinstance(ring, bool) else None,
                )
            )
        path = tuple(
            str(step["node"]) if isinstance(step, Mapping) else str(step) for step in data.get("path") or ()
        )
        code, version = data.get("code"), data.get("version")
        return cls(
            outcome=str(outcome),
            destinations=tuple(destinations),
            code=code if isinstance(code, int) and not isinstance(code, bool) else None,
            reason=_text(data.get("reason")),
            version=version if isinstance(version, int) and not isinstance(version, bool) else None,
            path=path,
        )


def from_router(data: Any, scp: ScpAnswer) -> ScpAnswer:
    """The call-center router's rtjson answer (`POST /callcenter/route`) for an SCP answer that
    routed to a distribution: its routes become the destinations, in order (kamailio.cfg relays
    them the same way); no route is a reject with the router's code. ValueError when malformed."""
    if not isinstance(data, Mapping) or not isinstance(data.get("switchboard"), Mapping):
        raise ValueError("the call-center answer is not rtjson")
    extras = data["switchboard"]
    routes, dests = data.get("routes") or [], extras.get("dests") or []
    if not isinstance(routes, list) or not isinstance(dests, list) or len(routes) != len(dests):
        raise ValueError("the call-center answer's routes and dests differ")
    carrier = scp.destinations[0].carrier if scp.destinations else None
    destinations = tuple(
        Destination(
            dest=str(dest),
            uri=_text(route.get("uri")) if isinstance(route, Mapping) else None,
            carrier=carrier,
            ring_timeout=int(route["fr_inv_timer"]) // 1000
            if isinstance(route, Mapping) and isinstance(route.get("fr_inv_timer"), int)
            else None,
        )
        for route, dest in zip(routes, dests, strict=True)
    )
    code = extras.get("code")
    return ScpAnswer(
        outcome="route" if destinations else "reject",
        destinations=destinations,
        code=code if isinstance(code, int) and not isinstance(code, bool) else None,
        reason=_text(extras.get("reason")),
        version=scp.version,
        path=scp.path,
    )


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None

"""Distributions: which of a customer's call-center sites a toll-free call goes to, in what order.

A distribution names member sites, a method and an overflow chain. For one call, `choose` takes
the state of every site (open by its hours, capacity, live concurrent calls, answering or not,
when it was last offered a call) and answers the ordered list of sites the switch tries, first
to last, with failover. Members come first, ordered by the method; then the overflow sites, in
chain order. A site that is closed, at capacity or not answering is left out, with the reason.
When no site is left the call gets the after-hours treatment if every site was closed, else the
all-busy treatment.

Methods:
* `percent`: fixed shares of calls. The first site is picked by the call's bucket
  (`resources.kit.shares.percent_bucket(call id, distribution name)`), so one call always gets the
  same answer. The shares of unavailable members are spread over the available ones in
  proportion. The other members follow, largest share first.
* `weighted`: smooth weighted round-robin (nginx's): over any window, each available member
  leads in proportion to its weight, evenly interleaved (5:3:2 → a a b a c a b a c b …).
  `Rotation` keeps its state per distribution.
* `least-busy`: the lowest occupancy (live calls ÷ capacity) first; ties go to the larger site,
  then by name.
* `longest-idle`: the site offered a call longest ago first (never offered: first of all).

`parse_distribution` validates the JSON the API takes and raises `DistributionError` naming the
field.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

from resources.kit.errors import FieldError
from resources.kit.shares import percent_bucket

NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
E164 = re.compile(r"^\+[1-9]\d{6,14}$")
MAX_MEMBERS = 20
MAX_WEIGHT = 1000


class Method(StrEnum):
    PERCENT = "percent"
    WEIGHTED = "weighted"
    LEAST_BUSY = "least-busy"
    LONGEST_IDLE = "longest-idle"


TreatmentKind = Literal["announcement", "ring-to", "voicemail"]
TREATMENT_KINDS: tuple[TreatmentKind, ...] = ("announcement", "ring-to", "voicemail")
Outcome = Literal["route", "after-hours", "all-busy"]
Unavailable = Literal["closed", "at capacity", "not answering"]


class DistributionError(FieldError):
    """A distribution that cannot be used; `field` names the part of the input."""


@dataclass(frozen=True)
class Member:
    site: str
    share: int  # percent: 1 … 100, all members together 100; weighted: 1 … 1000; else 1


@dataclass(frozen=True)
class Treatment:
    """What a call gets when no site takes it: an announcement (its name), a ring-to number
    (E.164) or a voicemail site (a site name)."""

    kind: TreatmentKind
    target: str

    def as_json(self) -> dict[str, str]:
        return {"kind": self.kind, "target": self.target}


@dataclass(frozen=True)
class Distribution:
    name: str
    method: Method
    members: tuple[Member, ...]
    overflow: tuple[str, ...] = ()
    after_hours: Treatment | None = None
    all_busy: Treatment | None = None

    def sites(self) -> tuple[str, ...]:
        """Every site the distribution may send a call to: members, then overflow."""
        return (*(m.site for m in self.members), *self.overflow)

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "method": self.method.value,
            "members": [{"site": m.site, "share": m.share} for m in self.members],
            "overflow": list(self.overflow),
            "after_hours": self.after_hours.as_json() if self.after_hours else None,
            "all_busy": self.all_busy.as_json() if self.all_busy else None,
        }


@dataclass(frozen=True)
class SiteState:
    site: str
    open: bool  # by its hours of operation and closures, now
    capacity: int  # agents or trunks; 0 takes no call
    live: int = 0  # concurrent calls now (the traffic resource's live counters)
    answering: bool = True  # False after the switch reported it failing (no answer, 5xx)
    last_offered: float | None = None  # epoch seconds of the last call sent to it

    def unavailable(self) -> Unavailable | None:
        if not self.open:
            return "closed"
        if not self.answering:
            return "not answering"
        if self.live >= self.capacity:
            return "at capacity"
        return None

    @property
    def occupancy(self) -> float:
        return self.live / self.capacity if self.capacity > 0 else 1.0


@dataclass(frozen=True)
class Choice:
    outcome: Outcome
    sites: tuple[str, ...]  # the order the switch tries them; empty unless outcome is "route"
    treatment: Treatment | None  # for after-hours / all-busy (None: the switch answers busy)
    skipped: tuple[tuple[str, Unavailable], ...]  # sites left out, with why

    def as_json(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "sites": list(self.sites),
            "treatment": self.treatment.as_json() if self.treatment else None,
            "skipped": [{"site": s, "reason": r} for s, r in self.skipped],
        }


@dataclass
class Rotation:
    """Smooth weighted round-robin state of one distribution (the SCP keeps one per name)."""

    current: dict[str, int] = field(default_factory=dict)

    def lead(self, members: Sequence[Member]) -> str:
        total = 0
        best: Member | None = None
        for m in members:
            self.current[m.site] = self.current.get(m.site, 0) + m.share
            total += m.share
            if best is None or self.current[m.site] > self.current[best.site]:
                best = m
        if best is None:
            raise ValueError("no member to rotate")
        self.current[best.site] -= total
        return best.site


def choose(
    distribution: Distribution,
    states: Mapping[str, SiteState],
    *,
    call_id: str,
    rotation: Rotation | None = None,
) -> Choice:
    """The ordered sites for one call (a site without a state counts as not answering)."""
    skipped: list[tuple[str, Unavailable]] = []
    seen: set[str] = set()

    def usable(site: str) -> bool:
        if site in seen:
            return False
        seen.add(site)
        state = states.get(site)
        reason: Unavailable | None = "not answering" if state is None else state.unavailable()
        if reason is not None:
            skipped.append((site, reason))
        return reason is None

    members = [m for m in distribution.members if usable(m.site)]
    ordered = _order(distribution, members, states, call_id=call_id, rotation=rotation)
    overflow = [site for site in distribution.overflow if usable(site)]
    sites = (*ordered, *overflow)
    if sites:
        return Choice(outcome="route", sites=sites, treatment=None, skipped=tuple(skipped))
    if all(reason == "closed" for _, reason in skipped):
        return Choice("after-hours", (), distribution.after_hours, tuple(skipped))
    return Choice("all-busy", (), distribution.all_busy, tuple(skipped))


def _order(
    distribution: Distribution,
    members: list[Member],
    states: Mapping[str, SiteState],
    *,
    call_id: str,
    rotation: Rotation | None,
) -> list[str]:
    if not members:
        return []
    method = distribution.method
    if method is Method.LEAST_BUSY:
        ranked = sorted(members, key=lambda m: (states[m.site].occupancy, -states[m.site].capacity, m.site))
        return [m.site for m in ranked]
    if method is Method.LONGEST_IDLE:
        never = float("-inf")
        ranked = sorted(members, key=lambda m: (states[m.site].last_offered or never, m.site))
        return [m.site for m in ranked]
    if method is Method.WEIGHTED:
        first = (rotation or Rotation()).lead(members)
    else:
        first = _by_share(members, percent_bucket(call_id, distribution.name))
    rest = sorted((m for m in members if m.site != first), key=lambda m: (-m.share, m.site))
    return [first, *(m.site for m in rest)]


def _by_share(members: Sequence[Member], bucket: int) -> str:
    """The member whose slice of 0 … 9999 holds `bucket`, the slices in proportion to the shares
    of `members` (the available ones: an unavailable member's share is spread over the rest)."""
    total = sum(m.share for m in members)
    point = bucket * total  # compare in integers: bucket / 10000 < cumulative / total
    cumulative = 0
    for m in members:
        cumulative += m.share
        if point < cumulative * 10000:
            return m.site
    return members[-1].site


def parse_distribution(raw: Any, *, sites: Iterable[str]) -> Distribution:
    """The API's JSON → Distribution; every site named must be one of `sites` (the customer's)."""
    known = set(sites)
    if not isinstance(raw, Mapping):
        raise DistributionError("distribution", "must be an object")
    allowed = {"name", "method", "members", "overflow", "after_hours", "all_busy"}
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise DistributionError("distribution", f"unknown field {unknown[0]!r}")
    name = raw.get("name")
    if not isinstance(name, str) or not NAME.match(name):
        raise DistributionError(
            "name", "1-40 lowercase letters, digits and hyphens, starting with a letter or digit"
        )
    try:
        method = Method(str(raw.get("method")))
    except ValueError:
        raise DistributionError("method", f"must be one of {', '.join(m.value for m in Method)}") from None
    members = _members(raw.get("members"), method, known)
    overflow = _overflow(raw.get("overflow", []), members, known)
    return Distribution(
        name=name,
        method=method,
        members=members,
        overflow=overflow,
        after_hours=_treatment("after_hours", raw.get("after_hours"), known),
        all_busy=_treatment("all_busy", raw.get("all_busy"), known),
    )


def _members(raw: Any, method: Method, known: set[str]) -> tuple[Member, ...]:
    if not isinstance(raw, Sequence) or isinstance(raw, str) or not raw:
        raise DistributionError("members", "must list at least one site")
    if len(raw) > MAX_MEMBERS:
        raise DistributionError("members", f"at most {MAX_MEMBERS} sites")
    out: list[Member] = []
    for n, item in enumerate(raw):
        where = f"members[{n}]"
        if not isinstance(item, Mapping) or set(item) - {"site", "share"}:
            raise DistributionError(where, "must be an object with site and share")
        site = item.get("site")
        if not isinstance(site, str) or site not in known:
            raise DistributionError(f"{where}.site", f"{site!r} is not one of your sites")
        if any(m.site == site for m in out):
            raise DistributionError(f"{where}.site", f"{site!r} is listed twice")
        out.append(Member(site=site, share=_share(f"{where}.share", item.get("share", 1), method)))
    if method is Method.PERCENT and sum(m.share for m in out) != 100:
        raise DistributionError(
            "members", f"percent shares must total 100 (they total {sum(m.share for m in out)})"
        )
    return tuple(out)


def _share(where: str, value: Any, method: Method) -> int:
    if method in (Method.LEAST_BUSY, Method.LONGEST_IDLE):
        if value != 1:
            raise DistributionError(where, f"{method.value} takes no shares (leave share out)")
        return 1
    top = 100 if method is Method.PERCENT else MAX_WEIGHT
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= top:
        raise DistributionError(where, f"must be a whole number from 1 to {top}")
    return value


def _overflow(raw: Any, members: tuple[Member, ...], known: set[str]) -> tuple[str, ...]:
    if not isinstance(raw, Sequence) or isinstance(raw, str):
        raise DistributionError("overflow", "must be a list of site names")
    out: list[str] = []
    for n, site in enumerate(raw):
        where = f"overflow[{n}]"
        if not isinstance(site, str) or site not in known:
            raise DistributionError(where, f"{site!r} is not one of your sites")
        if any(m.site == site for m in members):
            raise DistributionError(where, f"{site!r} is already a member")
        if site in out:
            raise DistributionError(where, f"{site!r} is listed twice")
        out.append(site)
    return tuple(out)


def _treatment(where: str, raw: Any, known: set[str]) -> Treatment | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping) or set(raw) != {"kind", "target"}:
        raise DistributionError(where, "must be an object with kind and target, or null")
    kind, target = raw["kind"], raw["target"]
    if kind not in TREATMENT_KINDS:
        raise DistributionError(f"{where}.kind", f"must be one of {', '.join(TREATMENT_KINDS)}")
    if not isinstance(target, str):
        raise DistributionError(f"{where}.target", "must be text")
    if kind == "ring-to" and not E164.match(target):
        raise DistributionError(f"{where}.target", f"{target!r} is not an E.164 number such as +13125550100")
    if kind == "voicemail" and target not in known:
        raise DistributionError(f"{where}.target", f"{target!r} is not one of your sites")
    if kind == "announcement" and not NAME.match(target):
        raise DistributionError(f"{where}.target", f"{target!r} is not an announcement name")
    return Treatment(kind=kind, target=target)

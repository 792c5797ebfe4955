"""A validated routing record compiled into closures: the SCP's per-call hot path.

`compile_plan` turns every node into a small function ``f(query, uq, origin, path) -> Answer``
that holds everything it needs (a dict from key to branch, the branch's child function and its
precomputed `Step`), so evaluating a call is a handful of dict lookups — no walking of JSON, no
parsing, no regexes, no datetime work (local time comes from a per-quarter-hour cache).

* time decisions: key = local quarter-hour / day of week / day of year (and exact date) of the
  node's (zone, dst) clock for the call's UTC quarter-hour ``uq = int(ts // 900)``;
* origin decisions: key = the caller's NPA, NXX, NPA-NXX, 10 digits, state or LATA (None when
  unknown → OTHER);
* switch decisions: folded at compile time (the position is part of the record);
* percent: `resources.kit.shares.percent_bucket(call_id, node id)` against cumulative shares
  (reproducible per call).
"""

from __future__ import annotations

import functools
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from hashlib import blake2b
from typing import Any, Literal, NamedTuple, Protocol
from zoneinfo import ZoneInfo

from resources.kit.rtjson import site_route_uri
from resources.tollfree.catalog import DISTRIBUTION, Catalog
from resources.tollfree.document import MAIN
from resources.tollfree.origin import CallerOrigin, OriginData
from resources.tollfree.plan import (
    Announce,
    Aos,
    Carrier,
    Decision,
    Goto,
    Issue,
    Node,
    Pct,
    Plan,
    Tel,
    parse_plan,
)
from resources.tollfree.validation import validate_plan
from resources.tollfree.values import ORIGIN_KINDS, day_of_year, expand

QUARTER = 900  # seconds
MAX_CACHED = 100_000  # quarter-hours per clock (~2.8 years) before its cache starts over
MAX_URI_CACHE = 4096  # dnis → destinations per leaf (a template serves many numbers)

OUT_OF_AREA = "out-of-area"


# ---- answers --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Query:
    dnis: str  # the toll-free number, E.164
    ani: str | None  # the caller, any of the forms OriginData.lookup accepts
    ts: float  # epoch seconds the tree is evaluated at
    call_id: str | None = None  # makes percent splits reproducible


@dataclass(frozen=True)
class Step:
    node: str  # node id
    type: str  # node type
    took: str  # "08:00-17:00", "OTHER", "70%", "@HOLIDAYS", "site:east", "closed-holiday", "S1"…


@dataclass(frozen=True)
class Destination:
    dest: str  # "site:east", "+13125550100", "carrier:0288"
    uri: str  # the route-request URI
    carrier: str | None
    ring_timeout: int  # seconds


@dataclass(frozen=True)
class Answer:
    outcome: Literal["route", "announce", "reject"]
    path: tuple[Step, ...]
    destinations: tuple[Destination, ...]  # primary first, then alternates (route-advance)
    treatment: str | None
    code: int | None  # reject: SIP code (403, 404, 480)
    reason: str | None
    carrier: str | None


@dataclass(frozen=True)
class CompileSettings:
    pstn_uri: str  # "sip:{number}@pstn.example"
    ring_timeout: int  # seconds, when a tel node gives none


class PlanInvalid(Exception):
    def __init__(self, issues: list[Issue]) -> None:
        super().__init__("; ".join(f"{i.node or 'record'} {i.field}: {i.message}" for i in issues[:5]))
        self.issues = issues


def reject(code: int, reason: str, *, treatment: str | None = None) -> Answer:
    """An answer refusing the call (e.g. 404 for a number nobody serves)."""
    return Answer("reject", (), (), treatment, code, reason, None)


def _answer_factory() -> Callable[..., Answer]:
    """`Answer(...)` at half the cost: a frozen dataclass's generated __init__ sets each field
    through object.__setattr__; the hot path fills the instance dict in one call instead."""
    new = object.__new__

    def make(
        outcome: str,
        path: tuple[Step, ...],
        destinations: tuple[Destination, ...],
        treatment: str | None,
        carrier: str | None,
    ) -> Answer:
        answer = new(Answer)
        answer.__dict__.update(
            outcome=outcome,
            path=path,
            destinations=destinations,
            treatment=treatment,
            code=None,
            reason=None,
            carrier=carrier,
        )
        return answer

    return make


_make_answer = _answer_factory()
AOS_REJECT = reject(403, "caller outside the area of service", treatment=OUT_OF_AREA)


# ---- local time -----------------------------------------------------------------------------
class LocalTime(NamedTuple):
    quarter: int  # 0 … 95 (00:00-00:15 … 23:45-24:00)
    dow: int  # 1 = SUN … 7 = SAT
    doy: int  # 1 … 366 on the fixed 366-day calendar (60 = Feb 29, 61 = Mar 1)
    day: int  # year * 1000 + doy: the key of a YYYY-MM-DD value
    mmdd: str  # "12-25"
    ymd: str  # "2027-12-25"


class Clock:
    """Local time in one zone per UTC quarter-hour; ``dst=False`` = always standard time."""

    __slots__ = ("cache", "dst", "zone")

    def __init__(self, zone: str, dst: bool) -> None:
        self.zone = ZoneInfo(zone)
        self.dst = dst
        self.cache: dict[int, LocalTime] = {}

    def at(self, ts: float) -> LocalTime:
        uq = int(ts // QUARTER)
        hit = self.cache.get(uq)
        return hit if hit is not None else self.compute(uq)

    def compute(self, uq: int) -> LocalTime:
        """Local time of UTC quarter-hour `uq` (= int(ts // 900)), cached."""
        try:
            utc = datetime.fromtimestamp(uq * QUARTER, tz=UTC)
            local = utc.astimezone(self.zone)
            if not self.dst:
                offset = (local.utcoffset() or timedelta(0)) - (local.dst() or timedelta(0))
                local = utc + offset
        except (OverflowError, OSError, ValueError):
            raise ValueError(f"time {uq * QUARTER} is outside the supported range") from None
        doy = day_of_year(local.month, local.day)
        result = LocalTime(
            quarter=local.hour * 4 + local.minute // 15,
            dow=local.isoweekday() % 7 + 1,
            doy=doy,
            day=local.year * 1000 + doy,
            mmdd=f"{local.month:02d}-{local.day:02d}",
            ymd=f"{local.year:04d}-{local.month:02d}-{local.day:02d}",
        )
        if len(self.cache) >= MAX_CACHED:
            self.cache.clear()
        self.cache[uq] = result
        return result


@functools.cache
def clock_for(zone: str, dst: bool) -> Clock:
    """The process-wide clock of (zone, dst), shared by every compiled plan."""
    return Clock(zone, dst)


# ---- the compiled plan ----------------------------------------------------------------------
# What node functions receive as `org`: the caller's origin once an origin decision (or the
# area-of-service check) has looked it up, the OriginData to look it up with until then — so a
# call that never reaches an origin decision never pays for the lookup.
Origin = CallerOrigin | OriginData


class Run(Protocol):
    def __call__(self, q: Query, uq: int, org: Origin, path: list[Step], /) -> Answer: ...


def _no_templates(name: str) -> CompiledPlan | None:
    return None


class CompiledPlan:
    """Evaluate calls against one routing record (a tree, or a pointer to a template)."""

    __slots__ = ("_inside", "_root", "plan", "template")

    def __init__(
        self,
        *,
        plan: Plan,
        root: Run | None,
        inside: Callable[[CallerOrigin], bool] | None,
    ) -> None:
        self.plan = plan
        self.template = plan.template
        self._root = root
        self._inside = inside

    def evaluate(
        self,
        query: Query,
        *,
        origin: OriginData,
        resolve: Callable[[str], CompiledPlan | None] = _no_templates,
    ) -> Answer:
        root = self._root
        if root is None:  # a pointer record
            name = self.template or ""
            target = resolve(name)
            if target is None or target._root is None:
                return reject(480, f"template {name} has no active plan")
            return target.evaluate(query, origin=origin)
        inside = self._inside
        if inside is None:
            return root(query, int(query.ts // QUARTER), origin, [])
        org = origin.lookup(query.ani)
        if not inside(org):
            return AOS_REJECT
        return root(query, int(query.ts // QUARTER), org, [])


def compile_plan(raw_document: Any, *, catalog: Catalog, settings: CompileSettings) -> CompiledPlan:
    """Validate (except area-of-service consistency, which depends on origin data) and compile;
    PlanInvalid with the issues when the record is not valid."""
    plan, issues = parse_plan(raw_document)
    if plan is None:
        raise PlanInvalid(issues)
    issues = validate_plan(plan, catalog=catalog, aos_consistency=False)
    if issues:
        raise PlanInvalid(issues)
    if plan.template is not None:
        return CompiledPlan(plan=plan, root=None, inside=None)
    builder = _Builder(plan, catalog, settings)
    root = builder.node(plan.sections[MAIN])
    return CompiledPlan(
        plan=plan,
        root=root,
        inside=None if plan.aos.nationwide else _aos_check(plan.aos),
    )


def _aos_check(aos: Aos) -> Callable[[CallerOrigin], bool]:
    states, npas, latas, npanxx = (frozenset(x) for x in (aos.states, aos.npas, aos.latas, aos.npanxx))

    def inside(org: CallerOrigin) -> bool:
        """Unknown callers pass; a known caller passes when any known attribute is listed."""
        if org.digits10 is None:
            return True
        known = False
        if npas:
            if org.npa in npas:
                return True
            known = True
        if npanxx:
            if org.npanxx in npanxx:
                return True
            known = True
        if states and org.state is not None:
            if org.state in states:
                return True
            known = True
        if latas and org.lata is not None:
            if org.lata in latas:
                return True
            known = True
        return not known

    return inside


_ORIGIN_INDEX = {"ani": 0, "npa": 1, "nxx": 2, "npanxx": 3, "state": 4, "lata": 5}
_TIME_INDEX = {"tod": 0, "dow": 1}
Entry = tuple[Run, Step]


class _Builder:
    def __init__(self, plan: Plan, catalog: Catalog, settings: CompileSettings) -> None:
        self.plan = plan
        self.catalog = catalog
        self.settings = settings
        self.sections: dict[str, Run] = {}

    def node(self, node: Node | None) -> Run:
        if isinstance(node, Decision):
            if node.type == "switch":
                return self.switch(node)
            return self.decision(node)
        if isinstance(node, Pct):
            return self.pct(node)
        if isinstance(node, Tel):
            return self.tel(node)
        if isinstance(node, Carrier):
            return self.carrier(node)
        if isinstance(node, Announce):
            return self.announce(node)
        if isinstance(node, Goto):
            return self.goto(node)
        raise AssertionError("a validated plan has no empty slots")

    # ---- decisions ---------------------------------------------------------------------------
    def branches(self, node: Decision) -> tuple[dict[Any, tuple[int, Run, Step]], Run, Step]:
        """key → (branch index, child, step), first branch wins; plus OTHER's child and step."""
        table: dict[Any, tuple[int, Run, Step]] = {}
        for i, branch in enumerate(node.branches):
            child = self.node(branch.then)
            steps: dict[str, Step] = {}
            for value in expand(node.type, branch.match, self.catalog.labels):
                step = steps.setdefault(value.took, Step(node.id, node.type, value.took))
                for key in value.keys:
                    table.setdefault(key, (i, child, step))
        return table, self.node(node.other), Step(node.id, node.type, "OTHER")

    def decision(self, node: Decision) -> Run:
        table, other, other_step = self.branches(node)
        if node.type in ORIGIN_KINDS:
            return _origin_node(_ORIGIN_INDEX[node.type], _strip(table), other, other_step)
        clock = clock_for(node.tz or self.plan.timezone, node.dst)
        if node.type == "date":
            days = {k: v for k, v in table.items() if k <= 366}
            exact: dict[Any, tuple[int, Run, Step]] = {}
            for k, v in table.items():
                if k > 366:  # an exact date; a day-of-year value of an earlier branch wins
                    earlier = days.get(k % 1000)
                    exact[k] = earlier if earlier is not None and earlier[0] < v[0] else v
            return _date_node(clock, _strip(exact), _strip(days), other, other_step)
        return _time_node(clock, _TIME_INDEX[node.type], _strip(table), other, other_step)

    def switch(self, node: Decision) -> Run:
        position = self.plan.switches[node.name or ""]
        for branch in node.branches:
            if position in branch.match:
                return _fixed(Step(node.id, node.type, position), self.node(branch.then))
        return _fixed(Step(node.id, node.type, "OTHER"), self.node(node.other))

    def pct(self, node: Pct) -> Run:
        limits: list[tuple[int, Run, Step]] = []
        total = 0
        for branch in node.branches:
            total += branch.percent * 100
            limits.append((total, self.node(branch.then), Step(node.id, "pct", f"{branch.percent}%")))
        return _pct_node(node.id, tuple(limits))

    # ---- actions -----------------------------------------------------------------------------
    def tel(self, node: Tel) -> Run:
        carrier = node.carrier or self.plan.carrier
        timeout = node.ring_timeout or self.settings.ring_timeout
        sites = self.catalog.sites
        pstn = self.settings.pstn_uri
        targets: list[tuple[str, str | None]] = []  # (dest, site uri or None for a ring-to number)
        for dest in (node.dest, *node.alternates):
            targets.append((dest, sites[dest[5:]].uri if dest.startswith("site:") else None))
        fixed = all(site is None for _, site in targets)

        def uri(dest: str, site: str | None, dnis: str) -> str:
            if site is not None:
                return site_route_uri(site, dnis)
            # a distribution has no URI here: the call-center router answers its sites (rtjson.py)
            return "" if dest.startswith(DISTRIBUTION) else pstn.format(number=dest)

        def build(dnis: str) -> tuple[Destination, ...]:
            return tuple(Destination(dest, uri(dest, site, dnis), carrier, timeout) for dest, site in targets)

        return _leaf(Step(node.id, "tel", node.dest), "route", build, fixed, None, carrier)

    def carrier(self, node: Carrier) -> Run:
        pstn, timeout, cic = self.settings.pstn_uri, self.settings.ring_timeout, node.cic

        def build(dnis: str) -> tuple[Destination, ...]:
            return (Destination(f"carrier:{cic}", pstn.format(number=dnis), cic, timeout),)

        return _leaf(Step(node.id, "carrier", cic), "route", build, False, None, cic)

    def announce(self, node: Announce) -> Run:
        step, treatment, make = Step(node.id, "announce", node.treatment), node.treatment, _make_answer

        def run(q: Query, uq: int, org: Origin, path: list[Step]) -> Answer:
            path.append(step)
            return make("announce", tuple(path), (), treatment, None)

        return run

    def goto(self, node: Goto) -> Run:
        target = self.sections.get(node.section)
        if target is None:
            target = self.sections[node.section] = self.node(self.plan.sections[node.section])
        return _fixed(Step(node.id, "goto", node.section), target)


def _strip(table: Mapping[Any, tuple[int, Run, Step]]) -> dict[Any, Entry]:
    return {k: (run, step) for k, (_, run, step) in table.items()}


# The node closures. Each is defined at module level so the closure cells are few and local.
def _origin_node(index: int, table: dict[Any, Entry], other: Run, other_step: Step) -> Run:
    get = table.get

    def run(q: Query, uq: int, org: Origin, path: list[Step]) -> Answer:
        if type(org) is not CallerOrigin:
            org = org.lookup(q.ani)  # type: ignore[union-attr]
        hit = get(org[index])
        if hit is None:
            path.append(other_step)
            return other(q, uq, org, path)
        path.append(hit[1])
        return hit[0](q, uq, org, path)

    return run


def _time_node(clock: Clock, index: int, table: dict[Any, Entry], other: Run, other_step: Step) -> Run:
    cached, compute, get = clock.cache.get, clock.compute, table.get

    def run(q: Query, uq: int, org: Origin, path: list[Step]) -> Answer:
        local = cached(uq) or compute(uq)
        hit = get(local[index])
        if hit is None:
            path.append(other_step)
            return other(q, uq, org, path)
        path.append(hit[1])
        return hit[0](q, uq, org, path)

    return run


def _date_node(
    clock: Clock, exact: dict[Any, Entry], days: dict[Any, Entry], other: Run, other_step: Step
) -> Run:
    cached, compute, get_exact, get_day = clock.cache.get, clock.compute, exact.get, days.get

    def run(q: Query, uq: int, org: Origin, path: list[Step]) -> Answer:
        local = cached(uq) or compute(uq)
        hit = get_exact(local[3]) if exact else None
        if hit is None:
            hit = get_day(local[2])
            if hit is None:
                path.append(other_step)
                return other(q, uq, org, path)
        path.append(hit[1])
        return hit[0](q, uq, org, path)

    return run


def _pct_node(node_id: str, limits: tuple[tuple[int, Run, Step], ...]) -> Run:
    suffix = f"|{node_id}".encode()
    randrange = random.randrange
    last = limits[-1]

    def run(q: Query, uq: int, org: Origin, path: list[Step]) -> Answer:
        cid = q.call_id
        if cid is None:
            bucket = randrange(10000)
        else:
            bucket = int.from_bytes(blake2b(cid.encode() + suffix).digest()[:8], "big") % 10000
        for limit, child, step in limits:
            if bucket < limit:
                path.append(step)
                return child(q, uq, org, path)
        path.append(last[2])  # unreachable for a valid plan (shares total 100)
        return last[1](q, uq, org, path)

    return run


def _fixed(step: Step, child: Run) -> Run:
    def run(q: Query, uq: int, org: Origin, path: list[Step]) -> Answer:
        path.append(step)
        return child(q, uq, org, path)

    return run


def _leaf(
    step: Step,
    outcome: Literal["route"],
    build: Callable[[str], tuple[Destination, ...]],
    fixed: bool,
    treatment: str | None,
    carrier: str | None,
) -> Run:
    make = _make_answer
    if fixed:  # ring-to numbers only: the same destinations whatever the dialled number
        dests = build("")

        def run_fixed(q: Query, uq: int, org: Origin, path: list[Step]) -> Answer:
            path.append(step)
            return make(outcome, tuple(path), dests, treatment, carrier)

        return run_fixed
    cache: dict[str, tuple[Destination, ...]] = {}

    def run(q: Query, uq: int, org: Origin, path: list[Step]) -> Answer:
        path.append(step)
        dnis = q.dnis
        found = cache.get(dnis)
        if found is None:
            found = build(dnis)
            if len(cache) >= MAX_URI_CACHE:
                cache.clear()
            cache[dnis] = found
        return make(outcome, tuple(path), found, treatment, carrier)

    return run

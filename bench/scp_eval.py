"""bench/scp_eval: the SCP's per-call work — `CompiledPlan.evaluate` — on one core.

Builds 10,000 routing plans of realistic depth (holiday date → day of week → time of day →
state / area code → percent split → tel with alternates, with variations: switches, GOTO
sub-sections, labels, node time zones, standard-time nodes, AOS), compiles them, then evaluates a
mix of queries (varied numbers, callers, times over two weeks, call ids) and reports decisions
per second (decision nodes passed, leaves and GOTOs not counted). Target: ≥ 200,000 decisions/s.

Run: ``python -m bench scp_eval`` (``BENCH_PLANS``, ``BENCH_QUERIES`` override the sizes).
"""

from __future__ import annotations

import gc
import os
import random
import time
from typing import Any

from bench import report
from resources.tollfree.catalog import Catalog, Label, Site
from resources.tollfree.compiler import CompiledPlan, CompileSettings, Query, compile_plan
from resources.tollfree.origin import OriginData, OriginRow
from resources.tollfree.values import DECISION_TYPES

PLANS = int(os.environ.get("BENCH_PLANS", "10000"))
QUERIES = int(os.environ.get("BENCH_QUERIES", "200000"))
ROUNDS = 3
TARGET = 200_000.0
SETTINGS = CompileSettings(pstn_uri="sip:{number}@pstn.example", ring_timeout=20)
ZONES = ("America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles", "America/Phoenix")
CATALOG = Catalog(
    labels={
        "HOLIDAYS": Label("HOLIDAYS", "date", ("01-01", "07-04", "12-25", "2027-11-25", "2027-09-06")),
        "BIZ": Label("BIZ", "tod", ("08:00-12:00", "13:00-17:00")),
        "MIDWEST": Label("MIDWEST", "state", ("IL", "WI", "IN", "MI", "OH")),
    },
    sites={f"site{i}": Site(f"site{i}", f"sip:10.0.{i}.1:5060") for i in range(8)},
)
CALLER_NPAS = (
    "312",
    "773",
    "212",
    "718",
    "617",
    "415",
    "213",
    "303",
    "602",
    "404",
    "305",
    "206",
    "414",
    "313",
)


def _tel(rng: random.Random) -> dict[str, Any]:
    sites = rng.sample(range(8), 3)
    alternates = [f"site:site{sites[1]}"] + (
        [f"+1{rng.choice(CALLER_NPAS)}555{rng.randrange(10000):04d}"] * rng.randrange(2)
    )
    return {"type": "tel", "dest": f"site:site{sites[0]}", "alternates": alternates, "carrier": None,
            "ring_timeout": rng.choice((None, 15, 25))}  # fmt: skip


def _decide(kind: str, branches: list[tuple[list[str], Any]], other: Any, **extra: Any) -> dict[str, Any]:
    return {"type": kind, **extra, "branches": [{"match": m, "then": t} for m, t in branches], "other": other}


def _split(rng: random.Random) -> dict[str, Any]:
    shares = rng.choice(((70, 30), (50, 25, 25), (60, 40), (34, 33, 33)))
    return {"type": "pct", "branches": [{"percent": p, "then": _tel(rng)} for p in shares]}


def _origin(rng: random.Random) -> dict[str, Any]:
    """state → area code → percent → tel, or area code → percent, or state only."""
    shape = rng.randrange(3)
    if shape == 0:
        npa = _decide("npa", [(["312", "773"], _split(rng)), (["414"], _tel(rng))], _tel(rng))
        return _decide("state", [(["@MIDWEST"], npa), (["NY", "NJ"], _split(rng))], _tel(rng))
    if shape == 1:
        npas = rng.sample(CALLER_NPAS, 4)
        return _decide("npa", [(npas[:2], _split(rng)), (npas[2:], _tel(rng))], _split(rng))
    return _decide("state", [(["CA", "OR", "WA"], _tel(rng)), (["TX"], _split(rng))], _split(rng))


def make_plan(rng: random.Random) -> dict[str, Any]:
    zone = rng.choice(ZONES)
    time_extra = {"tz": None, "dst": rng.random() > 0.1}
    closed = {"type": "announce", "treatment": "closed"}
    use_goto = rng.random() < 0.3
    after_hours = {"type": "goto", "section": "S1"} if use_goto else _origin(rng)
    hours = rng.choice((["@BIZ"], ["08:00-17:00"], ["07:30-19:00"], ["09:00-12:00", "13:00-18:00"]))
    tod = _decide("tod", [(hours, after_hours)], closed if rng.random() < 0.7 else _tel(rng), **time_extra)
    saturday = _decide("tod", [(["10:00-14:00"], _tel(rng))], closed, **time_extra)
    dow = _decide("dow", [(["MON-FRI"], tod), (["SAT"], saturday)], closed, **time_extra)
    holidays = ["@HOLIDAYS"] if rng.random() < 0.5 else ["01-01", "07-04", "12-25"]
    root: dict[str, Any] = _decide(
        "date", [(holidays, {"type": "announce", "treatment": "closed-holiday"})], dow, **time_extra
    )
    switches: dict[str, str] = {}
    if rng.random() < 0.3:
        switches = {"EMERG": "ON" if rng.random() < 0.05 else "OFF"}
        root = _decide(
            "switch", [(["ON"], {"type": "announce", "treatment": "emergency"})], root, name="EMERG"
        )
    aos: dict[str, list[str]] = {"states": [], "npas": [], "latas": [], "npanxx": []}
    if rng.random() < 0.2:
        aos["states"] = ["IL", "WI", "IN", "MI", "OH", "NY", "NJ", "CA", "OR", "WA", "TX", "MA"]
    return {
        "format": 1,
        "timezone": zone,
        "aos": aos,
        "carrier": rng.choice((None, "0288")),
        "switches": switches,
        "sections": {"M": root, **({"S1": _origin(rng)} if use_goto else {})},
    }


def make_queries(rng: random.Random, count: int, plans: int) -> list[tuple[int, Query]]:
    """(plan index, query): each plan serves its own toll-free number, as in the SCP."""
    start = 1_804_000_000.0  # 2027-03-02
    anis: list[str | None] = [
        f"+1{rng.choice(CALLER_NPAS)}{rng.randrange(200, 1000)}{rng.randrange(10000):04d}"
        for _ in range(5000)
    ]
    anis += [None] * 300 + ["+447700900123"] * 100 + ["anonymous"] * 50
    picks = [rng.randrange(plans) for _ in range(count)]
    return [
        (
            i,
            Query(
                dnis=f"+1800{2000000 + i:07d}",
                ani=rng.choice(anis),
                ts=_when(rng, start),
                call_id=f"{rng.getrandbits(64):016x}@sbc",
            ),
        )
        for i in picks
    ]


def _when(rng: random.Random, start: float) -> float:
    """Two weeks of calls, three quarters of them in US business hours (13:00-23:00 UTC)."""
    day = start - start % 86400 + rng.randrange(14) * 86400
    if rng.random() < 0.75:
        return day + 13 * 3600 + rng.random() * 10 * 3600
    return day + rng.random() * 86400


def run() -> dict[str, Any]:
    rng = random.Random(3)
    origin = OriginData.build([OriginRow("312555", "358", None, "Chicago")])
    documents = [make_plan(rng) for _ in range(PLANS)]
    t0 = time.perf_counter()
    plans: list[CompiledPlan] = [compile_plan(d, catalog=CATALOG, settings=SETTINGS) for d in documents]
    compile_s = time.perf_counter() - t0
    work = [(plans[i], q) for i, q in make_queries(rng, QUERIES, PLANS)]
    decisions = 0
    outcomes: dict[str, int] = {}
    for plan, query in work:  # warm-up pass: fills the local-time caches, counts decisions
        answer = plan.evaluate(query, origin=origin)
        decisions += sum(1 for s in answer.path if s.type in DECISION_TYPES)
        outcomes[answer.outcome] = outcomes.get(answer.outcome, 0) + 1
    best = float("inf")
    gc.collect()
    gc.disable()
    try:
        for _ in range(ROUNDS):
            t0 = time.perf_counter()
            for plan, query in work:
                plan.evaluate(query, origin=origin)
            best = min(best, time.perf_counter() - t0)
    finally:
        gc.enable()
    return {
        "plans": PLANS,
        "queries": len(work),
        "compile_ms_per_plan": compile_s * 1000 / PLANS,
        "decisions_per_query": decisions / len(work),
        "evaluations_per_s": len(work) / best,
        "us_per_evaluation": best * 1e6 / len(work),
        "decisions_per_s": decisions / best,
        "outcomes": outcomes,
    }


def main() -> None:
    result = run()
    outcomes = result.pop("outcomes")
    report.write(
        "scp_eval",
        [{"measure": k, "value": v} for k, v in result.items()],
        {
            "decisions_per_s": result["decisions_per_s"],
            "target_decisions_per_s": TARGET,
            "meets_target": result["decisions_per_s"] >= TARGET,
            "outcomes": ", ".join(f"{k}={v}" for k, v in sorted(outcomes.items())),
            "rounds": ROUNDS,
        },
    )


if __name__ == "__main__":
    main()

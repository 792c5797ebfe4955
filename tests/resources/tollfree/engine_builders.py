"""Builders for the engine tests: plan documents, a catalog, instants, compiled plans."""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from resources.tollfree.catalog import Catalog, Label, Site
from resources.tollfree.compiler import Answer, CompiledPlan, CompileSettings, Query, compile_plan
from resources.tollfree.origin import OriginData, OriginRow

TFN = "+18005550100"
SETTINGS = CompileSettings(pstn_uri="sip:{number}@pstn.example", ring_timeout=20)
EAST = Site("east", "sip:10.1.1.1:5060")
WEST = Site("west", "sip:10.1.1.2:5070;transport=tcp")
LABELS = {
    "HOLIDAYS": Label("HOLIDAYS", "date", ("12-25", "2027-11-25")),
    "BIZ": Label("BIZ", "tod", ("08:00-12:00", "13:00-17:00")),
    "WEEKEND": Label("WEEKEND", "dow", ("SUN", "SAT")),
    "MIDWEST": Label("MIDWEST", "state", ("IL", "WI")),
    "DOWNTOWN": Label("DOWNTOWN", "nxx", ("555", "444")),
    "VIP": Label("VIP", "ani", ("3125550100",)),
}
CATALOG = Catalog(labels=LABELS, sites={"east": EAST, "west": WEST}, templates=frozenset({"*EASTWEST"}))
Node = dict[str, Any]


def record(
    main: Node | None,
    *,
    sections: dict[str, Node | None] | None = None,
    timezone: str = "America/New_York",
    aos: dict[str, list[str]] | None = None,
    carrier: str | None = None,
    switches: dict[str, str] | None = None,
) -> dict[str, Any]:
    return {
        "format": 1,
        "timezone": timezone,
        "aos": {"states": [], "npas": [], "latas": [], "npanxx": [], **(aos or {})},
        "carrier": carrier,
        "switches": switches or {},
        "sections": {"M": main, **(sections or {})},
    }


def decide(kind: str, *branches: tuple[list[str], Node | None], other: Node | None, **extra: Any) -> Node:
    """A decision node: ``decide("tod", (["08:00-17:00"], tel("site:east")), other=closed())``."""
    node: Node = {"type": kind}
    if kind in ("tod", "dow", "date"):
        node.update({"tz": None, "dst": True})
    node.update(extra)
    node["branches"] = [{"match": match, "then": then} for match, then in branches]
    node["other"] = other
    return node


def switch(name: str, *branches: tuple[list[str], Node | None], other: Node | None) -> Node:
    return decide("switch", *branches, other=other, name=name)


def pct(*branches: tuple[int, Node | None]) -> Node:
    return {"type": "pct", "branches": [{"percent": p, "then": then} for p, then in branches]}


def tel(dest: str, *alternates: str, carrier: str | None = None, ring_timeout: int | None = None) -> Node:
    return {
        "type": "tel",
        "dest": dest,
        "alternates": list(alternates),
        "carrier": carrier,
        "ring_timeout": ring_timeout,
    }


def announce(treatment: str = "closed") -> Node:
    return {"type": "announce", "treatment": treatment}


def carrier(cic: str) -> Node:
    return {"type": "carrier", "cic": cic}


def goto(section: str) -> Node:
    return {"type": "goto", "section": section}


def local(
    y: int, mo: int, d: int, h: int = 0, mi: int = 0, *, zone: str = "America/New_York", fold: int = 0
) -> float:
    """Epoch seconds of a wall-clock time in `zone` (fold=1: the second of a repeated hour)."""
    return datetime(y, mo, d, h, mi, tzinfo=ZoneInfo(zone), fold=fold).timestamp()


def utc(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> float:
    return datetime(y, mo, d, h, mi, s, tzinfo=UTC).timestamp()


@functools.cache
def origin() -> OriginData:
    """phonenumbers' NPA table plus two imported rows (LATA 358 for Chicago 312-555)."""
    return OriginData.build(
        [OriginRow("312555", "358", None, "Chicago"), OriginRow("212555", "132", "NY", "New York City")]
    )


def build(doc: dict[str, Any], catalog: Catalog = CATALOG) -> CompiledPlan:
    return compile_plan(doc, catalog=catalog, settings=SETTINGS)


def call(
    plan: CompiledPlan, ts: float, *, ani: str | None = None, call_id: str | None = "call-1", **kw: Any
) -> Answer:
    return plan.evaluate(Query(dnis=TFN, ani=ani, ts=ts, call_id=call_id), origin=origin(), **kw)


def steps(answer: Answer) -> list[tuple[str, str]]:
    """The decision path as (node id, took) pairs."""
    return [(s.node, s.took) for s in answer.path]


def dest(answer: Answer) -> str:
    """Where the call ends: primary destination, announce:<treatment> or reject:<code>."""
    if answer.outcome == "route":
        return answer.destinations[0].dest
    if answer.outcome == "announce":
        return f"announce:{answer.treatment}"
    return f"reject:{answer.code}"

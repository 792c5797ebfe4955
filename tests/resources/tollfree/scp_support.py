"""Shared material for the SCP tests: plans, rows, a settable clock, exact expected answers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from resources.tollfree.catalog import Catalog, Site
from resources.tollfree.compiler import Answer, CompileSettings, Destination, Query, Step
from resources.tollfree.scp import ScpRow, ScpStore

NUMBER = "+18005550100"
OTHER_NUMBER = "+18885550199"
TEMPLATE = "*EASTWEST"
SETTINGS = CompileSettings(pstn_uri="sip:{number}@pstn.example", ring_timeout=20)

# 2026-03-02 is a Monday; New York is on EST (UTC-5) until 2026-03-08.
T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)  # v1 effective
T1 = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)  # v2 effective (scheduled)
MORNING = datetime(2026, 3, 2, 15, 0, tzinfo=UTC).timestamp()  # 10:00 in New York
NIGHT = datetime(2026, 3, 3, 2, 0, tzinfo=UTC).timestamp()  # 21:00 in New York

EAST = Site(name="east", uri="sip:127.0.0.1:5071")
WEST = Site(name="west", uri="sip:127.0.0.1:5072;transport=tcp")
CATALOG = Catalog(sites={"east": EAST, "west": WEST}, templates=frozenset({TEMPLATE, "*NOWHERE"}))


@dataclass
class Clock:
    now: float

    def __call__(self) -> float:
        return self.now


def tel(site: str, *, alternates: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "type": "tel",
        "dest": f"site:{site}",
        "alternates": list(alternates),
        "carrier": None,
        "ring_timeout": None,
    }


def business_hours(site: str, *, alternates: tuple[str, ...] = ()) -> dict[str, Any]:
    """08:00-17:00 (New York) → the site, otherwise the `closed` announcement."""
    return {
        "format": 1,
        "timezone": "America/New_York",
        "aos": {"states": [], "npas": [], "latas": [], "npanxx": []},
        "carrier": None,
        "switches": {},
        "sections": {
            "M": {
                "type": "tod",
                "tz": None,
                "dst": True,
                "branches": [{"match": ["08:00-17:00"], "then": tel(site, alternates=alternates)}],
                "other": {"type": "announce", "treatment": "closed"},
            }
        },
    }


def pointer(template: str = TEMPLATE) -> dict[str, Any]:
    return {"format": 1, "template": template}


BROKEN = {
    "format": 1,
    "timezone": "America/New_York",
    "aos": {"states": [], "npas": [], "latas": [], "npanxx": []},
    "carrier": None,
    "switches": {},
    "sections": {"M": None},
}


def row(
    number: int,
    document: dict[str, Any],
    *,
    target: str = NUMBER,
    state: str = "ACTIVE",
    effective_at: datetime = T0,
    catalog: Catalog = CATALOG,
) -> ScpRow:
    return ScpRow(
        target=target,
        customer_id="cust-globex",
        version_id=f"{target}-v{number}",
        number=number,
        state=state,
        effective_at=effective_at,
        document=document,
        snapshot=catalog.used_by(document).to_json(),
    )


def store_at(moment: datetime | float, *rows: ScpRow) -> tuple[ScpStore, Clock]:
    clock = Clock(moment.timestamp() if isinstance(moment, datetime) else moment)
    store = ScpStore(settings=SETTINGS, clock=clock)
    store.load(rows)
    return store, clock


def query(ts: float = MORNING, *, dnis: str = NUMBER, ani: str | None = "+13125550100") -> Query:
    return Query(dnis=dnis, ani=ani, ts=ts, call_id="call-1")


EAST_URI = "sip:+18005550100@127.0.0.1:5071"
WEST_URI = "sip:+18005550100@127.0.0.1:5072;transport=tcp"


def routed(site: str, uri: str) -> Answer:
    """What `business_hours(site)` answers in the morning."""
    return Answer(
        outcome="route",
        path=(
            Step(node="M", type="tod", took="08:00-17:00"),
            Step(node="M.0", type="tel", took=f"site:{site}"),
        ),
        destinations=(Destination(dest=f"site:{site}", uri=uri, carrier=None, ring_timeout=20),),
        treatment=None,
        code=None,
        reason=None,
        carrier=None,
    )

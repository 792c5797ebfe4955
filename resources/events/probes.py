"""Which call-center site answers the switch's SIP OPTIONS, and the alarm when one stops.

The switch probes every site of its dispatcher list (kamailio.cfg, PROBE_LIST) and reports each
change of state on the network plane: `POST /network/probes` `{"target": "sip:10.0.0.71:5071",
"state": "down" | "up", "at": <epoch s>}`. The events resource knows which customer's site a
target is from the toll-free resource's picture (`tollfree.numbers`: its sites with their SIP
URIs, its numbers with each customer's reseller chain), and turns the change into a condition on
`site:<name>`: down → `siteUnreachable` (communicationsAlarm, major) raised, up → it ends (the
engine clears it after its hysteresis). The switch may retry a report after a newer one went
through, so each target keeps only its latest change by `at`: an older one is ignored.

`GET /network/probe-list` is the dispatcher list file for every known site (set 1), which a
deployment writes where PROBE_LIST points and reloads (`kamcmd dispatcher.reload`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from resources.events.conditions import Condition
from resources.events.detect_runtime import parse_resellers

CAUSE = "siteUnreachable"
MAX_TARGET = 256


class ProbeError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Probe:
    target: str
    down: bool
    at: float


@dataclass(frozen=True)
class SiteRef:
    customer_id: str
    name: str


def parse_probe(raw: Any) -> Probe:
    if not isinstance(raw, dict):
        raise ProbeError("body", "a probe report is a JSON object with target, state and at")
    target = raw.get("target")
    if not isinstance(target, str) or not target.startswith("sip:") or len(target) > MAX_TARGET:
        raise ProbeError(
            "target", f"target must be the SIP URI the switch probes (sip:…, ≤ {MAX_TARGET} characters)"
        )
    state = raw.get("state")
    if state not in ("down", "up"):
        raise ProbeError("state", "state must be down or up")
    at = raw.get("at")
    if isinstance(at, bool) or not isinstance(at, int | float) or not math.isfinite(at) or at <= 0:
        raise ProbeError("at", "at must be the epoch seconds of the change")
    return Probe(target=target, down=state == "down", at=float(at))


class ProbeTargets:
    """The sites by SIP URI and each customer's reseller chain (from `tollfree.numbers`), and the
    latest change seen per target."""

    def __init__(self) -> None:
        self.sites: dict[str, SiteRef] = {}
        self.resellers: dict[str, tuple[str, ...]] = {}
        self.latest: dict[str, float] = {}

    def apply(self, payload: Mapping[str, Any]) -> None:
        """A `tollfree.numbers` picture; ValueError when its shape is wrong (nothing changes)."""
        raw_sites = payload.get("sites", [])
        if not isinstance(raw_sites, list):
            raise ValueError("sites must be a list")
        sites: dict[str, SiteRef] = {}
        for item in raw_sites:
            if not isinstance(item, dict) or not all(
                isinstance(item.get(k), str) for k in ("customer_id", "name", "uri")
            ):
                raise ValueError("each site needs customer_id, name and uri")
            sites[item["uri"]] = SiteRef(item["customer_id"], item["name"])
        self.sites, self.resellers = sites, parse_resellers(payload)

    def condition(self, probe: Probe, *, element: str) -> Condition | None:
        """The condition for a change, or None when it is older than the latest one seen for its
        target. ProbeError when the target is no known site."""
        site = self.sites.get(probe.target)
        if site is None:
            raise ProbeError("target", f"{probe.target} is not the SIP URI of a site known to events")
        if probe.at < self.latest.get(probe.target, 0.0):
            return None
        self.latest[probe.target] = probe.at
        since = datetime.fromtimestamp(probe.at, UTC).strftime("%H:%M:%S UTC")
        problem = (
            f"Site {site.name} does not answer the switch's SIP OPTIONS ({probe.target}, since {since})"
            if probe.down
            else f"Site {site.name} answers the switch's SIP OPTIONS again ({probe.target}, at {since})"
        )
        return Condition(
            customer_id=site.customer_id,
            resellers=self.resellers.get(site.customer_id, ()),
            alarmed_object=f"site:{site.name}",
            probable_cause=CAUSE,
            alarm_type="communicationsAlarm",
            severity="major",
            specific_problem=problem,
            active=probe.down,
            at=probe.at,
            source=element,
        )

    def dispatcher_list(self) -> str:
        """The dispatcher list file: `1 <uri> 0 0 site=<customer>/<name>` per site, by URI."""
        lines = [f"1 {uri} 0 0 site={s.customer_id}/{s.name}" for uri, s in sorted(self.sites.items())]
        return "".join(f"{line}\n" for line in lines)

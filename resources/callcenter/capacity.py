"""Sites near their capacity, told to the event monitor as conditions (`events.condition`).

Every `CHECK_SECONDS` the runtime looks at each site of every customer the router has a
configuration for (a customer whose calls reach no distribution has no live calls here): live
calls ÷ capacity at or above `RAISE_AT` (90 %) is an active `nearCapacity` condition on
`site:<name>` — severity warning, major once full — and below `CLEAR_BELOW` (80 %) after that
it has ended (between the two nothing changes: no flapping at the edge). An active condition is
said again every `REASSERT_SECONDS` while it holds, and when its figures change band (warning ↔
major); the event monitor deduplicates them into one alarm. A site with capacity 0 (a voicemail
site) is never near capacity.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from resources.callcenter.service import Config

CONDITION_TOPIC = "events.condition"  # the event monitor's input (resources/events/conditions.py)
CHECK_SECONDS = 2.0
RAISE_AT = 0.9
CLEAR_BELOW = 0.8
REASSERT_SECONDS = 60.0
CAUSE = "nearCapacity"


@dataclass
class _Raised:
    severity: str
    said_at: float


class CapacityWatch:
    def __init__(self) -> None:
        self._raised: dict[tuple[str, str], _Raised] = {}

    def check(
        self,
        configs: Mapping[str, Config],
        *,
        live: Any,
        resellers: Any,
        now: float,
    ) -> list[dict[str, Any]]:
        """The conditions to send now (JSON payloads). `live(customer_id, site) -> int`,
        `resellers(customer_id) -> tuple[str, ...]`."""
        out: list[dict[str, Any]] = []
        seen: set[tuple[str, str]] = set()
        for customer_id, config in sorted(configs.items()):
            for name, site in sorted(config.sites.items()):
                if site.capacity <= 0:
                    continue
                key = (customer_id, name)
                seen.add(key)
                calls = live(customer_id, name)
                ratio = calls / site.capacity
                raised = self._raised.get(key)
                problem = f"Site {name} has {calls} of {site.capacity} calls up ({ratio:.0%} of its capacity)"
                if ratio >= RAISE_AT:
                    severity = "major" if calls >= site.capacity else "warning"
                    if (
                        raised is None
                        or raised.severity != severity
                        or now - raised.said_at >= REASSERT_SECONDS
                    ):
                        self._raised[key] = _Raised(severity, now)
                        out.append(
                            _condition(
                                customer_id, resellers(customer_id), name, severity, problem, True, now
                            )
                        )
                elif raised is not None and ratio < CLEAR_BELOW:
                    del self._raised[key]
                    out.append(
                        _condition(
                            customer_id, resellers(customer_id), name, raised.severity, problem, False, now
                        )
                    )
        for key in [k for k in self._raised if k not in seen]:  # the site is gone (or its capacity 0)
            customer_id, name = key
            raised = self._raised.pop(key)
            problem = f"Site {name} is no longer watched for capacity"
            out.append(
                _condition(customer_id, resellers(customer_id), name, raised.severity, problem, False, now)
            )
        return out


def _condition(
    customer_id: str,
    resellers: tuple[str, ...],
    site: str,
    severity: str,
    problem: str,
    active: bool,
    at: float,
) -> dict[str, Any]:
    return {
        "customer_id": customer_id,
        "resellers": list(resellers),
        "alarmed_object": f"site:{site}",
        "probable_cause": CAUSE,
        "alarm_type": "qualityOfServiceAlarm",
        "severity": severity,
        "specific_problem": problem,
        "active": active,
        "at": at,
        "source": "callcenter",
    }

"""The events resource's input vocabulary: a *condition* is one observation that something is
wrong (or no longer wrong) with one object of one customer's service. Detectors (detectors.py,
from traffic's live counters), the switch (network plane) and other resources (bus topic
`events.condition`) all speak it; the alarm engine (engine.py) turns conditions into TMF642
alarms: one open alarm per (customer, alarmed object, probable cause), updated while the
condition holds, cleared when it has ended (with hysteresis).

Types only; no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

CONDITION_TOPIC = "events.condition"

Severity = Literal["critical", "major", "minor", "warning", "indeterminate"]
SEVERITIES: tuple[Severity, ...] = ("critical", "major", "minor", "warning", "indeterminate")
# TMF642 alarmType values we raise
AlarmType = Literal[
    "communicationsAlarm",
    "qualityOfServiceAlarm",
    "processingErrorAlarm",
    "equipmentAlarm",
    "environmentalAlarm",
]
ALARM_TYPES: tuple[AlarmType, ...] = (
    "communicationsAlarm",
    "qualityOfServiceAlarm",
    "processingErrorAlarm",
    "equipmentAlarm",
    "environmentalAlarm",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Condition:
    """`active` True: the condition holds at `at` (raise, or update the open alarm);
    False: it has ended at `at` (the engine clears the alarm after its hysteresis).

    `alarmed_object` names what is affected, as the scopes do: `number:+18005550100`,
    `site:east` (a call-center site of `customer_id`), `line:+13125550142`, `plan:+18005550100`,
    `switch:<element>`. `probable_cause` is a short camelCase token (TMF642 / X.733 style:
    `lowAnswerSeizureRatio`, `lowNetworkEffectivenessRatio`, `consecutiveCallFailures`,
    `siteUnreachable`, `nearCapacity`, `activationFailed`, `scpUnreachable`)."""

    customer_id: str
    resellers: tuple[str, ...]  # the customer's reseller chain, top-most first
    alarmed_object: str
    probable_cause: str
    alarm_type: AlarmType
    severity: Severity
    specific_problem: str  # one sentence a customer understands: "ASR 31 % over 5 min (threshold 50 %)"
    active: bool
    at: float  # epoch seconds of the observation
    source: str  # who observed it: "detector:asr", "switch:<element>", "tollfree", …


@dataclass(frozen=True, slots=True, kw_only=True)
class Threshold:
    """A customer's quality threshold on one object (`number:…` or `site:…`) or on all its
    numbers (`number:*`) / sites (`site:*`): raise when the ratio over the last `window_seconds`
    drops below `raise_below` with at least `min_calls` offered; clear when it is back at or
    above `clear_at` (> raise_below: hysteresis)."""

    customer_id: str
    target: str
    metric: Literal["asr", "ner"]
    window_seconds: int
    min_calls: int
    raise_below: float  # 0..1
    clear_at: float  # 0..1
    severity: Severity

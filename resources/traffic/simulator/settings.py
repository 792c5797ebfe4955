"""`SimulatorSettings`: what the simulator calls, how hard, and how callers and sites behave.

Environment (`SWITCHBOARD_SIMULATOR_*`, every one optional): RATE (calls per second across all
numbers at the profile's peak; 0 = off), DURATION (seconds; empty = until stopped), SEED,
NUMBERS ("+18005550100=3,+18005550101" — number[=weight]; empty = ask the SCP, else the demo
numbers), PROFILE (business | flat), TIMEZONE, SITE_CAPACITY (trunks per site; "unlimited"),
CAPACITIES ("east=60,west=40"), URL (the network plane), HOLDING_MEAN, HOLDING_SIGMA,
ANSWER_DELAY_MEAN, NO_ANSWER_PROB, BUSY_PROB, ABANDON_PROB, PATIENCE_MEAN, RING_TIMEOUT,
BATCH_INTERVAL.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from resources.traffic.simulator.model import Behaviour
from resources.traffic.simulator.profile import PROFILES

ENV_PREFIX = "SWITCHBOARD_SIMULATOR_"
ELEMENT = "simulator"  # the network element name (certs/elements/simulator.pem, elements.json)
ELEMENT_ACTIONS = ("tollfree:route-query", "callcenter:route-query", "traffic:ingest")
# The demo's numbers (resources/tollfree/demo.py) and how much of the traffic each gets: the
# two Globex lines carry most, the Initech help desk some; billing (draft plan only) and the
# printers line (no plan) are there to show blocked calls.
DEMO_NUMBERS: tuple[tuple[str, float], ...] = (
    ("+18005550100", 3.0),
    ("+18005550101", 3.0),
    ("+18885550102", 0.5),
    ("+18775550103", 2.0),
    ("+18665550104", 0.5),
)
DEFAULT_WEIGHTS = dict(DEMO_NUMBERS)
_TFN = re.compile(r"(?:\+1|1)?(8(?:00|33|44|55|66|77|88)[2-9][0-9]{6})")
_SITE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


class SimulatorConfigError(ValueError):
    """A setting with a value the simulator cannot use (the message names the variable)."""


def toll_free(value: str) -> str | None:
    """`+18005550100` / `18005550100` / `8005550100` → `+18005550100`; None when not toll-free."""
    match = _TFN.fullmatch(value.strip())
    return "+1" + match.group(1) if match else None


@dataclass(frozen=True, kw_only=True)
class SimulatorSettings:
    network_url: str = "https://127.0.0.1:8450"
    ca_file: Path | None = None  # verifies the network plane (None: the system's trust store)
    cert_file: Path | None = None  # the element's client certificate (mTLS)
    key_file: Path | None = None
    rate: float = 2.0  # calls per second across all numbers at the profile's peak; 0 = off
    duration: float | None = None  # seconds of arrivals, then calls in progress hang up; None = forever
    seed: int | None = None
    numbers: tuple[tuple[str, float], ...] = ()  # (number, weight); () = discover, else DEMO_NUMBERS
    profile: str = "business"
    timezone: str = "America/New_York"
    site_capacity: int | None = 150  # trunks per site (None: unlimited)
    capacities: tuple[tuple[str, int], ...] = ()  # per-site overrides
    behaviour: Behaviour = field(default_factory=Behaviour)
    batch_interval: float = 0.2  # seconds between event POSTs
    ready_timeout: float = 120.0  # seconds to wait for the network plane to answer at start

    def __post_init__(self) -> None:
        if not (self.rate >= 0 and math.isfinite(self.rate)):
            raise SimulatorConfigError(f"rate must be a number of calls per second ≥ 0, got {self.rate!r}")
        if self.duration is not None and not self.duration > 0:
            raise SimulatorConfigError(f"duration must be a number of seconds > 0, got {self.duration!r}")
        if self.profile not in PROFILES:
            raise SimulatorConfigError(f"profile must be one of {', '.join(PROFILES)}, got {self.profile!r}")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise SimulatorConfigError(f"timezone {self.timezone!r} is not a known time zone") from exc
        if self.site_capacity is not None and self.site_capacity < 0:
            raise SimulatorConfigError("site_capacity must be 0 or more trunks")
        if not self.batch_interval > 0:
            raise SimulatorConfigError("batch_interval must be greater than 0")
        if not self.network_url.startswith(("https://", "http://")):
            raise SimulatorConfigError(f"network_url must be an http(s) URL, got {self.network_url!r}")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **defaults: Any) -> SimulatorSettings:
        """`defaults` (e.g. the portal's network URL and certificate paths), each overridden by
        its `SWITCHBOARD_SIMULATOR_*` variable when that is set and not empty."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = dict(defaults)
        behaviour: dict[str, Any] = {}
        behaviour_fields = {f.name: f for f in dataclasses.fields(Behaviour)}
        parsers: dict[str, Callable[[str, str], Any]] = {
            "RATE": _float,
            "DURATION": _float,
            "SEED": _int,
            "NUMBERS": _numbers,
            "PROFILE": lambda _n, v: v,
            "TIMEZONE": lambda _n, v: v,
            "SITE_CAPACITY": _capacity,
            "CAPACITIES": _capacities,
            "URL": lambda _n, v: v,
            "BATCH_INTERVAL": _float,
        }
        names = {"URL": "network_url"}
        for suffix, parse in parsers.items():
            raw = env.get(ENV_PREFIX + suffix, "").strip()
            if raw:
                values[names.get(suffix, suffix.lower())] = parse(ENV_PREFIX + suffix, raw)
        for name, f in behaviour_fields.items():
            raw = env.get(ENV_PREFIX + name.upper(), "").strip()
            if raw:
                parse = _int if f.type in ("int", int) else _float
                behaviour[name] = parse(ENV_PREFIX + name.upper(), raw)
        if behaviour:
            base = values.get("behaviour") or Behaviour()
            try:
                values["behaviour"] = dataclasses.replace(base, **behaviour)
            except ValueError as exc:
                raise SimulatorConfigError(f"{ENV_PREFIX}*: {exc}") from exc
        return cls(**values)

    @classmethod
    def for_element(cls, *, network_url: str, certs_dir: Path, **overrides: Any) -> SimulatorSettings:
        """The settings of element `simulator` of a portal: its certificate under
        `<certs>/elements/`, the environment, then `overrides` (command-line flags)."""
        settings = cls.from_env(
            network_url=network_url,
            ca_file=certs_dir / "ca.pem",
            cert_file=certs_dir / "elements" / f"{ELEMENT}.pem",
            key_file=certs_dir / "elements" / f"{ELEMENT}-key.pem",
        )
        given = {k: v for k, v in overrides.items() if v is not None}
        return dataclasses.replace(settings, **given) if given else settings

    def missing_files(self) -> list[Path]:
        return [p for p in (self.ca_file, self.cert_file, self.key_file) if p is not None and not p.is_file()]


def _float(name: str, raw: str) -> float:
    try:
        value = float(raw)
    except ValueError as exc:
        raise SimulatorConfigError(f"{name} must be a number, got {raw!r}") from exc
    if not math.isfinite(value):
        raise SimulatorConfigError(f"{name} must be a finite number, got {raw!r}")
    return value


def _int(name: str, raw: str) -> int:
    try:
        return int(raw)
    except ValueError as exc:
        raise SimulatorConfigError(f"{name} must be a whole number, got {raw!r}") from exc


def _capacity(name: str, raw: str) -> int | None:
    return None if raw.lower() == "unlimited" else _int(name, raw)


def _pairs(name: str, raw: str, what: str) -> list[tuple[str, str | None]]:
    out: list[tuple[str, str | None]] = []
    for item in filter(None, (x.strip() for x in raw.split(","))):
        key, sep, value = item.partition("=")
        out.append((key.strip(), value.strip() if sep else None))
    if not out:
        raise SimulatorConfigError(f"{name} must list {what}, got {raw!r}")
    return out


def _numbers(name: str, raw: str) -> tuple[tuple[str, float], ...]:
    out: dict[str, float] = {}
    for key, value in _pairs(name, raw, "toll-free numbers like +18005550100=3,+18005550101"):
        number = toll_free(key)
        if number is None:
            raise SimulatorConfigError(f"{name}: {key!r} is not a toll-free number like +18005550100")
        weight = _float(name, value) if value is not None else 1.0
        if not weight > 0:
            raise SimulatorConfigError(f"{name}: the weight of {number} must be greater than 0")
        out[number] = weight
    return tuple(out.items())


def _capacities(name: str, raw: str) -> tuple[tuple[str, int], ...]:
    out: dict[str, int] = {}
    for key, value in _pairs(name, raw, "sites with trunks like east=60,west=40"):
        if not _SITE.fullmatch(key) or value is None:
            raise SimulatorConfigError(f"{name}: expected SITE=TRUNKS, got {key!r}")
        trunks = _int(name, value)
        if trunks < 0:
            raise SimulatorConfigError(f"{name}: the trunks of {key} must be 0 or more")
        out[key] = trunks
    return tuple(out.items())

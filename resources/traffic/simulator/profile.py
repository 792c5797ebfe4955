"""How busy each toll-free number is over the day: a fraction of the peak rate per local hour."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from random import Random
from zoneinfo import ZoneInfo

# Fraction of the peak per local hour (0 h … 23 h) of a business line: quiet nights, a morning
# ramp, peaks mid-morning and mid-afternoon, a lunch dip, a long evening tail.
BUSINESS_HOURS: tuple[float, ...] = (
    0.08, 0.06, 0.05, 0.05, 0.05, 0.08, 0.15, 0.35, 0.65, 0.90, 1.00, 0.95,
    0.75, 0.85, 0.95, 0.90, 0.80, 0.60, 0.40, 0.30, 0.25, 0.20, 0.15, 0.10,
)  # fmt: skip
FLAT: tuple[float, ...] = (1.0,) * 24
WEEKEND = 0.4  # Saturday and Sunday: this share of a weekday's load
PROFILES = ("business", "flat")


@dataclass(frozen=True)
class DailyProfile:
    """`hours[h]` = share of the peak at h:00 local time, linearly interpolated in between;
    `weekend` scales Saturdays and Sundays. Every value is in [0, 1]."""

    hours: tuple[float, ...]
    zone: ZoneInfo
    weekend: float = 1.0

    def __post_init__(self) -> None:
        if len(self.hours) != 24 or any(not 0.0 <= h <= 1.0 for h in self.hours):
            raise ValueError("a daily profile needs 24 hourly values between 0 and 1")
        if not 0.0 <= self.weekend <= 1.0:
            raise ValueError("the weekend factor must be between 0 and 1")

    @classmethod
    def named(cls, name: str, *, timezone: str) -> DailyProfile:
        """`business` (weekday office pattern, weekends at 40 %) or `flat` (always at peak)."""
        if name == "business":
            return cls(BUSINESS_HOURS, ZoneInfo(timezone), WEEKEND)
        if name == "flat":
            return cls(FLAT, ZoneInfo(timezone))
        raise ValueError(f"unknown profile {name!r}; known: {', '.join(PROFILES)}")

    def factor(self, ts: float) -> float:
        """Share of the peak at epoch second `ts`."""
        local = dt.datetime.fromtimestamp(ts, self.zone)
        position = local.hour + (local.minute * 60 + local.second + local.microsecond / 1e6) / 3600
        hour = int(position)
        frac = position - hour
        value = self.hours[hour] * (1 - frac) + self.hours[(hour + 1) % 24] * frac
        return value * self.weekend if local.weekday() >= 5 else value


@dataclass(frozen=True)
class NumberMix:
    """The numbers the simulator calls, each with a weight, all sharing one daily profile.
    Total rate at t = peak · profile(t); a call goes to a number with probability weight / Σ."""

    numbers: tuple[str, ...]
    weights: tuple[float, ...]
    profile: DailyProfile

    def __post_init__(self) -> None:
        if not self.numbers or len(self.numbers) != len(self.weights):
            raise ValueError("a number mix needs at least one number and one weight per number")
        if any(w <= 0 for w in self.weights):
            raise ValueError("number weights must be positive")

    @classmethod
    def of(cls, pairs: Sequence[tuple[str, float]], profile: DailyProfile) -> NumberMix:
        return cls(tuple(n for n, _ in pairs), tuple(w for _, w in pairs), profile)

    def factor(self, ts: float) -> float:
        return self.profile.factor(ts)

    def pick(self, rng: Random) -> str:
        return rng.choices(self.numbers, weights=self.weights)[0]

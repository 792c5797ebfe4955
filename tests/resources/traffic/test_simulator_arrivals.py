"""Poisson arrivals (thinning), the daily profile and the number mix."""

from __future__ import annotations

import datetime as dt
import math
import statistics
from random import Random
from zoneinfo import ZoneInfo

import pytest

from resources.traffic.simulator.arrivals import arrival_times
from resources.traffic.simulator.profile import DailyProfile, NumberMix

SEEDS = range(400)
# |Z| > 4.5 for a standard normal: p ≈ 6.8e-6, so a correct generator essentially never fails.
Z = 4.5


def counts(rate: float, ramp: bool, *, window: float = 100.0) -> list[int]:
    def intensity(t: float) -> float:
        return rate * t / window if ramp else rate

    return [
        len(list(arrival_times(intensity, peak=rate, start=0.0, rng=Random(seed), end=window)))
        for seed in SEEDS
    ]


def test_fixed_seed_gives_the_same_arrivals_in_a_window() -> None:
    first = list(arrival_times(lambda _t: 2.0, peak=2.0, start=0.0, rng=Random(7), end=100.0))
    again = list(arrival_times(lambda _t: 2.0, peak=2.0, start=0.0, rng=Random(7), end=100.0))
    assert len(first) == 235
    assert first == again
    assert first == sorted(first)
    assert first[0] > 0.0
    assert first[-1] < 100.0
    assert round(first[0], 6) == 0.195657


def test_constant_rate_mean_and_dispersion_within_statistical_bounds() -> None:
    # N = 400 windows of a rate-2 process over 100 s: each count ~ Poisson(mu = 200).
    mu, n = 200.0, len(SEEDS)
    sample = counts(2.0, ramp=False)
    # mean of N Poisson(mu) counts: standard error sqrt(mu / N) = 0.707 → bound 3.18
    assert abs(statistics.mean(sample) - mu) <= Z * math.sqrt(mu / n)
    # a Poisson count's variance equals its mean; the sample variance's standard error is
    # sqrt((mu4 - sigma^4) / N) with mu4 = mu + 3 mu^2, sigma^2 = mu → sqrt((mu + 2 mu^2) / N) = 14.2
    assert abs(statistics.variance(sample) - mu) <= Z * math.sqrt((mu + 2 * mu * mu) / n)


def test_thinned_ramp_has_the_integrated_intensity_as_mean() -> None:
    # intensity 2·t/100 on [0, 100): integral = 100 → counts ~ Poisson(100); SE = 0.5, bound 2.25
    mu, n = 100.0, len(SEEDS)
    sample = counts(2.0, ramp=True)
    assert abs(statistics.mean(sample) - mu) <= Z * math.sqrt(mu / n)


def test_no_arrivals_at_zero_rate_and_rate_above_peak_is_an_error() -> None:
    assert list(arrival_times(lambda _t: 1.0, peak=0.0, start=0.0, rng=Random(1), end=10.0)) == []
    assert list(arrival_times(lambda _t: 0.0, peak=5.0, start=0.0, rng=Random(1), end=10.0)) == []
    with pytest.raises(ValueError, match="outside"):
        next(arrival_times(lambda _t: 3.0, peak=2.0, start=0.0, rng=Random(1)))


NY = ZoneInfo("America/New_York")


def at(day: int, hour: int, minute: int = 0) -> float:
    return dt.datetime(2024, 1, day, hour, minute, tzinfo=NY).timestamp()


def test_business_profile_by_local_hour_and_weekday() -> None:
    profile = DailyProfile.named("business", timezone="America/New_York")
    # 2024-01-10 is a Wednesday, 2024-01-13 a Saturday
    assert profile.factor(at(10, 10)) == 1.0
    assert profile.factor(at(10, 10, 30)) == pytest.approx(0.975)
    assert profile.factor(at(10, 12, 30)) == pytest.approx(0.80)
    assert profile.factor(at(10, 3)) == 0.05
    assert profile.factor(at(10, 23, 30)) == pytest.approx(0.09)  # 23:00 → midnight wraps
    assert profile.factor(at(13, 10)) == pytest.approx(0.4)
    flat = DailyProfile.named("flat", timezone="UTC")
    assert {flat.factor(at(d, h)) for d in (10, 13) for h in (0, 9, 17)} == {1.0}


def test_bad_profiles_and_mixes_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown profile 'nightly'"):
        DailyProfile.named("nightly", timezone="UTC")
    with pytest.raises(ValueError, match="24 hourly values"):
        DailyProfile((1.0,) * 23, NY)
    flat = DailyProfile.named("flat", timezone="UTC")
    with pytest.raises(ValueError, match="positive"):
        NumberMix.of([("+18005550100", 0.0)], flat)
    with pytest.raises(ValueError, match="at least one number"):
        NumberMix.of([], flat)


def test_number_mix_picks_by_weight() -> None:
    mix = NumberMix.of(
        [("+18005550100", 3.0), ("+18005550101", 1.0)], DailyProfile.named("flat", timezone="UTC")
    )
    rng = Random(11)
    picks = [mix.pick(rng) for _ in range(4000)]
    share = picks.count("+18005550100") / len(picks)
    # binomial(4000, 0.75): SE = sqrt(0.75·0.25/4000) = 0.00685
    assert abs(share - 0.75) <= Z * math.sqrt(0.75 * 0.25 / 4000)

"""`run_simulator(settings)`: the simulated switch in real time.

Three loops share one `Switch` (simulated call flow) and one `EventSender`:
* arrivals: Poisson arrival instants (`arrivals.arrival_times`, thinned by the daily profile);
  at each, draw the call and start a task that asks the SCP and offers the call to the switch;
* driver: sleeps until the switch's next event is due (or a new call woke it) and advances it;
* sender: POSTs the records every `batch_interval` seconds.

With `duration`, arrivals stop after that many seconds, calls still in progress hang up, the
last records are sent and the report returned; without, it runs until cancelled.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from random import Random
from typing import Any

import httpx

from resources.traffic.simulator.arrivals import arrival_times
from resources.traffic.simulator.centers import Centers
from resources.traffic.simulator.client import (
    EventSender,
    NetworkClient,
    NetworkError,
    SenderStats,
    client_tls,
)
from resources.traffic.simulator.model import CallSpec, draw_call
from resources.traffic.simulator.profile import DailyProfile, NumberMix
from resources.traffic.simulator.settings import (
    DEFAULT_WEIGHTS,
    DEMO_NUMBERS,
    SimulatorConfigError,
    SimulatorSettings,
    toll_free,
)
from resources.traffic.simulator.switch import Switch

__all__ = [
    "BackgroundSimulator",
    "SimulatorConfigError",
    "SimulatorReport",
    "SimulatorSettings",
    "run_simulator",
]

log = logging.getLogger("resources.traffic.simulator")

FINAL_FLUSH_TRIES = 5


@dataclass(frozen=True, kw_only=True)
class SimulatorReport:
    numbers: tuple[str, ...]
    calls: int  # calls offered to the switch
    outcomes: dict[int, int]  # final SIP code → calls
    centers: dict[str, dict[str, int | None]]
    events: SenderStats

    def render(self) -> str:
        codes = ", ".join(f"{code}: {n}" for code, n in sorted(self.outcomes.items())) or "none"
        sites = ", ".join(
            f"{name} peak {c['peak']}/{c['capacity'] if c['capacity'] is not None else '∞'}"
            f" refused {c['refused']}"
            for name, c in self.centers.items()
        )
        e = self.events
        return "\n".join(
            [
                f"simulated {self.calls} calls to {len(self.numbers)} numbers",
                f"  final codes: {codes}",
                f"  sites: {sites or 'none'}",
                f"  records: {e.sent} sent, {e.accepted} accepted, {e.duplicates} duplicates, "
                f"{e.rejected} rejected, {e.dropped} dropped, {e.failures} failed POSTs",
            ]
        )


async def wait_ready(client: NetworkClient, *, within: float) -> dict[str, Any]:
    """Poll the SCP's status until the network plane answers (the portal may still be starting)."""
    deadline = time.monotonic() + within
    delay = 0.25
    while True:
        try:
            return await client.status()
        except (httpx.HTTPError, ValueError) as exc:
            if time.monotonic() + delay > deadline:
                raise NetworkError(f"the network plane did not answer within {within:g} s: {exc}") from exc
        await asyncio.sleep(delay)
        delay = min(delay * 2, 2.0)


def choose_numbers(settings: SimulatorSettings, status: dict[str, Any]) -> tuple[tuple[str, float], ...]:
    """Configured numbers; else the SCP's targets when its status lists them; else the demo's."""
    if settings.numbers:
        return settings.numbers
    targets = status.get("targets")
    if isinstance(targets, list):
        found = [n for n in (toll_free(t) for t in targets if isinstance(t, str)) if n is not None]
        if found:
            return tuple((n, DEFAULT_WEIGHTS.get(n, 1.0)) for n in dict.fromkeys(found))
    return DEMO_NUMBERS


async def _wait(event: asyncio.Event, seconds: float | None) -> None:
    """Until `event` is set or `seconds` pass. `asyncio.timeout`, not `wait_for`: on Python 3.11
    `wait_for` can swallow a cancellation that arrives as its timeout fires, and a cancelled
    `drive` loop then waited for a wake-up that never came (a hang seen in CI)."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await event.wait()


class _Run:
    def __init__(
        self,
        settings: SimulatorSettings,
        client: NetworkClient,
        *,
        clock: Callable[[], float],
        stop: asyncio.Event,
    ) -> None:
        self.settings = settings
        self.stop = stop
        self.client = client
        self.clock = clock
        self.rng = Random(settings.seed)
        self.switch = Switch(
            centers=Centers(default_capacity=settings.site_capacity, capacities=dict(settings.capacities)),
            behaviour=settings.behaviour,
        )
        self.sender = EventSender(client, interval=settings.batch_interval)
        self.wake = asyncio.Event()
        self.placing: set[asyncio.Task[None]] = set()

    async def main(self, mix: NumberMix) -> None:
        settings = self.settings
        start = self.clock()
        end = start + settings.duration if settings.duration is not None else None
        tag = f"{int(start):x}{self.rng.getrandbits(16):04x}"
        background = [asyncio.create_task(self.sender.run()), asyncio.create_task(self.drive())]
        try:
            arrivals = arrival_times(
                lambda t: settings.rate * mix.factor(t),
                peak=settings.rate,
                start=start,
                rng=self.rng,
                end=end,
            )
            for seq, at in enumerate(arrivals, 1):
                if await self.pause(at - self.clock()):
                    break
                spec = draw_call(
                    self.rng,
                    call_id=f"sim-{tag}-{seq:06d}",
                    number=mix.pick(self.rng),
                    seized=at,
                    behaviour=settings.behaviour,
                )
                task = asyncio.create_task(self.place(spec))
                self.placing.add(task)
                task.add_done_callback(self.placing.discard)
            if self.placing:
                await asyncio.gather(*self.placing)
            if end is not None:
                await self.pause(end - self.clock())
            self.sender.emit(self.switch.hang_up(self.clock()))
            # stopping (the portal is going down): one try; after `duration`: retry a little
            for attempt in range(1 if self.stop.is_set() else FINAL_FLUSH_TRIES):
                if await self.sender.flush():
                    break
                await asyncio.sleep(min(2.0, 0.25 * 2**attempt))
        finally:
            for task in [*background, *self.placing]:
                task.cancel()
            for failure in await asyncio.gather(*background, return_exceptions=True):
                if isinstance(failure, Exception):
                    log.error("simulator: a background task failed: %r", failure)

    async def pause(self, seconds: float) -> bool:
        """Sleep `seconds` unless asked to stop first; True when stopping."""
        if seconds > 0 and not self.stop.is_set():
            await _wait(self.stop, seconds)
        return self.stop.is_set()

    async def place(self, spec: CallSpec) -> None:
        answer = await self.client.route(
            dnis=spec.number, ani=spec.ani, ts=int(spec.seized), callid=spec.call_id
        )
        self.sender.emit(self.switch.offer(spec, answer, now=self.clock()))
        self.wake.set()

    async def drive(self) -> None:
        while True:
            due = self.switch.next_due()
            timeout = None if due is None else max(0.0, due - self.clock())
            await _wait(self.wake, timeout)
            self.wake.clear()
            self.sender.emit(self.switch.advance(self.clock()))

    def report(self, numbers: tuple[str, ...]) -> SimulatorReport:
        return SimulatorReport(
            numbers=numbers,
            calls=self.switch.offered,
            outcomes=dict(sorted(self.switch.outcomes.items())),
            centers=self.switch.centers.snapshot(),
            events=self.sender.stats,
        )


async def run_simulator(
    settings: SimulatorSettings,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    clock: Callable[[], float] = time.time,
    stop: asyncio.Event | None = None,
) -> SimulatorReport:
    """Simulate calls until `settings.duration` has passed or `stop` is set (then calls in
    progress hang up and are reported), or forever until cancelled.
    `transport` replaces the network (tests); `clock` gives epoch seconds. Raises NetworkError
    when the network plane refuses the simulator (not registered, wrong certificate)."""
    if settings.rate <= 0:
        return SimulatorReport(numbers=(), calls=0, outcomes={}, centers={}, events=SenderStats())
    tls = None
    if transport is None and settings.cert_file is not None and settings.key_file is not None:
        missing = settings.missing_files()
        if missing:
            raise NetworkError(
                f"missing {', '.join(map(str, missing))}: register the simulator "
                "(`switchboard demo` does, or `switchboard element add simulator …`)"
            )
        assert settings.ca_file is not None
        tls = client_tls(ca_file=settings.ca_file, cert_file=settings.cert_file, key_file=settings.key_file)
    async with NetworkClient(base_url=settings.network_url, tls=tls, transport=transport) as client:
        status = await wait_ready(client, within=settings.ready_timeout)
        numbers = choose_numbers(settings, status)
        mix = NumberMix.of(numbers, DailyProfile.named(settings.profile, timezone=settings.timezone))
        log.info(
            "simulator: calling %d numbers at up to %g calls/s (%s profile) via %s",
            len(mix.numbers), settings.rate, settings.profile, settings.network_url,
        )  # fmt: skip
        run = _Run(settings, client, clock=clock, stop=stop or asyncio.Event())
        await run.main(mix)
        return run.report(mix.numbers)


class BackgroundSimulator:
    """`run_simulator` as a background task (the demo's): failures are logged, never raised;
    `stop` hangs up the calls in progress, reports them, and ends the task."""

    def __init__(self, settings: SimulatorSettings) -> None:
        self._stop = asyncio.Event()
        self.task = asyncio.create_task(self._run(settings), name="switch-simulator")

    async def _run(self, settings: SimulatorSettings) -> None:
        try:
            report = await run_simulator(settings, stop=self._stop)
        except NetworkError as exc:
            log.warning("switch simulator stopped: %s", exc)
        except Exception:
            log.exception("switch simulator failed")
        else:
            log.info("switch simulator stopped: %s", report.render())

    def request_stop(self) -> None:
        """Stop placing calls; hang up and report the ones in progress (call while the network
        plane still accepts requests, e.g. when the portal's stop signal arrives)."""
        self._stop.set()

    async def stop(self, *, grace: float = 2.0) -> None:
        """`request_stop`, give the task `grace` seconds to report, then cancel it."""
        self._stop.set()
        if not self.task.done():
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(grace):
                    await asyncio.shield(self.task)
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task

"""Running the detectors (detectors.py) for the life of the events resource.

`run_detectors(...)` follows three bus topics:

* `traffic.delta` (traffic, after each committed batch): its CallSummaries go to
  `ConsecutiveFailures` (whose conditions are emitted at once), its counters to `RatioDetector`;
* `events.thresholds` `{"thresholds": [{Threshold fields}, …]}`: replaces every threshold;
* `tollfree.numbers` `{"numbers": [{"number", "customer_id", "resellers"}], "sites": […]}`: the
  customer → reseller chain map the conditions carry (an unknown customer has none);

and publishes `events.thresholds-wanted` and `tollfree.numbers-wanted` (`{}`) each time it has
subscribed (the first time, and again after a broken subscription). Every `evaluate_every`
seconds it evaluates the ratio detector. Each condition goes to `await emit(condition)` (the
engine's entry point); a failing emit is logged and the next condition still goes. A malformed
payload is logged and ignored.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from resources.events.conditions import Condition
from resources.events.detectors import (
    FAILURES_IN_A_ROW,
    REASSERT_SECONDS,
    ConsecutiveFailures,
    Customers,
    RatioDetector,
    parse_delta,
    parse_thresholds,
)
from resources.kit.events import Event, EventBus
from resources.kit.follow import every, following

DELTA = "traffic.delta"
THRESHOLDS = "events.thresholds"
THRESHOLDS_WANTED = "events.thresholds-wanted"
NUMBERS = "tollfree.numbers"
NUMBERS_WANTED = "tollfree.numbers-wanted"
TOPICS = (DELTA, THRESHOLDS, NUMBERS)
WANTED = (THRESHOLDS_WANTED, NUMBERS_WANTED)  # asked for once subscribed (again after a broken one)
EVALUATE_EVERY = 1.0  # seconds between evaluations of the ratio detector

Emit = Callable[[Condition], Awaitable[Any]]


def parse_resellers(payload: Any) -> dict[str, tuple[str, ...]]:
    """Customer id → reseller chain from a `tollfree.numbers` payload (the first number of a
    customer, in number order, tells); ValueError when the shape is wrong."""
    if not isinstance(payload, Mapping):
        raise ValueError("the payload must be an object")
    numbers = payload.get("numbers")
    if not isinstance(numbers, list):
        raise ValueError("numbers must be a list")
    owners: list[tuple[str, str, tuple[str, ...]]] = []
    for i, item in enumerate(numbers):
        if not isinstance(item, Mapping):
            raise ValueError(f"numbers[{i}] must be an object")
        number, customer_id, resellers = (
            item.get("number"),
            item.get("customer_id"),
            item.get("resellers", []),
        )
        if not isinstance(number, str) or not number or not isinstance(customer_id, str) or not customer_id:
            raise ValueError(f"numbers[{i}].number and .customer_id must be non-empty strings")
        if not isinstance(resellers, list) or not all(isinstance(r, str) for r in resellers):
            raise ValueError(f"numbers[{i}].resellers must be a list of strings")
        owners.append((number, customer_id, tuple(resellers)))
    out: dict[str, tuple[str, ...]] = {}
    for _number, customer_id, resellers in sorted(owners):
        out.setdefault(customer_id, resellers)
    return out


@dataclass(eq=False)
class Detectors:
    """The detectors of one process and what feeds them (`run_detectors` yields it)."""

    emit: Emit
    clock: Callable[[], float]
    log: logging.Logger
    customers: Customers
    ratios: RatioDetector
    failures: ConsecutiveFailures
    on_numbers: Callable[[Any], None] | None = None  # also given each good `tollfree.numbers` picture
    handled: int = 0  # bus events handled (malformed ones included)
    ignored: dict[str, int] = field(default_factory=dict)  # malformed payloads, by topic

    async def handle(self, event: Event) -> None:
        try:
            if event.topic == DELTA:
                contributions, calls = parse_delta(event.payload)
                now = self.clock()
                raised = self.failures.feed(calls, now)
                self.ratios.feed(contributions, now, calls=calls)
                await self._emit_all(raised)
            elif event.topic == THRESHOLDS:
                self.ratios.set_thresholds(parse_thresholds(event.payload))
            elif event.topic == NUMBERS:
                self.customers.replace(parse_resellers(event.payload))
                if self.on_numbers is not None:
                    self.on_numbers(event.payload)
        except ValueError as exc:
            self.ignored[event.topic] = self.ignored.get(event.topic, 0) + 1
            self.log.warning("events: ignored a %s payload: %s", event.topic, exc)
        finally:
            self.handled += 1

    async def tick(self) -> None:
        """Evaluate the ratio detector now and emit what it found."""
        await self._emit_all(self.ratios.evaluate(self.clock()))

    async def _emit_all(self, conditions: Iterable[Condition]) -> None:
        for condition in conditions:
            try:
                await self.emit(condition)
            except Exception:
                self.log.exception(
                    "events: emitting %s on %s failed", condition.probable_cause, condition.alarmed_object
                )


@asynccontextmanager
async def run_detectors(
    *,
    bus: EventBus,
    emit: Emit,
    log: logging.Logger,
    clock: Callable[[], float] = time.time,
    failures_in_a_row: int = FAILURES_IN_A_ROW,
    reassert_seconds: float = REASSERT_SECONDS,
    evaluate_every: float = EVALUATE_EVERY,
    on_numbers: Callable[[Any], None] | None = None,
) -> AsyncIterator[Detectors]:
    """Follow the topics and evaluate for the body of the `async with` (entered once
    subscribed and the pictures asked for); cancelled on exit. `on_numbers` also gets each
    `tollfree.numbers` picture that parsed (the site probing's targets, probes.py)."""
    customers = Customers()
    detectors = Detectors(
        emit=emit,
        clock=clock,
        log=log,
        customers=customers,
        on_numbers=on_numbers,
        ratios=RatioDetector(customers=customers, reassert_seconds=reassert_seconds),
        failures=ConsecutiveFailures(
            customers=customers, in_a_row=failures_in_a_row, reassert_seconds=reassert_seconds
        ),
    )

    async def on_subscribed(_first_time: bool) -> None:
        for topic in WANTED:
            await bus.publish(topic, {})

    async with following(
        bus, TOPICS, on_event=detectors.handle, log=log, what="events: detectors", on_subscribed=on_subscribed
    ):
        task = asyncio.create_task(
            every(evaluate_every, detectors.tick, log=log, what="events: evaluating the detectors"),
            name="events-detectors",
        )
        try:
            yield detectors
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

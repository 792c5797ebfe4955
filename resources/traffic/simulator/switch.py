"""The simulated switch: what happens to each call after the SCP answered, as wire records.

A discrete-event core in simulated time (no I/O, no clock of its own): `offer` a call with the
SCP's answer at an instant, `advance` to an instant, and every event due by then happens in time
order and yields the records a real switch would report (docs/traffic-contracts.md, wire format):

* SCP unreachable or unusable → `failed` 503 "Routing service unavailable" (like kamailio.cfg).
* reject, or an announcement (the simulator has no media server) → `failed` with `block: plan`
  and the SCP's code (480 for an announcement).
* a route → `routed` at seizure, then the destinations in order (route-advance like kamailio.cfg's
  failure_route): a site with every trunk in use answers 503 (all trunks busy); a number or
  carrier may answer 486 (busy); a site that does not pick up within the ring timeout fails 408;
  each advances to the next destination within the same call. Pick-up → `answered`, then `ended`
  (200) after the holding time. A caller whose patience runs out while it rings → `failed` 487.
  Every destination failed → `failed` with the last one's code.
* Every call ends with a `cdr` record: the final site, times, code, plan version and path.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections import Counter
from dataclasses import dataclass
from typing import Any

from resources.traffic.simulator.centers import CallCenter, Centers
from resources.traffic.simulator.model import Attempt, Behaviour, CallSpec, Destination, ScpAnswer

Record = dict[str, Any]

SCP_DOWN = (503, "Routing service unavailable")
SCP_DOWN_Q850 = 38  # network out of order: traffic counts it as failed, not all trunks busy
ALL_TRUNKS_BUSY = (503, "All trunks busy")
BUSY = (486, "Busy Here")
NO_ANSWER = (408, "Request Timeout")
CANCELLED = (487, "Request Terminated")
NO_MEDIA_SERVER = 480
_NEVER = Attempt(picks_up=False, delay=math.inf)


def _ms(value: float) -> float:
    return round(value, 3)


@dataclass(slots=True)
class _Call:
    spec: CallSpec
    answer: ScpAnswer | None
    index: int = -1  # the destination being tried (or last tried)
    center: CallCenter | None = None  # the trunk this call holds
    answered: float | None = None
    code: int | None = None  # the last failure
    reason: str | None = None


class Switch:
    def __init__(self, *, centers: Centers, behaviour: Behaviour) -> None:
        self.centers = centers
        self.behaviour = behaviour
        self._heap: list[tuple[float, int, str, _Call]] = []
        self._seq = itertools.count()
        self._open: dict[str, _Call] = {}
        self.offered = 0
        self.outcomes: Counter[int] = Counter()  # final SIP code → calls

    # --- driving -----------------------------------------------------------------------------

    def offer(self, spec: CallSpec, answer: ScpAnswer | None, *, now: float) -> list[Record]:
        """A call that arrived at `spec.seized` and got `answer` (None: the SCP did not answer)
        at `now`. Returns every record due by `now` (earlier events first)."""
        out = self.advance(now)
        call = _Call(spec, answer)
        self.offered += 1
        if answer is None:
            self._final(call, now, *SCP_DOWN, out)
        elif answer.outcome == "route" and answer.destinations:
            self._open[spec.call_id] = call
            out.append(self._record("routed", call, spec.seized, answer.destinations[0]))
            self._try(call, 0, now, out)
        elif answer.outcome == "announce":
            reason = answer.reason or "announcement (no media server)"
            self._final(call, now, answer.code or NO_MEDIA_SERVER, reason, out, block="plan")
        elif answer.code is not None and 300 <= answer.code <= 699:
            self._final(
                call, now, answer.code, answer.reason or "Rejected by routing plan", out, block="plan"
            )
        else:  # no route and no code: kamailio.cfg answers 503 too
            self._final(call, now, *SCP_DOWN, out)
        return out

    def advance(self, now: float) -> list[Record]:
        """Let every event due by `now` happen; their records in time order."""
        out: list[Record] = []
        heap = self._heap
        while heap and heap[0][0] <= now:
            at, _seq, kind, call = heapq.heappop(heap)
            self._handle(kind, call, at, out)
        return out

    def next_due(self) -> float | None:
        return self._heap[0][0] if self._heap else None

    def hang_up(self, now: float) -> list[Record]:
        """The switch stops: every open call ends now (answered → 200, ringing → 487)."""
        out = self.advance(now)
        self._heap.clear()
        for call in list(self._open.values()):
            self._release(call)
            if call.answered is not None:
                self._final(call, now, 200, None, out)
            else:
                self._final(call, now, *CANCELLED, out)
        return out

    @property
    def open_calls(self) -> int:
        return len(self._open)

    # --- the call flow -----------------------------------------------------------------------

    def _schedule(self, at: float, kind: str, call: _Call) -> None:
        heapq.heappush(self._heap, (at, next(self._seq), kind, call))

    def _handle(self, kind: str, call: _Call, at: float, out: list[Record]) -> None:
        if kind == "answer":
            call.answered = at
            out.append(self._record("answered", call, at, self._dest(call)))
            self._schedule(at + call.spec.holding, "hangup", call)
        elif kind == "hangup":
            self._release(call)
            self._final(call, at, 200, None, out)
        elif kind == "timeout":
            self._release(call)
            call.code, call.reason = NO_ANSWER
            self._try(call, call.index + 1, at, out)
        elif kind == "abandon":
            self._release(call)
            self._final(call, at, *CANCELLED, out)
        else:  # pragma: no cover - the kinds above are the only ones scheduled
            raise AssertionError(kind)

    def _try(self, call: _Call, index: int, at: float, out: list[Record]) -> None:
        """Offer the call to destination `index`, advancing past busy ones; schedule what the
        first one that takes it will do (pick up, time out, or the caller giving up first)."""
        spec, answer = call.spec, call.answer
        assert answer is not None
        patience = spec.patience
        deadline = spec.seized + patience if patience is not None else math.inf
        destinations = answer.destinations
        while index < len(destinations):
            call.index = index
            if at >= deadline:
                self._final(call, at, *CANCELLED, out)
                return
            dest = destinations[index]
            attempt = spec.attempts[index] if index < len(spec.attempts) else _NEVER
            site = dest.site
            if site is not None:
                center = self.centers.get(site)
                if not center.seize():
                    call.code, call.reason = ALL_TRUNKS_BUSY
                    index += 1
                    continue
                call.center = center
            elif attempt.busy:
                call.code, call.reason = BUSY
                index += 1
                continue
            ring = dest.ring_timeout or self.behaviour.ring_timeout
            if attempt.picks_up and attempt.delay < ring:
                when, kind = at + attempt.delay, "answer"
            else:
                when, kind = at + ring, "timeout"
            if deadline < when:
                when, kind = deadline, "abandon"
            self._schedule(when, kind, call)
            return
        code, reason = (call.code, call.reason) if call.code is not None else SCP_DOWN
        self._final(call, at, code, reason, out)

    def _release(self, call: _Call) -> None:
        if call.center is not None:
            call.center.release()
            call.center = None

    def _dest(self, call: _Call) -> Destination | None:
        answer = call.answer
        if answer is None or call.index < 0:
            return None
        return answer.destinations[call.index]

    def _final(
        self,
        call: _Call,
        at: float,
        code: int,
        reason: str | None,
        out: list[Record],
        *,
        block: str | None = None,
    ) -> None:
        self._open.pop(call.spec.call_id, None)
        self.outcomes[code] += 1
        dest = self._dest(call)
        final: Record = {"start": _ms(call.spec.seized)}
        if call.answered is not None:
            final["answer"] = _ms(call.answered)
        final["end"] = _ms(at)
        final["sip_code"] = code
        if reason:
            final["reason"] = reason
        if block:
            final["block"] = block
        if (code, reason) == SCP_DOWN:
            final["q850"] = SCP_DOWN_Q850
        kind = "ended" if call.answered is not None else "failed"
        out.append(self._record(kind, call, at, dest) | final)
        out.append(self._record("cdr", call, at, dest) | final | {"state": call.spec.state})

    def _record(self, kind: str, call: _Call, at: float, dest: Destination | None) -> Record:
        spec, answer = call.spec, call.answer
        record: Record = {
            "type": kind,
            "callid": spec.call_id,
            "ts": _ms(at),
            "dnis": spec.number,
            "ani": spec.ani,
        }
        if dest is not None:
            record["dest"] = dest.dest
            if dest.site is not None:
                record["site"] = dest.site
            if dest.uri is not None:
                record["uri"] = dest.uri
            if dest.carrier is not None:
                record["carrier"] = dest.carrier
        if answer is not None:
            if answer.version is not None:
                record["version"] = answer.version
            if answer.path:
                record["path"] = list(answer.path)
        return record

"""The switch's question on every outbound INVITE: may this line dial this? (network.py serves it)

The decider keeps every customer's configuration in memory (read at the first question, again
for a customer on `outbound.changed`, and all of it every `refresh_seconds`), and finds the line
— and so the customer — by the caller's number. For one call:

1. Classify what was dialled (classes.py). Emergency calls are allowed whoever dials them, even
   from a number no customer has.
2. A caller that is no line of any customer is denied ("Unknown calling line").
3. `policy.decide` with the line's policy; when the line has an authorization code and the
   policy it lifts to would allow the call, a denial by class or country becomes
   "collect-code" (authorization).
4. A code keyed for the call (`auth_code`) is checked against the line's own hash only, after
   the lockout (codes.py): a locked line is refused without hashing; a wrong code counts; the
   state is written at once. The right code decides again under the lifted policy.
5. An account code keyed for the call must be one of the customer's; a forced one missing is
   "collect-code" (account).

The minute caps count what the line has used (usage.py): the runtime follows traffic's
`traffic.delta`, and `record` stores each ended call of ours once (`outbound_usage`, keyed by
the call id) and adds its minutes to the in-memory `Meter`, which the decision reads — no query
per call. Every reload reads the current day's and month's sums from the table again, so
several outbound processes converge. Day and month are those of the zone of the hours of the
policy the line dials under (its own, its group's or the default), UTC when that policy has no
hours. Spend is not counted yet (no rating: a later issue rates calls): spend usage is 0, so a
spend cap of 0 bars a line and other spend caps are stored but not reached.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from resources.outbound import repository as repo
from resources.outbound import service
from resources.outbound.classes import CallingClass, Classified, DialError, classify
from resources.outbound.codes import ADMITTING_EVENTS, attempt, is_locked, verify_code
from resources.outbound.context import Context, transaction
from resources.outbound.policy import decide
from resources.outbound.usage import EndedCall, Meter, ended_calls, insert_new, read_tallies, zone_of

UNKNOWN_LINE = "Unknown calling line"
WRONG_CODE = "Wrong authorization code"
LOCKED = "Authorization code locked; try again later"
UNKNOWN_ACCOUNT = "Unknown account code"
SIP_CODE = {"allow": 200, "deny": 403, "collect-code": 484}  # 484: more digits wanted


@dataclass(frozen=True)
class Answer:
    outcome: str  # allow | deny | collect-code
    reason: str
    collect: str | None  # authorization | account (collect-code)
    call_class: CallingClass | None
    number: str | None  # what was dialled, as E.164 (None for short codes or undialable input)
    country: str | None
    customer_id: str | None
    line: str | None
    account_code: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "code": SIP_CODE[self.outcome],
            "reason": self.reason,
            "collect": self.collect,
            "class": self.call_class.value if self.call_class else None,
            "number": self.number,
            "country": self.country,
            "customer": self.customer_id,
            "line": self.line,
            "account_code": self.account_code,
        }


class Decider:
    def __init__(self, ctx: Context, *, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.ctx = ctx
        self._monotonic = monotonic
        self._configs: dict[str, service.Config] = {}
        self._owners: dict[str, str] = {}  # line number → customer id
        self._loaded: float | None = None
        self._lock = asyncio.Lock()  # one reload or one recording of usage at a time
        self.meter = Meter()

    async def reload(self, customer_id: str | None = None) -> None:
        """Read one customer (None: every customer) again, with its lines' usage."""
        async with self._lock:
            async with transaction(self.ctx, write=False) as tx:
                customers = [customer_id] if customer_id else await repo.customers(tx.session)
                fresh = {c: await service.load(tx, customer_id=c) for c in customers}
                tallies = await read_tallies(tx.session, _zones(fresh.values()), now=tx.now)
            if customer_id is None:
                self._configs, self._loaded = fresh, self._monotonic()
            else:
                self._configs.update(fresh)
            self._owners = {n: c for c, cfg in self._configs.items() for n in cfg.lines}
            self.meter.load(tallies, lines=self._owners)

    async def record(self, payload: Mapping[str, Any]) -> list[EndedCall]:
        """Store the usage of the ended calls of ours in a `traffic.delta` payload (each call
        once) and count the ones this process inserted; the calls inserted."""
        if self._loaded is None:
            await self.reload()
        async with self._lock:
            ours = [
                (call, owner or call.customer_id or "")
                for call in ended_calls(payload)
                if (owner := self._owners.get(call.number))
                or (call.customer_id in self._configs and call.call_class is not None)
            ]
            if not ours:
                return []
            async with transaction(self.ctx, write=True) as tx:
                inserted = await insert_new(tx.session, ours)
            for call in inserted:  # committed: count it
                self.meter.add(call)
        return inserted

    async def decide(
        self,
        *,
        caller: str,
        dialled: str,
        at: datetime,
        auth_code: str | None = None,
        account_code: str | None = None,
    ) -> Answer:
        if self._loaded is None or self._monotonic() - self._loaded >= self.ctx.refresh_seconds:
            await self.reload()
        customer_id = self._owners.get(caller)
        try:
            call = classify(dialled, caller=caller if customer_id else "+10000000000")
        except DialError as exc:
            return Answer(
                "deny",
                f"Not a dialable number: {exc.message}",
                None,
                None,
                None,
                None,
                customer_id,
                None,
                None,
            )
        if call.call_class is CallingClass.EMERGENCY:
            line = caller if customer_id else None
            return _answer(
                call, "allow", "Emergency calls are always allowed", customer_id=customer_id, line=line
            )
        if customer_id is None:
            return _answer(call, "deny", UNKNOWN_LINE, customer_id=None, line=None)
        return await self._for_line(customer_id, caller, call, at, auth_code, account_code)

    async def _for_line(
        self,
        customer_id: str,
        number: str,
        call: Classified,
        at: datetime,
        auth_code: str | None,
        account_code: str | None,
    ) -> Answer:
        config = self._configs[customer_id]
        line = config.lines[number]
        _, policy = config.policy_of(line)
        elevated = config.elevated_of(line)

        def answer(outcome: str, reason: str, collect: str | None = None) -> Answer:
            return Answer(
                outcome,
                reason,
                collect,
                call.call_class,
                call.number,
                call.country,
                customer_id,
                number,
                account_code,
            )

        if account_code is not None and account_code not in config.account_codes:
            return answer("deny", UNKNOWN_ACCOUNT)
        given = account_code is not None
        usage = self.meter.usage(number, at)
        if auth_code is not None and elevated is not None:
            verdict = decide(
                policy=policy, call=call, usage=usage, at=at, elevated=elevated, account_code_given=given
            )
            if verdict.outcome == "collect-code" and verdict.code_kind == "authorization":
                # the lockout runs on our clock (the call's ts may be a test time)
                admitted, reason = await self._check_code(number, auth_code, self.ctx.clock())
                if not admitted:
                    return answer("deny", reason)
                policy, elevated = elevated, None
        verdict = decide(
            policy=policy, call=call, usage=usage, at=at, elevated=elevated, account_code_given=given
        )
        return answer(verdict.outcome, verdict.reason, verdict.code_kind)

    async def _check_code(self, number: str, code: str, at: datetime) -> tuple[bool, str]:
        """Verify a keyed authorization code against the line's hash, with the lockout."""
        ctx = self.ctx
        async with transaction(ctx, write=True) as tx:
            row, state = await service.lockout_of(tx, number=number)
            if row is None:
                return False, WRONG_CODE
            if is_locked(state, at):
                return False, LOCKED
            ok = await asyncio.to_thread(verify_code, ctx.hasher, row.hash, code)
            new, event = attempt(
                state=state,
                ok=ok,
                at=at,
                max_failures=ctx.max_failures,
                lock_for=timedelta(minutes=ctx.lock_minutes),
            )
            row.failures, row.locked_until = new.failures, new.locked_until
        if event in ADMITTING_EVENTS:
            return True, ""
        return False, LOCKED if new.locked_until is not None else WRONG_CODE


def _zones(configs: Iterable[service.Config]) -> dict[str, str]:
    """Each line → the zone its usage is counted in (the policy it dials under)."""
    return {n: zone_of(cfg.policy_of(line)[1]) for cfg in configs for n, line in cfg.lines.items()}


def _answer(
    call: Classified,
    outcome: str,
    reason: str,
    collect: str | None = None,
    *,
    customer_id: str | None,
    line: str | None,
    account_code: str | None = None,
) -> Answer:
    return Answer(
        outcome, reason, collect, call.call_class, call.number, call.country, customer_id, line, account_code
    )

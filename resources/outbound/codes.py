"""Authorization and account codes: their format, hashing, and the lockout after wrong codes.

A user may be asked to key a code on an outbound call (the policy's "collect-code"; the switch
plays a prompt and collects the digits):

* An authorization code lifts the line to a wider policy (say, international calls). It is a
  secret, so it is kept only as an argon2 hash (`hash_code`, `verify_code`; the PasswordHasher
  is passed in, as the directory does for passwords) and never echoed in an error message.
  Verify a code against one stored hash (the user's own code), never by trying every hash of a
  customer: argon2 is slow on purpose.
* An account code is a billing label (a client, matter or project number) written on the
  call's CDR so the customer can allocate the cost. It is not a secret: it is stored as keyed
  and shows up in reports, so only its format is checked (`parse_code`).

Both are 4 to 12 digits: what a phone keypad sends, without `*` or `#` (`#` ends the entry).
An authorization code is all that stands between a toll fraudster and an expensive
international route, so `hash_code` also refuses the codes tried first: one digit repeated
(0000) and straight runs up or down, also through 9 → 0 (1234, 8901, 4321).

Guessing is stopped by a lockout, a state machine kept as data (`TRANSITIONS`): wrong codes are
counted; the `max_failures`-th wrong code in a row locks the line for `lock_for`; while locked
every attempt is refused, even with the right code, and does not extend the lock; a right code
resets the count. When the lock lapses the count is kept: the right code gets in
("unlocked-by-time") but one more wrong code locks again at once, so a guesser gets one try
per `lock_for` instead of `max_failures`. Callers check `is_locked(state, at)` first and skip
argon2 while locked (the answer is "refused" anyway; hashing for it would hand anyone who can
place calls a way to burn CPU), then call `attempt` with the verification result and write the
event it returns.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from resources.kit.errors import FieldError

MIN_DIGITS = 4
MAX_DIGITS = 12
_RUN_UP = "0123456789" * 3  # every straight run up, wrapping 9 → 0, up to MAX_DIGITS long
_RUN_DOWN = _RUN_UP[::-1]

Status = Literal["open", "last-chance", "locked", "lapsed"]
Effect = Literal["reset", "count", "lock", "keep"]


class CodeError(FieldError):
    """A code that cannot be used; the message never repeats the code."""


def parse_code(raw: Any, *, field: str = "code") -> str:
    """A well-formed code (4 to 12 digits) or CodeError naming `field`."""
    if not isinstance(raw, str):
        raise CodeError(field, f"must be text of {MIN_DIGITS} to {MAX_DIGITS} digits")
    if not raw.isascii() or not raw.isdigit():
        raise CodeError(field, "may only hold the digits 0 to 9")
    if not MIN_DIGITS <= len(raw) <= MAX_DIGITS:
        raise CodeError(field, f"must be {MIN_DIGITS} to {MAX_DIGITS} digits long")
    return raw


def guessable(code: str) -> bool:
    """One digit repeated, or a straight run up or down (wrapping 9 → 0 counts)."""
    return len(set(code)) == 1 or code in _RUN_UP or code in _RUN_DOWN


def hash_code(hasher: PasswordHasher, code: str) -> str:
    """The argon2 hash to store for a new authorization code."""
    parse_code(code)
    if guessable(code):
        raise CodeError("code", "is too easy to guess (one digit repeated or a straight run); choose another")
    return hasher.hash(code)


def verify_code(hasher: PasswordHasher, stored: str, code: str) -> bool:
    """Whether `code` is the one `stored` was made from; a malformed code is simply wrong (and
    costs no hashing)."""
    try:
        parse_code(code)
        return hasher.verify(stored, code)
    except (CodeError, VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True)
class Lockout:
    """Wrong codes in a row, and the end of the current (or last) lock."""

    failures: int = 0
    locked_until: datetime | None = None


@dataclass(frozen=True)
class Transition:
    event: str
    effect: Effect
    admits: bool  # the call goes on with the code


TRANSITIONS: Mapping[tuple[Status, bool], Transition] = {
    # (status, code right?) → what happens
    ("open", True): Transition("accepted", "reset", admits=True),
    ("open", False): Transition("rejected", "count", admits=False),
    ("last-chance", True): Transition("accepted", "reset", admits=True),
    ("last-chance", False): Transition("locked", "lock", admits=False),
    ("locked", True): Transition("refused-while-locked", "keep", admits=False),
    ("locked", False): Transition("refused-while-locked", "keep", admits=False),
    ("lapsed", True): Transition("unlocked-by-time", "reset", admits=True),
    ("lapsed", False): Transition("locked", "lock", admits=False),
}
ADMITTING_EVENTS = frozenset(t.event for t in TRANSITIONS.values() if t.admits)


def is_locked(state: Lockout, at: datetime) -> bool:
    """Whether attempts are refused at `at` (an aware instant)."""
    _aware(at)
    return state.locked_until is not None and at < state.locked_until


def status(state: Lockout, *, at: datetime, max_failures: int) -> Status:
    if state.locked_until is not None:
        return "locked" if is_locked(state, at) else "lapsed"
    return "last-chance" if state.failures + 1 >= max_failures else "open"


def attempt(
    *,
    state: Lockout,
    ok: bool,
    at: datetime,
    max_failures: int = 5,
    lock_for: timedelta = timedelta(minutes=15),
) -> tuple[Lockout, str]:
    """The state after one attempt (`ok`: the code verified) and the event to record; the call
    goes on only when the event is in `ADMITTING_EVENTS`."""
    _aware(at)
    if max_failures < 1:
        raise ValueError("max_failures must be at least 1")
    if lock_for <= timedelta(0):
        raise ValueError("lock_for must be positive")
    transition = TRANSITIONS[(status(state, at=at, max_failures=max_failures), ok)]
    if transition.effect == "reset":
        new = Lockout()
    elif transition.effect == "count":
        new = Lockout(failures=state.failures + 1)
    elif transition.effect == "lock":
        new = Lockout(failures=state.failures + 1, locked_until=at + lock_for)
    else:
        new = state
    return new, transition.event


def _aware(at: datetime) -> None:
    if at.tzinfo is None:
        raise ValueError("naive datetime given; use an aware (UTC) instant")

"""Authorization and account codes: format, argon2 hashing, and the lockout state machine."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import pytest
from argon2 import PasswordHasher

from resources.outbound.codes import (
    ADMITTING_EVENTS,
    TRANSITIONS,
    CodeError,
    Lockout,
    attempt,
    hash_code,
    is_locked,
    parse_code,
    verify_code,
)

T0 = datetime(2026, 3, 2, 18, 0, tzinfo=UTC)
LOCKED_AT_T0 = T0 + timedelta(minutes=15)


@pytest.fixture(scope="module")
def hasher() -> PasswordHasher:
    return PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@pytest.mark.parametrize("code", ["4821", "0042", "482104821048"])
def test_well_formed_codes(code: str) -> None:
    assert parse_code(code) == code


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (4821, "must be text of 4 to 12 digits"),
        (None, "must be text of 4 to 12 digits"),
        ("48a1", "may only hold the digits 0 to 9"),
        ("48#1", "may only hold the digits 0 to 9"),
        ("", "may only hold the digits 0 to 9"),
        ("٤٨٢١", "may only hold the digits 0 to 9"),
        ("482", "must be 4 to 12 digits long"),
        ("4821048210482", "must be 4 to 12 digits long"),
    ],
)
def test_bad_codes(raw: Any, message: str) -> None:
    with pytest.raises(CodeError) as caught:
        parse_code(raw, field="account_code")
    assert (caught.value.field, caught.value.message) == ("account_code", message)


def test_hash_and_verify(hasher: PasswordHasher) -> None:
    stored = hash_code(hasher, "4821")
    assert stored.startswith("$argon2id$v=19$m=8,t=1,p=1$")
    assert "4821" not in stored
    assert verify_code(hasher, stored, "4821") is True
    assert verify_code(hasher, stored, "4822") is False
    assert verify_code(hasher, stored, "48210") is False
    assert verify_code(hasher, "not an argon2 hash", "4821") is False


class CountingHasher(PasswordHasher):
    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=8, parallelism=1)
        self.verified = 0

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        self.verified += 1
        return super().verify(hash, password)


@pytest.mark.parametrize("code", ["48", "48a1", "4821048210482", ""])
def test_a_malformed_code_is_wrong_without_hashing(code: str) -> None:
    counting = CountingHasher()
    stored = hash_code(counting, "4821")
    assert verify_code(counting, stored, code) is False
    assert counting.verified == 0


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("0000", "is too easy to guess (one digit repeated or a straight run); choose another"),
        ("77777777", "is too easy to guess (one digit repeated or a straight run); choose another"),
        ("1234", "is too easy to guess (one digit repeated or a straight run); choose another"),
        ("8901", "is too easy to guess (one digit repeated or a straight run); choose another"),
        ("4321", "is too easy to guess (one digit repeated or a straight run); choose another"),
        ("109876", "is too easy to guess (one digit repeated or a straight run); choose another"),
        ("012345678901", "is too easy to guess (one digit repeated or a straight run); choose another"),
        ("123", "must be 4 to 12 digits long"),
        ("12 34", "may only hold the digits 0 to 9"),
    ],
)
def test_hash_code_refuses_bad_and_guessable_codes(hasher: PasswordHasher, code: str, message: str) -> None:
    with pytest.raises(CodeError) as caught:
        hash_code(hasher, code)
    assert (caught.value.field, caught.value.message) == ("code", message)
    assert code not in caught.value.message


@pytest.mark.parametrize("code", ["1235", "1243", "9870", "0001"])
def test_near_runs_are_fine(hasher: PasswordHasher, code: str) -> None:
    assert verify_code(hasher, hash_code(hasher, code), code) is True


def test_the_transition_table_covers_every_status_and_answer() -> None:
    statuses = ("open", "last-chance", "locked", "lapsed")
    assert sorted(TRANSITIONS) == sorted((s, ok) for s in statuses for ok in (True, False))
    assert sorted(ADMITTING_EVENTS) == ["accepted", "unlocked-by-time"]


Step = tuple[timedelta, bool, str, Lockout]  # after T0, code right?, event, state after


def run(steps: list[Step], *, max_failures: int = 5) -> None:
    state = Lockout()
    for n, (after, ok, event, expected) in enumerate(steps):
        state, happened = attempt(state=state, ok=ok, at=T0 + after, max_failures=max_failures)
        assert (n, happened, state) == (n, event, expected)


MIN = timedelta(minutes=1)
ZERO = timedelta(0)


def test_locked_after_exactly_max_failures_and_refused_while_locked() -> None:
    run(
        [
            (ZERO, False, "rejected", Lockout(1)),
            (ZERO, False, "rejected", Lockout(2)),
            (ZERO, False, "rejected", Lockout(3)),
            (ZERO, False, "rejected", Lockout(4)),
            (ZERO, False, "locked", Lockout(5, LOCKED_AT_T0)),
            (MIN, True, "refused-while-locked", Lockout(5, LOCKED_AT_T0)),  # even the right code
            (14 * MIN, False, "refused-while-locked", Lockout(5, LOCKED_AT_T0)),  # does not extend the lock
            (15 * MIN, True, "unlocked-by-time", Lockout()),
        ]
    )


def test_after_the_lock_lapses_one_wrong_code_locks_again() -> None:
    run(
        [
            *[(ZERO, False, "rejected", Lockout(n)) for n in (1, 2)],
            (ZERO, False, "locked", Lockout(3, LOCKED_AT_T0)),
            (20 * MIN, False, "locked", Lockout(4, T0 + 35 * MIN)),
            (34 * MIN, True, "refused-while-locked", Lockout(4, T0 + 35 * MIN)),
            (36 * MIN, True, "unlocked-by-time", Lockout()),
            (37 * MIN, False, "rejected", Lockout(1)),
        ],
        max_failures=3,
    )


def test_a_right_code_resets_the_count() -> None:
    run(
        [
            (ZERO, False, "rejected", Lockout(1)),
            (ZERO, False, "rejected", Lockout(2)),
            (ZERO, True, "accepted", Lockout()),
            (ZERO, False, "rejected", Lockout(1)),
            (ZERO, False, "rejected", Lockout(2)),
            (ZERO, False, "locked", Lockout(3, LOCKED_AT_T0)),
        ],
        max_failures=3,
    )


def test_one_strike_and_the_lock_length() -> None:
    state, event = attempt(state=Lockout(), ok=False, at=T0, max_failures=1, lock_for=timedelta(hours=1))
    assert (state, event) == (Lockout(1, T0 + timedelta(hours=1)), "locked")
    assert attempt(state=Lockout(), ok=True, at=T0, max_failures=1) == (Lockout(), "accepted")


@pytest.mark.parametrize(
    ("at", "locked"),
    [
        (T0, True),
        (LOCKED_AT_T0 - timedelta(microseconds=1), True),
        (LOCKED_AT_T0, False),
        (T0 + 16 * MIN, False),
    ],
)
def test_is_locked(at: datetime, locked: bool) -> None:
    assert is_locked(Lockout(5, LOCKED_AT_T0), at) is locked
    assert is_locked(Lockout(4), at) is False


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_failures": 0}, "max_failures must be at least 1"),
        ({"lock_for": timedelta(0)}, "lock_for must be positive"),
        ({"at": datetime(2026, 3, 2, 12, 0)}, "naive datetime given; use an aware"),
    ],
)
def test_attempt_refuses_bad_arguments(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        attempt(**{"state": Lockout(), "ok": True, "at": T0, **kwargs})

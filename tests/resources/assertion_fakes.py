"""Stands in for the dispatcher's signed assertion in resource tests: the assertion header simply
names the caller, and the fake looks it up (an unknown name is an invalid assertion, 401)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from resources.kit.assertion import InvalidAssertion
from resources.kit.caller import Caller


class NamedVerifier:
    """`callers`: name → Caller (kept in `self.callers`, which a test may change: a user's next
    assertion), or a function looking one up (KeyError for an unknown name)."""

    def __init__(self, callers: Mapping[str, Caller] | Callable[[str], Caller]) -> None:
        self.callers: dict[str, Caller] = dict(callers) if isinstance(callers, Mapping) else {}
        self._lookup = self.callers.__getitem__ if isinstance(callers, Mapping) else callers

    def verify(self, token: str, *, now: float | None = None) -> Caller:
        try:
            return self._lookup(token)
        except KeyError:
            raise InvalidAssertion("unknown") from None

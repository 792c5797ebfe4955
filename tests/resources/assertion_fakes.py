"""Stands in for the dispatcher's signed assertion in resource tests: the assertion header simply
names the caller, and the fake looks it up (an unknown name is an invalid assertion, 401)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from resources.kit.assertion import InvalidAssertion
from resources.kit.caller import Caller, Principal


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


def caller_for(principal: Principal, resource: str, *, session: str | None = "sess-1") -> Caller:
    """What `resource` verifies for `principal` on the customer plane (its entitlements only)."""
    return Caller(
        subject=principal.user_id,
        username=principal.username,
        kind=principal.kind,
        plane="customer",
        org_id=principal.org_id,
        customer_id=principal.customer_id,
        reseller_chain=principal.reseller_chain,
        brand=principal.brand,
        entitlements=principal.for_resource(resource),
        session=session,
        request_id="req-1",
        jti="jti-1",
    )

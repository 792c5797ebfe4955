"""The one failure the dispatcher reports to the gateway."""

from __future__ import annotations


class ResourceUnavailable(Exception):
    """The resource failed before any response byte was sent (502 down/refused, 504 timeout)."""

    def __init__(self, resource: str, status: int, detail: str) -> None:
        super().__init__(f"{resource}: {status} {detail}")
        self.resource = resource
        self.status = status
        self.detail = detail


class PolicyDenied(PermissionError):
    """`forward`/`call` refused by the policy (the gateway should have decided before)."""

    def __init__(self, resource: str, reasons: tuple[str, ...]) -> None:
        super().__init__(f"{resource}: {'; '.join(reasons)}")
        self.resource = resource
        self.reasons = reasons

"""What the gateway needs from its neighbours, as Protocols (the dispatcher is wired by the CLI).

Coding against these keeps the gateway testable with small fakes at the boundary and free of
import cycles; `dispatcher.core.Dispatcher` satisfies `DispatcherPort` structurally.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from starlette.types import Receive, Scope, Send

from dispatcher.policy import Decision
from resources.kit.caller import Principal
from resources.kit.manifest import Manifest, Plane


class CallResultPort(Protocol):
    @property
    def status(self) -> int: ...

    @property
    def headers(self) -> Mapping[str, str]: ...

    @property
    def body(self) -> bytes: ...

    def json(self) -> Any: ...


class ForwardingPort(Protocol):
    @property
    def manifests(self) -> Mapping[str, Manifest]: ...

    def decide(
        self, *, principal: Principal | None, resource: str, method: str, path: str, plane: Plane = "customer"
    ) -> Decision: ...

    async def forward(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        *,
        resource: str,
        path: str,
        principal: Principal,
        plane: Plane,
        session_ref: str | None,
        request_id: str,
    ) -> None: ...


class DispatcherPort(ForwardingPort, Protocol):
    """Everything the gateway uses: forwarding plus lifecycle, service calls and health."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def call(
        self,
        *,
        resource: str,
        method: str,
        path: str,
        principal: Principal,
        plane: Plane = "service",
        json: Any = None,
        request_id: str | None = None,
    ) -> CallResultPort: ...

    async def health(self) -> dict[str, dict[str, Any]]: ...

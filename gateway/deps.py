"""The gateway's composed services (built once by `create_app`, kept on `app.state.deps`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from starlette.types import Scope

from gateway.auth import Authenticator
from gateway.brands import LiveBrands
from gateway.config import Config
from gateway.directory_client import DirectoryClient
from gateway.ports import DispatcherPort
from gateway.rendering import Renderer
from gateway.sessions import SessionManager
from gateway.throttle import LoginThrottle
from resources.kit.events import EventBus

if TYPE_CHECKING:
    from gateway.metrics import Metrics


@dataclass(frozen=True, kw_only=True)
class GatewayDeps:
    config: Config
    dispatcher: DispatcherPort
    brands: LiveBrands  # `.current` is the registry of this moment (swapped on publish)
    sessions: SessionManager
    throttle: LoginThrottle
    directory: DirectoryClient
    authenticator: Authenticator
    renderer: Renderer
    login_key: bytes  # HMAC key for the pre-session login CSRF token
    bus: EventBus | None = None
    metrics: Metrics | None = None


def deps_of(scope: Scope) -> GatewayDeps:
    deps = scope["app"].state.deps
    assert isinstance(deps, GatewayDeps)
    return deps

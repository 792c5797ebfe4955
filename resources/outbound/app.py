"""`create_app(settings)`: the outbound resource as an ASGI app.

Routes: `/healthz`, the pages (views.py), the JSON API (routes.py) and the outbound decision on the
network plane (network.py).
The lifespan owns the engine and runs the runtimes (runtime.py: the decision cache's bus
listeners, usage from traffic, the lines publisher, the tenancy replica); it runs no migrations
(`switchboard migrate` does)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.applications import Starlette

from resources.kit.app import context_lifespan, resource_app
from resources.kit.settings import ResourceSettings
from resources.outbound import network, routes, views
from resources.outbound.context import Context, open_context
from resources.outbound.openapi import CONTRACT
from resources.outbound.runtime import run_decider
from resources.outbound.settings import OutboundSettings

RESOURCE_DIR = Path(__file__).resolve().parent


def create_app(
    settings: ResourceSettings, *, verifier: Any = None, templates: Any = None, context: Context | None = None
) -> Starlette:
    """`verifier` (assertion checking) defaults to the dispatcher's JWKS at `settings.jwks_path`;
    `templates` to the branded ResourceTemplates; `context` (tests) replaces the lifespan's engine."""
    outbound = OutboundSettings.from_resource(settings)
    app = resource_app(
        settings=outbound,
        resource_dir=RESOURCE_DIR,
        routes=[*network.routes(), *routes.routes(), *views.routes()],  # the per-call path matches first
        lifespan=context_lifespan(
            open_context=lambda: open_context(outbound), runtimes=run_decider, context=context
        ),
        verifier=verifier,
        templates=templates,
        contract=CONTRACT,
    )
    if context is not None:
        app.state.ctx = context
    return app

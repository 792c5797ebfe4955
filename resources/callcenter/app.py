"""`create_app(settings)`: the callcenter resource as an ASGI app.

Routes: `/healthz`, the JSON API (routes.py), the pages (views.py) and the router on the network
plane (network.py).
The lifespan owns the engine and runs the router's bus listener (runtime.py); it runs no
migrations (`switchboard migrate` does)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.applications import Starlette

from resources.callcenter import network, routes, views
from resources.callcenter.context import Context, open_context
from resources.callcenter.openapi import CONTRACT
from resources.callcenter.runtime import run_router
from resources.callcenter.settings import CallcenterSettings
from resources.kit.app import context_lifespan, resource_app
from resources.kit.settings import ResourceSettings

RESOURCE_DIR = Path(__file__).resolve().parent


def create_app(
    settings: ResourceSettings, *, verifier: Any = None, templates: Any = None, context: Context | None = None
) -> Starlette:
    """`verifier` (assertion checking) defaults to the dispatcher's JWKS at `settings.jwks_path`;
    `templates` to the branded ResourceTemplates; `context` (tests) replaces the lifespan's engine."""
    callcenter = CallcenterSettings.from_resource(settings)
    app = resource_app(
        settings=callcenter,
        resource_dir=RESOURCE_DIR,
        routes=[*network.routes(), *routes.routes(), *views.routes()],  # the per-call path matches first
        lifespan=context_lifespan(
            open_context=lambda: open_context(callcenter), runtimes=run_router, context=context
        ),
        verifier=verifier,
        templates=templates,
        contract=CONTRACT,
    )
    if context is not None:
        app.state.ctx = context
    return app

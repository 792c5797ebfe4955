"""`create_app(settings)`: the events resource as an ASGI app.

Routes: `/healthz`, the pages (views.py) with the live websocket (live.py), the JSON API
(routes.py: TMF642 alarms, the feed, thresholds) and conditions on the network plane
(network.py). The lifespan owns the engine and runs the runtimes (runtime.py); it runs no
migrations (`switchboard migrate` does)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.applications import Starlette

from resources.events import live, network, routes, views
from resources.events.context import Context, open_context
from resources.events.openapi import CONTRACT
from resources.events.runtime import run_events
from resources.events.settings import EventsSettings
from resources.kit.app import context_lifespan, resource_app
from resources.kit.settings import ResourceSettings

RESOURCE_DIR = Path(__file__).resolve().parent


def create_app(
    settings: ResourceSettings,
    *,
    verifier: Any = None,
    templates: Any = None,
    context: Context | None = None,
    run_runtime: bool = True,
) -> Starlette:
    """`verifier` (assertion checking) defaults to the dispatcher's JWKS at `settings.jwks_path`;
    `templates` to the branded ResourceTemplates; `context` (tests) replaces the lifespan's engine."""
    events = EventsSettings.from_resource(settings)
    app = resource_app(
        settings=events,
        resource_dir=RESOURCE_DIR,
        routes=[*network.routes(), *routes.routes(), *live.routes(), *views.routes()],
        lifespan=context_lifespan(
            open_context=lambda: open_context(events),
            runtimes=run_events,
            context=context,
            run_runtime=run_runtime,
        ),
        verifier=verifier,
        templates=templates,
        contract=CONTRACT,
    )
    if context is not None:
        app.state.ctx = context
    return app

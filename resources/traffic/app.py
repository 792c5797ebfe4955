"""`create_app(settings)`: the traffic resource as an ASGI app.

Routes: `/healthz`, the network plane (network.py: call events and CDRs from the switch), the
live websocket (ws.py), the JSON API (routes.py) and the pages (views.py). The lifespan owns the
engine and runs ingest (writer, number replica, evapi clients, stale-call sweeper) and the live
side (backfill, bus follower, hub); it runs no migrations (`switchboard migrate` does)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from starlette.applications import Starlette

from resources.kit.app import context_lifespan, resource_app
from resources.kit.settings import ResourceSettings
from resources.traffic import network, routes, views, ws
from resources.traffic.context import Context, open_context
from resources.traffic.ingest import run_ingest
from resources.traffic.live_runtime import run_live
from resources.traffic.openapi import CONTRACT
from resources.traffic.settings import TrafficSettings

RESOURCE_DIR = Path(__file__).resolve().parent


@asynccontextmanager
async def run_runtimes(ctx: Context) -> AsyncIterator[None]:
    async with run_ingest(ctx), run_live(ctx):
        yield


def create_app(
    settings: ResourceSettings,
    *,
    verifier: Any = None,
    templates: Any = None,
    context: Context | None = None,
    run_runtime: bool = True,
) -> Starlette:
    """`verifier` (assertion checking) defaults to the dispatcher's JWKS at `settings.jwks_path`;
    `templates` to the branded ResourceTemplates; `context` (tests) replaces the lifespan's
    engine and context; `run_runtime=False` (tests) leaves ingest and live runtimes out."""
    traffic = TrafficSettings.from_resource(settings)

    lifespan = context_lifespan(
        open_context=lambda: open_context(traffic),
        runtimes=run_runtimes,
        context=context,
        run_runtime=run_runtime,
    )

    app = resource_app(
        settings=traffic,
        resource_dir=RESOURCE_DIR,
        # the switch's reports first: Starlette matches routes in order
        routes=[*network.routes(), *ws.routes(), *routes.routes(), *views.routes()],
        lifespan=lifespan,
        verifier=verifier,
        templates=templates,
        contract=CONTRACT,
    )
    if context is not None:
        app.state.ctx = context
    return app

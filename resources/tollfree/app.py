"""`create_app(settings)`: the toll-free resource as an ASGI app.

Routes: `/healthz`, the JSON API (routes.py), the pages (views.py) and the network plane
(network.py: the SCP's route queries). The lifespan owns the engine and runs the SCP runtime
(initial load, bus subscriber, scheduler, resync), publishes number assignments
(`assignments.py`) and keeps the directory's tenancy tree (`tenancy.py`, for number pools); it
runs no migrations (`switchboard migrate` does)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from starlette.applications import Starlette

from resources.kit.app import context_lifespan, resource_app
from resources.kit.settings import ResourceSettings
from resources.tollfree import network, routes, routes_audit, routes_pool, views, views_audit, views_pool
from resources.tollfree.assignments import run_numbers_publisher
from resources.tollfree.context import Context, open_context
from resources.tollfree.distributions import run_distributions_replica
from resources.tollfree.openapi import CONTRACT
from resources.tollfree.runtime import run_scp
from resources.tollfree.settings import TollfreeSettings
from resources.tollfree.tenancy import run_tenancy_replica

RESOURCE_DIR = Path(__file__).resolve().parent


@asynccontextmanager
async def run_runtimes(ctx: Context) -> AsyncIterator[None]:
    """The SCP's table, the number picture for other resources, the tenancy and distribution replicas."""
    async with (
        run_scp(ctx),
        run_numbers_publisher(ctx),
        run_tenancy_replica(ctx),
        run_distributions_replica(ctx),
    ):
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
    engine and context; `run_runtime=False` (tests) leaves the SCP runtime out of the lifespan."""
    tollfree = TollfreeSettings.from_resource(settings)

    lifespan = context_lifespan(
        open_context=lambda: open_context(tollfree),
        runtimes=run_runtimes,
        context=context,
        run_runtime=run_runtime,
    )

    app = resource_app(
        settings=tollfree,
        resource_dir=RESOURCE_DIR,
        # the switch's per-call query first: Starlette matches routes in order
        routes=[
            *network.routes(),
            *routes.routes(),
            *routes_pool.routes(),
            *routes_audit.routes(),
            *views.routes(),
            *views_pool.pool_routes(),
            *views_audit.audit_log_routes(),
        ],
        lifespan=lifespan,
        verifier=verifier,
        templates=templates,
        contract=CONTRACT,
    )
    if context is not None:
        app.state.ctx = context
    return app

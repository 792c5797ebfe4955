"""`create_app(settings)`: the directory as an ASGI app. The lifespan owns the engine; it runs
no migrations (`switchboard migrate` does) and publishes the tenancy tree (`tenancy_bus`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.applications import Starlette

from resources.directory import (
    routes,
    routes_brand,
    routes_orgs,
    routes_sso,
    views,
    views_brand,
    views_orgs,
    views_sso,
)
from resources.directory.context import Context, open_context
from resources.directory.openapi import CONTRACT
from resources.directory.settings import DirectorySettings
from resources.directory.tenancy_bus import run_tenancy_publisher
from resources.kit.app import context_lifespan, resource_app
from resources.kit.settings import ResourceSettings

RESOURCE_DIR = Path(__file__).resolve().parent


def create_app(
    settings: ResourceSettings,
    *,
    verifier: Any = None,
    templates: Any = None,
    context: Context | None = None,
) -> Starlette:
    """`verifier` (assertion checking) defaults to the dispatcher's JWKS at `settings.jwks_path`;
    `templates` to the branded ResourceTemplates; `context` (tests) replaces the lifespan's."""
    directory = DirectorySettings.from_resource(settings)

    lifespan = context_lifespan(
        open_context=lambda: open_context(directory), runtimes=run_tenancy_publisher, context=context
    )

    app = resource_app(
        settings=directory,
        resource_dir=RESOURCE_DIR,
        routes=[
            *routes.routes(),
            *routes_orgs.routes(),
            *views.routes(),
            *views_orgs.routes(),
            *routes_brand.routes(),
            *views_brand.routes(),
            *routes_sso.routes(),
            *views_sso.routes(),
        ],
        lifespan=lifespan,
        verifier=verifier,
        templates=templates,
        contract=CONTRACT,
    )
    if context is not None:
        app.state.ctx = context
    return app

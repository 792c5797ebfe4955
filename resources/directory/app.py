"""`create_app(settings)`: the directory as an ASGI app. The lifespan owns the engine; it runs
no migrations (`switchboard migrate` does)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from resources.directory import routes, views
from resources.directory.context import Context, open_context
from resources.directory.settings import DirectorySettings
from resources.kit.errors import install_error_handlers
from resources.kit.settings import ResourceSettings

RESOURCE_DIR = Path(__file__).resolve().parent


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


def create_app(
    settings: ResourceSettings,
    *,
    verifier: Any = None,
    templates: Any = None,
    context: Context | None = None,
) -> Starlette:
    """`verifier` (assertion checking) defaults to the dispatcher's JWKS at `settings.jwks_path`;
    `templates` to the branded ResourceTemplates; `context` (tests) replaces the lifespan's."""
    from resources.kit.middleware import AssertionMiddleware

    directory = DirectorySettings.from_resource(settings)
    if templates is None:
        from branding import BUILTIN_BRANDS_DIR, BrandRegistry
        from resources.kit.templating import ResourceTemplates

        dirs = [BUILTIN_BRANDS_DIR, *([directory.brands_dir] if directory.brands_dir else [])]
        templates = ResourceTemplates(RESOURCE_DIR, BrandRegistry.load(dirs))
    if verifier is None:
        from resources.kit.assertion import AssertionVerifier

        verifier = AssertionVerifier.from_file(
            directory.jwks_path, audience=directory.name, issuer=directory.issuer
        )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if context is not None:
            app.state.ctx = context
            yield
            return
        async with open_context(directory) as (ctx, engine):
            app.state.ctx, app.state.engine = ctx, engine
            yield

    app = Starlette(
        routes=[Route("/healthz", healthz, methods=["GET"]), *routes.routes(), *views.routes()],
        lifespan=lifespan,
    )
    app.state.templates = templates
    if context is not None:
        app.state.ctx = context
    install_error_handlers(app)
    app.add_middleware(AssertionMiddleware, verifier=verifier)
    return app

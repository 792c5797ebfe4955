"""What every resource's `create_app` assembles the same way: `/healthz`, branded templates, the
assertion check (default deny for everything else), problem-JSON errors."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import Lifespan

from resources.kit.errors import install_error_handlers
from resources.kit.settings import ResourceSettings

if TYPE_CHECKING:
    from resources.kit.openapi import Contract

C = TypeVar("C")


def context_lifespan(
    *,
    open_context: Callable[[], AbstractAsyncContextManager[tuple[C, Any]]],
    runtimes: Callable[[C], AbstractAsyncContextManager[None]],
    context: C | None = None,
    run_runtime: bool = True,
) -> Lifespan[Starlette]:
    """The lifespan every resource has: open its engine and Context (`app.state.ctx`,
    `app.state.engine`) and run its background runtimes while serving. `context` (tests) is used
    instead of opening one; `run_runtime=False` (tests) leaves the runtimes out."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if context is not None:
            app.state.ctx = context
            if run_runtime:
                async with runtimes(context):
                    yield
            else:
                yield
            return
        async with open_context() as (ctx, engine):
            app.state.ctx, app.state.engine = ctx, engine
            async with runtimes(ctx):
                yield

    return lifespan


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


def default_templates(settings: ResourceSettings, resource_dir: Path) -> Any:
    """The resource's `templates/` rendered per brand (built-ins plus the extra brand dir)."""
    from branding import BUILTIN_BRANDS_DIR, BrandRegistry
    from resources.kit.templating import ResourceTemplates

    dirs = [BUILTIN_BRANDS_DIR, *([settings.brands_dir] if settings.brands_dir else [])]
    return ResourceTemplates(resource_dir, BrandRegistry.load(dirs))


def default_verifier(settings: ResourceSettings) -> Any:
    """Checks the dispatcher's assertions against its JWKS file (re-read on rotation)."""
    from resources.kit.assertion import AssertionVerifier

    return AssertionVerifier.from_file(settings.jwks_path, audience=settings.name, issuer=settings.issuer)


def resource_app(
    *,
    settings: ResourceSettings,
    resource_dir: Path,
    routes: Sequence[BaseRoute],
    lifespan: Lifespan[Starlette],
    verifier: Any = None,
    templates: Any = None,
    contract: Contract | None = None,
) -> Starlette:
    """A resource's ASGI app: `routes` after `/healthz`, every request but `/healthz` verified
    (`verifier` defaults to the JWKS file, `templates` to the branded ResourceTemplates);
    `contract` (resources/<name>/openapi.py) adds the caller-filtered `openapi.json` routes."""
    from resources.kit.middleware import AssertionMiddleware

    spec_routes: list[BaseRoute] = []
    if contract is not None:
        from resources.kit.openapi import openapi_routes

        spec_routes = openapi_routes(contract)
    app = Starlette(
        routes=[Route("/healthz", healthz, methods=["GET"]), *spec_routes, *routes], lifespan=lifespan
    )
    app.state.templates = templates if templates is not None else default_templates(settings, resource_dir)
    install_error_handlers(app)
    app.add_middleware(
        AssertionMiddleware, verifier=verifier if verifier is not None else default_verifier(settings)
    )
    return app

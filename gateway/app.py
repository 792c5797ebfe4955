"""The customer-plane gateway application (composition only; the pieces live in their modules).

Middleware, outermost first: security headers + request id → metrics (optional) → session
loading → brand host rules → CSRF → routes (own pages, static, brand files, then
`/{resource}/…` forwarding).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import BaseLoader
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from branding import BUILTIN_BRANDS_DIR, BrandRegistry
from branding.web import create_brand_app
from gateway import apidocs, login, pages, sso_login
from gateway.auth import Authenticator, PasswordAuthenticator
from gateway.brands import LiveBrands
from gateway.config import Config
from gateway.csrf import CsrfMiddleware
from gateway.deps import GatewayDeps
from gateway.directory_client import CHANGED_TOPIC, DirectoryClient, PrincipalCache
from gateway.errors import error_page_for, error_response, on_http_exception
from gateway.headers import SecurityHeadersMiddleware
from gateway.hosts import BrandHostMiddleware
from gateway.identity import SessionMiddleware
from gateway.pages import STATIC_CACHE
from gateway.ports import DispatcherPort
from gateway.rendering import WEBUI_STATIC, Renderer
from gateway.routing import Forwarder, resource_root
from gateway.sessions import SessionManager, SessionStore
from gateway.throttle import LoginThrottle, MemoryThrottle, RedisThrottle
from resources.kit.events import EventBus
from resources.kit.versions import counter_for

if TYPE_CHECKING:
    from gateway.metrics import Metrics

log = logging.getLogger("gateway")

SECRET_FILE = "gateway-secret.key"  # noqa: S105 - a file name


def load_secret_key(certs_dir: Path) -> bytes:
    """32 random bytes kept in `<certs>/gateway-secret.key` (created 0600 on first use)."""
    path = certs_dir / SECRET_FILE
    if not path.exists():
        certs_dir.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(secrets.token_bytes(32))
    key = path.read_bytes()
    if len(key) < 32:
        raise ValueError(f"{path} must hold at least 32 bytes")
    return key


def default_session_store(config: Config) -> SessionStore:
    if config.redis_url:
        from gateway.session_redis import RedisSessionStore

        return RedisSessionStore.from_url(config.redis_url, absolute_seconds=config.session_absolute_seconds)
    from gateway.session_sql import SqlSessionStore
    from resources.kit.db import create_engine, create_sessionmaker
    from resources.kit.settings import ResourceSettings

    if config.database_url:
        url, schema = config.database_url, "gateway"
    else:
        config.data_dir.mkdir(parents=True, exist_ok=True)
        url, schema = ResourceSettings.sqlite_url(config.data_dir, "gateway"), None
    return SqlSessionStore(create_sessionmaker(create_engine(url=url, schema=schema)))


def default_throttle(config: Config) -> LoginThrottle:
    return RedisThrottle.from_url(config.redis_url) if config.redis_url else MemoryThrottle()


async def _watch_directory(bus: EventBus, cache: PrincipalCache) -> None:
    while True:
        try:
            async for event in bus.subscribe(CHANGED_TOPIC):
                cache.on_event(event.payload)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("directory.changed subscription failed; resubscribing")
            cache.invalidate(None)
            await asyncio.sleep(1.0)


class CachedStaticFiles(StaticFiles):
    """webui assets: cacheable for an hour (they are versioned with the release)."""

    def file_response(self, *args: Any, **kwargs: Any) -> Response:
        response = super().file_response(*args, **kwargs)
        response.headers["cache-control"] = STATIC_CACHE
        return response


def _routes(brands: LiveBrands) -> list[BaseRoute]:
    browser, api = Forwarder(api=False), Forwarder(api=True)
    return [
        *pages.routes(),
        *login.routes(),
        *sso_login.routes(),
        *apidocs.routes(),
        Mount("/static", app=CachedStaticFiles(directory=WEBUI_STATIC, check_dir=False), name="static"),
        Mount("/brand", app=create_brand_app(brands, assets=brands), name="brand"),
        Route("/api/{resource}/{rest:path}", api),
        WebSocketRoute("/{resource}/{rest:path}", browser),
        Route("/{resource}/{rest:path}", browser),
        Route("/{resource}", resource_root, methods=["GET", "HEAD"]),
    ]


def create_app(
    *,
    config: Config,
    dispatcher: DispatcherPort,
    bus: EventBus | None = None,
    brands: BrandRegistry | None = None,
    session_store: SessionStore | None = None,
    throttle: LoginThrottle | None = None,
    authenticator: Authenticator | None = None,
    secret_key: bytes | None = None,
    template_loaders: list[BaseLoader] | None = None,
    metrics: Metrics | None = None,
    cache: PrincipalCache | None = None,
    manage_dispatcher: bool = True,
) -> Starlette:
    """Build the gateway. Defaults come from `config` (SQL or Redis sessions, memory or Redis
    throttle, the built-in brands — overlaid with the directory's published ones while running —,
    `<certs>/gateway-secret.key`); tests pass their own."""
    live = LiveBrands(brands or BrandRegistry.load([BUILTIN_BRANDS_DIR]), dispatcher)
    directory = DirectoryClient(
        dispatcher, cache=cache or PrincipalCache(), counter=counter_for(bus) if bus is not None else None
    )
    store = session_store or default_session_store(config)
    sessions = SessionManager(
        store, idle_seconds=config.session_idle_seconds, absolute_seconds=config.session_absolute_seconds
    )
    deps = GatewayDeps(
        config=config,
        dispatcher=dispatcher,
        brands=live,
        sessions=sessions,
        throttle=throttle or default_throttle(config),
        directory=directory,
        authenticator=authenticator or PasswordAuthenticator(directory),
        renderer=Renderer(live, base_loaders=template_loaders),
        login_key=secret_key or load_secret_key(config.certs_dir),
        bus=bus,
        metrics=metrics,
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if manage_dispatcher:
            await dispatcher.start()
        watcher = asyncio.create_task(_watch_directory(bus, directory.cache)) if bus is not None else None
        brands_loaded = asyncio.Event()
        brand_follower = asyncio.create_task(live.run(bus, started=brands_loaded))
        await brands_loaded.wait()  # published brands before the first request
        try:
            yield
        finally:
            for task in (watcher, brand_follower):
                if task is not None:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
            if manage_dispatcher:
                await dispatcher.stop()
            await store.aclose()

    async def refuse(scope: Scope, reason: str) -> Response:
        log.info("csrf refused %s %s: %s", scope.get("method"), scope.get("path"), reason)
        return error_response(scope, 403)

    middleware = [Middleware(SecurityHeadersMiddleware, on_error=error_page_for)]
    if metrics is not None:
        from gateway.metrics import MetricsMiddleware

        middleware.append(Middleware(MetricsMiddleware, metrics=metrics, plane="customer"))
    middleware += [
        Middleware(SessionMiddleware, sessions=sessions),
        Middleware(BrandHostMiddleware),
        Middleware(CsrfMiddleware, refuse=refuse, own_token_paths=frozenset({"/login", "/login/sso"})),
    ]
    app = Starlette(
        routes=_routes(live),
        middleware=middleware,
        lifespan=lifespan,
        exception_handlers={HTTPException: on_http_exception},
    )
    app.state.deps = deps
    return app

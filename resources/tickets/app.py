"""`create_app(settings)`: the tickets resource as an ASGI app.

Routes: `/healthz`, the pages (views.py, views_chat.py), the JSON API (routes.py) and the chat's
websocket and script (chat_ws.py). The lifespan owns the
engine and runs the runtime (runtime.py: the tenancy replica); it runs no migrations
(`switchboard migrate` does)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.applications import Starlette

from resources.kit.app import context_lifespan, resource_app
from resources.kit.settings import ResourceSettings
from resources.tickets import chat_ws, routes, views, views_chat
from resources.tickets.context import Context, open_context
from resources.tickets.openapi import CONTRACT
from resources.tickets.runtime import run_tickets
from resources.tickets.settings import TicketsSettings

RESOURCE_DIR = Path(__file__).resolve().parent


def create_app(
    settings: ResourceSettings, *, verifier: Any = None, templates: Any = None, context: Context | None = None
) -> Starlette:
    """`verifier` (assertion checking) defaults to the dispatcher's JWKS at `settings.jwks_path`;
    `templates` to the branded ResourceTemplates; `context` (tests) replaces the lifespan's engine."""
    tickets = TicketsSettings.from_resource(settings)
    app = resource_app(
        settings=tickets,
        resource_dir=RESOURCE_DIR,
        routes=[*routes.routes(), *views.routes(), *views_chat.routes(), *chat_ws.routes()],
        lifespan=context_lifespan(
            open_context=lambda: open_context(tickets), runtimes=run_tickets, context=context
        ),
        verifier=verifier,
        templates=templates,
        contract=CONTRACT,
    )
    if context is not None:
        app.state.ctx = context
    return app

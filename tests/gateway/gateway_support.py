"""Fakes at the gateway's boundary: the dispatcher (with a tiny in-process resource) and the
directory's internal API behind it. Sessions use the real SQL store on a temp SQLite file."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from jinja2 import DictLoader
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from dispatcher.errors import ResourceUnavailable
from dispatcher.policy import Decision, decide
from gateway.app import create_app
from gateway.config import Config
from gateway.csrf import PRE_COOKIE, login_token
from gateway.session_sql import SqlSessionStore
from gateway.throttle import MemoryThrottle
from resources.kit.caller import Entitlement, Principal
from resources.kit.db import create_engine, create_sessionmaker
from resources.kit.events import InProcessBus
from resources.kit.manifest import Action, Manifest, NavEntry, Rule
from resources.kit.migrate import upgrade

MIGRATIONS = Path(__file__).resolve().parents[2] / "gateway" / "migrations"

BLOCK = "{% extends 'base.html' %}{% block content %}"
TEMPLATES = {
    "base.html": (
        "<title>{{ title }}</title>brand={{ brand.id }} user={{ user.username if user else '-' }} "
        "csrf={{ csrf_token }} rid={{ request_id }} "
        "nav={% for n in nav %}{{ n.title }}{% if n.active %}*{% endif %};{% endfor %}"
        "<main>{% block content %}{{ content }}{% endblock %}</main>"
    ),
    "login.html": BLOCK + "LOGIN error={{ error or '' }} username={{ username }} next={{ next }} "
    "token={{ csrf_token }}{% endblock %}",
    "login_mfa.html": BLOCK + "MFA error={{ error or '' }}{% endblock %}",
    "error.html": BLOCK + "ERROR {{ status }} {{ heading }}: {{ message }}{% endblock %}",
    "dashboard.html": BLOCK
    + "TILES {% for t in tiles %}{{ t.title }}={{ t.path }};{% endfor %}{% endblock %}",
    "account_sessions.html": BLOCK + "{% for s in sessions %}[{{ s.id_ref }} {{ s.ip }} "
    "{{ 'current' if s.current else 'other' }}]{% endfor %}{% endblock %}",
}


def principal(user_id: str, *actions: str, mfa: bool = False) -> Principal:
    return Principal(
        user_id=user_id,
        username=user_id,
        display_name=user_id.title(),
        kind="customer",
        org_id="c1",
        customer_id="c1",
        reseller_chain=(),
        brand="default",
        entitlements=tuple(Entitlement(action=a) for a in actions),
        mfa_enabled=mfa,
    )


@dataclass
class FakeDirectory:
    passwords: dict[str, tuple[str, str]] = field(default_factory=dict)  # username -> (password, user id)
    principals: dict[str, Principal] = field(default_factory=dict)
    locked: set[str] = field(default_factory=set)
    tokens: dict[str, tuple[str, str]] = field(default_factory=dict)  # raw token -> (token id, user id)
    mfa_code: str = "123456"
    audits: list[dict[str, Any]] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)

    def answer(self, path: str, body: Any) -> tuple[int, Any]:
        self.calls.append(path)
        if path == "/internal/authenticate":
            entry = self.passwords.get(body["username"])
            if entry is None or entry[0] != body["password"]:
                return 200, {"ok": False, "reason": "invalid"}
            if entry[1] in self.locked:
                return 200, {"ok": False, "reason": "locked"}
            return 200, {
                "ok": True,
                "user_id": entry[1],
                "mfa_required": self.principals[entry[1]].mfa_enabled,
            }
        if path == "/internal/mfa/verify":
            return 200, {"ok": body["code"] == self.mfa_code}
        if path.startswith("/internal/principals/"):
            found = self.principals.get(path.rsplit("/", 1)[1])
            return (404, {"title": "Not found"}) if found is None else (200, found.to_json())
        if path == "/internal/tokens/verify":
            hit = self.tokens.get(body["token"])
            if hit is None:
                return 200, {"ok": False}
            return 200, {"ok": True, "token_id": hit[0], "principal": self.principals[hit[1]].to_json()}
        if path == "/internal/audit":
            self.audits.append(body)
            return 204, None
        return 404, {"title": "Not found"}


@dataclass
class FakeResult:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        return json.loads(self.body)


async def _page(request: Request) -> Response:
    """A page; `?status=422` shows it as a form page with errors."""
    status = int(request.query_params.get("status", "200"))
    return HTMLResponse(
        "<p>numbers &amp; plans</p>", status_code=status, headers={"X-Switchboard-Page": "Toll%20free"}
    )


async def _echo(request: Request) -> Response:
    body = await request.body()
    return JSONResponse({"path": request.url.path, "body": body.decode("latin-1")})


def resource_app() -> Starlette:
    return Starlette(
        routes=[
            Route("/", _page),
            Route("/api/numbers", _echo, methods=["GET", "POST"]),
            Route("/plans", _echo, methods=["POST"]),
        ]
    )


TOLLFREE = Manifest(
    name="tollfree",
    title="Toll-free",
    create_app=lambda settings: resource_app(),
    actions=(
        Action(name="tollfree:view", description="See numbers"),
        Action(name="tollfree:edit", description="Edit plans"),
    ),
    rules=(
        Rule(method="GET", path="/", action="tollfree:view"),
        Rule(method="GET", path="/api/numbers", action="tollfree:view"),
        Rule(method="POST", path="/api/numbers", action="tollfree:edit"),
        Rule(method="POST", path="/plans", action="tollfree:edit"),
        Rule(method="GET", path="/internal/x", action="tollfree:view"),
    ),
    nav=(NavEntry(title="Numbers", path="/tollfree/", action="tollfree:view"),),
)


@dataclass
class FakeDispatcher:
    directory: FakeDirectory
    manifests: dict[str, Manifest] = field(default_factory=lambda: {"tollfree": TOLLFREE})
    app: Starlette = field(default_factory=resource_app)
    down: int | None = None
    forwarded: list[dict[str, Any]] = field(default_factory=list)
    started: int = 0
    stopped: int = 0

    def decide(
        self, *, principal: Principal | None, resource: str, method: str, path: str, plane: str = "customer"
    ) -> Decision:
        return decide(principal=principal, manifest=self.manifests[resource], method=method, path=path)

    async def start(self) -> None:
        self.started += 1

    async def stop(self) -> None:
        self.stopped += 1

    async def forward(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        *,
        resource: str,
        path: str,
        principal: Principal,
        plane: str,
        session_ref: str | None,
        request_id: str,
    ) -> None:
        self.forwarded.append(
            {
                "path": path,
                "user": principal.user_id,
                "sid": session_ref,
                "rid": request_id,
                "headers": list(scope["headers"]),
                "plane": plane,
            }
        )
        if self.down is not None:
            raise ResourceUnavailable(resource, self.down, "connection refused")
        inner = {**scope, "path": path, "raw_path": path.encode(), "root_path": ""}
        await self.app(inner, receive, send)

    async def call(
        self,
        *,
        resource: str,
        method: str,
        path: str,
        principal: Principal,
        plane: str = "service",
        json: Any = None,
        request_id: str | None = None,
    ) -> FakeResult:
        assert resource == "directory"
        assert plane == "service"
        assert principal.user_id == "service:gateway"
        status, data = self.directory.answer(path, json)
        return FakeResult(status, b"" if data is None else _json_bytes(data))

    async def health(self) -> dict[str, dict[str, Any]]:
        return {
            "tollfree": {"status": "down" if self.down else "ok", "ms": 1.5, "detail": "10.0.0.7 refused"}
        }


def _json_bytes(data: Any) -> bytes:
    return json.dumps(data).encode()


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Env:
    client: httpx.AsyncClient
    app: Starlette
    directory: FakeDirectory
    dispatcher: FakeDispatcher
    bus: InProcessBus
    throttle: MemoryThrottle

    async def login(
        self,
        username: str = "alice",
        password: str = "pw-alice",  # noqa: S107
        next_: str = "",
    ) -> httpx.Response:
        page = await self.client.get("/login")
        if page.status_code == 200:
            token = page.text.split("token=")[1].split("<")[0].split()[0]
        else:  # already signed in: the form is not shown, but the pre-session nonce is still valid
            token = login_token(b"k" * 32, self.client.cookies[PRE_COOKIE])
        data = {"username": username, "password": password, "csrf_token": token}
        if next_:
            data["next"] = next_
        return await self.client.post("/login", data=data)

    def csrf(self, page_text: str) -> str:
        return page_text.split("csrf=")[1].split()[0]


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqlSessionStore]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'gateway.db'}"
    await upgrade(migrations_dir=MIGRATIONS, url=url, schema=None, part="gateway")
    engine = create_engine(url=url, schema=None)
    yield SqlSessionStore(create_sessionmaker(engine))
    await engine.dispose()


@pytest.fixture
def directory() -> FakeDirectory:
    d = FakeDirectory()
    d.passwords = {"alice": ("pw-alice", "u-alice"), "bob": ("pw-bob", "u-bob")}
    d.principals = {
        "u-alice": principal("u-alice", "tollfree:view", "tollfree:edit"),
        "u-bob": principal("u-bob", "tollfree:view", mfa=True),
    }
    return d


@pytest.fixture
async def env(tmp_path: Path, store: SqlSessionStore, directory: FakeDirectory) -> AsyncIterator[Env]:
    dispatcher = FakeDispatcher(directory)
    bus = InProcessBus()
    throttle = MemoryThrottle(limit=3)
    app = create_app(
        config=Config(data_dir=tmp_path),
        dispatcher=dispatcher,
        bus=bus,
        session_store=store,
        throttle=throttle,
        secret_key=b"k" * 32,
        template_loaders=[DictLoader(TEMPLATES)],
    )
    transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 50000))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="https://localhost") as client,
    ):
        yield Env(client, app, directory, dispatcher, bus, throttle)

"""Brand hosts in the gateway: which brand a page wears, the host rules for signed-in users
(303 / 421, Bearer never redirected), login on the wrong host, and the live registry fed by the
directory's published brands and assets."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
from collections.abc import AsyncIterator, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from gateway_support import BLOCK, TEMPLATES, FakeDirectory, FakeDispatcher, FakeResult, principal
from jinja2 import DictLoader
from starlette.applications import Starlette

from branding import BUILTIN_BRANDS_DIR, BrandRegistry
from branding.web import SVG_CSP
from gateway.app import create_app
from gateway.brands import LiveBrands
from gateway.config import Config
from gateway.csrf import PRE_COOKIE
from gateway.session_sql import SqlSessionStore
from gateway.sessions import SESSION_COOKIE
from gateway.throttle import MemoryThrottle
from resources.kit.caller import Principal
from resources.kit.events import InProcessBus

SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16"><rect width="16" height="16"/></svg>'
SVG_SHA = hashlib.sha256(SVG).hexdigest()
MISDIRECTED = {
    "type": "about:blank",
    "title": "Misdirected request",
    "status": 421,
    "detail": "use https://acme.localhost:8443",
    "location": "https://acme.localhost:8443/",
}
HOST_TEMPLATES = {
    **TEMPLATES,
    "login.html": BLOCK
    + "LOGIN notice={{ notice or '' }} elsewhere={{ elsewhere or '' }} next={{ next }} token={{ csrf_token }}"
    + " {% endblock %}",
}


def branded(user_id: str, brand: str, *actions: str) -> Principal:
    return dataclasses.replace(principal(user_id, *actions), brand=brand)


@dataclass
class BrandDirectory(FakeDirectory):
    brands: list[dict[str, Any]] | None = field(default_factory=list)  # None: no brand API
    assets: dict[str, tuple[str, bytes]] = field(default_factory=dict)

    def answer(self, path: str, body: Any) -> tuple[int, Any]:
        if path == "/internal/brands":
            self.calls.append(path)
            return (404, {"title": "Not found"}) if self.brands is None else (200, {"brands": self.brands})
        return super().answer(path, body)


@dataclass
class BrandDispatcher(FakeDispatcher):
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
        directory = self.directory
        assert isinstance(directory, BrandDirectory)
        if path.startswith("/internal/brand-assets/"):
            directory.calls.append(path)
            hit = directory.assets.get(path.rsplit("/", 1)[1])
            return (
                FakeResult(404, b"{}") if hit is None else FakeResult(200, hit[1], {"Content-Type": hit[0]})
            )
        answer = await super().call(
            resource=resource, method=method, path=path, principal=principal, plane=plane, json=json
        )
        return FakeResult(answer.status, answer.body)


@dataclass
class Hosts:
    app: Starlette
    directory: BrandDirectory
    bus: InProcessBus
    local: httpx.AsyncClient  # https://localhost:8443
    acme: httpx.AsyncClient  # https://acme.localhost:8443
    zenith: httpx.AsyncClient  # https://zenith.localhost:8443 (a published brand's host)
    bare: httpx.AsyncClient  # https://localhost (no port in Host)


def zenith_record(version: int = 1, primary: str = "#0a2b4c") -> dict[str, Any]:
    return {
        "org_id": "zenith",
        "brand_id": "zenith",
        "parent_brand": "default",
        "version": version,
        "fields": {
            "name": "Zenith Networks",
            "hosts": ["zenith.localhost"],
            "colours": {"primary": primary},
            "logo_light": f"asset:{SVG_SHA}",
        },
    }


@pytest.fixture
def brand_directory() -> BrandDirectory:
    d = BrandDirectory()
    d.passwords = {
        "alice": ("pw-alice", "u-alice"),
        "rita": ("pw-rita", "u-rita"),
        "wes": ("pw-wes", "u-wes"),
    }
    d.principals = {
        "u-alice": branded("u-alice", "default", "tollfree:view", "tollfree:edit"),
        "u-rita": branded("u-rita", "acme", "tollfree:view", "tollfree:edit"),
        "u-wes": branded("u-wes", "acme-west", "tollfree:view"),  # a brand without hosts of its own
    }
    d.brands = [zenith_record(), {"org_id": "acme-west", "parent_brand": "acme", "version": 1, "fields": {}}]
    d.assets = {SVG_SHA: ("image/svg+xml", SVG)}
    return d


@pytest.fixture
async def hosts(
    tmp_path: Path, store: SqlSessionStore, brand_directory: BrandDirectory
) -> AsyncIterator[Hosts]:
    bus = InProcessBus()
    app = create_app(
        config=Config(data_dir=tmp_path),
        dispatcher=BrandDispatcher(brand_directory),
        bus=bus,
        session_store=store,
        throttle=MemoryThrottle(limit=50),
        secret_key=b"k" * 32,
        template_loaders=[DictLoader(HOST_TEMPLATES)],
    )
    transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 50000))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="https://localhost:8443") as local,
        httpx.AsyncClient(transport=transport, base_url="https://acme.localhost:8443") as acme,
        httpx.AsyncClient(transport=transport, base_url="https://zenith.localhost:8443") as zenith,
        httpx.AsyncClient(transport=transport, base_url="https://localhost") as bare,
    ):
        yield Hosts(app, brand_directory, bus, local, acme, zenith, bare)


async def login(client: httpx.AsyncClient, username: str, password: str, next_: str = "") -> httpx.Response:
    page = await client.get("/login")
    assert page.status_code == 200
    token = page.text.split("token=")[1].split()[0]
    data = {"username": username, "password": password, "csrf_token": token}
    if next_:
        data["next"] = next_
    return await client.post("/login", data=data)


async def settle() -> None:
    for _ in range(10):
        await asyncio.sleep(0)


async def move_alice_to_acme(h: Hosts) -> str:
    """alice signs in on localhost (her brand's host), then her org moves under acme: her session
    is now on the wrong host. Returns her CSRF token."""
    assert (await login(h.local, "alice", "pw-alice")).status_code == 303
    home = await h.local.get("/")
    assert home.status_code == 200
    csrf = home.text.split("csrf=")[1].split()[0]
    h.directory.principals["u-alice"] = branded("u-alice", "acme", "tollfree:view", "tollfree:edit")
    await h.bus.publish("directory.changed", {"user_ids": ["u-alice"]})
    await settle()
    return csrf


async def test_anonymous_pages_wear_the_host_brand(hosts: Hosts) -> None:
    for client, brand in ((hosts.local, "default"), (hosts.acme, "acme"), (hosts.zenith, "zenith")):
        page = await client.get("/login")
        assert page.status_code == 200
        assert f"brand={brand} user=-" in page.text
    unknown = await hosts.local.get("/login", headers={"Host": "elsewhere.example:8443"})
    assert "brand=default user=-" in unknown.text


async def test_login_on_the_wrong_host_creates_no_session(hosts: Hosts) -> None:
    r = await login(hosts.local, "rita", "pw-rita", next_="/tollfree/")
    # a page on this host linking to hers (CSP form-action 'self' blocks a cross-host redirect)
    assert r.status_code == 200
    assert "elsewhere=https://acme.localhost:8443/login?next=/tollfree/&amp;wrong_host=1 " in r.text
    assert SESSION_COOKIE not in r.headers.get("set-cookie", "")
    assert SESSION_COOKIE not in hosts.local.cookies
    assert (await hosts.local.get("/")).status_code == 303  # still not signed in here

    there = await hosts.acme.get("/login?next=/tollfree/&wrong_host=1")
    assert "LOGIN notice=Sign in at acme.localhost:8443 elsewhere= next=/tollfree/ " in there.text
    assert "LOGIN notice= elsewhere= next=/ " in (await hosts.acme.get("/login")).text
    ok = await login(hosts.acme, "rita", "pw-rita", next_="/tollfree/")
    assert ok.status_code == 303
    assert ok.headers["location"] == "/tollfree/"
    page = await hosts.acme.get("/tollfree/")
    assert page.status_code == 200
    assert "brand=acme user=u-rita" in page.text


async def test_wrong_host_login_without_port_keeps_none(hosts: Hosts) -> None:
    r = await login(hosts.bare, "rita", "pw-rita")
    assert "elsewhere=https://acme.localhost/login?next=/&amp;wrong_host=1 " in r.text


async def test_signed_in_page_on_wrong_host_is_redirected(hosts: Hosts) -> None:
    await move_alice_to_acme(hosts)
    r = await hosts.local.get("/tollfree/?page=2&q=a%20b")
    assert r.status_code == 303
    assert r.headers["location"] == "https://acme.localhost:8443/tollfree/?page=2&q=a%20b"
    home = await hosts.local.get("/")
    assert (home.status_code, home.headers["location"]) == (303, "https://acme.localhost:8443/")
    head = await hosts.local.head("/account/sessions")
    assert (head.status_code, head.headers["location"]) == (
        303,
        "https://acme.localhost:8443/account/sessions",
    )
    login_page = await hosts.local.get("/login")
    assert (login_page.status_code, login_page.headers["location"]) == (
        303,
        "https://acme.localhost:8443/login",
    )


async def test_other_methods_api_and_htmx_on_wrong_host_get_421(hosts: Hosts) -> None:
    csrf = await move_alice_to_acme(hosts)
    forwarded = len(hosts.app.state.deps.dispatcher.forwarded)
    post = await hosts.local.post(
        "/tollfree/plans", data={"csrf_token": csrf}, headers={"X-CSRF-Token": csrf}
    )
    assert post.status_code == 421
    assert post.headers["content-type"] == "application/problem+json"
    assert post.json() == MISDIRECTED
    api = await hosts.local.get("/api/tollfree/numbers")
    assert (api.status_code, api.json()) == (421, MISDIRECTED)
    htmx = await hosts.local.get("/tollfree/", headers={"HX-Request": "true"})
    assert (htmx.status_code, htmx.json()) == (421, MISDIRECTED)
    assert htmx.headers["hx-redirect"] == "https://acme.localhost:8443/"  # no current page named
    for current, there in (
        (
            "https://localhost:8443/tollfree/numbers/+18005550100?tab=plan",
            "/tollfree/numbers/+18005550100?tab=plan",
        ),
        ("//evil.example/x", "/x"),  # only ever a path on the brand's own origin
        ("https://localhost:8443/a\\b", "/"),
        ("not a url", "/"),
    ):
        htmx = await hosts.local.post(
            "/tollfree/plans", headers={"HX-Request": "true", "HX-Current-URL": current, "X-CSRF-Token": csrf}
        )
        assert (htmx.status_code, htmx.headers["hx-redirect"]) == (421, "https://acme.localhost:8443" + there)
    assert ("hx-redirect" in post.headers, "hx-redirect" in api.headers) == (False, False)
    assert len(hosts.app.state.deps.dispatcher.forwarded) == forwarded  # nothing reached a resource


async def test_exempt_paths_on_wrong_host(hosts: Hosts) -> None:
    csrf = await move_alice_to_acme(hosts)
    assert (await hosts.local.get("/static/portal.css")).status_code == 200
    assert (await hosts.local.get("/brand/acme/brand.css")).status_code == 200
    assert (await hosts.local.get("/healthz")).status_code == 200
    out = await hosts.local.post("/logout", data={"csrf_token": csrf})
    assert (out.status_code, out.headers["location"]) == (303, "/login")
    assert (await hosts.local.get("/tollfree/")).headers["location"] == "/login?next=/tollfree/"


async def test_bearer_api_is_never_redirected(hosts: Hosts) -> None:
    hosts.directory.tokens["sbt_rita"] = ("t1", "u-rita")
    r = await hosts.local.get("/api/tollfree/numbers", headers={"Authorization": "Bearer sbt_rita"})
    assert r.status_code == 200
    assert r.json()["path"] == "/api/numbers"
    # even with a wrong-host session cookie alongside, the token alone decides
    await move_alice_to_acme(hosts)
    r = await hosts.local.get("/api/tollfree/numbers", headers={"Authorization": "Bearer sbt_rita"})
    assert r.status_code == 200


async def test_brand_without_own_host_is_served_anywhere(hosts: Hosts) -> None:
    assert (await login(hosts.local, "wes", "pw-wes")).status_code == 303
    page = await hosts.local.get("/tollfree/")
    assert page.status_code == 200
    assert "brand=acme-west user=u-wes" in page.text


async def _websocket(app: Starlette, cookie: str, *, extension: bool) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []
    scope: dict[str, Any] = {
        "type": "websocket",
        "asgi": {"version": "3.0"},
        "scheme": "wss",
        "path": "/tollfree/live",
        "raw_path": b"/tollfree/live",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"localhost:8443"),
            (b"origin", b"https://localhost:8443"),
            (b"cookie", f"{SESSION_COOKIE}={cookie}".encode()),
        ],
        "client": ("203.0.113.9", 50000),
        "server": ("localhost", 8443),
        "subprotocols": [],
        "extensions": {"websocket.http.response": {}} if extension else {},
    }

    async def receive() -> dict[str, Any]:
        return {"type": "websocket.connect"}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(dict(message))

    await app(scope, receive, send)
    return sent


async def test_websocket_on_wrong_host_gets_421(hosts: Hosts) -> None:
    await move_alice_to_acme(hosts)
    cookie = hosts.local.cookies[SESSION_COOKIE]
    sent = await _websocket(hosts.app, cookie, extension=True)
    assert [m["type"] for m in sent] == ["websocket.http.response.start", "websocket.http.response.body"]
    assert sent[0]["status"] == 421
    assert (b"content-type", b"application/problem+json") in sent[0]["headers"]
    assert json.loads(sent[1]["body"]) == MISDIRECTED
    assert await _websocket(hosts.app, cookie, extension=False) == [{"type": "websocket.close", "code": 1008}]


async def test_published_brands_asset_fetched_once_with_svg_policy(hosts: Hosts) -> None:
    css = await hosts.zenith.get("/brand/zenith/brand.css")
    assert css.status_code == 200
    assert "--brand-primary:#0a2b4c;" in css.text
    assert css.headers["cache-control"] == "public, max-age=300"
    for _ in range(2):
        logo = await hosts.zenith.get(f"/brand/zenith/assets/{SVG_SHA}")
        assert logo.status_code == 200
        assert logo.content == SVG
        assert logo.headers["content-security-policy"] == SVG_CSP  # kept by the gateway's headers
        assert logo.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert logo.headers["x-content-type-options"] == "nosniff"
    assert hosts.directory.calls.count(f"/internal/brand-assets/{SVG_SHA}") == 1
    assert (await hosts.zenith.get(f"/brand/acme/assets/{SVG_SHA}")).status_code == 404
    page = await hosts.zenith.get("/login")
    assert page.headers["content-security-policy"].startswith("default-src 'self';")


async def test_brands_changed_event_swaps_the_registry(hosts: Hosts) -> None:
    before = hosts.directory.calls.count("/internal/brands")
    hosts.directory.brands = [zenith_record(version=2, primary="#112233")]
    await hosts.bus.publish("directory.brands-changed", {"org_id": "zenith"})
    await settle()
    assert hosts.directory.calls.count("/internal/brands") == before + 1
    css = await hosts.zenith.get("/brand/zenith/brand.css")
    assert "--brand-primary:#112233;" in css.text
    assert hosts.app.state.deps.brands.current.get("zenith").version == 2
    assert "acme-west" not in hosts.app.state.deps.brands.current  # unpublished records are gone
    assert (await hosts.local.get("/brand/acme-west/brand.css")).status_code == 404


async def test_directory_without_brand_api_keeps_file_brands(
    tmp_path: Path, store: SqlSessionStore, brand_directory: BrandDirectory
) -> None:
    brand_directory.brands = None
    files = BrandRegistry.load([BUILTIN_BRANDS_DIR])
    live = LiveBrands(files, BrandDispatcher(brand_directory))
    assert await live.refresh() is False
    assert live.current is files
    assert brand_directory.calls == ["/internal/brands"]


async def test_refresh_swaps_only_on_change_and_runs_periodically(brand_directory: BrandDirectory) -> None:
    files = BrandRegistry.load([BUILTIN_BRANDS_DIR])
    live = LiveBrands(files, BrandDispatcher(brand_directory))
    assert await live.refresh() is True
    first = live.current
    assert first.get("zenith").name == "Zenith Networks"
    assert await live.refresh() is False
    assert live.current is first
    task = asyncio.create_task(live.run(None, interval=0.01))
    brand_directory.brands = [zenith_record(version=3)]
    for _ in range(100):
        await asyncio.sleep(0.01)
        if live.current is not first:
            break
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert live.current.get("zenith").version == 3
    assert "acme-west" not in live.current


async def test_refresh_failure_keeps_current(
    brand_directory: BrandDirectory, caplog: pytest.LogCaptureFixture
) -> None:
    files = BrandRegistry.load([BUILTIN_BRANDS_DIR])
    live = LiveBrands(files, BrandDispatcher(brand_directory))
    await live.refresh()
    current = live.current
    brand_directory.brands = "nonsense"  # type: ignore[assignment]
    assert await live.refresh_quietly() is False
    assert live.current is current
    assert caplog.messages[-1] == (
        "brand refresh failed; keeping the current brands: GET /internal/brands: 'brands' must be a list"
    )


async def test_pre_session_cookie_is_host_only(hosts: Hosts) -> None:
    page = await hosts.acme.get("/login")
    cookie = next(v for k, v in page.headers.multi_items() if k == "set-cookie" and PRE_COOKIE in v)
    assert "Domain" not in cookie

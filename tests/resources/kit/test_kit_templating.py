from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from branding import BUILTIN_BRANDS_DIR, BrandRegistry
from resources.kit.caller import Caller
from resources.kit.templating import PAGE_HEADER, ResourceTemplates, page_title_header


def caller(brand: str, chain: tuple[str, ...] = ()) -> Caller:
    return Caller(
        subject="u-1",
        username="alice@globex",
        kind="customer",
        plane="customer",
        org_id="globex",
        customer_id="globex",
        reseller_chain=chain,
        brand=brand,
        entitlements=(),
        session=None,
        request_id="r-1",
        jti="j",
    )


@pytest.fixture
def resource_dir(tmp_path: Path) -> Path:
    root = tmp_path / "res"
    (root / "templates" / "res").mkdir(parents=True)
    (root / "templates" / "res" / "page.html").write_text(
        '{% import "macros/forms.html" as f %}<h1>{{ title }}</h1><p>{{ brand.name }} / {{ caller.username }}'
        ' / {{ item }}</p>{{ f.error(err, "e1") }}'
    )
    (root / "templates" / "res" / "plain.html").write_text("plain {{ caller is none }} {{ brand.id }}")
    return root


@pytest.fixture
def brands_with_override(tmp_path: Path) -> BrandRegistry:
    brand_root = tmp_path / "brands" / "kid"
    (brand_root / "templates" / "res").mkdir(parents=True)
    (brand_root / "brand.toml").write_text('name = "Kid"\n')
    (brand_root / "templates" / "res" / "page.html").write_text('KID[{% include "default:res/page.html" %}]')
    return BrandRegistry.load([BUILTIN_BRANDS_DIR, tmp_path / "brands"])


def app_for(templates: ResourceTemplates, brand: str | None, chain: tuple[str, ...] = ()) -> ASGIApp:
    async def page(request: Request) -> Response:
        return templates.render(
            request,
            "res/page.html",
            {"item": "<b>", "err": "Bad value"},
            title="Users & roles / ü",
            status=201,
            headers={"Cache-Control": "no-store"},
        )

    async def plain(request: Request) -> Response:
        return templates.render(request, "res/plain.html", {})

    inner = Starlette(routes=[Route("/page", page), Route("/plain", plain)])

    async def with_caller(scope: Scope, receive: Receive, send: Send) -> None:
        if brand is not None:
            scope.setdefault("state", {})["caller"] = caller(brand, chain)
        await inner(scope, receive, send)

    return with_caller


async def get(app: ASGIApp, path: str) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://r") as client:
        return await client.get(path)


async def test_render_with_title_header_and_macros(resource_dir: Path) -> None:
    templates = ResourceTemplates(resource_dir, BrandRegistry.load([BUILTIN_BRANDS_DIR]))
    r = await get(app_for(templates, "acme"), "/page")
    assert r.status_code == 201
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert r.headers["cache-control"] == "no-store"
    assert r.headers[PAGE_HEADER] == "Users%20%26%20roles%20%2F%20%C3%BC"
    assert unquote(r.headers[PAGE_HEADER]) == "Users & roles / ü"
    assert r.text == (
        "<h1>Users &amp; roles / ü</h1><p>Acme Telecom / alice@globex / &lt;b&gt;</p>"
        '<p class="field-error" id="e1">Bad value</p>'
    )


async def test_no_title_no_header_and_default_brand_without_caller(resource_dir: Path) -> None:
    templates = ResourceTemplates(resource_dir, BrandRegistry.load([BUILTIN_BRANDS_DIR]))
    r = await get(app_for(templates, None), "/plain")
    assert r.status_code == 200
    assert PAGE_HEADER.lower() not in r.headers
    assert r.text == "plain True default"
    r = await get(app_for(templates, "no-such-brand"), "/plain")
    assert r.text == "plain False default"


async def test_brand_override_of_resource_template(
    resource_dir: Path, brands_with_override: BrandRegistry
) -> None:
    templates = ResourceTemplates(resource_dir, brands_with_override)
    kid = await get(app_for(templates, "kid"), "/page")
    assert kid.text.startswith("KID[<h1>Users &amp; roles / ü</h1><p>Kid / alice@globex")
    assert kid.text.endswith("]")
    acme = await get(app_for(templates, "acme"), "/page")
    assert acme.text.startswith("<h1>")
    assert templates.environment("kid") is templates.environment("kid")  # cached per brand
    assert templates.environment("kid") is not templates.environment("acme")


def test_page_title_header() -> None:
    assert page_title_header("Users") == "Users"
    assert page_title_header("Numbers: 0800 → routing") == "Numbers%3A%200800%20%E2%86%92%20routing"


async def test_a_brand_without_files_renders_with_the_nearest_reseller_brand_that_has_them(
    resource_dir: Path,
) -> None:
    """acme-west's brand was published in the portal (no files): its customers' content uses
    acme's (the reseller above), never the provider's; with no file brand in the chain, the
    default."""
    templates = ResourceTemplates(resource_dir, BrandRegistry.load([BUILTIN_BRANDS_DIR]))
    r = await get(app_for(templates, "acme-west", ("acme", "acme-west")), "/plain")
    assert r.text == "plain False acme"
    r = await get(app_for(templates, "zenith", ("zenith",)), "/plain")
    assert r.text == "plain False default"
    r = await get(app_for(templates, "acme", ("zenith", "acme")), "/plain")
    assert r.text == "plain False acme"

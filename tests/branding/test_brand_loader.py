from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from jinja2 import DictLoader, Environment, TemplateNotFound

from branding import BUILTIN_BRANDS_DIR, BrandRegistry, brand_css, jinja_loader
from branding.web import create_brand_app


@pytest.fixture
def registry(tmp_path: Path) -> BrandRegistry:
    """Built-in brands plus `kid` (parent acme) with its own template overrides."""
    kid = tmp_path / "kid"
    (kid / "templates").mkdir(parents=True)
    (kid / "brand.toml").write_text('name = "Kid"\nparent = "acme"\n')
    (kid / "templates" / "page.html").write_text('kid page {% include "default:page.html" %}')
    (kid / "templates" / "base.html").write_text(
        '{% extends "default:base.html" %}{% block name %}KID {{ super() }}{% endblock %}'
    )
    return BrandRegistry.load([BUILTIN_BRANDS_DIR, tmp_path])


BASE = DictLoader(
    {
        "page.html": "base page",
        "base.html": "[{% block name %}base{% endblock %}]",
        "only-base.html": "only base",
        "partials/footer.html": "base footer",
    }
)


def render(registry: BrandRegistry, brand_id: str, name: str) -> str:
    env = Environment(loader=jinja_loader(registry, brand_id, [BASE]), autoescape=True)
    return env.get_template(name).render(brand=registry.get(brand_id))


def test_brand_override_wins_and_default_prefix_bypasses(registry: BrandRegistry) -> None:
    assert render(registry, "kid", "page.html") == "kid page base page"
    assert render(registry, "kid", "default:page.html") == "base page"
    assert render(registry, "kid", "base.html") == "[KID base]"
    assert render(registry, "kid", "only-base.html") == "only base"
    assert render(registry, "default", "page.html") == "base page"
    assert render(registry, "default", "base.html") == "[base]"


def test_parent_brand_templates_are_inherited(registry: BrandRegistry) -> None:
    # acme overrides partials/footer.html; kid (child of acme) gets acme's; default gets the base one.
    assert "Acme Telecom Portal — your Acme Telecom business services" in render(
        registry, "kid", "partials/footer.html"
    )
    assert "Acme Telecom Portal" in render(registry, "acme", "partials/footer.html")
    assert render(registry, "default", "partials/footer.html") == "base footer"
    assert render(registry, "acme", "default:partials/footer.html") == "base footer"


def test_missing_template(registry: BrandRegistry) -> None:
    env = Environment(loader=jinja_loader(registry, "kid", [BASE]), autoescape=True)
    with pytest.raises(TemplateNotFound):
        env.get_template("nope.html")
    with pytest.raises(TemplateNotFound):
        env.get_template("default:nope.html")


async def test_brand_app_serves_css_and_static(registry: BrandRegistry) -> None:
    app = create_brand_app(registry)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="https://t") as client:
        r = await client.get("/acme/brand.css")
        assert r.status_code == 200
        assert r.headers["content-type"] == "text/css; charset=utf-8"
        assert r.text == brand_css(registry.get("acme"))
        r2 = await client.get("/acme/brand.css", headers={"If-None-Match": r.headers["etag"]})
        assert r2.status_code == 304
        assert (await client.get("/nope/brand.css")).status_code == 404

        logo = await client.get("/kid/static/logo.svg")  # inherited from acme
        assert logo.status_code == 200
        assert logo.headers["content-type"] == "image/svg+xml"
        assert logo.content == (BUILTIN_BRANDS_DIR / "acme" / "static" / "logo.svg").read_bytes()
        assert (await client.get("/acme/static/..%2Fbrand.toml")).status_code == 404
        assert (await client.get("/acme/static/missing.svg")).status_code == 404

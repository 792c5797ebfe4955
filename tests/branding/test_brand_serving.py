"""`branding.web`: brand.css, built-in static files and uploaded assets, with their cache and
security headers."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator

import httpx
import pytest

from branding import BUILTIN_BRANDS_DIR, BrandRegistry, PublishedBrand, brand_css
from branding.web import BrandAsset, create_brand_app

SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16"><rect width="16" height="16"/></svg>'
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
SVG_SHA = hashlib.sha256(SVG).hexdigest()
PNG_SHA = hashlib.sha256(PNG).hexdigest()
BAD_SHA = "d" * 64  # the source answers bytes that do not hash to this
UNREFERENCED = "e" * 64


class Assets:
    def __init__(self) -> None:
        self.asked: list[str] = []
        self.store = {
            SVG_SHA: BrandAsset("image/svg+xml", SVG),
            PNG_SHA: BrandAsset("image/png", PNG),
            BAD_SHA: BrandAsset("image/png", PNG),
            UNREFERENCED: BrandAsset("image/png", PNG),
        }

    async def asset(self, sha256: str) -> BrandAsset | None:
        self.asked.append(sha256)
        return self.store.get(sha256)


@pytest.fixture
def registry() -> BrandRegistry:
    return BrandRegistry.load([BUILTIN_BRANDS_DIR]).with_published(
        [
            PublishedBrand(
                org_id="zenith",
                parent_brand="default",
                version=1,
                fields={"name": "Zenith", "logo_light": f"asset:{SVG_SHA}", "favicon": f"asset:{PNG_SHA}"},
            ),
            PublishedBrand(
                org_id="broken", parent_brand="default", version=1, fields={"logo_light": f"asset:{BAD_SHA}"}
            ),
        ]
    )


@pytest.fixture
def assets() -> Assets:
    return Assets()


@pytest.fixture
async def client(registry: BrandRegistry, assets: Assets) -> AsyncIterator[httpx.AsyncClient]:
    app = create_brand_app(lambda: registry, assets=assets)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="https://t") as c:
        yield c


async def test_brand_css_etag_and_short_cache(client: httpx.AsyncClient, registry: BrandRegistry) -> None:
    r = await client.get("/zenith/brand.css")
    assert r.status_code == 200
    assert r.text == brand_css(registry.get("zenith"))
    assert r.headers["cache-control"] == "public, max-age=300"
    etag = '"' + hashlib.sha256(r.text.encode()).hexdigest()[:16] + '"'
    assert r.headers["etag"] == etag
    again = await client.get("/zenith/brand.css", headers={"If-None-Match": f'"other", W/{etag}'})
    assert (again.status_code, again.content, again.headers["etag"]) == (304, b"", etag)
    assert (await client.get("/nope/brand.css")).status_code == 404


async def test_static_files_cache_and_svg_headers(client: httpx.AsyncClient) -> None:
    r = await client.get("/zenith/static/logo-dark.svg")  # inherited from default's static dir
    assert r.status_code == 200
    assert r.content == (BUILTIN_BRANDS_DIR / "default/static/logo-dark.svg").read_bytes()
    assert r.headers["cache-control"] == "public, max-age=3600"
    assert r.headers["content-security-policy"] == "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert (await client.get("/zenith/static/..%2F..%2Facme%2Fbrand.toml")).status_code == 404


async def test_uploaded_svg_asset(client: httpx.AsyncClient, assets: Assets) -> None:
    r = await client.get(f"/zenith/assets/{SVG_SHA}")
    assert r.status_code == 200
    assert r.content == SVG
    assert r.headers["content-type"] == "image/svg+xml"
    assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert r.headers["etag"] == f'"{SVG_SHA}"'
    assert r.headers["content-security-policy"] == "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    assert r.headers["x-content-type-options"] == "nosniff"
    cached = await client.get(f"/zenith/assets/{SVG_SHA}", headers={"If-None-Match": f'"{SVG_SHA}"'})
    assert cached.status_code == 304
    assert assets.asked == [SVG_SHA]  # a revalidation never reaches the source


async def test_uploaded_png_asset_has_no_svg_policy(client: httpx.AsyncClient) -> None:
    r = await client.get(f"/zenith/assets/{PNG_SHA}")
    assert r.status_code == 200
    assert r.headers["content-type"] == "image/png"
    assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert "content-security-policy" not in r.headers


async def test_assets_only_those_the_brand_shows(client: httpx.AsyncClient, assets: Assets) -> None:
    assert (await client.get(f"/zenith/assets/{UNREFERENCED}")).status_code == 404
    assert (await client.get(f"/acme/assets/{SVG_SHA}")).status_code == 404  # another brand's
    assert (await client.get(f"/nope/assets/{SVG_SHA}")).status_code == 404
    assert (await client.get(f"/zenith/assets/{SVG_SHA.upper()}")).status_code == 404
    assert (await client.get("/zenith/assets/abc")).status_code == 404
    assert assets.asked == []


async def test_asset_that_does_not_match_its_hash_is_refused(client: httpx.AsyncClient) -> None:
    r = await client.get(f"/broken/assets/{BAD_SHA}")
    assert r.status_code == 502
    assert r.text == "brand asset unavailable\n"


async def test_asset_missing_or_source_failing(registry: BrandRegistry) -> None:
    class Failing:
        async def asset(self, sha256: str) -> BrandAsset | None:
            raise RuntimeError("directory down")

    class Empty:
        async def asset(self, sha256: str) -> BrandAsset | None:
            return None

    for source, status in ((Failing(), 502), (Empty(), 404), (None, 404)):
        app = create_brand_app(registry, assets=source)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="https://t") as c:
            assert (await c.get(f"/zenith/assets/{SVG_SHA}")).status_code == status


async def test_registry_source_is_read_per_request() -> None:
    files = BrandRegistry.load([BUILTIN_BRANDS_DIR])
    current = [files]
    app = create_brand_app(lambda: current[0])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="https://t") as c:
        assert (await c.get("/zenith/brand.css")).status_code == 404
        current[0] = files.with_published(
            [
                PublishedBrand(
                    org_id="zenith",
                    parent_brand="default",
                    version=1,
                    fields={"colours": {"primary": "#010203"}},
                )
            ]
        )
        r = await c.get("/zenith/brand.css")
        assert r.status_code == 200
        assert "--brand-primary:#010203;" in r.text

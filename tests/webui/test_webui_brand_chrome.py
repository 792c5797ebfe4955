"""base.html's brand chrome: favicon, light/dark logo `<picture>`, support contacts, legal footer."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from markupsafe import Markup

from branding import BUILTIN_BRANDS_DIR, BrandRegistry, PublishedBrand
from webui.shell import ShellTemplates

SHA = "f" * 64


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def find(self, tag: str) -> list[dict[str, str | None]]:
        return [a for t, a in self.tags if t == tag]


@pytest.fixture(scope="module")
def registry() -> BrandRegistry:
    return BrandRegistry.load([BUILTIN_BRANDS_DIR]).with_published(
        [
            PublishedBrand(
                org_id="zenith",
                parent_brand="default",
                version=1,
                fields={
                    "name": "Zenith",
                    "logo_light": f"asset:{SHA}",
                    "legal_footer": "Zenith <GmbH> & Co.\nBerlin",
                    "support_email": "help@zenith.example",
                    "support_url": "https://help.zenith.example/?a=1&b=2",
                },
            )
        ]
    )


def render(registry: BrandRegistry, brand: str) -> tuple[str, Tags]:
    html = ShellTemplates(registry).render(
        "base.html",
        brand=registry.get(brand),
        user=None,
        nav=[],
        csrf_token="t",
        title="X",
        request_id="r1",
        content=Markup("<p>x</p>"),
    )
    tags = Tags()
    tags.feed(html)
    return html, tags


def test_default_brand_chrome(registry: BrandRegistry) -> None:
    html, tags = render(registry, "default")
    assert [a for a in tags.find("link") if a.get("rel") == "icon"] == [
        {"rel": "icon", "href": "/brand/default/static/favicon.svg", "type": "image/svg+xml"}
    ]
    assert tags.find("source") == [
        {"srcset": "/brand/default/static/logo-dark.svg", "media": "(prefers-color-scheme: dark)"}
    ]
    assert tags.find("img") == [
        {
            "class": "brand__logo",
            "src": "/brand/default/static/logo.svg",
            "alt": "",
            "width": "32",
            "height": "32",
        }
    ]
    assert tags.find("picture") == [{"class": "brand__picture"}]
    links = [a["href"] for a in tags.find("a")]
    assert "mailto:support@switchboard.example" in links
    assert "https://support.switchboard.example/" in links
    assert not [h for h in links if h and h.startswith("tel:")]
    assert '<p class="site-footer__legal">© Switchboard Communications Ltd. All rights reserved.</p>' in html


def test_acme_brand_chrome(registry: BrandRegistry) -> None:
    html, tags = render(registry, "acme")
    assert [a for a in tags.find("link") if a.get("rel") == "icon"] == [
        {"rel": "icon", "href": "/brand/acme/static/logo.svg", "type": "image/svg+xml"}
    ]
    assert tags.find("source") == []  # no dark logo of its own, and none inherited
    assert '<a href="tel:+18005550199">+1 800 555 0199</a>' in html
    assert '<a href="https://help.acme-telecom.example/" rel="noopener noreferrer">Help centre</a>' in html
    assert "your Acme Telecom business services" in html
    assert "© Acme Telecom Inc." in html
    assert "Switchboard" not in html


def test_published_brand_chrome_is_escaped(registry: BrandRegistry) -> None:
    html, tags = render(registry, "zenith")
    assert tags.find("img")[0]["src"] == f"/brand/zenith/assets/{SHA}"
    # no favicon of its own: the light logo stands in (default's favicon does not leak)
    assert [a for a in tags.find("link") if a.get("rel") == "icon"] == [
        {"rel": "icon", "href": f"/brand/zenith/assets/{SHA}"}
    ]
    assert '<p class="site-footer__legal">Zenith &lt;GmbH&gt; &amp; Co.\nBerlin</p>' in html
    assert 'href="https://help.zenith.example/?a=1&amp;b=2"' in html
    assert "mailto:help@zenith.example" in html


def test_login_notice_after_a_wrong_host(registry: BrandRegistry) -> None:
    shell = ShellTemplates(registry)
    context = {"brand": registry.get("acme"), "user": None, "nav": [], "csrf_token": "t", "error": None}
    html = shell.render("login.html", **context, notice="Sign in at acme.localhost:8443")
    assert (
        '<p class="flash flash--info" id="login-notice" role="status">Sign in at acme.localhost:8443</p>'
        in html
    )
    assert 'id="login-notice"' not in shell.render("login.html", **context)

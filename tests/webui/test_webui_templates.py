from __future__ import annotations

import hashlib
import re
from html.parser import HTMLParser
from typing import Any

import pytest
from markupsafe import Markup

from branding import BUILTIN_BRANDS_DIR, BrandRegistry, brand_css
from resources.kit.caller import Principal
from webui.paths import STATIC_DIR, TEMPLATES_DIR
from webui.shell import ShellTemplates

ALICE = Principal(
    user_id="u-1",
    username="alice@globex",
    display_name="Alice <Admin>",
    kind="customer",
    org_id="globex",
    customer_id="globex",
    reseller_chain=(),
    brand="default",
    entitlements=(),
)


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.script_bodies: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.script_bodies.append(data)

    def find(self, tag: str, **attrs: str) -> list[dict[str, str | None]]:
        return [a for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in attrs.items())]


def parse(html: str) -> Tags:
    p = Tags()
    p.feed(html)
    return p


@pytest.fixture(scope="module")
def registry() -> BrandRegistry:
    return BrandRegistry.load([BUILTIN_BRANDS_DIR])


@pytest.fixture(scope="module")
def shell(registry: BrandRegistry) -> ShellTemplates:
    return ShellTemplates(registry)


def common(registry: BrandRegistry, brand: str = "default", user: Principal | None = ALICE) -> dict[str, Any]:
    return {
        "brand": registry.get(brand),
        "user": user,
        "nav": [
            {"title": "Overview", "path": "/", "active": False},
            {"title": "Users", "path": "/directory/users", "active": True},
        ],
        "csrf_token": "tok-123",
        "title": "Users",
        "request_id": "req-9",
    }


SAMPLES: dict[str, dict[str, Any]] = {
    "base.html": {"content": Markup("<h1>Users</h1><p>resource body</p>")},
    "login.html": {
        "user": None,
        "nav": [],
        "error": "Wrong username or password.",
        "username": "al",
        "next": "/x?y=1",
    },
    "login_mfa.html": {"user": None, "nav": [], "error": "That code did not work.", "next": "/directory/me"},
    "login_sso.html": {"user": None, "nav": [], "idp_url": "https://idp.example/auth?client_id=a&state=b"},
    "dashboard.html": {
        "tiles": [{"title": "Users", "path": "/directory/users", "description": "Manage users <&>"}]
    },
    "api_docs.html": {
        "count": 1,
        "resources": [{"name": "traffic", "title": "Traffic", "spec": "/api/traffic/openapi.json"}],
        "groups": [
            {
                "title": "Traffic",
                "operations": [
                    {
                        "id": "traffic_get_calls",
                        "method": "GET",
                        "path": "/api/traffic/calls",
                        "summary": "Call records <newest first>",
                        "description": "",
                        "action": "traffic:view",
                        "parameters": [
                            {"name": "limit", "in": "query", "required": False, "schema": {"type": "integer"}}
                        ],
                        "body_media": "",
                        "body": "",
                        "responses": [
                            {
                                "status": "200",
                                "description": "OK",
                                "media": "application/json",
                                "schema": "{}",
                            }
                        ],
                    }
                ],
            }
        ],
    },
    "error.html": {"status": 502, "heading": "Service unavailable", "message": "Directory is down."},
    "account_sessions.html": {
        "sessions": [
            {
                "id_ref": "abc",
                "created": "2024-01-01 10:00",
                "last_seen": "now",
                "ip": "10.0.0.1",
                "user_agent": "Firefox",
                "current": True,
            },
            {
                "id_ref": "def",
                "created": "2024-01-02 10:00",
                "last_seen": "1 h ago",
                "ip": "10.0.0.2",
                "user_agent": "Chrome <x>",
                "current": False,
            },
        ]
    },
}


def render(shell: ShellTemplates, registry: BrandRegistry, name: str, brand: str = "default") -> str:
    ctx = common(registry, brand) | SAMPLES[name]
    return shell.render(name, **ctx)


def css_digest(registry: BrandRegistry, brand_id: str) -> str:
    """The content version in a brand stylesheet's URL: a publish changes it."""
    return hashlib.sha256(brand_css(registry.get(brand_id)).encode()).hexdigest()[:12]


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_csp_safe_and_shell_present(shell: ShellTemplates, registry: BrandRegistry, name: str) -> None:
    html = render(shell, registry, name)
    tags = parse(html)
    assert tags.script_bodies == []
    scripts = tags.find("script")
    assert [s.get("src") for s in scripts] == ["/static/htmx.min.js", "/static/portal.js"]
    assert all("defer" in s for s in scripts)
    assert tags.find("style") == []
    for tag, attrs in tags.tags:
        assert "style" not in attrs, tag
        assert not [a for a in attrs if a.startswith("on")], (tag, attrs)
        for key in ("href", "src", "action"):
            assert not (attrs.get(key) or "").lower().startswith("javascript:")
    assert tags.find("meta", name="csrf-token") == [{"name": "csrf-token", "content": "tok-123"}]
    assert tags.find("link", rel="stylesheet") == [
        {"rel": "stylesheet", "href": "/static/portal.css"},
        {"rel": "stylesheet", "href": f"/brand/default/brand.css?v={css_digest(registry, 'default')}"},
    ]
    assert tags.find("a", href="#main", **{"class": "skip-link"})
    assert tags.find("main", id="main", tabindex="-1", **{"class": "site-main"})
    assert len(tags.find("footer")) == 1
    assert '<span class="brand__name">Switchboard</span>' in html
    assert "support@switchboard.example" in html
    # every POST form carries the CSRF token (works without JS)
    for form in tags.find("form", method="post"):
        assert (form.get("action") or "").startswith("/")
    assert html.count('name="csrf_token" value="tok-123"') == len(tags.find("form", method="post"))
    # every input except hidden/submit has a label
    labels = {a.get("for") for a in tags.find("label")}
    for attrs in tags.find("input"):
        if attrs.get("type") not in {"hidden", "submit"}:
            assert attrs.get("id") in labels


def test_base_with_user_nav_and_content(shell: ShellTemplates, registry: BrandRegistry) -> None:
    html = render(shell, registry, "base.html")
    tags = parse(html)
    assert "<title>Users · Switchboard</title>" in html
    assert "<h1>Users</h1><p>resource body</p>" in html
    assert tags.find("a", href="/directory/users", **{"aria-current": "page"})
    assert tags.find("a", href="/")  # brand link + overview
    assert not tags.find("a", href="/", **{"aria-current": "page"})
    assert tags.find("form", method="post", action="/logout")
    assert "Alice &lt;Admin&gt;" in html
    assert "alice@globex" in html
    assert tags.find("img", src="/brand/default/static/logo.svg", alt="")
    assert "Request req-9" in html
    assert tags.find("nav", **{"aria-label": "Main"})


def test_base_anonymous_has_no_nav_or_user_menu(shell: ShellTemplates, registry: BrandRegistry) -> None:
    html = shell.render(
        "base.html", **(common(registry, user=None) | {"nav": [], "content": Markup("<p>x</p>")})
    )
    tags = parse(html)
    assert tags.find("nav") == []
    assert tags.find("form") == []
    assert "Sign out" not in html


def test_login_form(shell: ShellTemplates, registry: BrandRegistry) -> None:
    html = render(shell, registry, "login.html")
    tags = parse(html)
    assert tags.find("form", method="post", action="/login")
    assert tags.find("input", type="hidden", name="csrf_token", value="tok-123")
    assert tags.find("input", type="hidden", name="next", value="/x?y=1")
    assert tags.find("input", name="username", id="username", value="al", autocomplete="username")
    assert tags.find(
        "input", name="password", id="password", type="password", autocomplete="current-password"
    )
    assert tags.find("p", id="login-error", role="alert")
    assert "Wrong username or password." in html
    assert "Sign in to Switchboard" in html
    assert tags.find("nav") == []


def test_login_page_acme_brand(shell: ShellTemplates, registry: BrandRegistry) -> None:
    html = render(shell, registry, "login.html", brand="acme")
    tags = parse(html)
    assert "Sign in to Acme Telecom" in html
    assert '<span class="brand__name">Acme Telecom</span>' in html
    assert tags.find("link", rel="stylesheet", href=f"/brand/acme/brand.css?v={css_digest(registry, 'acme')}")
    assert "your Acme Telecom business services" in html  # acme's footer override
    assert "help@acme-telecom.example" in html
    assert "Switchboard" not in html


def test_login_mfa_form(shell: ShellTemplates, registry: BrandRegistry) -> None:
    html = render(shell, registry, "login_mfa.html")
    tags = parse(html)
    assert tags.find("form", method="post", action="/login/mfa")
    code = tags.find("input", name="code")
    assert len(code) == 1
    assert code[0]["inputmode"] == "numeric"
    assert code[0]["autocomplete"] == "one-time-code"
    assert code[0]["aria-describedby"] == "code-error"
    assert "That code did not work." in html
    assert tags.find("input", type="hidden", name="next", value="/directory/me")


def test_dashboard_tiles(shell: ShellTemplates, registry: BrandRegistry) -> None:
    html = render(shell, registry, "dashboard.html")
    assert '<a class="tile__link" href="/directory/users">' in html
    assert '<span class="tile__title">Users</span>' in html
    assert "Manage users &lt;&amp;&gt;" in html
    empty = shell.render("dashboard.html", **(common(registry) | {"tiles": []}))
    assert "There is nothing here for your account yet." in empty


def test_error_page(shell: ShellTemplates, registry: BrandRegistry) -> None:
    html = render(shell, registry, "error.html")
    assert "Error 502" in html
    assert '<h1 id="error-heading">Service unavailable</h1>' in html
    assert "<p>Directory is down.</p>" in html
    assert "<code>req-9</code>" in html
    anonymous = shell.render("error.html", **(common(registry, user=None) | SAMPLES["error.html"]))
    assert "Sign out" not in anonymous


def test_account_sessions(shell: ShellTemplates, registry: BrandRegistry) -> None:
    # gateway/pages.py: POST /account/sessions/revoke with `session=<id_ref>` or `all_others=1`
    html = render(shell, registry, "account_sessions.html")
    tags = parse(html)
    forms = tags.find("form", method="post", action="/account/sessions/revoke")
    assert len(forms) == 2
    assert tags.find("input", type="hidden", name="session", value="def")
    assert not tags.find("input", type="hidden", name="session", value="abc")  # the current one
    assert tags.find("input", type="hidden", name="all_others", value="1")
    assert '<span class="badge badge--success">This session</span>' in html
    assert "Chrome &lt;x&gt;" in html
    only_current = shell.render(
        "account_sessions.html",
        **(common(registry) | {"sessions": SAMPLES["account_sessions.html"]["sessions"][:1]}),
    )
    assert "all_others" not in only_current
    assert 'name="session"' not in only_current


def test_api_docs_lists_each_operation_escaped(shell: ShellTemplates, registry: BrandRegistry) -> None:
    html = render(shell, registry, "api_docs.html")
    assert '<details class="api-op" id="traffic_get_calls">' in html
    assert "Call records &lt;newest first&gt;" in html
    assert '<a href="/api/traffic/openapi.json" download>Traffic</a>' in html
    assert "Needs the entitlement <code>traffic:view</code>." in html
    assert "(1 operation)" in html


def test_forms_macros(shell: ShellTemplates) -> None:
    env = shell.environment("default")
    t = env.from_string(
        '{% import "macros/forms.html" as f %}'
        '{{ f.field("email", "E-mail", value="<x>", error="Enter an e-mail address", required=True) }}'
        '{{ f.input("pw", "Password", value="secret", type="password") }}'
        '{{ f.table(["A", "B"], [["1", "<2>"]], caption="Cap") }}'
        '{{ f.table(["A"], [], empty="None yet") }}'
        '{{ f.select("k", "Kind", [("a", "Alpha"), ("b", "Beta")], selected="b") }}'
        '{{ f.errors_summary([{"field": "email", "message": "Bad"}]) }}'
    )
    html = t.render()
    tags = parse(html)
    email = tags.find("input", name="email")[0]
    assert email == {
        "class": "field__input",
        "id": "field-email",
        "name": "email",
        "type": "text",
        "value": "<x>",
        "required": None,
        "aria-describedby": "field-email-error",
        "aria-invalid": "true",
    }
    assert '<p class="field-error" id="field-email-error">Enter an e-mail address</p>' in html
    assert "secret" not in html  # password values are never echoed
    assert "<td>&lt;2&gt;</td>" in html
    assert '<td colspan="1" class="empty">None yet</td>' in html
    assert '<option value="b" selected>Beta</option>' in html
    assert '<a href="#field-email">Bad</a>' in html


def test_vendored_htmx_matches_record() -> None:
    record = (STATIC_DIR / "VENDORED.md").read_text()
    digest = hashlib.sha256((STATIC_DIR / "htmx.min.js").read_bytes()).hexdigest()
    assert f"`{digest}`" in record
    assert "| 2.0.11 |" in record
    assert (STATIC_DIR / "htmx.min.js").read_bytes().startswith(b'var htmx=function(){"use strict";')


def test_static_assets_shape() -> None:
    js = (STATIC_DIR / "portal.js").read_text()
    for needle in (
        '"htmx:configRequest"',
        'event.detail.headers["X-CSRF-Token"] = token',
        '"htmx:responseError"',
        "xhr.status === 401",
        '"/login?next=" + encodeURIComponent(here)',
        'form[method="post" i]',
        "window.Portal = { connect: connect",
        "[data-confirm]",
    ):
        assert needle in js
    assert "eval(" not in js
    assert "innerHTML" not in js
    css = (STATIC_DIR / "portal.css").read_text()
    for var in ("--brand-primary", "--brand-accent", "--brand-bg", "--brand-text"):
        assert f"var({var}," in css
    assert re.search(r"\.field-error\s*\{", css)
    assert ":focus-visible" in css
    assert sorted(p.name for p in TEMPLATES_DIR.glob("*.html")) == [
        "account_sessions.html",
        "api_docs.html",
        "base.html",
        "dashboard.html",
        "error.html",
        "login.html",
        "login_mfa.html",
        "login_sso.html",
    ]

"""The white-label journey in a real browser (Debian Chromium via Playwright) against a portal of
this module's own (`fresh_portal`: Acme's brand is edited and published here).

1. The same pages (sign-in, dashboard, toll-free numbers, live traffic, network changes, an error
   page) for the provider's brand (alice@globex on 127.0.0.1) and Acme's (carol@initech on
   acme.localhost): no page of one brand shows the other's name, logo URL or distinctive colours
   (computed styles of the header, the buttons and the page).
2. rita@acme changes Acme's primary colour and uploads a logo (a PNG made here), previews and
   publishes; a fresh carol session shows both, alice's pages do not change.
3. Initech's admin reads and filters Initech's network changes (a bad date is shown inline).
4. A Globex user who signs in on acme.localhost is sent to the provider's host (303) and signs in
   there; a Globex session cookie presented on acme.localhost is redirected the same way.

Screenshots of every page land in test-artifacts/e2e/ (`whitelabel-*`). No page may log a
Content-Security-Policy violation.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from browser_watch import BrowserWatch
from e2e_support import DEMO_PASSWORD, Portal
from playwright.sync_api import Browser, BrowserContext, FilePayload, Page, expect
from spine_checks import PRE_COOKIE, SESSION_COOKIE
from whitelabel_support import ACME_HOST, png, sessions, target_of

pytestmark = pytest.mark.e2e


def rgb(hex_colour: str) -> str:
    """`#1f4e79` → `rgb(31, 78, 121)`, as getComputedStyle writes it."""
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({r}, {g}, {b})"


@dataclass(frozen=True)
class Side:
    """One brand as a customer of it sees it."""

    label: str
    host: str
    user: str
    name: str  # the brand name in the header
    foreign_name: str  # the other brand's name: never on these pages
    logo: str  # where this brand's logo is served from
    foreign_assets: str  # the other brand's asset paths: never referenced here
    colours: frozenset[str]  # this brand's distinctive colours (hex)
    primary: str  # the header's and the primary buttons' background
    bg: str  # the page's background


# Distinctive colours: those in which the brands differ (Acme inherits the provider's others, e.g.
# white text on the primary colour, so those cannot tell the brands apart).
PROVIDER_COLOURS = frozenset({"#1f4e79", "#0f7b6c", "#f4f6f9", "#1a66d6"})  # primary accent bg focus
ACME_COLOURS = frozenset({"#6b1d4f", "#b3400b", "#faf6f4"})  # primary, accent = focus, bg
PROVIDER = Side(
    label="provider", host="127.0.0.1", user="alice@globex", name="Switchboard", foreign_name="Acme",
    logo="/brand/default/static/logo.svg", foreign_assets="/brand/acme/", colours=PROVIDER_COLOURS,
    primary="#1f4e79", bg="#f4f6f9",
)  # fmt: skip
ACME = Side(
    label="acme", host=ACME_HOST, user="carol@initech", name="Acme Telecom", foreign_name="Switchboard",
    logo="/brand/acme/static/logo.svg", foreign_assets="/brand/default/", colours=ACME_COLOURS,
    primary="#6b1d4f", bg="#faf6f4",
)  # fmt: skip
PAGES = (  # name, path, expected status (carol and alice are customer admins: no /directory/orgs)
    ("dashboard", "/", 200),
    ("tollfree", "/tollfree/numbers", 200),
    ("live-traffic", "/traffic/live", 200),
    ("network-changes", "/tollfree/audit", 200),
    ("error", "/directory/orgs", 403),
)
NEW_PRIMARY = "#0b5e3a"  # rita's new Acme primary: white on it is well above 4.5:1
LOGO_SIZE = 48

# The colours the header, the buttons and the page are drawn with.
COMPUTED_COLOURS = """() => {
  const props = ['background-color', 'color', 'border-top-color', 'border-bottom-color', 'outline-color'];
  const els = [document.body, ...document.querySelectorAll('.site-header, .site-header *, .button, button')];
  const out = new Set();
  for (const el of els) {
    const style = getComputedStyle(el);
    for (const p of props) out.add(style.getPropertyValue(p));
  }
  return [...out];
}"""


class Pages:
    """New browser pages (each its own context: its own cookies) and their screenshots."""

    def __init__(self, browser: Browser, portal: Portal, root: Path) -> None:
        self.browser, self.portal, self.root = browser, portal, root
        self.console = BrowserWatch()
        self.contexts: list[BrowserContext] = []

    def new(self) -> Page:
        ctx = self.browser.new_context(ignore_https_errors=True, viewport={"width": 1280, "height": 900})
        ctx.set_default_timeout(15_000)
        self.console.watch(ctx)
        self.contexts.append(ctx)
        return ctx.new_page()

    def shot(self, page: Page, name: str) -> None:
        page.screenshot(path=str(self.root / f"whitelabel-{name}.png"), full_page=True)

    def url(self, path: str, host: str) -> str:
        return self.portal.url(path, host=host)

    def sign_in(self, page: Page, username: str, host: str) -> None:
        page.goto(self.url("/login", host))
        page.fill("#username", username)
        page.fill("#password", DEMO_PASSWORD)
        page.click("form[action='/login'] button[type=submit]")
        expect(page).to_have_url(self.url("/", host))

    def close(self) -> None:
        for ctx in self.contexts:
            ctx.close()


@pytest.fixture
def pages(browser: Browser, fresh_portal: Portal, artifacts_dir: Path) -> Iterator[Pages]:
    made = Pages(browser, fresh_portal, artifacts_dir)
    yield made
    made.close()
    assert made.console.problems == []


def header_colour(page: Page) -> str:
    return str(page.locator(".site-header").evaluate("el => getComputedStyle(el).backgroundColor"))


def reload_until(page: Page, done: Callable[[], bool], *, timeout: float = 15) -> None:
    """The gateway swaps its brands when the directory announces a publish (and every 60 s):
    reload until `done`, for at most `timeout` s."""
    deadline = time.monotonic() + timeout
    while not done() and time.monotonic() < deadline:
        time.sleep(0.25)
        page.reload()


def brand_problems(page: Page, side: Side, other: Side) -> list[str]:
    """What on this page belongs to the other brand (empty: nothing)."""
    html = page.content()
    problems = []
    if side.foreign_name in html:
        problems.append(f"the page names {side.foreign_name!r}")
    if side.foreign_assets in html:
        problems.append(f"the page references {side.foreign_assets}")
    colours = set(page.evaluate(COMPUTED_COLOURS))
    problems += [f"a computed style uses {c} ({rgb(c)})" for c in sorted(other.colours) if rgb(c) in colours]
    if header_colour(page) != rgb(side.primary):
        problems.append(f"the header is {header_colour(page)}, not {side.primary}")
    if (body := page.evaluate("() => getComputedStyle(document.body).backgroundColor")) != rgb(side.bg):
        problems.append(f"the page background is {body}, not {side.bg}")
    return problems


def check_side(pages: Pages, side: Side, other: Side) -> None:
    page = pages.new()
    problems: dict[str, list[str]] = {}
    response = page.goto(pages.url("/login", side.host))
    assert response is not None
    assert response.status == 200
    expect(page.locator(".brand__name")).to_have_text(side.name)
    expect(page.locator("img.brand__logo")).to_have_attribute("src", side.logo)
    pages.shot(page, f"{side.label}-login")
    problems["login"] = brand_problems(page, side, other)
    pages.sign_in(page, side.user, side.host)
    for name, path, status in PAGES:
        response = page.goto(pages.url(path, side.host))
        assert response is not None
        assert (name, response.status) == (name, status)
        expect(page.locator(".brand__name")).to_have_text(side.name)
        expect(page.locator("img.brand__logo")).to_have_attribute("src", side.logo)
        pages.shot(page, f"{side.label}-{name}")
        problems[name] = brand_problems(page, side, other)
    assert {k: v for k, v in problems.items() if v} == {}


def test_each_brand_shows_nothing_of_the_other(pages: Pages) -> None:
    check_side(pages, ACME, PROVIDER)
    check_side(pages, PROVIDER, ACME)


def test_reseller_edits_previews_and_publishes_its_brand(pages: Pages) -> None:
    rita = pages.new()
    pages.sign_in(rita, "rita@acme", ACME_HOST)
    rita.goto(pages.url("/directory/brand", ACME_HOST))
    expect(rita.locator("#page-heading")).to_have_text("Brand: Acme Telecom")
    rita.fill("#field-colour-primary", NEW_PRIMARY)
    rita.click("form[action='/directory/brand/draft'] button[type=submit]")
    expect(rita.locator("[data-brand-notice]")).to_have_text(re.compile(r"^Draft version \d+ saved\."))
    expect(rita.locator("#field-colour-primary")).to_have_value(NEW_PRIMARY)

    logo = png(LOGO_SIZE, LOGO_SIZE, (255, 196, 0))  # amber: visible on the new header colour
    rita.select_option("#field-upload-field", "logo_light")
    rita.set_input_files("#field-file", files=FilePayload(name="acme.png", mimeType="image/png", buffer=logo))
    rita.click("form[action='/directory/brand/assets'] button[type=submit]")
    expect(rita.locator("[data-brand-notice]")).to_have_text(
        "Logo (light background) uploaded and saved to the draft."
    )
    pages.shot(rita, "rita-editor-draft")

    # not published yet: a fresh Acme customer session still shows the old brand
    before = pages.new()
    pages.sign_in(before, "carol@initech", ACME_HOST)
    assert header_colour(before) == rgb("#6b1d4f")

    rita.click("a.button[href='/directory/brand/preview']")
    expect(rita.locator("#page-heading")).to_have_text("Preview: Acme Telecom")
    expect(rita.locator(".brand-preview__header")).to_have_css("background-color", rgb(NEW_PRIMARY))
    preview_logo = rita.locator("img.brand-preview__logo")
    expect(preview_logo).to_have_attribute("src", re.compile(r"^/directory/brand/assets/[0-9a-f]{64}$"))
    assert preview_logo.evaluate("img => img.complete && img.naturalWidth") == LOGO_SIZE
    assert header_colour(rita) == rgb("#6b1d4f")  # the preview is the draft; the portal is not
    pages.shot(rita, "rita-preview")

    rita.goto(pages.url("/directory/brand", ACME_HOST))
    rita.click("form[action='/directory/brand/publish'] button[type=submit]")
    expect(rita.locator("[data-brand-notice]")).to_have_text(re.compile(r"^Version \d+ is published\.$"))
    pages.shot(rita, "rita-published")

    carol = pages.new()
    pages.sign_in(carol, "carol@initech", ACME_HOST)
    reload_until(carol, lambda: header_colour(carol) == rgb(NEW_PRIMARY))
    expect(carol.locator(".site-header")).to_have_css("background-color", rgb(NEW_PRIMARY))
    assert rgb("#6b1d4f") not in set(carol.evaluate(COMPUTED_COLOURS))
    header_logo = carol.locator("img.brand__logo")
    expect(header_logo).to_have_attribute("src", re.compile(r"^/brand/acme/assets/[0-9a-f]{64}$"))
    expect(header_logo).to_have_js_property("naturalWidth", LOGO_SIZE)
    expect(carol.locator(".brand__name")).to_have_text("Acme Telecom")
    pages.shot(carol, "carol-after-publish")

    alice = pages.new()
    pages.sign_in(alice, "alice@globex", "127.0.0.1")
    assert header_colour(alice) == rgb("#1f4e79")
    expect(alice.locator("img.brand__logo")).to_have_attribute("src", PROVIDER.logo)


def test_a_customer_admin_filters_its_network_changes(pages: Pages) -> None:
    """Initech's admin reads Initech's changes only, and the filter form narrows them."""
    carol = pages.new()
    pages.sign_in(carol, "carol@initech", ACME_HOST)
    carol.locator(".site-nav").get_by_role("link", name="Network changes").click()
    expect(carol.locator("h1")).to_have_text("Network changes")
    targets = set(carol.locator("[data-audit-log] tbody tr td:nth-child(3)").all_inner_texts())
    assert targets == {"+18775550103", "+18665550104", "site:main", "@WEEKDAYS"}
    carol.fill("#audit-action", "site")
    carol.get_by_role("button", name="Show changes").click()
    expect(carol.locator("[data-audit-log] tbody tr")).to_have_count(1)
    expect(carol.locator("tr[data-action='site.save'] td").nth(2)).to_have_text("site:main")
    carol.fill("#audit-since", "next week")
    carol.get_by_role("button", name="Show changes").click()
    expect(carol.locator("#audit-since-error")).to_have_text(
        "Give a date like 2026-03-01 or an instant like 2026-03-01T12:00:00Z."
    )
    pages.shot(carol, "acme-network-changes-bad-filter")


def test_globex_user_on_the_acme_host_is_sent_to_the_provider_host(pages: Pages) -> None:
    port = pages.portal.port
    provider_login = f"https://localhost:{port}/login?next=/&wrong_host=1"
    target = target_of(pages.portal)

    # over HTTP: the password is right, but the session is made on the provider's host only
    with target.client(host=ACME_HOST) as client:
        form = client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert token is not None
        done = client.post(
            "/login",
            data={"username": "alice@globex", "password": DEMO_PASSWORD, "csrf_token": token.group(1)},
        )
        # a page on this host linking to the provider's (a cross-host redirect after a form post
        # would be blocked by CSP form-action 'self')
        assert done.status_code == 200
        assert f'<a href="{provider_login.replace("&", "&amp;")}">localhost:{port}</a>' in done.text
        assert SESSION_COOKIE not in client.cookies
        assert PRE_COOKIE in client.cookies

    # a Globex session presented on Acme's host: pages are redirected to the provider's host
    with sessions(pages.portal, {"alice": ("alice@globex", None)}) as signed_in:
        cookie = signed_in["alice"].client.cookies[SESSION_COOKIE]
    with target.client(host=ACME_HOST) as client:
        client.cookies.set(SESSION_COOKIE, cookie)
        moved = client.get("/tollfree/numbers?x=1")
        assert (moved.status_code, moved.headers["location"]) == (
            303,
            f"https://localhost:{port}/tollfree/numbers?x=1",
        )

    # in the browser
    page = pages.new()
    page.goto(pages.url("/login", ACME_HOST))
    expect(page.locator(".brand__name")).to_have_text("Acme Telecom")
    page.fill("#username", "alice@globex")
    page.fill("#password", DEMO_PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    expect(page.locator("#login-elsewhere")).to_contain_text(f"localhost:{port}")
    assert pages.console.take("form-action") == []
    pages.shot(page, "globex-on-acme-host-link")
    page.click("#login-elsewhere a")
    expect(page).to_have_url(provider_login)
    expect(page.locator("#login-notice")).to_have_text(f"Sign in at localhost:{port}")
    expect(page.locator(".brand__name")).to_have_text("Switchboard")
    pages.shot(page, "globex-on-acme-host")
    page.fill("#username", "alice@globex")
    page.fill("#password", DEMO_PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    expect(page).to_have_url(f"https://localhost:{port}/")
    expect(page.locator(".user-menu__summary")).to_contain_text("Alice Admin")
    pages.shot(page, "globex-signed-in-on-provider-host")

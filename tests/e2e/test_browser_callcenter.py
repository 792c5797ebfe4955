"""The call-center pages in a real browser (Debian Chromium via Playwright) against the whole portal
with its demo data (`fresh_portal`: this module changes Globex's sites and needs alice@globex
without the second factor other browser tests give her).

alice opens "Call centers" from the menu, changes east's capacity to 40 in its edit form, sees 40
in the table and the new revision in east's history, types a bad capacity for west with the
keyboard and sees the message next to the field, then closes west for the rest of today and sees
it closed; the distributions and the audit log show. A form posted without the session's CSRF
token is refused by the gateway. No page may log a Content-Security-Policy violation or a script
error. Screenshots land in test-artifacts/e2e/.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import pytest
from browser_watch import BrowserWatch
from e2e_support import DEMO_PASSWORD
from playwright.sync_api import Browser, Page, expect

pytestmark = pytest.mark.e2e

CAPACITY_HINT = "must be a whole number of agents or trunks from 0 to 100,000"


class Portal(Protocol):  # the `fresh_portal` fixture of tests/e2e/e2e_support.py
    def url(self, path: str, *, host: str = ...) -> str: ...


@pytest.fixture
def page(browser: Browser) -> Iterator[tuple[Page, BrowserWatch]]:
    ctx = browser.new_context(ignore_https_errors=True, viewport={"width": 1280, "height": 900})
    ctx.set_default_timeout(15_000)
    watch = BrowserWatch()
    watch.watch(ctx)
    page = ctx.new_page()
    page.on("dialog", lambda dialog: dialog.accept())  # data-confirm questions
    try:
        yield page, watch
    finally:
        ctx.close()
    assert watch.problems == []


def test_alice_changes_capacity_and_closes_a_site_for_today(
    page: tuple[Page, BrowserWatch], fresh_portal: Portal, artifacts_dir: Path
) -> None:
    p, _ = page
    n = 0

    def shot(name: str) -> None:
        nonlocal n
        n += 1
        p.screenshot(path=str(artifacts_dir / f"callcenter-{n:02d}-{name}.png"), full_page=True)

    p.goto(fresh_portal.url("/login"))
    p.fill("#username", "alice@globex")
    p.fill("#password", DEMO_PASSWORD)
    p.click("form[action='/login'] button[type=submit]")
    expect(p).to_have_url(fresh_portal.url("/"))

    p.locator(".site-nav__link", has_text="Call centers").click()
    expect(p).to_have_url(fresh_portal.url("/callcenter/sites"))
    expect(p.locator("#page-heading")).to_have_text("Call-center sites")
    expect(p.locator(".site-nav__link[aria-current=page]")).to_have_text("Call centers")
    expect(p.locator("tr[data-site]")).to_have_count(3)
    east, west = p.locator('tr[data-site="east"]'), p.locator('tr[data-site="west"]')
    expect(east.locator("[data-capacity]")).to_have_text("5")
    expect(west.locator("[data-capacity]")).to_have_text("10")
    shot("sites")

    # east's edit form: capacity 40
    p.locator("#edit-east > summary").click()
    p.fill("#edit-east-capacity", "40")
    p.click('[data-save="edit-east"]')
    expect(p.locator("[data-notice]")).to_have_text("Site east saved: revision 2 is in effect now.")
    expect(east.locator("[data-capacity]")).to_have_text("40")
    expect(p).to_have_url(fresh_portal.url("/callcenter/sites"))
    shot("east-40")

    # a bad capacity, typed with the keyboard: the message next to the field, nothing changed
    p.focus("#capacity-west-capacity")
    p.keyboard.press("Control+A")
    p.keyboard.type("abc")
    p.keyboard.press("Enter")
    expect(p.locator("#capacity-west-capacity-error")).to_have_text(CAPACITY_HINT)
    expect(p.locator("#capacity-west-capacity")).to_have_attribute("aria-invalid", "true")
    expect(p.locator("#capacity-west-capacity")).to_have_value("abc")
    expect(west.locator("[data-capacity]")).to_have_text("10")
    shot("bad-capacity")

    # east's history has the new revision
    p.locator('[data-site-actions="east"] a', has_text="History").click()
    expect(p).to_have_url(fresh_portal.url("/callcenter/sites/east/revisions"))
    rows = p.locator("tr[data-revision]")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_have_attribute("data-revision", "2")
    expect(rows.nth(0)).to_have_attribute("data-status", "in-effect")
    expect(rows.nth(0).locator("[data-changes]")).to_have_text("capacity: 5 → 40")
    expect(rows.nth(0)).to_contain_text("alice@globex")
    expect(rows.nth(1)).to_have_attribute("data-status", "past")
    expect(p.locator('[data-rollback="1"]')).to_be_visible()
    shot("east-history")

    # west closes for the rest of today (one click and the confirmation)
    p.locator("nav[aria-label='Call centers'] a", has_text="Sites").click()
    expect(p).to_have_url(fresh_portal.url("/callcenter/sites"))
    p.click('[data-close-today="west"]')
    expect(p.locator("[data-notice]")).to_contain_text("Site west is closed until")
    expect(west.locator("[data-open]")).to_have_attribute("data-open", "no")
    expect(west.locator("[data-open]")).to_have_text("Closed")
    expect(west.locator("[data-closure-today]")).to_contain_text("(Closed for the rest of today)")
    expect(west.locator("[data-capacity]")).to_have_text("10")
    shot("west-closed")

    # the distributions and the audit log open without a script error
    p.locator("nav[aria-label='Call centers'] a", has_text="Distributions").click()
    main = p.locator('tr[data-distribution="main"]')
    expect(main.locator("[data-method]")).to_have_text("least-busy")
    expect(main.locator("[data-members]")).to_have_text("east, west")
    expect(main.locator("[data-overflow]")).to_have_text("south")
    p.locator("#edit-main > summary").click()
    expect(p.locator("#edit-main-method")).to_have_value("least-busy")
    expect(p.locator("#edit-main-overflow_0")).to_have_value("south")
    shot("distributions")
    p.locator("nav[aria-label='Call centers'] a", has_text="Changes").click()
    expect(p.locator("tr[data-audit-row]").first).to_have_attribute("data-action", "site.change")
    expect(p.locator("tr[data-audit-row]").first).to_contain_text("alice@globex")
    expect(p.locator("tr[data-audit-row]")).to_have_count(6)  # the demo's 4, then east, then west
    shot("audit")

    # the gateway refuses a form posted without the session's CSRF token
    refused = p.request.post(fresh_portal.url("/callcenter/sites/east/capacity"), form={"capacity": "41"})
    assert refused.status == 403
    p.goto(fresh_portal.url("/callcenter/sites"))
    expect(east.locator("[data-capacity]")).to_have_text("40")
    expect(west.locator("[data-open]")).to_have_text("Closed")

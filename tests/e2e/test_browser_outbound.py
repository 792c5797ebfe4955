"""Outbound calling in a real browser (Debian Chromium via Playwright) against the whole portal
with its demo data (`fresh_portal`: this module changes Globex's lobby policy and Bob's
authorization code, and needs alice@globex without the second factor other browser tests give
her).

alice opens Outbound calling from the menu and sees Bob's line under the default policy with a
code set; she lets the lobby policy dial long distance in the form and sees it in the table;
she sets Bob a new authorization code (never shown back), then a guessable one that is refused
next to the field; the changes page shows her changes. From the directory's page for Bob she
follows "Set what this user may dial" to a new-line form filled in for him. No page may log a
Content-Security-Policy violation. Screenshots land in test-artifacts/e2e/.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import pytest
from browser_watch import BrowserWatch
from e2e_support import DEMO_PASSWORD
from playwright.sync_api import Browser, Page, expect

pytestmark = pytest.mark.e2e

BOB = "+13125550142"
GUESSABLE = "is too easy to guess (one digit repeated or a straight run); choose another"


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


def test_alice_changes_a_policy_sets_a_code_and_sees_the_audit(
    page: tuple[Page, BrowserWatch], fresh_portal: Portal, artifacts_dir: Path
) -> None:
    p, _ = page
    n = 0

    def shot(name: str) -> None:
        nonlocal n
        n += 1
        p.screenshot(path=str(artifacts_dir / f"outbound-{n:02d}-{name}.png"), full_page=True)

    p.goto(fresh_portal.url("/login"))
    p.fill("#username", "alice@globex")
    p.fill("#password", DEMO_PASSWORD)
    p.click("form[action='/login'] button[type=submit]")
    expect(p).to_have_url(fresh_portal.url("/"))

    p.locator(".site-nav__link", has_text="Outbound calling").click()
    expect(p).to_have_url(fresh_portal.url("/outbound/lines"))
    expect(p.locator(".site-nav__link[aria-current=page]")).to_have_text("Outbound calling")
    bob = p.locator(f'tr[data-line="{BOB}"]')
    expect(bob.locator("[data-policy]")).to_have_text("default (default)")
    expect(bob.locator("[data-elevated]")).to_have_text("international")
    expect(bob.locator("[data-code]")).to_have_text("code set")
    expect(p.locator("tr[data-line]")).to_have_count(2)
    shot("lines")

    # the lobby policy may dial long distance too
    p.click("nav[aria-label='Outbound calling'] >> text=Policies")
    expect(p).to_have_url(fresh_portal.url("/outbound/policies"))
    lobby = p.locator('tr[data-policy="lobby"]')
    expect(lobby.locator("[data-classes]")).to_have_text("toll-free, local")
    lobby.get_by_role("link", name="Edit lobby").click()
    expect(p.locator("#policy-form")).to_have_text("Edit policy lobby")
    expect(p.locator("#class-emergency")).to_be_checked()
    expect(p.locator("#class-emergency")).to_be_disabled()
    expect(p.locator("label[for=class-emergency]")).to_have_text("emergency always allowed")
    expect(p.locator("#class-long-distance")).not_to_be_checked()
    expect(p.locator("#field-any-time")).not_to_be_checked()
    expect(p.locator("#field-hours-mon")).to_have_value("08:00-18:00")
    p.check("#class-long-distance")
    shot("policy-form")
    p.click("[data-save-policy]")
    expect(p.locator("[data-notice]")).to_have_text("Policy lobby saved.")
    expect(lobby.locator("[data-classes]")).to_have_text("toll-free, local, long-distance")
    expect(lobby.locator("[data-hours]")).to_have_text(
        "America/Chicago: Mon\N{EN DASH}Fri 08:00-18:00; Sat\N{EN DASH}Sun closed"
    )
    shot("policy-saved")

    # Bob's authorization code: a good one, then a guessable one
    p.click("nav[aria-label='Outbound calling'] >> text=Lines")
    bob.get_by_role("link", name=f"Edit {BOB}").click()
    expect(p.locator("#line-form")).to_have_text(f"Edit line {BOB}")
    expect(p.locator("[data-code-state]")).to_contain_text("This line has an authorization code.")
    expect(p.locator("#field-code")).to_have_attribute("type", "password")
    p.fill("#field-code", "730519")
    p.click("[data-set-code]")
    expect(p.locator("[data-notice]")).to_have_text(f"The authorization code of {BOB} is set.")
    expect(p.locator("#field-code")).to_have_value("")
    assert "730519" not in p.content()
    p.fill("#field-code", "2222")
    p.click("[data-set-code]")
    expect(p.locator("#field-code-error")).to_have_text(GUESSABLE)
    expect(p.locator("[data-notice]")).to_have_count(0)
    expect(bob.locator("[data-code]")).to_have_text("code set")
    shot("code-refused")

    # the changes: newest first, hers
    p.click("nav[aria-label='Outbound calling'] >> text=Changes")
    expect(p).to_have_url(fresh_portal.url("/outbound/audit"))
    rows = p.locator("tr[data-audit-row]")
    expect(rows.nth(0)).to_have_attribute("data-action", "code.set")
    expect(rows.nth(0)).to_have_attribute("data-object", f"line {BOB}")
    expect(rows.nth(0).locator("[data-actor]")).to_have_text("alice@globex")
    expect(rows.nth(1)).to_have_attribute("data-action", "change")
    expect(rows.nth(1)).to_have_attribute("data-object", "policy lobby")
    expect(rows.nth(1).locator("[data-actor]")).to_have_text("alice@globex")
    expect(rows.nth(1).locator("[data-changes]")).to_contain_text(
        "classes: emergency, toll-free, local → emergency, toll-free, local, long-distance"
    )
    expect(rows.nth(2)).to_have_attribute("data-action", "code.set")
    expect(rows.nth(2).locator("[data-actor]")).to_have_text("demo")
    assert "730519" not in p.content()
    shot("audit")

    # from the directory's page for Bob to a line for him
    p.goto(fresh_portal.url("/directory/users"))
    p.get_by_role("link", name="bob@globex").click()
    expect(p).to_have_url(re.compile(r"/directory/users/[0-9a-f]+$"))
    bob_id = p.url.rsplit("/", 1)[1]
    p.get_by_role("link", name="Set what this user may dial").click()
    expect(p).to_have_url(fresh_portal.url(f"/outbound/lines?user_id={bob_id}&label=Bob+User"))
    expect(p.locator("#line-form")).to_have_text("New line")
    expect(p.locator("#field-label")).to_have_value("Bob User")
    expect(p.locator("input[type=hidden][name=user_id]")).to_have_value(bob_id)
    shot("line-for-bob")

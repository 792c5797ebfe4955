"""The brand editor through the real app + kit middleware (fake assertion verifier, as in
test_directory_routes): tenancy, drafts, uploads, publish/rollback with audit rows and the bus,
the internal feed the gateway reads."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from directory_fixtures import START, Env
from sqlalchemy import select

from resources.directory.app import create_app
from resources.directory.models import AuditRow, Org
from resources.kit.events import Event

PNG_40 = (  # a 40x40 PNG header (dimensions are all validate_image reads)
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00(\x00\x00\x00(\x08\x02\x00\x00\x00\x00\x00\x00\x00"
)
GOOD_SVG = (  # already in the canonical form validate_image re-serialises to
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 40">'
    b'<rect width="120" height="40"></rect></svg>'
)
COLOURS = {"primary": "#0b3d2e", "on-primary": "#ffffff", "accent": "#b3400b"}


@pytest.fixture
async def client(env: Env) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(env.ctx.settings, verifier=await env.verifier(), context=env.ctx)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://directory") as c:
        yield c


def as_(user: str) -> dict[str, str]:
    return {"X-Switchboard-Assertion": user}


async def put_draft(
    client: httpx.AsyncClient, user: str, fields: dict[str, Any], org: str = ""
) -> httpx.Response:
    return await client.put(f"/api/brand/draft{org}", json={"fields": fields}, headers=as_(user))


async def audit(env: Env, event: str) -> list[AuditRow]:
    async with env.tx(write=False) as tx:
        rows = await tx.session.execute(select(AuditRow).where(AuditRow.event == event).order_by(AuditRow.id))
        return list(rows.scalars())


def brand_events(env: Env) -> list[Event]:
    return [e for e in env.bus.published if e.topic == "directory.brands-changed"]


async def test_reseller_edits_its_own_brand(client: httpx.AsyncClient, env: Env) -> None:
    r = await put_draft(
        client, "rita@acme", {"name": "Acme Telecom", "colours": COLOURS, "typography": "serif"}
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["version"], body["state"], body["created_by"], body["published_at"]) == (
        1, "DRAFT", "rita@acme", None
    )  # fmt: skip
    assert body["fields"] == {"name": "Acme Telecom", "colours": COLOURS, "typography": "serif"}
    # a second save edits the same draft
    r = await put_draft(client, "rita@acme", {"name": "Acme"})
    assert (r.json()["version"], r.json()["fields"]) == (1, {"name": "Acme"})
    r = await client.get("/api/brand", headers=as_("rita@acme"))
    state = r.json()
    assert (state["org_id"], state["brand_id"], state["parent_brand"], state["published"]) == (
        "acme", "acme", "default", None
    )  # fmt: skip
    assert state["draft"]["fields"] == {"name": "Acme"}
    # inherited = default's file brand overlaid with acme's own brand.toml; effective adds the draft
    assert (state["inherited"]["name"], state["effective"]["name"]) == ("Acme Telecom", "Acme")
    assert state["effective"]["colours"]["primary"] == "#6b1d4f"
    assert state["effective"]["colours"]["text"] == "#1b2430"
    rows = await audit(env, "brand.draft")
    assert [(r.actor_username, r.org_id, r.subject, r.detail["after"]) for r in rows] == [
        (
            "rita@acme",
            "acme",
            "brand:acme",
            {"name": "Acme Telecom", "colours": COLOURS, "typography": "serif"},
        ),
        ("rita@acme", "acme", "brand:acme", {"name": "Acme"}),
    ]
    assert brand_events(env) == []  # drafts are not announced


async def test_other_orgs_brands_are_404(client: httpx.AsyncClient) -> None:
    for org in ("zenith", "initech", "switchboard", "hooli", "no-such-org"):
        q = f"?org={org}"
        for method, path, kw in (
            ("GET", f"/api/brand{q}", {}),
            ("PUT", f"/api/brand/draft{q}", {"json": {"fields": {"name": "Hijacked"}}}),
            ("POST", f"/api/brand/publish{q}", {}),
            ("POST", f"/api/brand/rollback/1{q}", {}),
            ("GET", f"/api/brand/versions{q}", {}),
            ("POST", f"/api/brand/assets{q}&kind=logo", {"content": PNG_40}),
            ("GET", f"/brand{q}", {}),
            ("POST", f"/brand/publish{q}", {}),
            ("GET", f"/brand/preview.css{q}", {}),
        ):
            r = await client.request(method, path, headers=as_("rita@acme"), **kw)
            assert (r.status_code, r.json()["detail"]) == (404, "no such brand"), (method, path)
    # the sub-reseller below acme is rita's to edit; acme is not zed's
    assert (await client.get("/api/brand?org=acme-west", headers=as_("rita@acme"))).json()[
        "parent_brand"
    ] == "acme"
    assert (await client.get("/api/brand?org=acme", headers=as_("zed@zenith"))).status_code == 404
    assert (await client.get("/api/brand?org=acme", headers=as_("admin"))).status_code == 200
    # customer staff lack the action altogether
    for user in ("alice@globex", "bob@globex"):
        assert (await client.get("/api/brand", headers=as_(user))).status_code == 403


async def test_validation_and_hosts_are_the_providers(client: httpx.AsyncClient) -> None:
    r = await put_draft(
        client, "rita@acme", {"colours": {"primary": "blue"}, "support_url": "http://x.example"}
    )
    assert (r.status_code, r.json()["errors"]) == (422, [
        {"field": "support_url", "message": "Enter an https:// address."},
        {"field": "colours.primary", "message": "Enter a colour as #rrggbb, e.g. #1f4e79."},
    ])  # fmt: skip
    r = await put_draft(client, "rita@acme", {"hosts": ["localhost"]})
    assert (r.status_code, r.json()["errors"]) == (
        422, [{"field": "hosts", "message": "Only the provider can change host names."}]
    )  # fmt: skip
    r = await put_draft(client, "admin", {"hosts": ["portal.acme.example"]}, "?org=acme")
    assert (r.status_code, r.json()["fields"]) == (200, {"hosts": ["portal.acme.example"]})
    # rita's later save keeps the provider's hosts without naming them
    r = await put_draft(client, "rita@acme", {"name": "Acme"})
    assert r.json()["fields"] == {"name": "Acme", "hosts": ["portal.acme.example"]}
    r = await put_draft(client, "rita@acme", {"logo_light": "asset:" + "b" * 64})
    assert r.json()["errors"] == [{"field": "logo_light", "message": "No uploaded logo has that reference."}]
    r = await client.put("/api/brand/draft", json={"name": "x"}, headers=as_("rita@acme"))
    assert r.json()["errors"] == [
        {"field": "fields", "message": 'Send {"fields": {...}}: the complete overrides.'}
    ]


async def test_publish_contrast_audit_bus_and_internal_feed(client: httpx.AsyncClient, env: Env) -> None:
    r = await client.post("/api/brand/publish", headers=as_("rita@acme"))
    assert (r.status_code, r.json()["detail"]) == (409, "there is no draft to publish; save one first")
    await put_draft(client, "rita@acme", {"colours": {"primary": "#dddddd"}})
    r = await client.post("/api/brand/publish", headers=as_("rita@acme"))
    assert (r.status_code, r.json()["detail"], r.json()["errors"]) == (422,
        "The colours do not reach WCAG AA contrast; nothing was published.",
        [{"field": "colours.on-primary",
          "message": "Text on primary (#ffffff on #dddddd) has a contrast of 1.35:1; "
                     "WCAG AA needs at least 4.5:1."}],
    )  # fmt: skip
    assert (await client.get("/api/brand", headers=as_("rita@acme"))).json()["published"] is None
    assert brand_events(env) == []
    assert await audit(env, "brand.publish") == []

    await put_draft(client, "rita@acme", {"name": "Acme One", "colours": COLOURS})
    r = await client.post("/api/brand/publish", headers=as_("rita@acme"))
    assert r.status_code == 200, r.text
    assert (r.json()["version"], r.json()["state"], r.json()["published_by"], r.json()["published_at"]) == (
        1, "PUBLISHED", "rita@acme", START.isoformat()
    )  # fmt: skip
    assert brand_events(env) == [Event("directory.brands-changed", {"org_id": "acme"})]
    [row] = await audit(env, "brand.publish")
    assert (row.actor_username, row.org_id, row.subject, row.session) == (
        "rita@acme",
        "acme",
        "brand:acme",
        "sess-1",
    )
    assert row.detail == {
        "version": 1, "before": {}, "after": {"name": "Acme One", "colours": COLOURS}, "request_id": "req-1"
    }  # fmt: skip
    r = await client.get("/internal/brands", headers=as_("gateway"))
    assert r.json() == {"brands": [{
        "org_id": "acme", "brand_id": "acme", "parent_brand": "default", "version": 1,
        "fields": {"name": "Acme One", "colours": COLOURS},
    }]}  # fmt: skip
    # the feed is the gateway's only: customer-plane callers are refused by the kit middleware
    assert (await client.get("/internal/brands", headers=as_("admin"))).status_code == 403


async def test_rollback_publishes_a_copy(client: httpx.AsyncClient, env: Env) -> None:
    one, two = {"name": "Acme One"}, {"name": "Acme Two", "typography": "mono"}
    for fields in (one, two):
        await put_draft(client, "rita@acme", fields)
        assert (await client.post("/api/brand/publish", headers=as_("rita@acme"))).status_code == 200
    await put_draft(client, "rita@acme", {"name": "Work in progress"})  # a draft survives rollbacks
    env.clock.advance(minutes=5)
    r = await client.post("/api/brand/rollback/1", headers=as_("rita@acme"))
    assert r.status_code == 200, r.text
    assert (r.json()["version"], r.json()["state"], r.json()["rolled_back_from"], r.json()["fields"]) == (
        4, "PUBLISHED", 1, one
    )  # fmt: skip
    r = await client.get("/api/brand/versions", headers=as_("rita@acme"))
    assert [(v["version"], v["state"], v["rolled_back_from"]) for v in r.json()["items"]] == [
        (4, "PUBLISHED", 1), (3, "DRAFT", None), (2, "OLD", None), (1, "OLD", None)
    ]  # fmt: skip
    [row] = await audit(env, "brand.rollback")
    assert (row.actor_username, row.org_id, row.at) == ("rita@acme", "acme", START.replace(minute=5))
    assert row.detail == {
        "version": 4, "rolled_back_from": 1, "previous_version": 2, "before": two, "after": one,
        "request_id": "req-1",
    }  # fmt: skip
    assert brand_events(env)[-1] == Event("directory.brands-changed", {"org_id": "acme"})
    assert len(brand_events(env)) == 3
    r = await client.post("/api/brand/rollback/4", headers=as_("rita@acme"))
    assert (r.status_code, r.json()["detail"]) == (
        409, "version 4 is PUBLISHED; only an earlier published one can be restored"
    )  # fmt: skip
    r = await client.post("/api/brand/rollback/99", headers=as_("rita@acme"))
    assert (r.status_code, r.json()["detail"]) == (404, "no version 99 of this brand")
    feed = (await client.get("/internal/brands", headers=as_("gateway"))).json()["brands"]
    assert [(b["org_id"], b["version"], b["fields"]) for b in feed] == [("acme", 4, one)]


async def test_first_publish_of_a_new_reseller_sets_its_brand(client: httpx.AsyncClient, env: Env) -> None:
    await put_draft(client, "zed@zenith", {"name": "Zenith"})
    env.bus.published.clear()
    assert (await client.post("/api/brand/publish", headers=as_("zed@zenith"))).status_code == 200
    async with env.tx(write=False) as tx:
        zenith = await tx.session.get(Org, "zenith")
        assert zenith is not None
        assert zenith.brand == "zenith"
    changed = [e for e in env.bus.published if e.topic == "directory.changed"]
    assert changed == [
        Event("directory.changed", {"user_ids": sorted([env.ids["zed@zenith"], env.ids["hank@hooli"]])})
    ]
    await put_draft(client, "rita@acme", {"name": "Acme West"}, "?org=acme-west")
    assert (
        await client.post("/api/brand/publish?org=acme-west", headers=as_("rita@acme"))
    ).status_code == 200
    feed = (await client.get("/internal/brands", headers=as_("gateway"))).json()["brands"]
    assert [(b["org_id"], b["brand_id"], b["parent_brand"]) for b in feed] == [
        ("acme-west", "acme-west", "acme"), ("zenith", "zenith", "default")
    ]  # fmt: skip


async def test_uploads_and_internal_assets(client: httpx.AsyncClient, env: Env) -> None:
    r = await client.post("/api/brand/assets", files={"file": ("logo.svg", GOOD_SVG)}, data={"kind": "logo"},
                          headers=as_("rita@acme"))  # fmt: skip
    assert r.status_code == 201, r.text
    asset = r.json()
    assert {k: asset[k] for k in ("kind", "content_type", "width", "height")} == {
        "kind": "logo", "content_type": "image/svg+xml", "width": 120, "height": 40
    }  # fmt: skip
    # a GIF and a PDF renamed .png; scripts and handlers in SVGs
    for name, data, message in (
        ("logo.gif", b"GIF89a" + b"\x00" * 30, "GIF images are not accepted; upload PNG, JPEG, WebP or SVG."),
        ("logo.png", b"%PDF-1.4\n%%EOF", "The file is not a PNG, JPEG, WebP, ICO or SVG image."),
        ("x.svg", GOOD_SVG.replace(b"<rect", b"<script>alert(1)</script><rect"),
         "Element <script> is not allowed in an SVG logo."),
        ("x.svg", GOOD_SVG.replace(b"<rect", b'<rect onload="alert(1)"'),
         "Attribute onload on <rect> is not allowed: event handlers are refused."),
        ("big.png", PNG_40 + b"\x00" * (300 * 1024), "The file is 300.0 KiB; the limit is 256 KiB."),
    ):  # fmt: skip
        r = await client.post("/api/brand/assets?kind=logo", files={"file": (name, data, "image/png")},
                              data={"kind": "logo"}, headers=as_("rita@acme"))  # fmt: skip
        assert (r.status_code, r.json()["errors"]) == (422, [{"field": "file", "message": message}]), name
    r = await client.post("/api/brand/assets?kind=favicon", content=PNG_40, headers=as_("rita@acme"))
    assert (r.status_code, r.json()["kind"], r.json()["width"]) == (201, "favicon", 40)
    rows = await audit(env, "brand.asset")
    assert [(row.org_id, row.detail["kind"], row.detail["content_type"]) for row in rows] == [
        ("acme", "logo", "image/svg+xml"), ("acme", "favicon", "image/png")
    ]  # fmt: skip
    # the draft may reference them (kinds must match)
    r = await put_draft(client, "rita@acme", {"logo_light": asset["ref"], "favicon": asset["ref"]})
    assert r.json()["errors"] == [{"field": "favicon", "message": "No uploaded favicon has that reference."}]
    assert (await put_draft(client, "rita@acme", {"logo_light": asset["ref"]})).status_code == 200
    # the gateway fetches the bytes; SVGs come sandboxed
    r = await client.get(f"/internal/brand-assets/{asset['sha256']}", headers=as_("gateway"))
    assert (r.status_code, r.content, r.headers["content-type"]) == (200, GOOD_SVG, "image/svg+xml")
    assert r.headers["content-security-policy"] == "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
    r = await client.get(f"/internal/brand-assets/{'0' * 64}", headers=as_("gateway"))
    assert (r.status_code, r.json()["detail"]) == (404, "no such asset")
    # the editor shows own uploads only
    assert (
        await client.get(f"/brand/assets/{asset['sha256']}", headers=as_("rita@acme"))
    ).content == GOOD_SVG
    r = await client.get(f"/brand/assets/{asset['sha256']}", headers=as_("zed@zenith"))
    assert (r.status_code, r.json()["detail"]) == (404, "no such asset")


async def test_a_brand_references_only_its_own_orgs_uploads(client: httpx.AsyncClient, env: Env) -> None:
    r = await client.post("/api/brand/assets?kind=logo", content=GOOD_SVG, headers=as_("rita@acme"))
    assert r.status_code == 201, r.text
    ref, sha = r.json()["ref"], r.json()["sha256"]
    # zenith knows the reference (say, from acme's published brand) but did not upload it
    r = await put_draft(client, "zed@zenith", {"logo_light": ref})
    assert (r.status_code, r.json()["errors"]) == (
        422, [{"field": "logo_light", "message": "No uploaded logo has that reference."}]
    )  # fmt: skip
    # the same bytes uploaded by zenith are zenith's own upload
    r = await client.post("/api/brand/assets?kind=logo", content=GOOD_SVG, headers=as_("zed@zenith"))
    assert (r.status_code, r.json()["sha256"], r.json()["kind"]) == (201, sha, "logo")
    assert (await put_draft(client, "zed@zenith", {"logo_light": ref})).status_code == 200
    assert (await client.get(f"/brand/assets/{sha}", headers=as_("zed@zenith"))).content == GOOD_SVG
    rows = await audit(env, "brand.asset")
    assert [(row.org_id, row.detail["kind"], row.detail["sha256"]) for row in rows] == [
        ("acme", "logo", sha), ("zenith", "logo", sha)
    ]  # fmt: skip
    # acme's upload is still acme's logo; uploading it again stores nothing new
    r = await client.post("/api/brand/assets?kind=logo", content=GOOD_SVG, headers=as_("rita@acme"))
    assert (r.status_code, r.json()["kind"]) == (201, "logo")
    assert len(await audit(env, "brand.asset")) == 2


async def test_editor_pages(client: httpx.AsyncClient, env: Env) -> None:
    r = await client.get("/brand", headers=as_("rita@acme"))
    assert r.status_code == 200
    assert r.headers["x-switchboard-page"] == "Brand%20acme"
    assert 'action="/directory/brand/draft"' in r.text
    assert 'name="colour-primary" value="#6b1d4f"' in r.text
    assert 'name="hosts"' not in r.text  # hosts are the provider's
    form = {
        "name": "Acme Forms", "typography": "serif",
        "colour-primary": "#6b1d4f", "pick-primary": "#0b3d2e", "was-primary": "#6b1d4f",
        "colour-text": "#1b2430", "pick-text": "#1b2430", "was-text": "#1b2430",
    }  # fmt: skip
    r = await client.post("/brand/draft", data=form, headers=as_("rita@acme"))
    assert r.status_code == 200
    assert "Draft version 1 saved. Preview it, then publish." in r.text
    draft = (await client.get("/api/brand", headers=as_("rita@acme"))).json()["draft"]
    assert draft["fields"] == {"name": "Acme Forms", "colours": {"primary": "#0b3d2e"}, "typography": "serif"}
    r = await client.get("/brand/preview.css", headers=as_("rita@acme"))
    assert (r.status_code, r.headers["content-type"], r.headers["cache-control"]) == (
        200, "text/css; charset=utf-8", "private, no-store"
    )  # fmt: skip
    assert r.text.startswith(".brand-preview{--brand-accent:#b3400b;--c-accent:#b3400b;--brand-bg:#faf6f4;")
    assert "--brand-primary:#0b3d2e;--c-primary:#0b3d2e;" in r.text
    assert '--brand-font:Charter, "Bitstream Charter", "Sitka Text", Cambria, Georgia, serif;' in r.text
    r = await client.get("/brand/preview", headers=as_("rita@acme"))
    assert r.status_code == 200
    assert 'class="brand-preview"' in r.text
    assert '<link rel="stylesheet" href="/directory/brand/preview.css?v=1-' in r.text
    assert "style=" not in r.text
    assert "<script" not in r.text
    # publish with too little contrast: inline error, nothing published
    form |= {"colour-text": "#eeeeee", "was-text": "#1b2430"}
    await client.post("/brand/draft", data=form, headers=as_("rita@acme"))
    r = await client.post("/brand/publish", headers=as_("rita@acme"))
    assert r.status_code == 422
    assert (
        "Text on the page background (#eeeeee on #faf6f4) has a contrast of 1.08:1; "
        "WCAG AA needs at least 4.5:1." in r.text
    )
    assert brand_events(env) == []
    form["colour-text"] = "#1b2430"
    await client.post("/brand/draft", data=form, headers=as_("rita@acme"))
    r = await client.post("/brand/publish", headers={**as_("rita@acme"), "HX-Request": "true"})
    assert r.status_code == 200
    assert "Version 1 is published." in r.text
    r = await client.post("/brand/assets", files={"file": ("f.png", PNG_40)}, data={"field": "favicon"},
                          headers=as_("rita@acme"))  # fmt: skip
    assert r.status_code == 200
    assert "Favicon uploaded and saved to the draft." in r.text
    draft = (await client.get("/api/brand", headers=as_("rita@acme"))).json()["draft"]
    assert (draft["version"], draft["fields"]["favicon"].startswith("asset:")) == (2, True)


async def test_the_authenticator_issuer_is_the_published_brand(client: httpx.AsyncClient) -> None:
    """zenith has no brand files: its customers' TOTP entries are named after the brand zenith
    published in the portal (read fresh from the tree), never after the provider."""

    async def issuer() -> str:
        r = await client.post("/me/mfa/enrol", headers=as_("hank@hooli"))
        assert r.status_code == 200
        found = re.findall(r"&amp;issuer=([^&\"]+)", r.text)
        assert len(found) == 1
        return str(found[0])

    assert await issuer() == "Switchboard"
    assert (await put_draft(client, "zed@zenith", {"name": "Zenith Voice"})).status_code == 200
    assert (await client.post("/api/brand/publish", headers=as_("zed@zenith"))).status_code == 200
    assert await issuer() == "Zenith%20Voice"

"""Which brand, with which values: host names, the user's reseller brand, nested inheritance and
the overlay of published directory records onto the built-in file brands."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest

from branding import BUILTIN_BRANDS_DIR, BrandRegistry, PublishedBrand, brand_css, validate_record_fields
from branding.documents import document_context, email_headers

SHA_A = "a" * 64
SHA_B = "b" * 64
SHA_C = "c" * 64


@pytest.fixture(scope="module")
def files() -> BrandRegistry:
    return BrandRegistry.load([BUILTIN_BRANDS_DIR])


def rec(org_id: str, parent: str | None, version: int = 1, **fields: Any) -> PublishedBrand:
    return PublishedBrand(org_id=org_id, parent_brand=parent, version=version, fields=fields)


def test_builtin_brand_fields(files: BrandRegistry) -> None:
    default, acme = files.get("default"), files.get("acme")
    assert (default.typography, default.logo_url, default.logo_dark_url, default.favicon_url) == (
        "system",
        "/brand/default/static/logo.svg",
        "/brand/default/static/logo-dark.svg",
        "/brand/default/static/favicon.svg",
    )
    assert (default.email_from_name, default.email_from_address, default.support_phone) == (
        "Switchboard",
        "no-reply@switchboard.example",
        None,
    )
    assert acme.typography == "humanist"
    assert acme.logo_url == "/brand/acme/static/logo.svg"
    assert acme.favicon_url == "/brand/acme/static/logo.svg"
    assert acme.favicon_type == "image/svg+xml"
    # acme sets its own logo, so default's dark logo does not leak onto the acme portal
    assert acme.logo_dark_url is None
    assert acme.support_tel == "tel:+18005550199"
    assert acme.canonical_host == "acme.localhost"
    assert acme.version is None
    assert brand_css(acme).endswith(
        ';--brand-font:Seravek, "Gill Sans Nova", Ubuntu, Calibri, "DejaVu Sans", source-sans-pro, '
        "sans-serif}\n"
    )


def test_brand_by_host_after_overlay(files: BrandRegistry) -> None:
    reg = files.with_published(
        [
            rec(
                "zenith",
                "default",
                name="Zenith Networks",
                hosts=["Zenith.localhost", "portal.zenith.example"],
            ),
            # localhost belongs to the default file brand: a record cannot take it
            rec("hooligan", "default", name="Hooligan", hosts=["localhost", "hooligan.localhost"]),
        ]
    )
    assert reg.for_host("zenith.localhost:8443").id == "zenith"
    assert reg.for_host("PORTAL.zenith.example").id == "zenith"
    assert reg.get("zenith").canonical_host == "zenith.localhost"
    assert reg.for_host("localhost").id == "default"
    assert reg.get("hooligan").hosts == ("hooligan.localhost",)
    assert reg.for_host("acme.localhost").id == "acme"
    assert reg.for_host("unknown.example").id == "default"


def test_record_hosts_replace_the_file_hosts(files: BrandRegistry) -> None:
    reg = files.with_published([rec("acme", "default", hosts=["portal.acme.example"])])
    assert reg.get("acme").hosts == ("portal.acme.example",)
    assert reg.for_host("portal.acme.example").id == "acme"
    assert reg.for_host("acme.localhost").id == "default"


def test_users_brand_is_found_by_id_else_default(files: BrandRegistry) -> None:
    # Principal.brand carries the nearest reseller brand; unknown ids fall back to default
    reg = files.with_published([rec("zenith", "default", name="Zenith Networks")])
    assert reg.find("zenith").name == "Zenith Networks"
    assert reg.find("acme").name == "Acme Telecom"
    assert reg.find("hooli").id == "default"  # a customer is never a brand
    assert reg.find(None).id == "default"


def test_nested_reseller_inherits_parent_brand(files: BrandRegistry) -> None:
    reg = files.with_published(
        [
            rec("acme-west", "acme", 2, name="Acme West", colours={"primary": "#123456"}),
            rec("acme-west-2", "acme-west", 1, product_name="West Two Portal"),
        ]
    )
    west, two = reg.get("acme-west"), reg.get("acme-west-2")
    assert [b.id for b in reg.chain("acme-west-2")] == ["acme-west-2", "acme-west", "acme", "default"]
    assert (west.name, west.product_name, west.version, west.parent) == (
        "Acme West",
        "Acme Telecom Portal",
        2,
        "acme",
    )
    assert west.colours["primary"] == "#123456"
    assert west.colours["accent"] == "#b3400b"  # acme's
    assert west.colours["text"] == "#1b2430"  # default's
    assert west.logo_url == "/brand/acme/static/logo.svg"  # acme's file, served from acme's dir
    assert west.support_email == "help@acme-telecom.example"
    assert west.legal_footer == files.get("acme").legal_footer
    assert west.typography == "humanist"
    assert west.hosts == ()
    assert west.canonical_host is None
    assert west.directory is None
    assert west.templates_dir is None
    assert (two.name, two.product_name, two.colours["primary"]) == ("Acme West", "West Two Portal", "#123456")
    assert (
        reg.static_file("acme-west-2", "logo.svg") == (BUILTIN_BRANDS_DIR / "acme/static/logo.svg").resolve()
    )


def test_overlay_on_file_brand_and_children_see_it(files: BrandRegistry) -> None:
    reg = files.with_published(
        [
            rec(
                "acme",
                "default",
                7,
                colours={"primary": "#224466"},
                logo_light=f"asset:{SHA_A}",
                typography="serif",
                legal_footer="Acme legal\nline two",
            ),
            rec("acme-west", "acme", 1, name="Acme West"),
        ]
    )
    acme, west = reg.get("acme"), reg.get("acme-west")
    assert acme.version == 7
    assert acme.name == "Acme Telecom"  # from the file
    assert acme.colours["primary"] == "#224466"
    assert acme.colours["accent"] == "#b3400b"  # file colour kept
    assert acme.logo_url == f"/brand/acme/assets/{SHA_A}"
    assert acme.favicon_url == "/brand/acme/static/logo.svg"  # the file favicon stays
    assert acme.font_stack.startswith("Charter,")
    assert acme.legal_footer == "Acme legal\nline two"
    assert acme.directory == BUILTIN_BRANDS_DIR / "acme"  # template overrides still apply
    assert acme.hosts == ("acme.localhost",)
    assert acme.asset_hashes() == frozenset({SHA_A})
    assert west.logo_url == f"/brand/acme-west/assets/{SHA_A}"
    assert west.asset_hashes() == frozenset({SHA_A})
    assert west.colours["primary"] == "#224466"
    assert west.typography == "serif"
    # the untouched file registry is unchanged
    assert files.get("acme").colours["primary"] == "#6b1d4f"


def test_dark_logo_and_favicon_travel_with_the_logo(files: BrandRegistry) -> None:
    reg = files.with_published(
        [
            rec("zenith", "default", name="Zenith", logo_light=f"asset:{SHA_A}"),
            rec(
                "zed",
                "default",
                name="Zed",
                logo_light=f"asset:{SHA_A}",
                logo_dark=f"asset:{SHA_B}",
                favicon=f"asset:{SHA_C}",
            ),
            rec("zed-sub", "zed", name="Zed Sub"),
        ]
    )
    zenith, zed, sub = reg.get("zenith"), reg.get("zed"), reg.get("zed-sub")
    assert (zenith.logo_dark_url, zenith.favicon_url) == (None, None)
    assert (zed.logo_dark_url, zed.favicon_url, zed.favicon_type) == (
        f"/brand/zed/assets/{SHA_B}",
        f"/brand/zed/assets/{SHA_C}",
        None,
    )
    assert zed.asset_hashes() == frozenset({SHA_A, SHA_B, SHA_C})
    assert sub.asset_hashes() == frozenset({SHA_A, SHA_B, SHA_C})  # inherited with the logo
    assert sub.favicon_url == f"/brand/zed-sub/assets/{SHA_C}"


def test_provider_record_overlays_default(files: BrandRegistry) -> None:
    reg = files.with_published(
        [rec("switchboard", None, 3, support_phone="+44 20 7946 0000", colours={"primary": "#000080"})]
    )
    default, acme = reg.get("default"), reg.get("acme")
    assert (default.version, default.support_phone, default.colours["primary"]) == (
        3,
        "+44 20 7946 0000",
        "#000080",
    )
    assert default.hosts == ("localhost", "127.0.0.1")
    assert acme.support_phone == "+1 800 555 0199"  # acme's own
    assert acme.colours["primary"] == "#6b1d4f"
    # brand_id named by the directory wins over the derived one
    named = PublishedBrand.from_json(
        {"org_id": "switchboard", "brand_id": "default", "parent_brand": None, "version": 4, "fields": {}}
    )
    assert named.brand_id == "default"
    assert files.with_published([named]).get("default").version == 4


def test_bad_record_data_is_logged_and_left_out(
    files: BrandRegistry, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="branding")
    reg = files.with_published(
        [
            rec(
                "zenith",
                "nosuch",
                2,
                name="Zenith",
                colours={"primary": "red", "accent": "#00ff00"},
                logo_light="logo.svg",
                support_url="javascript:alert(1)",
                shoe_size=44,
            ),
            rec("zenith", "default", 1, name="Zenith dup"),
        ]
    )
    zenith = reg.get("zenith")
    assert (zenith.name, zenith.parent, zenith.version) == ("Zenith", "default", 2)
    assert zenith.colours["primary"] == "#1f4e79"  # the invalid colours table is dropped whole
    assert zenith.logo_url == "/brand/default/static/logo.svg"
    assert zenith.support_url == "https://support.switchboard.example/"
    assert [r.getMessage() for r in caplog.records] == [
        "published brand zenith v2: colours ignored: colour 'primary' must be #rrggbb, got 'red'",
        "published brand zenith v2: logo_light ignored: 'logo_light' must be asset:<sha256 as 64 hex digits>",
        "published brand zenith v2: support_url ignored: 'support_url' must be an https:// address, "
        "got 'javascript:alert(1)'",
        "published brand zenith v2: shoe_size ignored: unknown brand field 'shoe_size'",
        "published brand zenith listed twice; v1 ignored",
        "published brand zenith v2: parent brand 'nosuch' unknown or circular; using default",
    ]


def test_parent_cycle_in_records_falls_back_to_default(files: BrandRegistry) -> None:
    reg = files.with_published([rec("a", "b", name="A"), rec("b", "a", name="B")])
    assert [b.id for b in reg.chain("a")] == ["a", "default"]
    assert [b.id for b in reg.chain("b")] == ["b", "a", "default"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "a brand record must be an object"),
        (
            {"org_id": "Bad", "parent_brand": None, "version": 1, "fields": {}},
            "brand record: invalid org_id 'Bad'",
        ),
        (
            {"org_id": "x", "parent_brand": 5, "version": 1, "fields": {}},
            "brand record x: invalid parent_brand 5",
        ),
        (
            {"org_id": "x", "parent_brand": None, "version": 0, "fields": {}},
            "brand record x: invalid version 0",
        ),
        (
            {"org_id": "x", "parent_brand": None, "version": True, "fields": {}},
            "brand record x: invalid version True",
        ),
        (
            {"org_id": "x", "parent_brand": None, "version": 1, "fields": []},
            "brand record x: 'fields' must be an object",
        ),
        (
            {"org_id": "x", "brand_id": "a", "parent_brand": "a", "version": 1, "fields": {}},
            "brand record x: brand 'a' cannot be its own parent",
        ),
    ],
)
def test_record_shape_errors(data: Any, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)) as info:
        PublishedBrand.from_json(data)
    assert str(info.value) == message


def test_validate_record_fields() -> None:
    valid, errors = validate_record_fields(
        {
            "name": "  Zenith  ",
            "hosts": ["Zenith.Example", "zenith.example"],
            "typography": "comic",
            "colours": {"font": "#000000"},
            "support_phone": "+1 (800) 555-0100",
            "support_email": "help@zenith.example",
            "email_from_name": "Zenith\r\nBcc: x@evil.example",
            "legal_footer": "x" * 501,
            "report_header": "Line 1\r\nLine 2",
            "favicon": None,
        }
    )
    assert valid == {
        "name": "Zenith",
        "support_phone": "+1 (800) 555-0100",
        "support_email": "help@zenith.example",
        "report_header": "Line 1\nLine 2",
    }
    assert errors == [
        {"field": "hosts", "message": "'hosts' lists a host twice"},
        {
            "field": "typography",
            "message": "'typography' must be one of system, humanist, serif, mono, got 'comic'",
        },
        {"field": "colours", "message": "colour name 'font' is reserved (typography sets --brand-font)"},
        {"field": "email_from_name", "message": "'email_from_name' must be a single line of text"},
        {"field": "legal_footer", "message": "'legal_footer' must be at most 500 characters"},
    ]


def test_document_context_and_email_headers(files: BrandRegistry) -> None:
    acme = files.get("acme")
    assert document_context(acme) == {
        "brand_id": "acme",
        "header": "Acme Telecom Portal",
        "footer": "",
        "legal": "© Acme Telecom Inc. Services provided under the Acme Telecom customer agreement.",
        "sender": {"name": "Acme Telecom", "address": "portal@acme-telecom.example"},
        "support": {
            "email": "help@acme-telecom.example",
            "phone": "+1 800 555 0199",
            "url": "https://help.acme-telecom.example/",
        },
        "product_name": "Acme Telecom Portal",
        "colours": dict(acme.colours),
        "font": acme.font_stack,
    }
    assert email_headers(acme) == {
        "From": "Acme Telecom <portal@acme-telecom.example>",
        "Reply-To": "help@acme-telecom.example",
    }
    reg = files.with_published(
        [
            rec(
                "zenith",
                "default",
                name="Zenith",
                email_from_name="Zénith, Billing",
                email_from_address="billing@zenith.example",
                report_header="Zenith Networks — monthly report",
                report_footer="Zenith Networks GmbH, Berlin",
            )
        ]
    )
    zenith = reg.get("zenith")
    assert email_headers(zenith) == {
        "From": "=?utf-8?q?Z=C3=A9nith=2C_Billing?= <billing@zenith.example>",
        "Reply-To": "support@switchboard.example",
    }
    context = document_context(zenith)
    assert (context["header"], context["footer"], context["legal"]) == (
        "Zenith Networks — monthly report",
        "Zenith Networks GmbH, Berlin",
        "© Switchboard Communications Ltd. All rights reserved.",
    )
    plain = files.with_published([rec("x", "default", name="X Co", email_from_name='Billing "X", Inc.')]).get(
        "x"
    )
    assert email_headers(plain)["From"] == '"Billing \\"X\\", Inc." <no-reply@switchboard.example>'


def test_the_stylesheet_url_changes_with_the_published_colours() -> None:
    files = BrandRegistry.load([BUILTIN_BRANDS_DIR])
    before = files.get("acme").css_url
    published = files.with_published(
        [PublishedBrand.from_json({"org_id": "acme", "brand_id": "acme", "parent_brand": "default",
                                   "version": 2, "fields": {"colours": {"primary": "#123456"}}})]
    )  # fmt: skip
    after = published.get("acme").css_url
    assert before.startswith("/brand/acme/brand.css?v=")
    assert after.startswith("/brand/acme/brand.css?v=")
    assert before != after
    assert files.get("default").css_url == published.get("default").css_url

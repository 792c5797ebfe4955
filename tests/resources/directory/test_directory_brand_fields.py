"""Brand fields as data: validation, inheritance, WCAG contrast, the preview stylesheet, the
editor form's colour inputs and the version state machine."""

from __future__ import annotations

import pytest

from resources.directory import brand_lifecycle as life
from resources.directory.brand_fields import (
    contrast,
    contrast_problems,
    form_fields,
    merge,
    parse_fields,
    preview_css,
)
from resources.kit.errors import ProblemError, ValidationFailed

SHA = "a" * 64


def errors_of(raw: dict[str, object]) -> list[dict[str, str]]:
    with pytest.raises(ValidationFailed) as info:
        parse_fields(raw)
    return info.value.errors


def test_valid_fields_are_normalised_and_empty_ones_dropped() -> None:
    raw = {
        "name": "  Acme Telecom ", "product_name": "", "colours": {"primary": "#6B1D4F", "accent": ""},
        "typography": "serif", "logo_light": f"asset:{SHA}", "support_email": "help@acme.example",
        "support_phone": "+1 800 555 0199", "support_url": "https://help.acme.example/",
        "email_from_address": "portal@acme.example", "legal_footer": "Line one\r\nLine two",
        "hosts": "Portal.Acme.Example, portal.acme.example",
    }  # fmt: skip
    assert parse_fields(raw) == {
        "name": "Acme Telecom", "colours": {"primary": "#6b1d4f"}, "typography": "serif",
        "logo_light": f"asset:{SHA}", "support_email": "help@acme.example",
        "support_phone": "+1 800 555 0199",
        "support_url": "https://help.acme.example/", "email_from_address": "portal@acme.example",
        "legal_footer": "Line one\nLine two", "hosts": ["portal.acme.example"],
    }  # fmt: skip


def test_each_invalid_field_is_named() -> None:
    assert errors_of(
        {
            "colours": {"primary": "red", "sparkle": "#000000"},
            "typography": "comic",
            "support_url": "http://help.acme.example/",
            "support_email": "not-an-address",
            "legal_footer": "x" * 501,
            "email_from_name": "Acme\r\nBcc: victim@example.com",
            "logo_dark": "https://evil.example/logo.svg",
            "hosts": ["bad_host!"],
            "colour": "#000000",
        }
    ) == [
        {"field": "colour", "message": "Unknown brand field."},
        {"field": "email_from_name", "message": "Must be a single line of text."},
        {"field": "legal_footer", "message": "At most 500 characters."},
        {"field": "support_email", "message": "Enter an e-mail address like name@example.com."},
        {"field": "support_url", "message": "Enter an https:// address."},
        {"field": "typography", "message": "Choose one of: system, humanist, serif, mono."},
        {"field": "logo_dark", "message": "Upload an image; the value must be asset:<sha256>."},
        {"field": "colours.primary", "message": "Enter a colour as #rrggbb, e.g. #1f4e79."},
        {
            "field": "colours.sparkle",
            "message": "Unknown colour; use one of: primary, on-primary, accent, bg, surface, text, muted, "
            "border, focus, danger, success, warning.",
        },
        {"field": "hosts", "message": "'bad_host!' is not a valid host name."},
    ]
    assert errors_of({"support_url": "https://user:pw@help.example/"}) == [
        {"field": "support_url", "message": "The address must not contain spaces or a user name."}
    ]
    assert errors_of({"support_url": "javascript:alert(1)"}) == [
        {"field": "support_url", "message": "Enter an https:// address."}
    ]
    assert errors_of({"name": "n" * 121}) == [{"field": "name", "message": "At most 120 characters."}]


def test_contrast_values_and_problems() -> None:
    assert round(contrast("#ffffff", "#000000"), 2) == 21.0
    assert round(contrast("#ffffff", "#1f4e79"), 4) == 8.663
    assert (
        contrast_problems({"primary": "#1f4e79", "on-primary": "#ffffff", "text": "#1b2430", "bg": "#f4f6f9"})
        == []
    )
    # 4.478:1 is shown rounded down, never as a flattering 4.48 that still fails
    assert contrast_problems(
        {"primary": "#777777", "on-primary": "#ffffff", "text": "#ffffff", "bg": "#dddddd"}
    ) == [
        {
            "field": "colours.on-primary",
            "message": "Text on primary (#ffffff on #777777) has a contrast of 4.47:1; "
            "WCAG AA needs at least 4.5:1.",
        },
        {
            "field": "colours.text",
            "message": "Text on the page background (#ffffff on #dddddd) has a contrast of 1.35:1; "
            "WCAG AA needs at least 4.5:1.",
        },
    ]


def test_merge_and_preview_css() -> None:
    merged = merge([
        {"name": "Switchboard", "colours": {"primary": "#1f4e79", "text": "#1b2430"}},
        {"name": "Acme", "colours": {"primary": "#6b1d4f"}, "typography": "mono"},
    ])  # fmt: skip
    assert merged == {
        "name": "Acme",
        "colours": {"primary": "#6b1d4f", "text": "#1b2430"},
        "typography": "mono",
    }
    assert preview_css(merged) == (
        ".brand-preview{--brand-primary:#6b1d4f;--c-primary:#6b1d4f;--brand-text:#1b2430;--c-text:#1b2430;"
        '--brand-font:ui-monospace, "Cascadia Code", "Source Code Pro", Menlo, Consolas, "DejaVu Sans Mono", '
        "monospace;font-family:var(--brand-font);color:var(--c-text);background:var(--c-bg)}\n"
    )


def test_form_colours_text_wins_then_picker_then_inherit() -> None:
    form = {
        "name": "Acme",
        # edited text input
        "colour-primary": "#112233", "pick-primary": "#6b1d4f", "was-primary": "#6b1d4f",
        # picker moved, text untouched
        "colour-accent": "#b3400b", "pick-accent": "#00aa00", "was-accent": "#b3400b",
        # untouched inherited colour: stays inherited
        "colour-text": "#1b2430", "pick-text": "#1b2430", "was-text": "#1b2430",
        # untouched own colour: kept
        "colour-bg": "#faf6f4", "pick-bg": "#faf6f4", "was-bg": "#faf6f4",
        # emptied text of an own colour: back to inherited
        "colour-focus": "", "pick-focus": "#b3400b", "was-focus": "#b3400b",
    }  # fmt: skip
    current = {"colours": {"bg": "#faf6f4", "focus": "#b3400b"}, "hosts": ["acme.localhost"]}
    raw = form_fields(form, current=current, colour_names=("primary", "accent", "text", "bg", "focus"))
    assert raw["colours"] == {"primary": "#112233", "accent": "#00aa00", "bg": "#faf6f4"}
    assert (raw["name"], raw["hosts"], raw["logo_light"]) == ("Acme", ["acme.localhost"], "")


def test_lifecycle_table() -> None:
    assert life.next_state(None, "save") == life.DRAFT
    assert life.next_state(life.DRAFT, "publish") == life.PUBLISHED
    assert life.next_state(life.PUBLISHED, "supersede") == life.OLD
    assert life.next_state(None, "rollback") == life.PUBLISHED
    with pytest.raises(ProblemError) as info:
        life.next_state(life.OLD, "publish")
    assert (info.value.status, info.value.detail, info.value.extra["allowed"]) == (
        409,
        "a OLD brand version cannot publish",
        [],
    )
    assert life.allowed(life.DRAFT) == ["save", "publish"]

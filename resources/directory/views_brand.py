"""Brand editor pages: `/brand` (form, uploads, publish, history), `/brand/preview` (sample
components inside `.brand-preview`) and `/brand/preview.css` (the draft's variables; CSP allows
no inline styles). Form errors render inline with 422 (200 for htmx), like views.py."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from resources.directory import brands
from resources.directory.brand_fields import (
    AA_NORMAL,
    ASSET_FIELDS,
    COLOUR_NAMES,
    CONTRAST_PAIRS,
    FIELDS,
    TYPOGRAPHY,
    contrast,
    form_fields,
    merge,
    preview_css,
)
from resources.directory.brand_lifecycle import OLD
from resources.directory.context import transaction
from resources.directory.routes import ctx_of
from resources.directory.routes_brand import asset_response, builtins_of, org_of, parse_kind, upload_of
from resources.directory.views import render_page
from resources.kit.errors import ProblemError, ValidationFailed
from resources.kit.middleware import caller_of

ASSET_LABELS = {
    "logo_light": "Logo (light background)",
    "logo_dark": "Logo (dark background)",
    "favicon": "Favicon",
}


def _query(org: str | None) -> str:
    return f"?org={org}" if org else ""


def _image_src(ref: Any, *, own: set[str], org: str | None, parent_brand: str | None) -> str | None:
    """Where the editor shows an asset: own uploads through the editor, inherited uploads and
    built-in files through the gateway's public brand paths."""
    if not isinstance(ref, str) or not ref:
        return None
    if ref.startswith("/"):
        return ref
    sha = ref.removeprefix("asset:")
    if sha in own:
        return f"/directory/brand/assets/{sha}{_query(org)}"
    return f"/brand/{parent_brand or 'default'}/assets/{sha}"


def _checks(colours: dict[str, str]) -> list[dict[str, Any]]:
    out = []
    for fg, bg, what in CONTRAST_PAIRS:
        if fg in colours and bg in colours:
            ratio = contrast(colours[fg], colours[bg])
            shown = f"{int(ratio * 100) / 100:.2f}"
            out.append(
                {"what": what, "fg": colours[fg], "bg": colours[bg], "ratio": shown, "ok": ratio >= AA_NORMAL}
            )
    return out


async def _state(request: Request) -> brands.EditorState:
    async with transaction(ctx_of(request), write=False) as tx:
        return await brands.editor(
            tx, caller=caller_of(request), org_id=org_of(request), builtins=builtins_of(request)
        )


async def _editor(
    request: Request, *, notice: str | None = None, errors: list[dict[str, str]] | None = None,
    form: dict[str, Any] | None = None, failed: bool = False,
) -> Response:  # fmt: skip
    state = await _state(request)
    org = org_of(request)
    own_assets = {a.sha256 for a in state.assets}
    values = merge([state.effective, form or {}])
    colours = state.effective.get("colours", {})
    error_map: dict[str, str] = {}
    for e in errors or []:
        error_map.setdefault(e["field"], e["message"])
    return render_page(request, "directory/brand.html", f"Brand {state.target.brand_id}", {
        "state": state, "org": org, "q": _query(org), "values": values, "own": {**state.own, **(form or {})},
        "inherited": state.inherited, "colour_names": COLOUR_NAMES, "colours": colours,
        "typography": [(t, t.capitalize()) for t in TYPOGRAPHY], "asset_fields": ASSET_FIELDS,
        "asset_labels": ASSET_LABELS, "images": {
            k: _image_src(values.get(k), own=own_assets, org=org, parent_brand=state.target.parent_brand)
            for k in ASSET_FIELDS
        },
        "checks": _checks(colours), "notice": notice, "errors": errors or [], "error_map": error_map,
        "can_set_hosts": caller_of(request).org_id == _root_of(state), "OLD": OLD,
    }, failed=failed)  # fmt: skip


def _root_of(state: brands.EditorState) -> str:
    return state.target.above[0].id if state.target.above else state.target.org.id


async def brand_page(request: Request) -> Response:
    return await _editor(request)


async def save_draft(request: Request) -> Response:
    caller, org = caller_of(request), org_of(request)
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    state = await _state(request)
    raw = form_fields(form, current=state.own, colour_names=COLOUR_NAMES)
    if caller.org_id != _root_of(state):
        raw.pop("hosts", None)  # carried over by the service
    try:
        async with transaction(ctx_of(request), write=True) as tx:
            draft = await brands.save_draft(tx, caller=caller, fields=raw, org_id=org)
    except ValidationFailed as exc:
        shown = {k: v for k, v in raw.items() if k in FIELDS}
        return await _editor(request, errors=exc.errors, form=shown, failed=True)
    return await _editor(request, notice=f"Draft version {draft.version} saved. Preview it, then publish.")


async def upload(request: Request) -> Response:
    caller, org = caller_of(request), org_of(request)
    try:
        data, fields = await upload_of(request)
        target_field = fields.get("field", "")
        if target_field not in ASSET_FIELDS:
            raise ValidationFailed([{"field": "field", "message": "Choose which image this is."}])
        kind = parse_kind(ASSET_FIELDS[target_field])
        state = await _state(request)
        async with transaction(ctx_of(request), write=True) as tx:
            asset = await brands.upload_asset(tx, caller=caller, kind=kind, data=data, org_id=org)
            await brands.save_draft(
                tx, caller=caller, fields={**state.own, target_field: f"asset:{asset.sha256}"}, org_id=org
            )
    except ValidationFailed as exc:
        return await _editor(request, errors=exc.errors, failed=True)
    return await _editor(request, notice=f"{ASSET_LABELS[target_field]} uploaded and saved to the draft.")


async def asset(request: Request) -> Response:
    async with transaction(ctx_of(request), write=False) as tx:
        found = await brands.editor_asset(
            tx, caller=caller_of(request), sha256=request.path_params["sha256"], org_id=org_of(request)
        )
    return asset_response(found, cache="private, max-age=300")


async def publish(request: Request) -> Response:
    try:
        version = await brands.publish(
            ctx_of(request), caller=caller_of(request), builtins=builtins_of(request), org_id=org_of(request)
        )
    except ValidationFailed as exc:
        return await _editor(request, errors=exc.errors, failed=True)
    except ProblemError as exc:
        if exc.status != 409:
            raise
        return await _editor(request, errors=[{"field": "", "message": exc.detail or ""}], failed=True)
    return await _editor(request, notice=f"Version {version.version} is published.")


async def rollback(request: Request) -> Response:
    number = request.path_params["version"]
    try:
        version = await brands.rollback(
            ctx_of(request), caller=caller_of(request), version=number, builtins=builtins_of(request),
            org_id=org_of(request),
        )  # fmt: skip
    except ValidationFailed as exc:
        return await _editor(request, errors=exc.errors, failed=True)
    except ProblemError as exc:
        if exc.status != 409:
            raise
        return await _editor(request, errors=[{"field": "", "message": exc.detail or ""}], failed=True)
    return await _editor(request, notice=f"Version {number} is published again as version {version.version}.")


async def preview_page(request: Request) -> Response:
    state = await _state(request)
    org = org_of(request)
    values = state.effective
    own_assets = {a.sha256 for a in state.assets}
    current = state.draft or state.published
    return render_page(request, "directory/brand_preview.html", f"Preview of brand {state.target.brand_id}", {
        "state": state, "values": values, "q": _query(org), "checks": _checks(values.get("colours", {})),
        "stamp": f"{current.version}-{current.created_at.timestamp():.0f}" if current else "0",
        "images": {
            k: _image_src(values.get(k), own=own_assets, org=org, parent_brand=state.target.parent_brand)
            for k in ASSET_FIELDS
        },
    })  # fmt: skip


async def preview_stylesheet(request: Request) -> Response:
    state = await _state(request)
    return Response(
        preview_css(state.effective), media_type="text/css", headers={"Cache-Control": "private, no-store"}
    )


def routes() -> list[Route]:
    return [
        Route("/brand", brand_page, methods=["GET"]),
        Route("/brand/draft", save_draft, methods=["POST"]),
        Route("/brand/assets", upload, methods=["POST"]),
        Route("/brand/assets/{sha256}", asset, methods=["GET"]),
        Route("/brand/preview", preview_page, methods=["GET"]),
        Route("/brand/preview.css", preview_stylesheet, methods=["GET"]),
        Route("/brand/publish", publish, methods=["POST"]),
        Route("/brand/rollback/{version:int}", rollback, methods=["POST"]),
    ]

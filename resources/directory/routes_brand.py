"""Brand JSON routes: `/api/brand...` (customer plane, `directory:manage-brand`) and the
gateway's feed `/internal/brands`, `/internal/brand-assets/{sha256}` (service plane).

Every `/api/brand` route takes an optional `?org=<reseller id>` (default: the caller's org)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Message

from branding import BUILTIN_BRANDS_DIR, BrandRegistry
from resources.directory import brands
from resources.directory.brand_models import BrandAsset, BrandVersion
from resources.directory.context import transaction
from resources.directory.manifest import AUTHENTICATE
from resources.directory.routes import body_of, ctx_of
from resources.directory.uploads import KINDS, Kind
from resources.kit.errors import ProblemError, ValidationFailed
from resources.kit.middleware import caller_of

UPLOAD_LIMIT = 2 * 1024 * 1024  # the whole request (multipart overhead); the image limit is MAX_BYTES
SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox"


def builtins_of(request: Request) -> brands.Builtins:
    """The built-in file brands (what published records overlay), loaded once per app."""
    found: brands.Builtins | None = getattr(request.app.state, "brand_builtins", None)
    if found is None:
        settings = ctx_of(request).settings
        dirs = [BUILTIN_BRANDS_DIR, *([settings.brands_dir] if settings.brands_dir else [])]
        found = brands.builtins_from(BrandRegistry.load(dirs))
        request.app.state.brand_builtins = found
    return found


def service_only(request: Request) -> None:
    caller = caller_of(request)
    if caller.plane != "service" or not caller.has(AUTHENTICATE):
        raise ProblemError(403, detail=f"needs {AUTHENTICATE} on the service plane")


def org_of(request: Request) -> str | None:
    return request.query_params.get("org") or None


def version_json(v: BrandVersion | None) -> dict[str, Any] | None:
    if v is None:
        return None
    return {
        "version": v.version, "state": v.state, "fields": dict(v.fields),
        "created_at": v.created_at.isoformat(), "created_by": v.created_by,
        "published_at": v.published_at.isoformat() if v.published_at else None,
        "published_by": v.published_by, "rolled_back_from": v.rolled_back_from,
    }  # fmt: skip


def asset_json(a: BrandAsset) -> dict[str, Any]:
    return {
        "sha256": a.sha256, "ref": f"asset:{a.sha256}", "kind": a.kind, "content_type": a.content_type,
        "width": a.width, "height": a.height, "size": a.size, "created_at": a.created_at.isoformat(),
    }  # fmt: skip


def state_json(state: brands.EditorState) -> dict[str, Any]:
    t = state.target
    return {
        "org_id": t.org.id, "brand_id": t.brand_id, "parent_brand": t.parent_brand,
        "draft": version_json(state.draft), "published": version_json(state.published),
        "inherited": state.inherited, "effective": state.effective,
    }  # fmt: skip


async def capped_request(request: Request, limit: int = UPLOAD_LIMIT) -> Request:
    """The request with its body read (at most `limit` bytes, else 413) and replayable."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ProblemError(413, detail=f"the upload is larger than {limit // 1024} KiB")
        chunks.append(chunk)
    body = b"".join(chunks)

    async def receive() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    return Request(request.scope, receive)


def parse_kind(value: Any) -> Kind:
    for kind in KINDS:
        if value == kind:
            return kind
    raise ValidationFailed([{"field": "kind", "message": "Choose logo or favicon."}])


async def upload_of(request: Request) -> tuple[bytes, dict[str, str]]:
    """(bytes, the other form fields) from a multipart form (`file` plus fields) or a raw image
    body (then the fields are the query parameters)."""
    replay = await capped_request(request)
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        async with replay.form(max_files=1, max_fields=50, max_part_size=UPLOAD_LIMIT) as form:
            upload = form.get("file")
            if upload is None or isinstance(upload, str):
                raise ValidationFailed([{"field": "file", "message": "Choose an image file to upload."}])
            data = await upload.read()
            fields = {k: v for k, v in form.items() if isinstance(v, str)}
        return data, fields
    return await replay.body(), dict(request.query_params)


async def api_brand(request: Request) -> Response:
    async with transaction(ctx_of(request), write=False) as tx:
        state = await brands.editor(
            tx, caller=caller_of(request), org_id=org_of(request), builtins=builtins_of(request)
        )
    return JSONResponse(state_json(state))


async def api_draft(request: Request) -> Response:
    raw = await body_of(request)
    if set(raw) != {"fields"} or not isinstance(raw["fields"], dict):
        raise ValidationFailed(
            [{"field": "fields", "message": 'Send {"fields": {...}}: the complete overrides.'}]
        )
    async with transaction(ctx_of(request), write=True) as tx:
        draft = await brands.save_draft(
            tx, caller=caller_of(request), fields=raw["fields"], org_id=org_of(request)
        )
    return JSONResponse(version_json(draft))


async def api_assets(request: Request) -> Response:
    data, fields = await upload_of(request)
    kind = parse_kind(fields.get("kind"))
    async with transaction(ctx_of(request), write=True) as tx:
        asset = await brands.upload_asset(
            tx, caller=caller_of(request), kind=kind, data=data, org_id=org_of(request)
        )
    return JSONResponse(asset_json(asset), status_code=201)


async def api_publish(request: Request) -> Response:
    version = await brands.publish(
        ctx_of(request), caller=caller_of(request), builtins=builtins_of(request), org_id=org_of(request)
    )
    return JSONResponse(version_json(version))


async def api_rollback(request: Request) -> Response:
    number = request.path_params["version"]
    version = await brands.rollback(
        ctx_of(request), caller=caller_of(request), version=number, builtins=builtins_of(request),
        org_id=org_of(request),
    )  # fmt: skip
    return JSONResponse(version_json(version))


async def api_versions(request: Request) -> Response:
    async with transaction(ctx_of(request), write=False) as tx:
        state = await brands.editor(
            tx, caller=caller_of(request), org_id=org_of(request), builtins=brands.no_builtins
        )
    return JSONResponse({"items": [version_json(v) for v in state.history]})


def asset_response(asset: BrandAsset, *, cache: str) -> Response:
    headers = {"Cache-Control": cache, "X-Content-Type-Options": "nosniff"}
    if asset.content_type == "image/svg+xml":
        headers["Content-Security-Policy"] = SVG_CSP
    return Response(asset.data, media_type=asset.content_type, headers=headers)


async def internal_brands(request: Request) -> Response:
    service_only(request)
    async with transaction(ctx_of(request), write=False) as tx:
        records = await brands.published_records(tx)
    return JSONResponse({"brands": records})


async def internal_brand_asset(request: Request) -> Response:
    service_only(request)
    async with transaction(ctx_of(request), write=False) as tx:
        asset = await brands.asset_bytes(tx, sha256=request.path_params["sha256"])
    if asset is None:
        raise ProblemError(404, detail="no such asset")
    return asset_response(asset, cache="public, max-age=31536000, immutable")


def routes() -> list[Route]:
    return [
        Route("/api/brand", api_brand, methods=["GET"]),
        Route("/api/brand/draft", api_draft, methods=["PUT"]),
        Route("/api/brand/assets", api_assets, methods=["POST"]),
        Route("/api/brand/publish", api_publish, methods=["POST"]),
        Route("/api/brand/rollback/{version:int}", api_rollback, methods=["POST"]),
        Route("/api/brand/versions", api_versions, methods=["GET"]),
        Route("/internal/brands", internal_brands, methods=["GET"]),
        Route("/internal/brand-assets/{sha256}", internal_brand_asset, methods=["GET"]),
    ]

"""The API contract through the gateway: `GET /api/openapi.json` (every resource's spec the caller
may see, merged) and `GET /api/docs` (the same, as a portal page we render ourselves — no script,
no inline style, so the CSP stays strict; the per-resource specs are `/api/<name>/openapi.json`)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from dispatcher.errors import PolicyDenied, ResourceUnavailable
from gateway.deps import GatewayDeps, deps_of
from gateway.errors import error_response
from gateway.headers import request_id_of
from gateway.pages import signed_in
from gateway.rendering import nav_for
from gateway.routing import Forwarder
from resources.kit.caller import Principal
from resources.kit.openapi import SPEC_PATH, merge_specs

TITLE = "Switchboard API"
_METHODS = ("get", "post", "put", "patch", "delete")


async def specs_for(deps: GatewayDeps, principal: Principal, *, request_id: str) -> dict[str, dict[str, Any]]:
    """Resource name → its spec as the resource lists it for this principal (a resource the
    principal holds nothing of — the policy refuses —, or one that is down, is left out)."""
    out: dict[str, dict[str, Any]] = {}
    for name in deps.dispatcher.manifests:
        try:
            result = await deps.dispatcher.call(
                resource=name,
                method="GET",
                path=SPEC_PATH["customer"],
                principal=principal,
                plane="customer",
                request_id=request_id,
            )
        except (PolicyDenied, ResourceUnavailable):
            continue
        if result.status == 200:
            out[name] = result.json()
    return out


async def merged_spec(request: Request) -> Response:
    deps = deps_of(request.scope)
    request_id = request_id_of(request.scope)
    principal, _ = await Forwarder(api=True).identify(request.scope, deps, request_id)
    if principal is None:
        return error_response(request.scope, 401, headers={"WWW-Authenticate": "Bearer"})
    spec = merge_specs((await specs_for(deps, principal, request_id=request_id)).values(), title=TITLE)
    return JSONResponse(spec, headers={"Cache-Control": "private, no-store"})


def _schema_text(schema: Mapping[str, Any] | None, components: Mapping[str, Any]) -> str:
    """A schema as API users read it: the referenced component, pretty-printed."""
    if schema is None:
        return ""
    ref = schema.get("$ref")
    if isinstance(ref, str):
        name = ref.rsplit("/", 1)[-1]
        return json.dumps({name: components.get(name, {})}, indent=2, ensure_ascii=False)
    return json.dumps(schema, indent=2, ensure_ascii=False)


def _operations(spec: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The merged spec flattened for the template, grouped by tag (resource) in path order."""
    components = spec.get("components", {}).get("schemas", {})
    groups: dict[str, list[dict[str, Any]]] = {}
    for path, item in spec.get("paths", {}).items():
        for method in _METHODS:
            op = item.get(method)
            if op is None:
                continue
            body = next(iter(op.get("requestBody", {}).get("content", {}).items()), None)
            responses = []
            for status, response in op.get("responses", {}).items():
                content = next(iter(response.get("content", {}).items()), None)
                responses.append(
                    {
                        "status": status,
                        "description": response.get("description", ""),
                        "media": content[0] if content else "",
                        "schema": _schema_text(content[1].get("schema"), components) if content else "",
                    }
                )
            groups.setdefault((op.get("tags") or ["API"])[0], []).append(
                {
                    "id": op.get("operationId", ""),
                    "method": method.upper(),
                    "path": path,
                    "summary": op.get("summary", ""),
                    "description": op.get("description", ""),
                    "action": op.get("x-switchboard-action") or "",
                    "parameters": op.get("parameters", []),
                    "body_media": body[0] if body else "",
                    "body": _schema_text(body[1].get("schema"), components) if body else "",
                    "responses": responses,
                }
            )
    return [{"title": title, "operations": ops} for title, ops in groups.items()]


async def docs_page(request: Request) -> Response:
    found = await signed_in(request)
    if isinstance(found, Response):
        return found
    deps, record, principal = found
    specs = await specs_for(deps, principal, request_id=request_id_of(request.scope))
    spec = merge_specs(specs.values(), title=TITLE)
    manifests = deps.dispatcher.manifests
    resources = [
        {"name": name, "title": manifests[name].title, "spec": f"/api/{name}/openapi.json"} for name in specs
    ]
    return deps.renderer.render(
        request.scope,
        "api_docs.html",
        {
            "groups": _operations(spec),
            "resources": resources,
            "count": sum(len(i) for i in spec["paths"].values()),
        },
        title="API reference",
        principal=principal,
        nav=nav_for(deps.dispatcher.manifests, principal, request.url.path),
        csrf_token=record.csrf_token,
    )


def routes() -> list[Route]:
    return [
        Route("/api/openapi.json", merged_spec, methods=["GET"]),
        Route("/api/docs", docs_page, methods=["GET"]),
    ]

"""A resource's API contract: pydantic v2 models describe every JSON operation; OpenAPI 3.1 is
built from them, per caller (only the operations its entitlements allow).

Each resource lists its operations in `resources/<name>/openapi.py` as `CONTRACT`; the action an
operation needs is never repeated there, it is looked up in the manifest's rules (the contract
test fails when a rule has no operation or an operation no rule). The hand-written validators
keep producing the human error sentences; the models are where shapes are described.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal, cast

from pydantic import BaseModel, ConfigDict
from pydantic.json_schema import models_json_schema

from resources.kit.manifest import PATH_PARAM, Manifest, Plane, Rule

OPENAPI_VERSION = "3.1.0"
SPEC_PATH = {"customer": "/api/openapi.json", "network": "/network/openapi.json"}
HttpMethod = Literal["GET", "POST", "PUT", "PATCH", "DELETE"]
Media = Literal["application/json", "multipart/form-data", "application/octet-stream"]


class FieldError(BaseModel):
    """One bad field of a rejected request, in the words a form shows next to it."""

    field: str
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details; 422 adds `errors` (one per bad field)."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str | None = None
    errors: list[FieldError] | None = None


@dataclass(frozen=True, kw_only=True)
class Operation:
    """One JSON route. `path` is resource-relative, as in the manifest (`/api/users/{user_id}`).
    `responses` maps success statuses to their body model (None: no body); every error status
    answers a `Problem`."""

    method: HttpMethod
    path: str
    summary: str
    responses: Mapping[int, type[BaseModel] | None]
    body: type[BaseModel] | None = None
    body_media: Media = "application/json"
    body_required: bool = True
    query: type[BaseModel] | None = None
    plane: Plane = "customer"
    description: str = ""
    path_params: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    # an htmx fragment under /api (the plan editor's dialogs): documented as text/html
    html: bool = False

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.plane, self.method, self.path)


def op(method: HttpMethod, path: str, summary: str, **rest: Any) -> Operation:
    """`Operation` with its three always-given fields positional: the contract tables read as rows."""
    return Operation(method=method, path=path, summary=summary, **rest)


@dataclass(frozen=True, kw_only=True)
class Contract:
    manifest: Manifest
    operations: tuple[Operation, ...]
    # built specs by (plane, indices of the visible operations): a caller's entitlements pick
    # one of few subsets, and building one runs pydantic's schema generation
    _built: dict[tuple[str, tuple[int, ...]], dict[str, Any]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def rule_for(self, op: Operation) -> Rule | None:
        for rule in self.manifest.rules_for(op.plane):
            if rule.method == op.method and rule.path == op.path:
                return rule
        return None

    @cached_property
    def _rules(self) -> tuple[Rule | None, ...]:
        """Each operation's rule (looked up once: every contract request filters by them)."""
        return tuple(self.rule_for(operation) for operation in self.operations)

    def _visible_indices(self, plane: Plane, holds: Callable[[str], bool]) -> tuple[int, ...]:
        return tuple(
            i
            for i, (operation, rule) in enumerate(zip(self.operations, self._rules, strict=True))
            if operation.plane == plane and rule is not None and holds(rule.action)
        )

    def visible(self, *, plane: Plane, holds: Callable[[str], bool]) -> tuple[Operation, ...]:
        return tuple(self.operations[i] for i in self._visible_indices(plane, holds))

    def spec(
        self, *, plane: Plane = "customer", holds: Callable[[str], bool] = lambda _a: True
    ) -> dict[str, Any]:
        """OpenAPI 3.1 for the operations `holds` allows, with client-facing paths (built once
        per subset; callers get the shared document and must not change it)."""
        key = (plane, self._visible_indices(plane, holds))
        built = self._built.get(key)
        if built is None:
            built = build_spec(self, [self.operations[i] for i in key[1]], plane=plane)
            self._built[key] = built
        return built


def public_path(resource: str, path: str, *, plane: Plane) -> str:
    """`/api/users` → `/api/directory/users` (customer plane, through the gateway);
    `/network/route` → `/tollfree/route` (the network plane's port)."""
    if plane == "network":
        return f"/{resource}" + path.removeprefix("/network")
    return f"/api/{resource}" + path.removeprefix("/api")


def _schemas(
    resource: str, ops: Iterable[Operation]
) -> tuple[dict[tuple[type[BaseModel], str], dict[str, Any]], dict[str, Any]]:
    wanted: list[tuple[type[BaseModel], Literal["validation", "serialization"]]] = [
        (Problem, "serialization")
    ]
    for op in ops:
        if op.body is not None:
            wanted.append((op.body, "validation"))
        wanted.extend((m, "serialization") for m in op.responses.values() if m is not None)
    unique = list(dict.fromkeys(wanted))
    refs, defs = models_json_schema(unique, ref_template=f"#/components/schemas/{resource}.{{model}}")
    components = {f"{resource}.{name}": schema for name, schema in defs.get("$defs", {}).items()}
    return {(cast(type[BaseModel], m), mode): ref for (m, mode), ref in refs.items()}, components


def _parameters(op: Operation) -> list[dict[str, Any]]:
    """Path parameters from the template, query parameters from the query model's fields (flat
    scalars, so its schema is used inline, never as a component)."""
    params: list[dict[str, Any]] = []
    for match in PATH_PARAM.finditer(op.path):
        name = match.group(1)
        schema = dict(op.path_params.get(name, {"type": "string", "minLength": 1}))
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
    if op.query is not None:
        query_schema = op.query.model_json_schema(mode="validation")
        required = set(query_schema.get("required", ()))
        for name, schema in query_schema.get("properties", {}).items():
            param: dict[str, Any] = {"name": name, "in": "query", "required": name in required}
            if "description" in schema:
                param["description"] = schema["description"]
            param["schema"] = _query_value(schema)
            params.append(param)
    return params


def _query_value(schema: Mapping[str, Any]) -> dict[str, Any]:
    """A query parameter's schema: an absent parameter is how a query says "none", so the
    `null` branch of an optional field (and its `null` default) is dropped."""
    out = {k: v for k, v in schema.items() if k not in ("description", "title")}
    variants = out.pop("anyOf", None)
    if variants is not None:
        kept = [v for v in variants if v.get("type") != "null"]
        if len(kept) == 1:
            out.update(kept[0])
        else:
            out["anyOf"] = kept
    if out.get("default", 0) is None:
        del out["default"]
    return out


def build_spec(contract: Contract, ops: Iterable[Operation], *, plane: Plane) -> dict[str, Any]:
    manifest = contract.manifest
    ops = tuple(ops)
    refs, components = _schemas(manifest.name, ops)
    problem_ref = refs[(Problem, "serialization")]
    paths: dict[str, dict[str, Any]] = {}
    for op in ops:
        rule = contract.rule_for(op)
        item: dict[str, Any] = {
            "operationId": _operation_id(manifest.name, op),
            "summary": op.summary,
            "tags": [manifest.title],
            "x-switchboard-action": rule.action if rule is not None else None,
            "parameters": _parameters(op),
            "responses": {},
        }
        if op.description:
            item["description"] = op.description
        if op.body is not None:
            item["requestBody"] = {
                "required": op.body_required,
                "content": {op.body_media: {"schema": refs[(op.body, "validation")]}},
            }
        for status, model in sorted(op.responses.items()):
            response: dict[str, Any] = {"description": _STATUS_TEXT.get(status, "Success")}
            if model is not None:
                response["content"] = {"application/json": {"schema": refs[(model, "serialization")]}}
            elif op.html:
                response["content"] = {"text/html": {"schema": {"type": "string"}}}
            item["responses"][str(status)] = response
        item["responses"]["default"] = {
            "description": "An error, as RFC 9457 problem details",
            "content": {"application/problem+json": {"schema": problem_ref}},
        }
        paths.setdefault(public_path(manifest.name, op.path, plane=plane), {})[op.method.lower()] = item
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": f"Switchboard {manifest.title} API",
            "version": "1",
            "description": manifest.description or manifest.title,
        },
        "paths": paths,
        "components": {"schemas": components, "securitySchemes": _SECURITY[plane]},
        "security": [{name: []} for name in _SECURITY[plane]],
    }


def _operation_id(resource: str, op: Operation) -> str:
    words = re.sub(r"[{}]", "", op.path.removeprefix("/api").removeprefix("/network")).strip("/")
    slug = re.sub(r"[^a-zA-Z0-9]+", "_", words).strip("_") or "root"
    return f"{resource}_{op.method.lower()}_{slug}"


def merge_specs(specs: Iterable[Mapping[str, Any]], *, title: str) -> dict[str, Any]:
    """One document from several resources' specs (component names are already prefixed)."""
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    security: dict[str, Any] = {}
    tags: list[str] = []
    for spec in specs:
        paths.update(spec.get("paths", {}))
        schemas.update(spec.get("components", {}).get("schemas", {}))
        security.update(spec.get("components", {}).get("securitySchemes", {}))
        tags.append(str(spec.get("info", {}).get("title", "")))
    return {
        "openapi": OPENAPI_VERSION,
        "info": {"title": title, "version": "1", "description": "; ".join(t for t in tags if t)},
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": security},
        "security": [{name: []} for name in security],
    }


_SECURITY: dict[Plane, dict[str, Any]] = {
    "customer": {
        "apiToken": {
            "type": "http",
            "scheme": "bearer",
            "description": (
                "A personal API token (`sbt_…`): the Account page or POST /api/directory/me/tokens"
            ),
        },
        "session": {
            "type": "apiKey",
            "in": "cookie",
            "name": "__Host-sb_session",
            "description": "A portal session (browser)",
        },
    },
    "network": {
        "elementToken": {"type": "http", "scheme": "bearer", "description": "The network element's token"},
        "mutualTLS": {"type": "mutualTLS", "description": "The element's client certificate"},
    },
    "service": {},
}


def openapi_routes(contract: Contract) -> list[Any]:
    """`GET /api/openapi.json` (customer plane) and `GET /network/openapi.json` (network plane):
    the operations the verified caller's entitlements allow, nothing else."""
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    from resources.kit.middleware import caller_of

    def endpoint(plane: Plane) -> Callable[[Request], Any]:
        async def spec(request: Request) -> Response:
            caller = caller_of(request)
            return JSONResponse(contract.spec(plane=plane, holds=caller.has))

        return spec

    return [Route(SPEC_PATH[p], endpoint(p), methods=["GET"]) for p in ("customer", "network")]


_STATUS_TEXT = {200: "OK", 201: "Created", 202: "Accepted", 204: "No content"}

"""The enterprise sign-in page `/sso` (same conventions as views.py: content only, inline form
errors, 422 for plain requests and 200 for htmx). `?org=` picks an org of the caller's subtree."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from resources.directory import sso
from resources.directory.context import transaction
from resources.directory.routes import ctx_of
from resources.directory.views import _form_text, render_page
from resources.kit.errors import ValidationFailed
from resources.kit.middleware import caller_of


def _list(text: str | None) -> list[str]:
    return [x for x in (text or "").replace(",", " ").split() if x]


def mapping_text(rules: list[dict[str, Any]]) -> str:
    return "\n".join(f"{r['claim']}={r['value']}: {', '.join(r['roles'])}" for r in rules)


def parse_mapping(text: str | None) -> list[Any]:
    """One rule a line: `claim=value: role, role`. A malformed line is passed on as text so the
    parser reports it."""
    out: list[Any] = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        head, sep, roles = line.partition(":")
        claim, eq, value = head.partition("=")
        if not sep or not eq:
            out.append(line.strip())
        else:
            out.append({"claim": claim.strip(), "value": value.strip(), "roles": _list(roles)})
    return out


def _errors(exc: ValidationFailed) -> dict[str, str]:
    out: dict[str, str] = {}
    for e in exc.errors:
        out.setdefault(e["field"].split("[")[0].split(".")[0], e["message"])
    return out


async def _page(
    request: Request, *, form: dict[str, Any] | None = None, errors: dict[str, str] | None = None,
    notice: str | None = None, failed: bool = False,
) -> Response:  # fmt: skip
    org = request.query_params.get("org") or None
    async with transaction(ctx_of(request), write=False) as tx:
        target, cfg = await sso.get_sso(tx=tx, caller=caller_of(request), org_id=org)
    if form is None:
        form = {"enabled": True, "default_roles": "customer-user"}
        if cfg is not None:
            state = sso.state_of(cfg)
            form = state | {
                "domains": ", ".join(cfg.domains), "default_roles": ", ".join(cfg.default_roles),
                "role_mapping": mapping_text(cfg.role_mapping),
            }  # fmt: skip
    return render_page(request, "directory/sso.html", "Enterprise sign-in", {
        "org_id": target, "org_query": f"?org={target}" if org else "", "config": cfg, "form": form,
        "errors": errors or {}, "notice": notice,
    }, failed=failed)  # fmt: skip


async def sso_page(request: Request) -> Response:
    return await _page(request)


async def sso_save(request: Request) -> Response:
    form = await request.form()
    values: dict[str, Any] = {k: _form_text(form, k) for k in ("issuer", "client_id", "client_secret")}
    raw: dict[str, Any] = dict(values)
    raw["domains"] = _list(_form_text(form, "domains"))
    raw["default_roles"] = _list(_form_text(form, "default_roles"))
    raw["role_mapping"] = parse_mapping(_form_text(form, "role_mapping"))
    raw["passwords_disabled"] = form.get("passwords_disabled") == "on"
    raw["enabled"] = form.get("enabled") == "on"
    shown = values | {
        "client_secret": None, "domains": _form_text(form, "domains"),
        "default_roles": _form_text(form, "default_roles"), "role_mapping": _form_text(form, "role_mapping"),
        "passwords_disabled": raw["passwords_disabled"], "enabled": raw["enabled"],
    }  # fmt: skip
    try:
        async with transaction(ctx_of(request), write=True) as tx:
            org = request.query_params.get("org")
            await sso.put_sso(tx=tx, caller=caller_of(request), raw=raw, org_id=org)
    except ValidationFailed as exc:
        return await _page(request, form=shown, errors=_errors(exc), failed=True)
    return await _page(request, notice="The identity provider was saved.")


async def sso_delete(request: Request) -> Response:
    async with transaction(ctx_of(request), write=True) as tx:
        await sso.delete_sso(tx=tx, caller=caller_of(request), org_id=request.query_params.get("org"))
    return await _page(request, notice="The identity provider was removed: passwords work again.")


def routes() -> list[Route]:
    return [
        Route("/sso", sso_page, methods=["GET"]),
        Route("/sso", sso_save, methods=["POST"]),
        Route("/sso/delete", sso_delete, methods=["POST"]),
    ]

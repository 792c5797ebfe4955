"""Pages of delegated administration: `/orgs…` (organisations) and `/roles…` (custom roles).

Same conventions as views.py: content only (the gateway adds the branded shell), inline form
errors (422 for plain requests, 200 for htmx), `Cache-Control: no-store` when a temporary password
is shown.
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from resources.directory import orgs, roles, service
from resources.directory.context import transaction
from resources.directory.manifest import MANAGE_ROLES
from resources.directory.routes import ctx_of
from resources.directory.schemas_orgs import parse_new_org, parse_role
from resources.directory.views import DESCRIPTIONS, _field_errors, _form_text, render_page
from resources.kit.errors import ProblemError, ValidationFailed
from resources.kit.middleware import caller_of

ORG_FORM = ("id", "name", "kind", "parent_id", "contact_name", "contact_email", "contact_phone")
ADMIN_FORM = ("username", "display_name", "email", "phone")

# --- organisations ---------------------------------------------------------------------------


async def orgs_page(request: Request) -> Response:
    async with transaction(ctx_of(request), write=False) as tx:
        views = await orgs.list_orgs(tx=tx, caller=caller_of(request))
    return render_page(request, "directory/orgs.html", "Organisations", {"orgs": views})


async def _new_org(
    request: Request, *, form: dict[str, Any], errors: dict[str, str], failed: bool = False
) -> Response:
    caller = caller_of(request)
    async with transaction(ctx_of(request), write=False) as tx:
        parents = await orgs.parent_choices(tx=tx, caller=caller)
    form = {"kind": "customer", "parent_id": caller.org_id} | {k: v for k, v in form.items() if v}
    return render_page(request, "directory/new_org.html", "New organisation", {
        "form": form, "errors": errors, "parents": [(o.id, f"{o.name} ({o.id})") for o in parents],
    }, failed=failed)  # fmt: skip


async def new_org_page(request: Request) -> Response:
    return await _new_org(request, form={}, errors={})


async def create_org(request: Request) -> Response:
    form = await request.form()
    values = {k: _form_text(form, k) for k in ORG_FORM}
    try:
        data = parse_new_org(values)
        async with transaction(ctx_of(request), write=True) as tx:
            view = await orgs.create_org(tx=tx, caller=caller_of(request), data=data)
    except ValidationFailed as exc:
        return await _new_org(request, form=values, errors=_field_errors(exc), failed=True)
    admin = "customer" if view.org.kind == "customer" else "reseller"
    response = await _org_detail(
        request, view.org.id, notice=f"{view.org.name} was created. Now give it a {admin} administrator."
    )
    response.headers["HX-Push-Url"] = f"/directory/orgs/{view.org.id}"
    return response


async def _org_detail(
    request: Request, org_id: str, *, notice: str | None = None, temporary: str | None = None,
    errors: dict[str, str] | None = None, form: dict[str, Any] | None = None, failed: bool = False,
) -> Response:  # fmt: skip
    caller = caller_of(request)
    async with transaction(ctx_of(request), write=False) as tx:
        view = await orgs.get_org(tx=tx, caller=caller, org_id=org_id)
        admins = await orgs.admins_of(tx=tx, caller=caller, org_id=org_id)
    return render_page(request, "directory/org.html", f"Organisation {view.org.name}", {
        "view": view, "admins": admins, "notice": notice, "temporary": temporary,
        "secret_shown": temporary is not None, "errors": errors or {}, "form": form or {},
        "admin_role": orgs.ADMIN_ROLE.get(view.org.kind),
    }, failed=failed)  # fmt: skip


async def org_page(request: Request) -> Response:
    return await _org_detail(request, request.path_params["org_id"])


async def suspend_or_resume(request: Request, suspend: bool) -> Response:
    org_id = request.path_params["org_id"]
    try:
        async with transaction(ctx_of(request), write=True) as tx:
            call = orgs.suspend_org if suspend else orgs.resume_org
            view = await call(tx=tx, caller=caller_of(request), org_id=org_id)
    except ProblemError as exc:
        if exc.status != 409:
            raise
        return await _org_detail(request, org_id, errors={"action": exc.detail or ""}, failed=True)
    if suspend:
        notice = (
            f"{view.org.name} is suspended: its users and those of every organisation below it "
            "cannot sign in."
        )
    else:
        notice = f"{view.org.name} is no longer suspended."
    return await _org_detail(request, org_id, notice=notice)


async def suspend_page(request: Request) -> Response:
    return await suspend_or_resume(request, True)


async def resume_page(request: Request) -> Response:
    return await suspend_or_resume(request, False)


async def set_admin(request: Request) -> Response:
    org_id, form = request.path_params["org_id"], await request.form()
    values = {k: _form_text(form, k) for k in ADMIN_FORM}
    try:
        async with transaction(ctx_of(request), write=True) as tx:
            user, temporary, created = await orgs.set_admin(
                tx=tx, caller=caller_of(request), org_id=org_id, username=values["username"] or "",
                display_name=values["display_name"], email=values["email"], phone=values["phone"],
            )  # fmt: skip
    except ValidationFailed as exc:
        return await _org_detail(request, org_id, errors=_field_errors(exc), form=values, failed=True)
    except ProblemError as exc:
        if exc.status not in (403, 409):
            raise
        return await _org_detail(
            request, org_id, errors={"admin": exc.detail or ""}, form=values, failed=True
        )
    notice = (
        f"{user.username} was created as the administrator. Hand over the temporary password below; "
        "it is shown once."
        if created
        else f"{user.username} is now an administrator."
    )
    return await _org_detail(request, org_id, notice=notice, temporary=temporary)


# --- roles -----------------------------------------------------------------------------------


def role_from_form(form: FormData, *, new: bool) -> dict[str, Any]:
    ents: list[dict[str, Any]] = []
    for action in form.getlist("action"):
        if not isinstance(action, str):
            continue
        scope_text = form.get(f"scope:{action}")
        scope = [s.strip() for s in scope_text.split(",") if s.strip()] if isinstance(scope_text, str) else []
        ents.append({"action": action, "scope": scope or None})
    raw: dict[str, Any] = {
        "name": _form_text(form, "name"),
        "description": _form_text(form, "description"),
        "entitlements": ents,
    }
    if new:
        raw["id"] = _form_text(form, "id")
    return raw


def _errors(exc: ValidationFailed) -> tuple[dict[str, str], list[str]]:
    """First message per field, and every entitlement message (one per refused action)."""
    return _field_errors(exc), [e["message"] for e in exc.errors if e["field"].startswith("entitlements")]


async def _form_context(request: Request, tx: Any, role: roles.RoleView | None) -> dict[str, Any]:
    caller = caller_of(request)
    grantable = await service.grantable(tx=tx, caller=caller) if caller.has(MANAGE_ROLES) else ()
    held = {e.action: e for e in role.entitlements} if role is not None else {}
    actions = sorted({e.action for e in grantable} | set(held))
    return {"actions": [(a, DESCRIPTIONS.get(a, a), held.get(a)) for a in actions]}


async def _roles(
    request: Request, *, notice: str | None = None, errors: dict[str, str] | None = None,
    messages: list[str] | None = None, form: dict[str, Any] | None = None, failed: bool = False,
) -> Response:  # fmt: skip
    caller = caller_of(request)
    async with transaction(ctx_of(request), write=False) as tx:
        views = await roles.list_roles(tx=tx, caller=caller)
        extra = await _form_context(request, tx, None)
    return render_page(request, "directory/roles.html", "Roles", {
        "roles": views, "notice": notice, "errors": errors or {}, "messages": messages or [],
        "form": form or {}, "can_manage": caller.has(MANAGE_ROLES), "org_id": caller.org_id, **extra,
    }, failed=failed)  # fmt: skip


async def roles_page(request: Request) -> Response:
    return await _roles(request)


async def create_role(request: Request) -> Response:
    raw = role_from_form(await request.form(), new=True)
    try:
        data = parse_role(raw, new=True)
        async with transaction(ctx_of(request), write=True) as tx:
            view = await roles.create_role(tx=tx, caller=caller_of(request), data=data)
    except ValidationFailed as exc:
        errors, messages = _errors(exc)
        return await _roles(request, errors=errors, messages=messages, form=raw, failed=True)
    response = await _role_detail(request, view.role.id, notice=f"The role {view.role.name} was created.")
    response.headers["HX-Push-Url"] = f"/directory/roles/{view.role.id}"
    return response


async def _role_detail(
    request: Request, role_id: str, *, notice: str | None = None, errors: dict[str, str] | None = None,
    messages: list[str] | None = None, failed: bool = False,
) -> Response:  # fmt: skip
    async with transaction(ctx_of(request), write=False) as tx:
        view = await roles.get_role(tx=tx, caller=caller_of(request), role_id=role_id)
        extra = await _form_context(request, tx, view)
    return render_page(request, "directory/role.html", f"Role {view.role.name}", {
        "view": view, "notice": notice, "errors": errors or {}, "messages": messages or [], **extra,
    }, failed=failed)  # fmt: skip


async def role_page(request: Request) -> Response:
    return await _role_detail(request, request.path_params["role_id"])


async def update_role(request: Request) -> Response:
    role_id = request.path_params["role_id"]
    try:
        data = parse_role(role_from_form(await request.form(), new=False), new=False)
        async with transaction(ctx_of(request), write=True) as tx:
            await roles.update_role(tx=tx, caller=caller_of(request), role_id=role_id, data=data)
    except ValidationFailed as exc:
        errors, messages = _errors(exc)
        return await _role_detail(request, role_id, errors=errors, messages=messages, failed=True)
    except ProblemError as exc:
        if exc.status not in (403, 409):
            raise
        return await _role_detail(request, role_id, errors={"action": exc.detail or ""}, failed=True)
    return await _role_detail(request, role_id, notice="The role was saved.")


async def delete_role(request: Request) -> Response:
    role_id = request.path_params["role_id"]
    try:
        async with transaction(ctx_of(request), write=True) as tx:
            await roles.delete_role(tx=tx, caller=caller_of(request), role_id=role_id)
    except ProblemError as exc:
        if exc.status not in (403, 409):
            raise
        return await _role_detail(request, role_id, errors={"action": exc.detail or ""}, failed=True)
    response = await _roles(request, notice=f"The role {role_id} was deleted.")
    response.headers["HX-Push-Url"] = "/directory/roles"
    return response


def routes() -> list[Route]:
    return [
        Route("/orgs", orgs_page, methods=["GET"]),
        Route("/orgs", create_org, methods=["POST"]),
        Route("/orgs/new", new_org_page, methods=["GET"]),
        Route("/orgs/{org_id}", org_page, methods=["GET"]),
        Route("/orgs/{org_id}/suspend", suspend_page, methods=["POST"]),
        Route("/orgs/{org_id}/resume", resume_page, methods=["POST"]),
        Route("/orgs/{org_id}/admin", set_admin, methods=["POST"]),
        Route("/roles", roles_page, methods=["GET"]),
        Route("/roles", create_role, methods=["POST"]),
        Route("/roles/{role_id}", role_page, methods=["GET"]),
        Route("/roles/{role_id}", update_role, methods=["POST"]),
        Route("/roles/{role_id}/delete", delete_role, methods=["POST"]),
    ]

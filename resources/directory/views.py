"""HTML pages (htmx-friendly, server-rendered content; the gateway adds the branded shell).

Form errors are shown inline: 422 for plain requests, 200 for htmx requests (htmx does not
swap 4xx responses by default). Secrets shown once (temporary passwords, new API tokens) are
sent with `Cache-Control: no-store`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import segno
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from branding import BrandRegistry
from resources.directory import account, brands, service
from resources.directory.context import transaction
from resources.directory.crypto import b32, otpauth_uri
from resources.directory.manifest import ACTIONS, MANAGE_ENTITLEMENTS, MANAGE_USERS
from resources.directory.routes import ctx_of
from resources.directory.schemas import Grants, parse_grants, parse_new_token
from resources.kit.errors import ProblemError, ValidationFailed
from resources.kit.middleware import caller_of

PAGE = 25
USER_VERBS = ("disable", "enable", "password-reset", "mfa-reset")
ME_VERBS = ("password", "mfa/enrol", "mfa/confirm", "mfa/disable", "tokens")
DESCRIPTIONS = {a.name: a.description for a in ACTIONS}


class Renderer(Protocol):
    def render(
        self, request: Request, name: str, context: Mapping[str, Any] | None = None, *,
        title: str | None = None, status: int = 200, headers: Mapping[str, str] | None = None,
    ) -> HTMLResponse: ...  # fmt: skip

    def brand_for(self, request: Request) -> Any: ...

    @property
    def registry(self) -> BrandRegistry: ...


def render_page(
    request: Request, name: str, title: str, context: dict[str, Any], *, failed: bool = False
) -> Response:
    templates: Renderer = request.app.state.templates
    status = 422 if failed and "hx-request" not in request.headers else 200
    headers = {"Cache-Control": "no-store"} if context.get("secret_shown") else None
    return templates.render(request, name, context, title=title, status=status, headers=headers)


def _field_errors(exc: ValidationFailed) -> dict[str, str]:
    out: dict[str, str] = {}
    for e in exc.errors:
        out.setdefault(e["field"].split("[")[0], e["message"])
    return out


def _form_text(form: FormData, key: str) -> str | None:
    value = form.get(key)
    return value.strip() if isinstance(value, str) and value.strip() else None


def _int(request: Request, key: str) -> int:
    value = request.query_params.get(key, "")
    return int(value) if value.isdigit() else 1


async def users_page(request: Request) -> Response:
    caller, q, page = caller_of(request), request.query_params.get("q") or None, _int(request, "page")
    async with transaction(ctx_of(request), write=False) as tx:
        users, total = await service.list_users(
            tx=tx, caller=caller, q=q, limit=PAGE, offset=(page - 1) * PAGE
        )
    return render_page(request, "directory/users.html", "Users", {
        "users": users, "total": total, "q": q or "", "page": page, "pages": max(1, -(-total // PAGE)),
        "can_manage": caller.has(MANAGE_USERS),
    })  # fmt: skip


async def new_user_page(request: Request) -> Response:
    return render_page(request, "directory/new_user.html", "Add user", {"form": {}, "errors": {}})


async def create_user(request: Request) -> Response:
    caller, form = caller_of(request), await request.form()
    fields = ("username", "display_name", "email", "phone")
    values = {k: _form_text(form, k) for k in fields}
    try:
        async with transaction(ctx_of(request), write=True) as tx:
            user, temporary = await service.add_user(
                tx=tx, caller=caller, username=values["username"] or "", display_name=values["display_name"],
                email=values["email"], phone=values["phone"],
            )  # fmt: skip
    except ValidationFailed as exc:
        return render_page(request, "directory/new_user.html", "Add user",
                       {"form": values, "errors": _field_errors(exc)}, failed=True)  # fmt: skip
    response = await _user_detail(
        request, user.id, notice=f"{user.username} was added. Give them a role below.", temporary=temporary
    )
    response.headers["HX-Push-Url"] = f"/directory/users/{user.id}"  # the address bar shows the new user
    return response


async def _user_detail(
    request: Request, user_id: str, *, notice: str | None = None, temporary: str | None = None,
    errors: dict[str, str] | None = None, failed: bool = False,
) -> Response:  # fmt: skip
    caller = caller_of(request)
    async with transaction(ctx_of(request), write=False) as tx:
        view = await service.get_user(tx=tx, caller=caller, user_id=user_id)
        grantable = await service.grantable(tx=tx, caller=caller) if caller.has(MANAGE_ENTITLEMENTS) else ()
        roles = await service.list_roles(tx=tx, caller=caller)
        held = {e.action for e in await service.caller_entitlements(tx, caller)}  # all resources'
    direct = {e.action: e for e in view.direct}
    actions = sorted({e.action for e in grantable} | set(direct))
    return render_page(request, "directory/user.html", f"User {view.user.username}", {
        "view": view, "notice": notice, "temporary": temporary, "secret_shown": temporary is not None,
        "errors": errors or {}, "roles": roles, "grantable": {e.action for e in grantable},
        "actions": [(a, DESCRIPTIONS.get(a, a), direct.get(a)) for a in actions],
        "is_self": view.user.id == caller.subject, "can_manage": caller.has(MANAGE_USERS),
        "can_grant": caller.has(MANAGE_ENTITLEMENTS), "can_view_outbound": "outbound:view" in held,
    }, failed=failed)  # fmt: skip


async def user_page(request: Request) -> Response:
    return await _user_detail(request, request.path_params["user_id"])


def _verb(handler: Any, verb: str) -> Any:
    async def endpoint(request: Request) -> Response:
        return await handler(request, verb)  # type: ignore[no-any-return]

    return endpoint


async def user_action(request: Request, verb: str) -> Response:
    caller, user_id = caller_of(request), request.path_params["user_id"]
    temporary = None
    try:
        async with transaction(ctx_of(request), write=True) as tx:
            if verb in ("disable", "enable"):
                await service.set_disabled(tx=tx, caller=caller, user_id=user_id, disabled=verb == "disable")
                notice = "The account is disabled." if verb == "disable" else "The account is enabled."
            elif verb == "password-reset":
                temporary = await service.reset_password(tx=tx, caller=caller, user_id=user_id)
                notice = "The password was reset. Hand over the temporary password below; it is shown once."
            elif verb == "mfa-reset":
                await service.reset_mfa(tx=tx, caller=caller, user_id=user_id)
                notice = "Two-factor authentication was reset."
            else:
                raise ProblemError(404)
    except ProblemError as exc:
        if exc.status != 409:
            raise
        return await _user_detail(request, user_id, errors={"action": exc.detail or ""}, failed=True)
    return await _user_detail(request, user_id, notice=notice, temporary=temporary)


def grants_from_form(form: FormData) -> Grants:
    ents = []
    for action in form.getlist("action"):
        if not isinstance(action, str):
            continue
        scope_text = form.get(f"scope:{action}")
        scope = [s.strip() for s in scope_text.split(",") if s.strip()] if isinstance(scope_text, str) else []
        ents.append({"action": action, "scope": scope or None})
    return parse_grants(
        {"roles": [r for r in form.getlist("role") if isinstance(r, str)], "entitlements": ents}
    )


async def set_entitlements(request: Request) -> Response:
    caller, user_id = caller_of(request), request.path_params["user_id"]
    try:
        grants = grants_from_form(await request.form())
        async with transaction(ctx_of(request), write=True) as tx:
            await service.set_grants(tx=tx, caller=caller, user_id=user_id, grants=grants)
    except ValidationFailed as exc:
        return await _user_detail(request, user_id, errors={"entitlements": exc.detail or ""}, failed=True)
    except ProblemError as exc:
        if exc.status not in (403, 409):
            raise
        return await _user_detail(request, user_id, errors={"entitlements": exc.detail or ""}, failed=True)
    return await _user_detail(request, user_id, notice="Roles and entitlements saved.")


def _show(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(_show(v) for v in value) or "none"
    return str(value)


def describe_detail(detail: Mapping[str, Any] | None) -> list[dict[str, str | None]]:
    """An audit row's detail as readable lines: only the fields a change touched
    ({"field", "before", "after"}), then any other facts ({"field", "after"}, before None)."""
    if not detail:
        return []
    before, after = detail.get("before"), detail.get("after")
    lines: list[dict[str, str | None]] = []
    if isinstance(after, Mapping):
        old = before if isinstance(before, Mapping) else {}
        for key in sorted(set(after) | set(old)):
            if isinstance(before, Mapping) and old.get(key) == after.get(key):
                continue
            was = _show(old.get(key)) if isinstance(before, Mapping) else None
            lines.append({"field": key.replace("_", " "), "before": was, "after": _show(after.get(key))})
    for key in sorted(k for k in detail if k not in ("before", "after", "request_id")):
        lines.append({"field": key.replace("_", " "), "before": None, "after": _show(detail[key])})
    return lines


async def audit_page(request: Request) -> Response:
    event, page = request.query_params.get("event") or None, _int(request, "page")
    async with transaction(ctx_of(request), write=False) as tx:
        rows, total = await service.list_audit(
            tx=tx, caller=caller_of(request), event=event, limit=PAGE, offset=(page - 1) * PAGE
        )
    return render_page(request, "directory/audit.html", "Security audit", {
        "rows": [(r, describe_detail(r.detail)) for r in rows], "total": total, "event": event or "",
        "page": page, "pages": max(1, -(-total // PAGE)),
    })  # fmt: skip


async def _me(
    request: Request, *, notice: str | None = None, errors: dict[str, str] | None = None,
    failed: bool = False, new_token: str | None = None, form: dict[str, Any] | None = None,
) -> Response:  # fmt: skip
    caller = caller_of(request)
    templates: Renderer = request.app.state.templates
    async with transaction(ctx_of(request), write=False) as tx:
        view = await account.me(tx=tx, caller=caller)
        tokens = await account.list_tokens(tx=tx, caller=caller)
        held = await service.caller_entitlements(tx, caller)
        pending = account.pending_secret(tx, view.user)
        issuer = None
        if pending is not None:
            issuer = (await brands.live_brand(tx, files=templates.registry, org_id=caller.org_id)).name
    enrol = None
    if pending is not None and issuer is not None:
        uri = otpauth_uri(issuer=issuer, username=view.user.username, secret=pending)
        qr = segno.make(uri, error="m").svg_inline(scale=5, title="QR code for your authenticator app")
        enrol = {"uri": uri, "secret": b32(pending), "qr": qr}
    own_actions = sorted({e.action for e in held} - service.SERVICE_ACTIONS)
    return render_page(request, "directory/me.html", "My account", {
        "view": view, "tokens": tokens, "enrol": enrol, "notice": notice, "errors": errors or {},
        "new_token": new_token, "secret_shown": new_token is not None or enrol is not None,
        "own_actions": [(a, DESCRIPTIONS.get(a, a)) for a in own_actions], "form": form or {},
    }, failed=failed)  # fmt: skip


async def me_page(request: Request) -> Response:
    return await _me(request)


async def me_action(request: Request, verb: str) -> Response:
    caller, form = caller_of(request), await request.form()
    ctx = ctx_of(request)
    text = {k: v for k, v in form.items() if isinstance(v, str)}
    new_token = None
    try:
        async with transaction(ctx, write=True) as tx:
            if verb == "password":
                await account.change_password(
                    tx=tx, caller=caller, current=text.get("current_password", ""),
                    new=text.get("new_password", ""), confirm=text.get("confirm_password"),
                )  # fmt: skip
                notice = "Your password was changed."
            elif verb == "mfa/enrol":
                await account.mfa_begin(tx=tx, caller=caller)
                notice = "Scan the code with your authenticator app, then enter a code to confirm."
            elif verb == "mfa/confirm":
                await account.mfa_confirm(tx=tx, caller=caller, code=text.get("code", ""))
                notice = "Two-factor authentication is on."
            elif verb == "mfa/disable":
                await account.mfa_disable(tx=tx, caller=caller, password=text.get("password", ""))
                notice = "Two-factor authentication is off."
            elif verb == "tokens":
                actions = [a for a in form.getlist("actions") if isinstance(a, str)]
                data = parse_new_token({"name": text.get("name"), "actions": actions or None,
                                        "expires_at": text.get("expires_at")}, now=tx.now)  # fmt: skip
                _, new_token = await account.create_token(
                    tx=tx, caller=caller, name=data.name, actions=data.actions, expires_at=data.expires_at
                )
                notice = "Token created. Copy it now: it is shown only once."
            else:
                raise ProblemError(404)
    except ValidationFailed as exc:
        safe_form = {k: v for k, v in text.items() if "password" not in k and k != "code"}
        return await _me(request, errors=_field_errors(exc), failed=True, form=safe_form)
    except ProblemError as exc:
        if exc.status != 409:
            raise
        return await _me(request, errors={"mfa": exc.detail or ""}, failed=True)
    return await _me(request, notice=notice, new_token=new_token)


async def revoke_token(request: Request) -> Response:
    async with transaction(ctx_of(request), write=True) as tx:
        await account.revoke_token(tx=tx, caller=caller_of(request), token_id=request.path_params["token_id"])
    return await _me(request, notice="The token was revoked.")


def routes() -> list[Route]:
    return [
        Route("/users", users_page, methods=["GET"]),
        Route("/users", create_user, methods=["POST"]),
        Route("/users/new", new_user_page, methods=["GET"]),
        Route("/users/{user_id}", user_page, methods=["GET"]),
        Route("/users/{user_id}/entitlements", set_entitlements, methods=["POST"]),
        *(Route(f"/users/{{user_id}}/{v}", _verb(user_action, v), methods=["POST"]) for v in USER_VERBS),
        Route("/audit", audit_page, methods=["GET"]),
        Route("/me", me_page, methods=["GET"]),
        Route("/me/tokens/{token_id}/revoke", revoke_token, methods=["POST"]),
        *(Route(f"/me/{v}", _verb(me_action, v), methods=["POST"]) for v in ME_VERBS),
    ]

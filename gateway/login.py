"""Sign-in routes: /login (password), /login/mfa (second factor), /logout.

Every failure — wrong password, unknown user, locked or disabled account, throttled IP, the
directory being down — answers with the same generic message. The session id is rotated when
the password is accepted and again after the second factor.

Brand hosts: a user whose brand lives on another host (gateway/hosts.py) gets no session here
after a correct password; the answer is a redirect to that host's /login, which shows
"Sign in at <host>".
"""

from __future__ import annotations

import logging
from datetime import timedelta
from urllib.parse import quote

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from branding.registry import normalise_host
from gateway.auth import GENERIC_LOGIN_ERROR, MFA_ERROR, safe_next
from gateway.csrf import PRE_COOKIE, login_token, login_token_valid, new_pre_nonce
from gateway.deps import GatewayDeps, deps_of
from gateway.hosts import host_port, origin_of, wrong_host_origin
from gateway.identity import clear_session_cookie, client_ip, session_of, set_session_cookie, user_agent
from gateway.sessions import SessionRecord

log = logging.getLogger("gateway")

MFA_PENDING_MAX = timedelta(minutes=5)
SSO_REQUIRED = (
    "Your organisation signs in with its identity provider: use "
    "“Sign in with your company's identity provider” below."
)
WRONG_HOST_FLAG = "wrong_host"


def _request_id(request: Request) -> str:
    return str(request.scope.get("state", {}).get("request_id", ""))


def _here(request: Request, deps: GatewayDeps) -> str:
    """This host as its brand names it (canonical host and the port the request came in on)."""
    host = Headers(scope=request.scope).get("host")
    brand = deps.brands.current.for_host(host)
    name = brand.canonical_host or normalise_host(host or "localhost")
    return origin_of(name, host_port(host)).removeprefix("https://")


def _login_page(
    request: Request,
    deps: GatewayDeps,
    *,
    nonce: str,
    error: str | None,
    username: str,
    next_path: str,
    elsewhere: str | None = None,
) -> Response:
    """`elsewhere`: the sign-in page of the host this user's brand lives on (shown as a link:
    CSP `form-action 'self'` stops browsers from following a form's redirect to another host)."""
    notice = f"Sign in at {_here(request, deps)}" if request.query_params.get(WRONG_HOST_FLAG) else None
    response = deps.renderer.render(
        request.scope,
        "login.html",
        {
            "error": error,
            "username": username,
            "next": next_path,
            "notice": notice,
            "elsewhere": elsewhere,
            "elsewhere_host": elsewhere.split("/")[2] if elsewhere else None,
        },
        title="Sign in",
        principal=None,
        nav=[],
        csrf_token=login_token(deps.login_key, nonce),
    )
    if request.cookies.get(PRE_COOKIE) != nonce:
        response.set_cookie(PRE_COOKIE, nonce, path="/", secure=True, httponly=True, samesite="lax")
    return response


def _mfa_page(
    request: Request, deps: GatewayDeps, record: SessionRecord, *, error: str | None, next_path: str
) -> Response:
    return deps.renderer.render(
        request.scope,
        "login_mfa.html",
        {"error": error, "next": next_path},
        title="Verify sign-in",
        principal=None,
        nav=[],
        csrf_token=record.csrf_token,
    )


def _count(deps: GatewayDeps, result: str) -> None:
    if deps.metrics is not None:
        deps.metrics.login(result)


async def login_form(request: Request) -> Response:
    deps = deps_of(request.scope)
    next_path = safe_next(request.query_params.get("next"))
    record = session_of(request.scope)
    if record is not None and record.active:
        return RedirectResponse(next_path, status_code=303)
    nonce = request.cookies.get(PRE_COOKIE) or new_pre_nonce()
    return _login_page(request, deps, nonce=nonce, error=None, username="", next_path=next_path)


async def _failed(request: Request, deps: GatewayDeps, *, ip: str, username: str, count: bool) -> None:
    _count(deps, "failure")
    if count and await deps.throttle.record_failure(ip):
        await deps.directory.audit(
            event="login.throttled",
            user_id=None,
            username=username or None,
            ip=ip,
            request_id=_request_id(request),
        )


async def login_submit(request: Request) -> Response:
    deps = deps_of(request.scope)
    form = await request.form(max_files=0, max_fields=10)
    username = str(form.get("username") or "").strip()
    password = str(form.get("password") or "")
    next_path = safe_next(str(form.get("next") or "") or request.query_params.get("next"))
    nonce = request.cookies.get(PRE_COOKIE)
    ip = client_ip(request.scope)

    def failure(status: int = 200, error: str = GENERIC_LOGIN_ERROR) -> Response:
        page = _login_page(
            request,
            deps,
            nonce=nonce or new_pre_nonce(),
            error=error,
            username=username[:256],
            next_path=next_path,
        )
        page.status_code = status
        return page

    if not login_token_valid(deps.login_key, nonce, str(form.get("csrf_token") or "")):
        return failure(400)
    if await deps.throttle.blocked(ip):
        await _failed(request, deps, ip=ip, username=username, count=False)
        await deps.directory.audit(
            event="login.throttled",
            user_id=None,
            username=username or None,
            ip=ip,
            request_id=_request_id(request),
        )
        return failure()
    try:
        result = await deps.authenticator.authenticate(
            username=username, password=password, ip=ip, request_id=_request_id(request)
        )
    except Exception as exc:  # directory down or answering nonsense: same message, logged
        log.warning("login: directory failed: %s", exc)
        _count(deps, "error")
        return failure()
    if result.reason == "sso":  # a correct password, but the org signs in with its IdP only
        _count(deps, "failure")
        return failure(error=SSO_REQUIRED)
    if not result.ok or result.user_id is None:
        await _failed(request, deps, ip=ip, username=username, count=True)
        return failure()
    try:
        elsewhere = await _brand_origin(request, deps, result.user_id)
    except LookupError as exc:
        log.warning("login: %s", exc)
        _count(deps, "error")
        return failure()
    if elsewhere is not None:
        _count(deps, "wrong-host")
        target = f"{elsewhere}/login?next={quote(next_path, safe='/')}&{WRONG_HOST_FLAG}=1"
        # no session on this host: the page links to the right one
        return _login_page(
            request,
            deps,
            nonce=nonce or new_pre_nonce(),
            error=None,
            username=username[:256],
            next_path=next_path,
            elsewhere=target,
        )
    new = await deps.sessions.start(
        user_id=result.user_id,
        state="mfa" if result.mfa_required else "active",
        ip=ip,
        user_agent=user_agent(request.scope),
        replaces=session_of(request.scope),
    )
    _count(deps, "mfa" if result.mfa_required else "success")
    target = f"/login/mfa?next={quote(next_path, safe='/')}" if result.mfa_required else next_path
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(response, new.raw_id, max_age=deps.config.session_absolute_seconds)
    return response


async def _brand_origin(request: Request, deps: GatewayDeps, user_id: str) -> str | None:
    """The origin of the user's brand host when it is not this one; None when this host is
    right. LookupError when the user cannot be looked up (directory down, user gone meanwhile)."""
    try:
        principal = await deps.directory.principal(user_id, request_id=_request_id(request))
    except Exception as exc:
        raise LookupError(f"principal lookup failed: {exc}") from exc
    if principal is None:
        raise LookupError(f"user {user_id} has no principal")
    return wrong_host_origin(deps.brands.current, Headers(scope=request.scope).get("host"), principal)


def _pending(request: Request, deps: GatewayDeps) -> SessionRecord | None:
    record = session_of(request.scope)
    if record is None or record.state != "mfa":
        return None
    if deps.sessions.now() - record.created_at > MFA_PENDING_MAX:
        return None
    return record


async def mfa_form(request: Request) -> Response:
    deps = deps_of(request.scope)
    next_path = safe_next(request.query_params.get("next"))
    record = _pending(request, deps)
    if record is None:
        return RedirectResponse(f"/login?next={quote(next_path, safe='/')}", status_code=303)
    return _mfa_page(request, deps, record, error=None, next_path=next_path)


async def mfa_submit(request: Request) -> Response:
    deps = deps_of(request.scope)
    form = await request.form(max_files=0, max_fields=10)
    next_path = safe_next(str(form.get("next") or "") or request.query_params.get("next"))
    record = _pending(request, deps)
    if record is None:
        return RedirectResponse("/login", status_code=303)
    ip = client_ip(request.scope)
    ok = False
    if not await deps.throttle.blocked(ip):
        try:
            ok = await deps.authenticator.verify_second_factor(
                user_id=record.user_id,
                code=str(form.get("code") or ""),
                ip=ip,
                request_id=_request_id(request),
            )
        except Exception as exc:
            log.warning("mfa: directory failed: %s", exc)
    if not ok:
        await _failed(request, deps, ip=ip, username="", count=True)
        return _mfa_page(request, deps, record, error=MFA_ERROR, next_path=next_path)
    new = await deps.sessions.promote(record, ip=ip, user_agent=user_agent(request.scope))
    _count(deps, "success")
    response = RedirectResponse(next_path, status_code=303)
    set_session_cookie(response, new.raw_id, max_age=deps.config.session_absolute_seconds)
    return response


async def logout(request: Request) -> Response:
    deps = deps_of(request.scope)
    record = session_of(request.scope)
    if record is not None:
        await deps.sessions.end(record)
        await deps.directory.audit(
            event="logout",
            user_id=record.user_id,
            ip=client_ip(request.scope),
            session=record.ref,
            request_id=_request_id(request),
        )
    response = RedirectResponse("/login", status_code=303)
    clear_session_cookie(response)
    return response


def routes() -> list[Route]:
    return [
        Route("/login", login_form, methods=["GET"]),
        Route("/login", login_submit, methods=["POST"]),
        Route("/login/mfa", mfa_form, methods=["GET"]),
        Route("/login/mfa", mfa_submit, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
    ]

"""Enterprise sign-in: `POST /login/sso` and `GET /login/sso/callback` (OpenID Connect,
authorization code + PKCE S256, `state`, `nonce`; authlib's OAuth 2 helpers for the protocol,
joserfc for the ID token — gateway/oidc.py).

1. The user enters an e-mail address; the directory names the org whose allowed domains hold it
   and that org's IdP. The answer is a page that continues to the IdP (a redirect after a form
   post would be blocked by CSP `form-action 'self'`), with `login_hint` set to the address.
2. The callback takes the pending flow of `state` (single use, bound to the browser's
   `__Host-sb_pre` cookie), checks RFC 9207 `iss`, exchanges the code with the PKCE verifier,
   validates the ID token, and asks the directory to sign the claims in FOR THE FLOW'S ORG. Then
   a session starts exactly like after a password (a fresh id replacing any earlier session).

Every failure shows one message on the login page; the reason goes to the log and the audit.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from branding.registry import normalise_host
from gateway.auth import safe_next
from gateway.csrf import PRE_COOKIE, login_token_valid, new_pre_nonce
from gateway.deps import GatewayDeps, deps_of
from gateway.hosts import host_port, origin_of
from gateway.identity import client_ip, session_of, set_session_cookie, user_agent
from gateway.login import _brand_origin, _login_page, _request_id
from gateway.oidc import (
    FLOW_SECONDS,
    Flow,
    OidcError,
    PendingFlows,
    ProviderCache,
    authorization_url,
    exchange_code,
)

log = logging.getLogger("gateway")

SSO_ERROR = "Sign-in with your identity provider failed. Try again, or ask your administrator."
SSO_UNKNOWN = (
    "Enterprise sign-in is not set up for that e-mail address. Sign in with your username and password."
)
SSO_EXPIRED = "That sign-in attempt has expired or was already used. Please start again."
CALLBACK = "/login/sso/callback"


def _browser(nonce: str) -> str:
    return hashlib.sha256(b"sb-sso:" + nonce.encode()).hexdigest()


def _callback_url(request: Request) -> str:
    """This host, as the browser named it: the callback must reach the same origin, whose
    `__Host-` cookies bind the flow to the browser (register it at the IdP as the redirect URI)."""
    host = Headers(scope=request.scope).get("host") or "localhost"
    return origin_of(normalise_host(host), host_port(host)) + CALLBACK


@dataclass
class SsoLogin:
    flows: PendingFlows = field(default_factory=PendingFlows)
    providers: ProviderCache = field(default_factory=ProviderCache)

    def _page(
        self, request: Request, deps: GatewayDeps, *, error: str, next_path: str, status: int
    ) -> Response:
        nonce = request.cookies.get(PRE_COOKIE) or new_pre_nonce()
        page = _login_page(request, deps, nonce=nonce, error=error, username="", next_path=next_path)
        page.status_code = status
        return page

    async def start(self, request: Request) -> Response:
        deps = deps_of(request.scope)
        form = await request.form(max_files=0, max_fields=10)
        email = str(form.get("email") or "").strip()[:254]
        next_path = safe_next(str(form.get("next") or ""))
        nonce = request.cookies.get(PRE_COOKIE)
        if not login_token_valid(deps.login_key, nonce, str(form.get("csrf_token") or "")) or nonce is None:
            return self._page(request, deps, error=SSO_ERROR, next_path=next_path, status=400)
        if await deps.throttle.blocked(client_ip(request.scope)):
            return self._page(request, deps, error=SSO_ERROR, next_path=next_path, status=200)
        try:
            found = await deps.directory.sso_discover(email=email, request_id=_request_id(request))
        except Exception as exc:
            log.warning("sso: discovery failed: %s", exc)
            return self._page(request, deps, error=SSO_ERROR, next_path=next_path, status=200)
        if found is None or "@" not in email:
            return self._page(request, deps, error=SSO_UNKNOWN, next_path=next_path, status=200)
        try:
            provider = await self.providers.provider(found["issuer"])
        except Exception as exc:  # unreachable, not OpenID Connect, or lying about its issuer
            log.warning("sso: provider %s unusable: %s", found["issuer"], exc)
            return self._page(request, deps, error=SSO_ERROR, next_path=next_path, status=200)
        verifier, flow_nonce = secrets.token_urlsafe(48), secrets.token_urlsafe(24)
        state = secrets.token_urlsafe(24)
        redirect_uri = _callback_url(request)
        url = authorization_url(
            provider.authorization_endpoint, client_id=found["client_id"], redirect_uri=redirect_uri,
            state=state, code_verifier=verifier, nonce=flow_nonce, login_hint=email,
        )  # fmt: skip
        flow = Flow(
            org_id=found["org_id"], issuer=found["issuer"], client_id=found["client_id"],
            code_verifier=verifier, nonce=flow_nonce, next_path=next_path, browser=_browser(nonce),
            redirect_uri=redirect_uri, expires=self.flows.clock() + FLOW_SECONDS,
        )  # fmt: skip
        self.flows.put(state, flow)
        return deps.renderer.render(
            request.scope, "login_sso.html", {"idp_url": url}, title="Sign in", principal=None, nav=[],
            csrf_token="",
        )  # fmt: skip

    async def callback(self, request: Request) -> Response:
        deps = deps_of(request.scope)
        params = request.query_params
        flow = self.flows.take(str(params.get("state") or ""))
        if flow is None:
            log.info("sso: unknown, used or expired state")
            return self._page(request, deps, error=SSO_EXPIRED, next_path="/", status=400)
        ip = client_ip(request.scope)
        nonce = request.cookies.get(PRE_COOKIE)
        reason = self._response_problem(flow, params, nonce)
        if reason is not None:
            return await self._refused(request, deps, flow, reason, ip)
        try:
            provider = await self.providers.provider(flow.issuer)
            if provider.iss_parameter and params.get("iss") is None:
                raise OidcError("RFC 9207 iss parameter missing")
            claims = await self._exchange(deps, provider, flow, str(params["code"]))
        except Exception as exc:  # the provider or its token: refused, logged
            return await self._refused(request, deps, flow, f"{type(exc).__name__}: {exc}", ip)
        try:
            result = await deps.directory.sso_signin(
                org_id=flow.org_id, issuer=flow.issuer, claims=claims, ip=ip, request_id=_request_id(request)
            )
        except Exception as exc:
            log.warning("sso: directory failed: %s", exc)
            return self._page(request, deps, error=SSO_ERROR, next_path=flow.next_path, status=200)
        user_id = result.get("user_id")
        if result.get("ok") is not True or not isinstance(user_id, str):
            log.info("sso: directory refused %s: %s", flow.org_id, result.get("reason"))
            return self._page(request, deps, error=SSO_ERROR, next_path=flow.next_path, status=403)
        return await self._session(request, deps, user_id, flow.next_path, ip)

    def _response_problem(self, flow: Flow, params: Any, nonce: str | None) -> str | None:
        if nonce is None or not secrets.compare_digest(_browser(nonce), flow.browser):
            return "the flow was started in another browser"
        if params.get("error"):
            return f"provider error {str(params.get('error'))[:100]}"
        if params.get("iss") is not None and params.get("iss") != flow.issuer:
            return f"iss parameter {str(params.get('iss'))[:200]!r} is not the issuer"
        if not params.get("code"):
            return "no code"
        return None

    async def _exchange(self, deps: GatewayDeps, provider: Any, flow: Flow, code: str) -> dict[str, Any]:
        # the secret is asked for at this moment: it never sits in the pending flow
        found = await self._secret(deps, flow)
        token = await exchange_code(
            self.providers, provider.token_endpoint, client_id=flow.client_id, client_secret=found,
            code=code, redirect_uri=flow.redirect_uri, code_verifier=flow.code_verifier,
        )  # fmt: skip
        id_token = token.get("id_token")
        if not isinstance(id_token, str):
            raise OidcError("token response has no id_token")
        return await self.providers.validate(
            provider, id_token, issuer=flow.issuer, client_id=flow.client_id, nonce=flow.nonce
        )

    async def _secret(self, deps: GatewayDeps, flow: Flow) -> str:
        found = await deps.directory.sso_discover(org_id=flow.org_id)
        if found is None or found["issuer"] != flow.issuer or found["client_id"] != flow.client_id:
            raise OidcError("the org's identity provider changed during the sign-in")
        return str(found["client_secret"])

    async def _refused(
        self, request: Request, deps: GatewayDeps, flow: Flow, reason: str, ip: str
    ) -> Response:
        log.info("sso: refused for %s: %s", flow.org_id, reason)
        await deps.directory.audit(
            event="sso.refused", user_id=None, ip=ip, detail={"org_id": flow.org_id, "reason": reason[:300]},
            request_id=_request_id(request),
        )  # fmt: skip
        return self._page(request, deps, error=SSO_ERROR, next_path=flow.next_path, status=403)

    async def _session(
        self, request: Request, deps: GatewayDeps, user_id: str, next_path: str, ip: str
    ) -> Response:
        try:
            elsewhere = await _brand_origin(request, deps, user_id)
        except LookupError as exc:
            log.warning("sso: %s", exc)
            return self._page(request, deps, error=SSO_ERROR, next_path=next_path, status=200)
        if elsewhere is not None:  # the user's brand lives on another host: sign in there
            return self._page(request, deps, error=SSO_ERROR, next_path=next_path, status=403)
        new = await deps.sessions.start(
            user_id=user_id, state="active", ip=ip, user_agent=user_agent(request.scope),
            replaces=session_of(request.scope),
        )  # fmt: skip
        if deps.metrics is not None:
            deps.metrics.login("success")
        response = RedirectResponse(next_path, status_code=303)
        set_session_cookie(response, new.raw_id, max_age=deps.config.session_absolute_seconds)
        return response


def routes(sso: SsoLogin | None = None) -> list[Route]:
    """`sso`: tests pass one to reach its pending flows and provider cache."""
    sso = sso or SsoLogin()
    return [
        Route("/login/sso", sso.start, methods=["POST"]),
        Route(CALLBACK, sso.callback, methods=["GET"]),
    ]

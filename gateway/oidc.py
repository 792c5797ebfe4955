"""OpenID Connect relying-party pieces the gateway needs: provider metadata and JWKS (fetched
with httpx, cached per issuer), pending flows (single use, short-lived) and ID token validation
(joserfc: signature against the provider's JWKS; then `iss`, `aud`, `azp`, `exp`, `iat`, `nonce`).

Pending flows live in this gateway process's memory (one gateway per host, or sticky sessions,
in split mode): a flow started on one gateway process must come back to it. They expire after
`FLOW_SECONDS` and are removed when used, so a replayed `state` finds nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote_plus

import httpx
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri  # type: ignore[import-untyped]
from authlib.oauth2.rfc7636 import create_s256_code_challenge  # type: ignore[import-untyped]
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

FLOW_SECONDS = 600.0
MAX_FLOWS = 10_000
METADATA_SECONDS = 300.0
LEEWAY_SECONDS = 60
ALGORITHMS = ("RS256", "PS256", "ES256", "ES384", "EdDSA")
HTTP_TIMEOUT = 10.0
SCOPE = "openid email profile"


class OidcError(Exception):
    """The provider answered something we do not accept (the message is for the log only)."""


@dataclass(frozen=True, kw_only=True)
class Flow:
    org_id: str
    issuer: str
    client_id: str
    code_verifier: str
    nonce: str
    next_path: str
    browser: str  # the `__Host-sb_pre` nonce of the browser that started the flow
    redirect_uri: str
    expires: float


@dataclass
class PendingFlows:
    clock: Callable[[], float] = time.monotonic
    _flows: dict[str, Flow] = field(default_factory=dict)

    def put(self, state: str, flow: Flow) -> None:
        now = self.clock()
        if len(self._flows) >= MAX_FLOWS:
            for key in [k for k, f in self._flows.items() if f.expires <= now]:
                del self._flows[key]
            if len(self._flows) >= MAX_FLOWS:  # still full: drop the oldest
                del self._flows[next(iter(self._flows))]
        self._flows[state] = flow

    def take(self, state: str) -> Flow | None:
        """The flow of `state`, removed (single use); None when unknown or expired."""
        flow = self._flows.pop(state, None)
        if flow is None or flow.expires <= self.clock():
            return None
        return flow


@dataclass(frozen=True, kw_only=True)
class Provider:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    iss_parameter: bool  # RFC 9207 authorization_response_iss_parameter_supported


@dataclass
class ProviderCache:
    """Metadata and JWKS per issuer, refetched after METADATA_SECONDS (and the JWKS once more
    when a token names a key id we do not know: key rotation)."""

    transport: httpx.AsyncBaseTransport | None = None
    clock: Callable[[], float] = time.monotonic
    _providers: dict[str, tuple[float, Provider]] = field(default_factory=dict)
    _jwks: dict[str, tuple[float, dict[str, Any]]] = field(default_factory=dict)

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=self.transport, timeout=HTTP_TIMEOUT, follow_redirects=False)

    async def _get_json(self, url: str) -> dict[str, Any]:
        async with self.client() as client:
            response = await client.get(url, headers={"Accept": "application/json"})
        if response.status_code != 200:
            raise OidcError(f"GET {url}: status {response.status_code}")
        data = response.json()
        if not isinstance(data, dict):
            raise OidcError(f"GET {url}: not a JSON object")
        return data

    async def provider(self, issuer: str) -> Provider:
        hit = self._providers.get(issuer)
        if hit is not None and hit[0] > self.clock():
            return hit[1]
        doc = await self._get_json(issuer.rstrip("/") + "/.well-known/openid-configuration")
        if doc.get("issuer") != issuer:  # OpenID Connect Discovery §4.3: exactly the issuer
            raise OidcError(f"metadata names issuer {doc.get('issuer')!r}, expected {issuer!r}")
        try:
            provider = Provider(
                issuer=issuer,
                authorization_endpoint=str(doc["authorization_endpoint"]),
                token_endpoint=str(doc["token_endpoint"]),
                jwks_uri=str(doc["jwks_uri"]),
                iss_parameter=doc.get("authorization_response_iss_parameter_supported") is True,
            )
        except KeyError as exc:
            raise OidcError(f"metadata lacks {exc}") from None
        self._providers[issuer] = (self.clock() + METADATA_SECONDS, provider)
        return provider

    async def jwks(self, provider: Provider, *, fresh: bool = False) -> dict[str, Any]:
        hit = self._jwks.get(provider.issuer)
        if not fresh and hit is not None and hit[0] > self.clock():
            return hit[1]
        data = await self._get_json(provider.jwks_uri)
        self._jwks[provider.issuer] = (self.clock() + METADATA_SECONDS, data)
        return data

    async def validate(self, provider: Provider, id_token: str, **expect: Any) -> dict[str, Any]:
        """`validate_id_token` with the provider's keys (refetched once for an unknown kid)."""
        keys = await self.jwks(provider)
        try:
            return validate_id_token(id_token, jwks=keys, **expect)
        except UnknownKey:
            return validate_id_token(id_token, jwks=await self.jwks(provider, fresh=True), **expect)


class UnknownKey(OidcError):
    pass


def authorization_url(
    endpoint: str, *, client_id: str, redirect_uri: str, state: str, code_verifier: str, nonce: str,
    login_hint: str,
) -> str:  # fmt: skip
    """The authorization request (code flow, PKCE S256) — authlib's RFC 6749/7636 helpers.
    (authlib's httpx client classes are not used: they warn that httpx is deprecated for httpx2.)"""
    url: str = prepare_grant_uri(
        endpoint, client_id=client_id, response_type="code", redirect_uri=redirect_uri, scope=SCOPE,
        state=state, code_challenge=create_s256_code_challenge(code_verifier), code_challenge_method="S256",
        nonce=nonce, login_hint=login_hint,
    )  # fmt: skip
    return url


async def exchange_code(
    cache: ProviderCache, token_endpoint: str, *, client_id: str, client_secret: str, code: str,
    redirect_uri: str, code_verifier: str,
) -> dict[str, Any]:  # fmt: skip
    """The token request (client_secret_basic, RFC 6749 §2.3.1: both parts form-encoded)."""
    async with cache.client() as client:
        response = await client.post(
            token_endpoint,
            data={
                "grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
                "code_verifier": code_verifier,
            },
            auth=(quote_plus(client_id), quote_plus(client_secret)),
            headers={"Accept": "application/json"},
        )  # fmt: skip
    if response.status_code != 200:
        raise OidcError(f"token endpoint: status {response.status_code} {response.text[:200]}")
    data = response.json()
    if not isinstance(data, dict):
        raise OidcError("token endpoint: not a JSON object")
    return data


def validate_id_token(
    id_token: str, *, jwks: dict[str, Any], issuer: str, client_id: str, nonce: str, now: float | None = None
) -> dict[str, Any]:
    """The claims of a valid ID token (OpenID Connect Core §3.1.3.7), else OidcError."""
    try:
        keyset = KeySet.import_key_set(jwks)  # type: ignore[arg-type]
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise OidcError(f"provider JWKS unusable: {exc}") from None
    try:
        token = jwt.decode(id_token, keyset, algorithms=list(ALGORITHMS))
    except (JoseError, ValueError) as exc:
        if "kid" in str(exc).lower() or "key" in type(exc).__name__.lower():
            raise UnknownKey(f"ID token signature: {exc}") from None
        raise OidcError(f"ID token signature: {type(exc).__name__}: {exc}") from None
    claims = dict(token.claims)
    moment = time.time() if now is None else now
    if claims.get("iss") != issuer:
        raise OidcError(f"ID token iss {claims.get('iss')!r} is not {issuer!r}")
    aud = claims.get("aud")
    audiences = aud if isinstance(aud, list) else [aud]
    if client_id not in audiences:
        raise OidcError(f"ID token aud {aud!r} does not contain {client_id!r}")
    azp = claims.get("azp")
    if (len(audiences) > 1 or azp is not None) and azp != client_id:
        raise OidcError(f"ID token azp {azp!r} is not {client_id!r}")
    exp, iat = claims.get("exp"), claims.get("iat")
    if not isinstance(exp, int | float) or exp + LEEWAY_SECONDS <= moment:
        raise OidcError("ID token expired (or has no exp)")
    if not isinstance(iat, int | float) or iat - LEEWAY_SECONDS > moment:
        raise OidcError("ID token issued in the future (or has no iat)")
    if not isinstance(claims.get("nonce"), str) or claims["nonce"] != nonce:
        raise OidcError("ID token nonce missing or not the one we sent")
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise OidcError("ID token has no sub")
    return claims

"""ID token validation and pending flows (gateway/oidc.py) with real joserfc keys."""

from __future__ import annotations

from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from gateway.oidc import Flow, OidcError, PendingFlows, authorization_url, validate_id_token

ISSUER = "https://idp.example"
NOW = 1_800_000_000
KEY = RSAKey.generate_key(2048, parameters={"kid": "k1"}, private=True)
OTHER = RSAKey.generate_key(2048, parameters={"kid": "k1"}, private=True)
JWKS = {"keys": [KEY.as_dict(private=False)]}


def token(key: RSAKey = KEY, **claims: Any) -> str:
    body = {"iss": ISSUER, "aud": "portal", "sub": "u1", "nonce": "n1", "iat": NOW, "exp": NOW + 300} | claims
    return jwt.encode({"alg": "RS256", "kid": "k1"}, {k: v for k, v in body.items() if v is not None}, key)


def check(value: str) -> dict[str, Any]:
    return validate_id_token(value, jwks=JWKS, issuer=ISSUER, client_id="portal", nonce="n1", now=NOW)


def test_a_valid_token_gives_its_claims() -> None:
    assert check(token(email="a@b.example"))["email"] == "a@b.example"
    assert check(token(aud=["portal", "other"], azp="portal"))["sub"] == "u1"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (token(OTHER), "ID token signature: BadSignatureError: bad_signature: "),
        (
            token(iss="https://idp.example/"),
            "ID token iss 'https://idp.example/' is not 'https://idp.example'",
        ),
        (token(aud="someone-else"), "ID token aud 'someone-else' does not contain 'portal'"),
        (token(aud=["portal", "other"]), "ID token azp None is not 'portal'"),
        (token(azp="other"), "ID token azp 'other' is not 'portal'"),
        (token(exp=NOW - 61), "ID token expired (or has no exp)"),
        (token(exp=None), "ID token expired (or has no exp)"),
        (token(iat=NOW + 61), "ID token issued in the future (or has no iat)"),
        (token(nonce=None), "ID token nonce missing or not the one we sent"),
        (token(nonce="n2"), "ID token nonce missing or not the one we sent"),
        (token(sub=None), "ID token has no sub"),
    ],
)
def test_invalid_tokens_are_refused(value: str, message: str) -> None:
    with pytest.raises(OidcError) as caught:
        check(value)
    assert str(caught.value) == message


def test_a_state_is_single_use_and_expires() -> None:
    now = [100.0]
    flows = PendingFlows(clock=lambda: now[0])
    flow = Flow(
        org_id="globex", issuer=ISSUER, client_id="portal", code_verifier="v" * 64, nonce="n1",
        next_path="/", browser="b", redirect_uri="https://portal/login/sso/callback", expires=160.0,
    )  # fmt: skip
    flows.put("s1", flow)
    flows.put("s2", flow)
    assert flows.take("s1") == flow
    assert flows.take("s1") is None
    now[0] = 160.0
    assert flows.take("s2") is None


def test_the_authorization_request_carries_pkce_state_and_nonce() -> None:
    url = authorization_url(
        "https://idp.example/auth", client_id="portal", redirect_uri="https://portal/cb", state="s1",
        code_verifier="dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", nonce="n1", login_hint="a@b.example",
    )  # fmt: skip
    assert url == (
        "https://idp.example/auth?response_type=code&client_id=portal&redirect_uri=https%3A%2F%2Fportal%2Fcb"
        "&scope=openid+email+profile&state=s1&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        "&code_challenge_method=S256&nonce=n1&login_hint=a%40b.example"
    )

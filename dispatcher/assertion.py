"""Minting the per-request assertion (ES256 JWS) the resources verify (spine contract "Assertion").

Keys live in `<certs>/signing/current.jwk` (private EC P-256 JWK with "kid") and optionally
`previous.jwk`; the public JWKS with both is `<certs>/signing/jwks.json` (written by the certs
tooling with `new_signing_jwk()` and `public_jwks()`). Key objects are parsed once and reused:
minting runs on every request.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from joserfc.jwk import ECKey
from joserfc.jws import JWSRegistry, serialize_compact

from resources.kit.caller import Principal
from resources.kit.manifest import Plane
from resources.kit.settings import ISSUER

ALG = "ES256"
CURVE = "P-256"
DEFAULT_TTL = 60
MAX_REUSABLE = 4096  # reusable assertions kept (one per principal, session, plane and resource)


def _import_private(jwk: dict[str, Any], *, where: str) -> ECKey:
    if jwk.get("kty") != "EC" or jwk.get("crv") != CURVE or "d" not in jwk:
        raise ValueError(f"{where}: expected a private EC {CURVE} JWK")
    if not isinstance(jwk.get("kid"), str) or not jwk["kid"]:
        raise ValueError(f"{where}: the JWK needs a 'kid'")
    return ECKey.import_key(jwk)


def new_signing_jwk() -> dict[str, Any]:
    """A fresh private EC P-256 JWK; kid = its RFC 7638 thumbprint."""
    key = ECKey.generate_key(CURVE, private=True)
    kid = key.thumbprint()
    out: dict[str, Any] = dict(key.as_dict(private=True))
    out.update({"kid": kid, "alg": ALG, "use": "sig"})
    return out


@dataclass(frozen=True)
class SigningKeys:
    """The current signing key and, during a rotation, the previous one (verification only)."""

    current: ECKey
    previous: ECKey | None = None

    @property
    def kid(self) -> str:
        kid = self.current.kid
        assert kid is not None
        return kid

    @classmethod
    def from_jwks(cls, current: dict[str, Any], previous: dict[str, Any] | None = None) -> SigningKeys:
        return cls(
            current=_import_private(current, where="current key"),
            previous=_import_private(previous, where="previous key") if previous is not None else None,
        )

    @classmethod
    def load(cls, certs_dir: Path) -> SigningKeys:
        signing = certs_dir / "signing"
        current = json.loads((signing / "current.jwk").read_text())
        previous_path = signing / "previous.jwk"
        previous = json.loads(previous_path.read_text()) if previous_path.exists() else None
        return cls.from_jwks(current, previous)


def public_jwks(keys: SigningKeys) -> dict[str, Any]:
    """The public JWKS resources verify with: current first, then previous (if any)."""
    out = []
    for key in (keys.current, keys.previous):
        if key is not None:
            public: dict[str, Any] = dict(key.as_dict(private=False))
            public.update({"kid": key.kid, "alg": ALG, "use": "sig"})
            out.append(public)
    return {"keys": out}


class AssertionSigner:
    """Mints `X-Switchboard-Assertion` values. Always signs with the current key."""

    def __init__(self, keys: SigningKeys, *, issuer: str = ISSUER, ttl: int = DEFAULT_TTL) -> None:
        self._key = keys.current
        self._header = {"alg": ALG, "kid": keys.kid, "typ": "JWT"}
        self._issuer = issuer
        self._ttl = ttl
        self._registry = JWSRegistry(algorithms=[ALG])
        self._reusable: dict[tuple[str, Plane, str | None, Principal], tuple[str, int]] = {}

    def mint(
        self,
        *,
        audience: str,
        principal: Principal,
        plane: Plane,
        session_ref: str | None,
        request_id: str | None,
        reuse: bool = False,
        now: float | None = None,
    ) -> str:
        """`reuse`: the request only reads (GET/HEAD), so an assertion minted for the same
        principal, session, plane and resource less than half a lifetime ago is sent again — no
        request id inside (the resource takes X-Request-Id), and the resource verifies those bytes
        once (resources.kit.assertion). A network element without a session always reuses: the
        switch asks the SCP thousands of times a second. Writes always get a fresh assertion
        carrying their request id, which the audit records."""
        current = time.time() if now is None else now
        key = None
        if reuse or (principal.kind == "element" and session_ref is None):
            key = (audience, plane, session_ref, principal)
            cached = self._reusable.get(key)
            if cached is not None and current < cached[1]:
                return cached[0]
            request_id = None
        token = self._sign(audience, principal, plane, session_ref, request_id, int(current))
        if key is not None:
            if len(self._reusable) >= MAX_REUSABLE:
                self._reusable.clear()
            self._reusable[key] = (token, int(current) + self._ttl // 2)
        return token

    def _sign(
        self,
        audience: str,
        principal: Principal,
        plane: Plane,
        session_ref: str | None,
        request_id: str | None,
        iat: int,
    ) -> str:
        claims = {
            "iss": self._issuer,
            "aud": audience,
            "sub": principal.user_id,
            "usr": principal.username,
            "knd": principal.kind,
            "pln": plane,
            "org": principal.org_id,
            "cust": principal.customer_id,
            "rsl": list(principal.reseller_chain),
            "brand": principal.brand,
            "ent": [e.to_claim() for e in principal.for_resource(audience)],
            "sid": session_ref,
            "rid": request_id,
            "jti": secrets.token_urlsafe(16),
            "iat": iat,
            "exp": iat + self._ttl,
        }
        payload = json.dumps(claims, separators=(",", ":"))
        return serialize_compact(self._header, payload, self._key, registry=self._registry)

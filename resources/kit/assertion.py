"""Verifying the dispatcher's assertion (spine contract "Assertion") — the resource side.

Only ES256 with a `kid` from the dispatcher's public JWKS is accepted; issuer, audience, expiry
(with leeway) and every claim's shape are checked. Any failure is `InvalidAssertion(reason)`;
the reason is for logs, never for the response body.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, get_args

from joserfc.errors import JoseError
from joserfc.jwk import ECKey
from joserfc.jws import JWSRegistry, extract_compact, validate_compact

from resources.kit.caller import Caller, Entitlement, Kind
from resources.kit.settings import ISSUER

log = logging.getLogger("resources.kit.assertion")

ALG = "ES256"
MAX_TOKEN_LENGTH = 16_384
_HEADER_KEYS = frozenset({"alg", "kid", "typ"})
_KINDS = frozenset(get_args(Kind))
_PLANES = frozenset({"customer", "network", "service"})


MAX_CACHED = 4096  # verified reusable assertions kept (one per principal, session and plane, in practice)


class InvalidAssertion(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _public_keys(jwks: Mapping[str, Any]) -> dict[str, ECKey]:
    """kid -> public key for every EC P-256 key of the set (other key types are ignored)."""
    keys: dict[str, ECKey] = {}
    raw_keys = jwks.get("keys")
    if not isinstance(raw_keys, list):
        raise ValueError("JWKS needs a 'keys' list")
    for raw in raw_keys:
        if not isinstance(raw, dict) or raw.get("kty") != "EC" or raw.get("crv") != "P-256":
            continue
        kid = raw.get("kid")
        if not isinstance(kid, str) or not kid or raw.get("alg", ALG) != ALG:
            continue
        public = {k: v for k, v in raw.items() if k != "d"}  # never hold a private part here
        keys[kid] = ECKey.import_key(public)
    return keys


def _str(claims: Mapping[str, Any], name: str, *, nullable: bool = False) -> Any:
    value = claims.get(name)
    if value is None and nullable and name in claims:
        return None
    if not isinstance(value, str):
        raise InvalidAssertion(f"claim {name} missing or not a string")
    return value


def _int(claims: Mapping[str, Any], name: str) -> int:
    value = claims.get(name)
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidAssertion(f"claim {name} missing or not an integer")
    return value


def _entitlements(raw: Any) -> tuple[Entitlement, ...]:
    if not isinstance(raw, list):
        raise InvalidAssertion("claim ent missing or not a list")
    out = []
    for item in raw:
        ok = isinstance(item, dict) and isinstance(item.get("a"), str) and "s" in item
        scope = item.get("s") if ok else None
        if not ok or not (
            scope is None or (isinstance(scope, list) and all(isinstance(x, str) for x in scope))
        ):
            raise InvalidAssertion("claim ent has a malformed entry")
        out.append(Entitlement.from_claim(item))
    return tuple(out)


class AssertionVerifier:
    def __init__(
        self, jwks: Mapping[str, Any], *, audience: str, issuer: str = ISSUER, leeway: int = 5
    ) -> None:
        self._keys = _public_keys(jwks)
        self.audience = audience
        self.issuer = issuer
        self.leeway = leeway
        self._registry = JWSRegistry(algorithms=[ALG])
        # The dispatcher reuses an assertion for reads and for network elements (the switch sends
        # thousands of requests per second under one; dispatcher.assertion.AssertionSigner): the
        # signature of those exact bytes is checked once and the result kept until the token
        # expires. Keys changing clear it.
        self._verified: dict[str, tuple[Caller, int]] = {}

    @classmethod
    def from_file(
        cls, path: Path, *, audience: str, issuer: str = ISSUER, leeway: int = 5, recheck: float = 1.0
    ) -> FileAssertionVerifier:
        return FileAssertionVerifier(path, audience=audience, issuer=issuer, leeway=leeway, recheck=recheck)

    @property
    def kids(self) -> frozenset[str]:
        return frozenset(self._keys)

    def _set_keys(self, keys: dict[str, ECKey]) -> None:
        self._keys = keys
        self._verified = {}

    def verify(self, token: str, *, now: float | None = None) -> Caller:
        hit = self._verified.get(token)
        if hit is not None:
            if (time.time() if now is None else now) <= hit[1] + self.leeway:
                return hit[0]
            del self._verified[token]
        if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
            raise InvalidAssertion("malformed token")
        try:
            obj = extract_compact(token.encode("ascii"), registry=self._registry)
        except (JoseError, ValueError, TypeError, KeyError) as exc:
            raise InvalidAssertion("malformed token") from exc
        header = obj.headers()
        if header.get("alg") != ALG:
            raise InvalidAssertion(f"alg {header.get('alg')!r} not accepted")
        if not set(header) <= _HEADER_KEYS or header.get("typ", "JWT") != "JWT":
            raise InvalidAssertion("unexpected header parameters")
        key = self._keys.get(header.get("kid"))  # type: ignore[arg-type]
        if key is None:
            raise InvalidAssertion("unknown kid")
        try:
            valid = validate_compact(obj, key, registry=self._registry)
        except (JoseError, ValueError, TypeError) as exc:
            raise InvalidAssertion("bad signature") from exc
        if not valid:
            raise InvalidAssertion("bad signature")
        try:
            claims = json.loads(obj.payload)
        except ValueError as exc:
            raise InvalidAssertion("payload is not JSON") from exc
        if not isinstance(claims, dict):
            raise InvalidAssertion("payload is not an object")
        caller = self._caller(claims, time.time() if now is None else now)
        if caller.request_id is None:  # only a reused assertion carries no request id
            if len(self._verified) >= MAX_CACHED:
                self._verified.clear()
            self._verified[token] = (caller, _int(claims, "exp"))
        return caller

    def _caller(self, claims: dict[str, Any], now: float) -> Caller:
        if _str(claims, "iss") != self.issuer:
            raise InvalidAssertion("wrong issuer")
        if _str(claims, "aud") != self.audience:
            raise InvalidAssertion("wrong audience")
        exp, iat = _int(claims, "exp"), _int(claims, "iat")
        if now > exp + self.leeway:
            raise InvalidAssertion("expired")
        if iat > now + self.leeway:
            raise InvalidAssertion("not yet valid")
        kind, plane = _str(claims, "knd"), _str(claims, "pln")
        if kind not in _KINDS:
            raise InvalidAssertion("claim knd is not a known kind")
        if plane not in _PLANES:
            raise InvalidAssertion("claim pln is not a known plane")
        rsl = claims.get("rsl")
        if not isinstance(rsl, list) or not all(isinstance(x, str) for x in rsl):
            raise InvalidAssertion("claim rsl missing or not a list of strings")
        return Caller(
            subject=_str(claims, "sub"),
            username=_str(claims, "usr"),
            kind=kind,
            plane=plane,
            org_id=_str(claims, "org"),
            customer_id=_str(claims, "cust", nullable=True),
            reseller_chain=tuple(rsl),
            brand=_str(claims, "brand"),
            entitlements=_entitlements(claims.get("ent")),
            session=_str(claims, "sid", nullable=True),
            request_id=_str(claims, "rid", nullable=True),
            jti=_str(claims, "jti"),
        )


class FileAssertionVerifier(AssertionVerifier):
    """Reads the JWKS file and re-reads it whenever it changes (key rotation without restart).

    A file that cannot be read or parsed keeps the keys loaded before (logged), and is retried
    on the next request."""

    def __init__(
        self, path: Path, *, audience: str, issuer: str = ISSUER, leeway: int = 5, recheck: float = 1.0
    ) -> None:
        self.path = path
        self.recheck = recheck  # seconds between looks at the file (a rotation applies within it)
        self._checked = time.monotonic()
        self._stamp = self._stat()
        super().__init__(json.loads(path.read_text()), audience=audience, issuer=issuer, leeway=leeway)
        self._lock = threading.Lock()

    def _stat(self) -> tuple[int, int, int] | None:
        try:
            st = os.stat(self.path)
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_size, st.st_ino)

    def _refresh(self) -> None:
        now = time.monotonic()
        if now - self._checked < self.recheck:
            return
        self._checked = now
        stamp = self._stat()
        if stamp is None or stamp == self._stamp:
            return
        with self._lock:
            if stamp == self._stamp:
                return
            try:
                keys = _public_keys(json.loads(self.path.read_text()))
            except (OSError, ValueError, JoseError) as exc:
                log.warning("cannot reload JWKS %s (keeping the previous keys): %s", self.path, exc)
                return
            self._set_keys(keys)
            self._stamp = stamp
            log.info("reloaded JWKS %s: kids %s", self.path, sorted(keys))

    def verify(self, token: str, *, now: float | None = None) -> Caller:
        self._refresh()
        return super().verify(token, now=now)

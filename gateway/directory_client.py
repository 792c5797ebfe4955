"""The gateway's view of the directory: its internal API through the dispatcher, plus a cache.

Every call runs as the service principal "service:gateway" (holding `directory:authenticate`)
on the service plane. Principals and verified API tokens are cached; the cache drops entries on
the bus topic `directory.changed` (so a changed entitlement or a revoked token applies on the
user's next request) and expires them after `ttl` seconds as a safety net. With a change counter
(resources/kit/versions.py, bumped by the directory on every change) an entry is used only while
the counter still reads what it read before the entry was fetched: a revoke, a disabled user, a
suspended organisation or a narrowed grant applies on the very next request even when the event
is late or lost.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from gateway.ports import DispatcherPort
from resources.kit.caller import Entitlement, Principal
from resources.kit.versions import ChangeCounter

log = logging.getLogger("gateway")

DIRECTORY = "directory"
CHANGED_TOPIC = "directory.changed"
T = TypeVar("T")
_FlightKey = tuple[str, str, int | None]  # (what, user id or token digest, counter version)

SERVICE_PRINCIPAL = Principal(
    user_id="service:gateway",
    username="gateway",
    display_name="Switchboard gateway",
    kind="service",
    org_id="provider",
    customer_id=None,
    reseller_chain=(),
    brand="default",
    entitlements=(Entitlement(action="directory:authenticate"),),
)


class DirectoryError(Exception):
    """The directory answered something the contract does not allow (or not at all)."""


@dataclass(frozen=True, kw_only=True)
class AuthResult:
    ok: bool
    user_id: str | None = None
    mfa_required: bool = False
    reason: str | None = None  # "invalid" | "locked" | "disabled" — never shown to the user


@dataclass(frozen=True, kw_only=True)
class TokenIdentity:
    principal: Principal
    token_id: str


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class PrincipalCache:
    """Entries keyed by user id / token digest, each with its expiry and the counter version it
    was fetched under; a lookup with another version (or after expiry) misses and drops it."""

    def __init__(self, *, ttl: float = 300.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self._clock = clock
        self._principals: dict[str, tuple[float, int | None, Principal]] = {}
        self._tokens: dict[str, tuple[float, int | None, TokenIdentity]] = {}

    def principal(self, user_id: str, version: int | None = None) -> Principal | None:
        hit = self._principals.get(user_id)
        if hit is None or self._clock() >= hit[0] or hit[1] != version:
            self._principals.pop(user_id, None)
            return None
        return hit[2]

    def put_principal(self, principal: Principal, version: int | None = None) -> None:
        self._principals[principal.user_id] = (self._clock() + self.ttl, version, principal)

    def token(self, digest: str, version: int | None = None) -> TokenIdentity | None:
        hit = self._tokens.get(digest)
        if hit is None or self._clock() >= hit[0] or hit[1] != version:
            self._tokens.pop(digest, None)
            return None
        return hit[2]

    def put_token(self, digest: str, identity: TokenIdentity, version: int | None = None) -> None:
        self._tokens[digest] = (self._clock() + self.ttl, version, identity)

    def invalidate(self, user_ids: Iterable[str] | None) -> None:
        """Drop the given users' principals and tokens; None drops everything."""
        if user_ids is None:
            self._principals.clear()
            self._tokens.clear()
            return
        ids = set(user_ids)
        for uid in ids:
            self._principals.pop(uid, None)
        for digest in [d for d, (_, _v, ident) in self._tokens.items() if ident.principal.user_id in ids]:
            del self._tokens[digest]

    def on_event(self, payload: dict[str, Any]) -> None:
        raw = payload.get("user_ids")
        if isinstance(raw, list):
            self.invalidate(str(x) for x in raw)
        else:  # null or malformed: be safe, drop everything
            self.invalidate(None)


class DirectoryClient:
    def __init__(
        self,
        dispatcher: DispatcherPort,
        *,
        cache: PrincipalCache | None = None,
        counter: ChangeCounter | None = None,
    ) -> None:
        self._dispatcher = dispatcher
        self.cache = cache or PrincipalCache()
        self.counter = counter
        self._inflight: dict[_FlightKey, asyncio.Future[Any]] = {}

    async def _version(self) -> int | None:
        return None if self.counter is None else await self.counter.current()

    async def _call(
        self, method: str, path: str, body: Any = None, *, request_id: str | None = None
    ) -> tuple[int, Any]:
        result = await self._dispatcher.call(
            resource=DIRECTORY,
            method=method,
            path=path,
            principal=SERVICE_PRINCIPAL,
            plane="service",
            json=body,
            request_id=request_id,
        )
        if result.status == 204:
            return 204, None
        try:
            return result.status, result.json()
        except ValueError as exc:
            raise DirectoryError(f"{method} {path}: answer is not JSON") from exc

    async def _ok_json(self, method: str, path: str, body: Any, request_id: str | None) -> dict[str, Any]:
        status, data = await self._call(method, path, body, request_id=request_id)
        if status != 200 or not isinstance(data, dict):
            raise DirectoryError(f"{method} {path}: status {status}")
        return data

    async def authenticate(
        self, *, username: str, password: str, ip: str, request_id: str | None = None
    ) -> AuthResult:
        data = await self._ok_json(
            "POST",
            "/internal/authenticate",
            {"username": username, "password": password, "ip": ip},
            request_id,
        )
        if data.get("ok") is True and isinstance(data.get("user_id"), str):
            return AuthResult(ok=True, user_id=data["user_id"], mfa_required=bool(data.get("mfa_required")))
        return AuthResult(ok=False, reason=str(data.get("reason") or "invalid"))

    async def verify_mfa(self, *, user_id: str, code: str, ip: str, request_id: str | None = None) -> bool:
        data = await self._ok_json(
            "POST", "/internal/mfa/verify", {"user_id": user_id, "code": code, "ip": ip}, request_id
        )
        return data.get("ok") is True

    async def principal(self, user_id: str, *, request_id: str | None = None) -> Principal | None:
        """The user's current principal; None when unknown, disabled or locked."""
        version = await self._version()  # read before fetching: a change after it makes a miss
        cached = self.cache.principal(user_id, version)
        if cached is not None:
            return cached
        return await self._once(
            ("principal", user_id, version), lambda: self._fetch_principal(user_id, version, request_id)
        )

    async def _fetch_principal(
        self, user_id: str, version: int | None, request_id: str | None
    ) -> Principal | None:
        status, data = await self._call("GET", f"/internal/principals/{user_id}", request_id=request_id)
        if status == 404:
            return None
        if status != 200 or not isinstance(data, dict):
            raise DirectoryError(f"principal lookup: status {status}")
        principal = Principal.from_json(data)
        if principal.user_id != user_id:
            raise DirectoryError("principal lookup answered for another user")
        self.cache.put_principal(principal, version)
        return principal

    async def verify_token(self, token: str, *, request_id: str | None = None) -> TokenIdentity | None:
        digest = token_hash(token)
        version = await self._version()
        cached = self.cache.token(digest, version)
        if cached is not None:
            return cached
        return await self._once(
            ("token", digest, version), lambda: self._fetch_token(token, digest, version, request_id)
        )

    async def _fetch_token(
        self, token: str, digest: str, version: int | None, request_id: str | None
    ) -> TokenIdentity | None:
        data = await self._ok_json("POST", "/internal/tokens/verify", {"token": token}, request_id)
        if data.get("ok") is not True or not isinstance(data.get("principal"), dict):
            return None
        identity = TokenIdentity(
            principal=Principal.from_json(data["principal"]), token_id=str(data.get("token_id") or "")
        )
        self.cache.put_token(digest, identity, version)
        return identity

    async def _once(self, key: _FlightKey, fetch: Callable[[], Awaitable[T]]) -> T:
        """Concurrent misses of one key share one directory call (a burst of requests with a
        new token or session asks once, not once per request). A waiter that is cancelled
        leaves the call running for the others."""
        task = self._inflight.get(key)
        if task is None:
            task = asyncio.ensure_future(fetch())
            self._inflight[key] = task
            task.add_done_callback(lambda done: self._settled(key, done))
        return cast(T, await asyncio.shield(task))

    def _settled(self, key: _FlightKey, task: asyncio.Future[Any]) -> None:
        if self._inflight.get(key) is task:
            del self._inflight[key]
        if not task.cancelled():
            task.exception()  # retrieved: every waiter may have gone away

    async def sso_discover(
        self, *, email: str | None = None, org_id: str | None = None, request_id: str | None = None
    ) -> dict[str, str] | None:
        """The org and IdP (issuer, client id and secret) for an e-mail address or an org id;
        None when no enabled IdP matches."""
        body = {"email": email} if email is not None else {"org_id": org_id}
        status, data = await self._call("POST", "/internal/sso/discover", body, request_id=request_id)
        if status in (404, 422):
            return None
        keys = ("org_id", "issuer", "client_id", "client_secret")
        if status != 200 or not isinstance(data, dict) or not all(isinstance(data.get(k), str) for k in keys):
            raise DirectoryError(f"sso discovery: status {status}")
        return {k: str(data[k]) for k in keys}

    async def sso_signin(
        self, *, org_id: str, issuer: str, claims: dict[str, Any], ip: str, request_id: str | None = None
    ) -> dict[str, Any]:
        """{"ok": true, "user_id": …} or {"ok": false, "reason": …} (the reason is for the log)."""
        body = {"org_id": org_id, "issuer": issuer, "claims": claims, "ip": ip}
        return await self._ok_json("POST", "/internal/sso/signin", body, request_id)

    async def audit(
        self,
        *,
        event: str,
        user_id: str | None,
        ip: str,
        username: str | None = None,
        session: str | None = None,
        detail: dict[str, Any] | None = None,
        request_id: str | None = None,
    ) -> None:
        """Best effort: an audit failure is logged, never shown to the user."""
        body = {
            "event": event,
            "user_id": user_id,
            "username": username,
            "ip": ip,
            "session": session,
            "detail": detail or {},
        }
        try:
            status, _ = await self._call("POST", "/internal/audit", body, request_id=request_id)
        except Exception:
            log.exception("audit %s failed", event)
            return
        if status not in (200, 201, 204):
            log.warning("audit %s answered %s", event, status)

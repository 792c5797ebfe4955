"""Enterprise sign-in administration (`directory:manage-sso`): one OpenID Connect identity
provider per org.

* A caller manages the config of its own org, or (reseller and provider staff) of an org in its
  subtree (`org_id`); any other org answers 404 exactly like an unknown one.
* The issuer must be `https://…`; plain `http://` is accepted for `http://127.0.0.1[:port]` only,
  so the integration tests can run a real provider on the loopback interface.
* An e-mail domain belongs to at most one org (discovery sends that domain's users to its IdP).
* Mapped roles must be assignable in the org and held by the caller (no escalation through JIT).
* The client secret is sealed with the directory's SecretBox (associated data `sso:<org>`) and
  never leaves the service plane; audit rows say only whether it changed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select

from resources.directory.audit import record
from resources.directory.context import Tx
from resources.directory.entitlements import uncovered
from resources.directory.manifest import MANAGE_SSO
from resources.directory.models import SsoConfig
from resources.directory.schemas import Errors, _text, iso
from resources.directory.service import assignable_roles, caller_entitlements, visible_orgs
from resources.kit.caller import Caller
from resources.kit.errors import ProblemError

DOMAIN = re.compile(r"(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")
LOOPBACK_HTTP = "127.0.0.1"
MAX_MAPPINGS = 50


def secret_aad(org_id: str) -> str:
    return f"sso:{org_id}"


@dataclass(frozen=True, kw_only=True)
class SsoInput:
    issuer: str
    client_id: str
    client_secret: str | None  # None: keep the stored one
    domains: list[str]
    default_roles: list[str]
    role_mapping: list[dict[str, Any]]
    passwords_disabled: bool
    enabled: bool


def issuer_problem(issuer: str) -> str | None:
    parts = urlsplit(issuer)
    secure = parts.scheme == "https" and bool(parts.hostname)
    if secure or (parts.scheme == "http" and parts.hostname == LOOPBACK_HTTP):
        pass
    elif parts.scheme == "http":
        return "The issuer must use https:// (plain http:// is allowed for http://127.0.0.1 only)."
    else:
        return "Enter the issuer URL, e.g. https://login.example.com."
    if parts.query or parts.fragment or parts.username or parts.password:
        return "The issuer URL must not have a query, a fragment or credentials."
    return None


def _bool(raw: Mapping[str, Any], key: str, default: bool, errors: Errors) -> bool:
    value = raw.get(key, default)
    if value is None:
        return default
    if not isinstance(value, bool):
        errors.add(key, "Must be true or false.")
        return default
    return value


def _names(raw: Mapping[str, Any], key: str, errors: Errors, *, field: str | None = None) -> list[str]:
    value = raw.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
        errors.add(field or key, "Must be a list of text.")
        return []
    return [x.strip() for x in value if x.strip()]


def parse_sso(raw: Mapping[str, Any], *, has_secret: bool) -> SsoInput:
    errors = Errors()
    allowed = {
        "issuer", "client_id", "client_secret", "domains", "default_roles", "role_mapping",
        "passwords_disabled", "enabled",
    }  # fmt: skip
    for key in sorted(set(raw) - allowed):
        errors.add(key, "Unknown field.")
    issuer = _text(raw, "issuer", errors, required=True, max_len=500) or ""
    if issuer and (problem := issuer_problem(issuer)):
        errors.add("issuer", problem)
    client_id = _text(raw, "client_id", errors, required=True, max_len=200) or ""
    secret = _text(raw, "client_secret", errors, required=not has_secret, max_len=500)
    domains: list[str] = []
    for i, d in enumerate(_names(raw, "domains", errors)):
        d = d.lower().removeprefix("@")
        if not DOMAIN.fullmatch(d):
            errors.add(f"domains[{i}]", f"{d} is not a domain name such as example.com.")
        elif d not in domains:
            domains.append(d)
    if not domains and not any(e["field"].startswith("domains") for e in errors.items):
        errors.add("domains", "List at least one e-mail domain whose users sign in here.")
    default_roles = _names(raw, "default_roles", errors)
    mapping: list[dict[str, Any]] = []
    rules = raw.get("role_mapping") or []
    if not isinstance(rules, list) or len(rules) > MAX_MAPPINGS:
        errors.add("role_mapping", f"Must be a list of at most {MAX_MAPPINGS} rules.")
        rules = []
    for i, rule in enumerate(rules):
        if not isinstance(rule, dict):
            errors.add(f"role_mapping[{i}]", "Each rule is an object with claim, value and roles.")
            continue
        claim = _text(rule, "claim", errors, required=True, max_len=100)
        value = _text(rule, "value", errors, required=True, max_len=200)
        roles = _names(rule, "roles", errors, field=f"role_mapping[{i}].roles")
        if not roles:
            errors.add(f"role_mapping[{i}].roles", "Name at least one role.")
        if claim and value and roles:
            mapping.append({"claim": claim, "value": value, "roles": roles})
    for item in errors.items:  # _text names the inner key only
        if item["field"] in ("claim", "value"):
            item["field"] = f"role_mapping.{item['field']}"
    passwords_disabled = _bool(raw, "passwords_disabled", False, errors)
    enabled = _bool(raw, "enabled", True, errors)
    errors.raise_if_any()
    return SsoInput(
        issuer=issuer, client_id=client_id, client_secret=secret, domains=domains,
        default_roles=default_roles, role_mapping=mapping, passwords_disabled=passwords_disabled,
        enabled=enabled,
    )  # fmt: skip


def state_of(cfg: SsoConfig) -> dict[str, Any]:
    """What the audit log and the API show (never the secret)."""
    return {
        "issuer": cfg.issuer,
        "client_id": cfg.client_id,
        "domains": list(cfg.domains),
        "default_roles": list(cfg.default_roles),
        "role_mapping": [dict(r) for r in cfg.role_mapping],
        "passwords_disabled": cfg.passwords_disabled,
        "enabled": cfg.enabled,
    }


def sso_json(cfg: SsoConfig) -> dict[str, Any]:
    return {
        "org_id": cfg.org_id,
        **state_of(cfg),
        "client_secret_set": True,
        "updated_at": iso(cfg.updated_at),
        "updated_by": cfg.updated_by,
    }


async def _target(tx: Tx, caller: Caller, org_id: str | None) -> str:
    _, orgs = await visible_orgs(tx, caller, MANAGE_SSO)
    target = org_id or caller.org_id
    if target not in orgs:
        raise ProblemError(404, detail="no such organisation")
    return target


async def all_configs(tx: Tx) -> list[SsoConfig]:
    return list((await tx.session.execute(select(SsoConfig).order_by(SsoConfig.org_id))).scalars())


async def get_sso(*, tx: Tx, caller: Caller, org_id: str | None = None) -> tuple[str, SsoConfig | None]:
    target = await _target(tx, caller, org_id)
    return target, await tx.session.get(SsoConfig, target)


async def _check_roles(tx: Tx, caller: Caller, org_id: str, data: SsoInput) -> None:
    tree, _ = await visible_orgs(tx, caller, MANAGE_SSO)
    roles = await assignable_roles(tx, tree, org_id)
    held = await caller_entitlements(tx, caller)
    errors = Errors()
    wanted = [("default_roles", i, r) for i, r in enumerate(data.default_roles)]
    for i, rule in enumerate(data.role_mapping):
        wanted += [(f"role_mapping[{i}].roles", j, r) for j, r in enumerate(rule["roles"])]
    for field, j, role_id in wanted:
        if role_id not in roles:
            errors.add(f"{field}[{j}]", f"Unknown role: {role_id}.")
        elif beyond := uncovered(held, roles[role_id][1]):
            errors.add(f"{field}[{j}]", f"You cannot map to {role_id}: you lack {', '.join(beyond)}.")
    for other in await all_configs(tx):
        if other.org_id != org_id:
            for i, d in enumerate(data.domains):
                if d in other.domains:
                    errors.add(f"domains[{i}]", f"{d} already signs in with another organisation's provider.")
    errors.raise_if_any()


async def put_sso(*, tx: Tx, caller: Caller, raw: Mapping[str, Any], org_id: str | None = None) -> SsoConfig:
    target = await _target(tx, caller, org_id)
    cfg = await tx.session.get(SsoConfig, target)
    data = parse_sso(raw, has_secret=cfg is not None)
    await _check_roles(tx, caller, target, data)
    before = state_of(cfg) if cfg is not None else None
    if cfg is None:
        assert data.client_secret is not None
        cfg = SsoConfig(org_id=target, client_secret="", updated_at=tx.now, updated_by=caller.username)
        tx.session.add(cfg)
    cfg.issuer, cfg.client_id, cfg.domains = data.issuer, data.client_id, data.domains
    cfg.default_roles, cfg.role_mapping = data.default_roles, data.role_mapping
    cfg.passwords_disabled, cfg.enabled = data.passwords_disabled, data.enabled
    if data.client_secret is not None:
        cfg.client_secret = tx.ctx.box.seal(data.client_secret.encode(), aad=secret_aad(target))
    cfg.updated_at, cfg.updated_by = tx.now, caller.username
    await tx.session.flush()
    after = state_of(cfg)
    if before != after or data.client_secret is not None:
        await record(
            tx, event="sso.create" if before is None else "sso.update", caller=caller, org_id=target,
            subject=target, before=before, after=after,
            detail={"client_secret_changed": data.client_secret is not None},
        )  # fmt: skip
    return cfg


async def delete_sso(*, tx: Tx, caller: Caller, org_id: str | None = None) -> None:
    target = await _target(tx, caller, org_id)
    cfg = await tx.session.get(SsoConfig, target)
    if cfg is None:
        raise ProblemError(404, detail="this organisation has no identity provider")
    before = state_of(cfg)
    await tx.session.delete(cfg)
    await tx.session.flush()
    await record(tx, event="sso.delete", caller=caller, org_id=target, subject=target, before=before)

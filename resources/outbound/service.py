"""outbound service: a customer's policies, groups, lines and account codes, each line's
authorization code, and the audit.

Each function takes the transaction and the caller, asks `access` first and answers problem
errors (404 not visible, 403 not allowed, 409 conflicting, 422 invalid with the field). A change
is written with an audit row (who, when, from which session, before and after; an authorization
code appears only as "set" or "cleared") and publishes `outbound.changed` after it committed
(and `outbound.lines-wanted` when a line was created or deleted: lines.py).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from resources.kit.caller import Caller
from resources.kit.errors import FieldError, ProblemError
from resources.outbound import access
from resources.outbound import repository as repo
from resources.outbound.codes import CodeError, Lockout, guessable, hash_code, parse_code
from resources.outbound.context import Tx
from resources.outbound.documents import (
    AccountCode,
    DocumentError,
    Group,
    Line,
    parse_account_code,
    parse_group,
    parse_line,
    parse_name,
)
from resources.outbound.models import ACCOUNT_CODE, GROUP, KINDS, LINE, POLICY, AuditRow, CodeRow, ObjectRow
from resources.outbound.policy import Policy, PolicyError, parse_policy

DEFAULT_POLICY = "default"  # the customer's policy for lines with neither their own nor a group's
EMERGENCY_ONLY = Policy(classes=frozenset())  # no policy at all: emergency calls only


@dataclass(frozen=True)
class Config:
    """One customer's outbound configuration."""

    policies: dict[str, Policy] = field(default_factory=dict)
    groups: dict[str, Group] = field(default_factory=dict)
    lines: dict[str, Line] = field(default_factory=dict)
    account_codes: dict[str, AccountCode] = field(default_factory=dict)
    with_code: frozenset[str] = frozenset()  # lines that have an authorization code

    def policy_of(self, line: Line) -> tuple[str | None, Policy]:
        """(name, policy) a line dials under: its own, its group's, the customer's default, or
        emergency-only when none exists."""
        group = self.groups.get(line.group) if line.group else None
        for name in (line.policy, group.policy if group else None, DEFAULT_POLICY):
            if name is not None and name in self.policies:
                return name, self.policies[name]
        return None, EMERGENCY_ONLY

    def elevated_of(self, line: Line) -> Policy | None:
        """The policy the line's authorization code lifts it to (None: no code or no such policy)."""
        if line.number not in self.with_code or line.elevated is None:
            return None
        return self.policies.get(line.elevated)


def document_of(kind: str, raw: Any) -> tuple[str, dict[str, Any]]:
    """(name, stored document) of a valid object; FieldError otherwise."""
    try:
        if kind == POLICY:
            if not isinstance(raw, dict):
                raise PolicyError("policy", "must be an object with name, classes, countries, hours, caps")
            body = dict(raw)
            name = parse_name(body.pop("name", None), "name")
            return name, {"name": name, **parse_policy(body).as_json()}
        if kind == GROUP:
            g = parse_group(raw)
            return g.name, g.as_json()
        if kind == LINE:
            line = parse_line(raw)
            return line.number, line.as_json()
        a = parse_account_code(raw)
        return a.code, a.as_json()
    except (DocumentError, PolicyError) as exc:
        raise exc.problem() from None


async def config(tx: Tx, *, caller: Caller, customer_id: str) -> Config:
    access.require_view(caller, customer_id, tenancy=tx.ctx.tenancy.current)
    return await load(tx, customer_id=customer_id)


async def load(tx: Tx, *, customer_id: str) -> Config:
    """The configuration as stored (no caller: the switch's decision cache reads it too)."""
    out = Config()
    for row in await repo.objects(tx.session, customer_id=customer_id):
        doc = row.document
        if row.kind == POLICY:
            out.policies[row.name] = parse_policy({k: v for k, v in doc.items() if k != "name"})
        elif row.kind == GROUP:
            out.groups[row.name] = parse_group(doc)
        elif row.kind == LINE:
            out.lines[row.name] = parse_line(doc)
        elif row.kind == ACCOUNT_CODE:
            out.account_codes[row.name] = parse_account_code(doc)
    with_code = frozenset(c.line_number for c in await repo.codes(tx.session, customer_id=customer_id))
    return Config(out.policies, out.groups, out.lines, out.account_codes, with_code)


async def put(
    tx: Tx, *, caller: Caller, customer_id: str, kind: str, name: str, raw: Any
) -> tuple[ObjectRow, bool]:
    """Create or replace one object; (row, created)."""
    access.require_edit(caller, customer_id, tenancy=tx.ctx.tenancy.current)
    kind = _kind(kind)
    key, document = document_of(kind, raw)
    if key != name:
        raise FieldError("name", f"the body names {key!r} but the address names {name!r}").problem()
    current = await load(tx, customer_id=customer_id)
    _check_references(kind, document, current)
    if kind == LINE:
        owner = await repo.line_owner(tx.session, name)
        if owner is not None and owner.customer_id != customer_id:
            raise ProblemError(409, detail=f"{name} cannot be used: it is not a free number")
    row = await repo.get(tx.session, customer_id=customer_id, kind=kind, name=name)
    before = row.document if row is not None else None
    if before == document:
        raise FieldError(kind, f"{kind} {name} is already configured like that").problem()
    if row is None:
        row = ObjectRow(
            customer_id=customer_id, kind=kind, name=name, line_number=name if kind == LINE else None
        )
        repo.add(tx.session, row)
    row.document, row.updated_at, row.updated_by = document, tx.now, caller.username
    tx.lines_changed |= kind == LINE and before is None
    _audit(tx, caller, customer_id, kind, name, "create" if before is None else "change", before, document)
    return row, before is None


async def remove(tx: Tx, *, caller: Caller, customer_id: str, kind: str, name: str) -> None:
    """Delete one object; a policy or group still in use cannot go (409). A line's
    authorization code goes with it."""
    access.require_edit(caller, customer_id, tenancy=tx.ctx.tenancy.current)
    kind = _kind(kind)
    row = await repo.get(tx.session, customer_id=customer_id, kind=kind, name=name)
    if row is None:
        raise ProblemError(404, detail=f"no such {kind}: {name}")
    users = _users_of(kind, name, await load(tx, customer_id=customer_id))
    if users:
        raise ProblemError(409, detail=f"{kind} {name} is used by {users[0]}; change that first")
    if kind == LINE:
        code = await repo.code(tx.session, name)
        if code is not None:
            await repo.delete(tx.session, code)
        tx.lines_changed = True
    _audit(tx, caller, customer_id, kind, name, "delete", row.document, None)
    await repo.delete(tx.session, row)


async def set_code(tx: Tx, *, caller: Caller, customer_id: str, number: str, raw: Any) -> None:
    """Give a line a new authorization code (hashed; the lockout starts over)."""
    access.require_edit(caller, customer_id, tenancy=tx.ctx.tenancy.current)
    if await repo.get(tx.session, customer_id=customer_id, kind=LINE, name=number) is None:
        raise ProblemError(404, detail=f"no such line: {number}")
    try:
        code = parse_code(raw)
    except CodeError as exc:
        raise exc.problem() from None
    if guessable(code):
        raise FieldError(
            "code", "is too easy to guess (one digit repeated or a straight run); choose another"
        ).problem()
    hashed = await asyncio.to_thread(hash_code, tx.ctx.hasher, code)
    row = await repo.code(tx.session, number)
    if row is None:
        row = CodeRow(line_number=number, customer_id=customer_id)
        repo.add(tx.session, row)
    before = {"code": "set"} if row.hash else None
    row.hash, row.failures, row.locked_until, row.set_at = hashed, 0, None, tx.now
    _audit(tx, caller, customer_id, LINE, number, "code.set", before, {"code": "set"})


async def clear_code(tx: Tx, *, caller: Caller, customer_id: str, number: str) -> None:
    access.require_edit(caller, customer_id, tenancy=tx.ctx.tenancy.current)
    row = await repo.code(tx.session, number)
    if row is None or row.customer_id != customer_id:
        raise ProblemError(404, detail=f"line {number} has no authorization code")
    await repo.delete(tx.session, row)
    _audit(tx, caller, customer_id, LINE, number, "code.clear", {"code": "set"}, None)


async def lockout_of(tx: Tx, *, number: str) -> tuple[CodeRow | None, Lockout]:
    row = await repo.code(tx.session, number)
    return row, Lockout(failures=row.failures, locked_until=row.locked_until) if row else Lockout()


async def audit_log(tx: Tx, *, caller: Caller, customer_id: str, limit: int) -> list[AuditRow]:
    access.require_view(caller, customer_id, tenancy=tx.ctx.tenancy.current)
    return await repo.audit(tx.session, customer_id=customer_id, limit=limit)


# --- inside -----------------------------------------------------------------------------------


def _kind(kind: str) -> str:
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}")
    return kind


def _check_references(kind: str, document: dict[str, Any], current: Config) -> None:
    refs: dict[str, str] = {}
    if kind == GROUP:
        refs = {"policy": document["policy"]}
    elif kind == LINE:
        refs = parse_line(document).names()
    for field_name, name in refs.items():
        wanted = current.groups if field_name == "group" else current.policies
        if name not in wanted:
            what = "group" if field_name == "group" else "policy"
            raise FieldError(field_name, f"there is no {what} {name!r}; create it first").problem()


def _users_of(kind: str, name: str, current: Config) -> list[str]:
    users: list[str] = []
    if kind == POLICY:
        users += [f"group {g.name}" for g in current.groups.values() if g.policy == name]
        users += [f"line {n}" for n, line in current.lines.items() if name in (line.policy, line.elevated)]
    elif kind == GROUP:
        users += [f"line {n}" for n, line in current.lines.items() if line.group == name]
    return sorted(users)


def _audit(
    tx: Tx,
    caller: Caller,
    customer_id: str,
    kind: str,
    name: str,
    action: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    repo.add(
        tx.session,
        AuditRow(
            at=tx.now,
            actor_id=caller.subject,
            actor_name=caller.username,
            session=caller.session,
            customer_id=customer_id,
            kind=kind,
            name=name,
            action=action,
            before=before,
            after=after,
        ),
    )
    tx.changed.add(customer_id)

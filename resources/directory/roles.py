"""Custom roles (`directory:manage-roles`): named bundles of entitlements owned by an org.

* An admin defines roles of its own org only; their id is `<org id>.<slug>` (e.g.
  `globex.billing-clerk`), so tenants never collide.
* A role may contain only what the admin holds itself: actions it holds, and for an action it
  holds on some ids only, a scope within those ids (no escalation through roles). Changing or
  deleting a role also needs everything the role currently holds.
* Built-in roles (`Role.builtin`: provider-admin, reseller-admin, customer-admin,
  customer-user) cannot be changed or deleted (409); a role someone holds cannot be deleted (409).
* Roles are visible (VIEW_USERS) where they are assignable: the caller's org and the orgs above.

Changing a role changes what its holders may do: `directory.changed` names them.
"""

from __future__ import annotations

from dataclasses import dataclass

from resources.directory import repository as repo
from resources.directory import repository_orgs as org_repo
from resources.directory.audit import record
from resources.directory.context import Tx
from resources.directory.entitlements import covers, uncovered
from resources.directory.manifest import MANAGE_ROLES, VIEW_USERS
from resources.directory.models import Role
from resources.directory.schemas import Errors, ent_json
from resources.directory.schemas_orgs import NewRole
from resources.directory.service import SERVICE_ACTIONS, assignable_roles, caller_entitlements, require
from resources.kit.caller import Caller, Entitlement
from resources.kit.errors import ProblemError

BUILTIN_ROLES = ("provider-admin", "reseller-admin", "customer-admin", "customer-user")


@dataclass(frozen=True, kw_only=True)
class RoleView:
    role: Role
    entitlements: tuple[Entitlement, ...]
    holders: int
    editable: bool  # the caller may change or delete it


def not_found() -> ProblemError:
    return ProblemError(404, detail="no such role")


def _state(role: Role, ents: tuple[Entitlement, ...]) -> dict[str, object]:
    return {
        "name": role.name,
        "description": role.description,
        "entitlements": [ent_json(e) for e in ents],
    }


async def _visible(tx: Tx, caller: Caller, role_id: str) -> tuple[Role, tuple[Entitlement, ...]]:
    require(caller, VIEW_USERS)
    tree = await repo.load_tree(tx.session)
    found = (await assignable_roles(tx, tree, caller.org_id)).get(role_id)
    if found is None:
        raise not_found()
    return found


def _editable(caller: Caller, role: Role) -> bool:
    return caller.has(MANAGE_ROLES) and not role.builtin and role.org_id == caller.org_id


async def _view(tx: Tx, caller: Caller, role: Role, ents: tuple[Entitlement, ...]) -> RoleView:
    holders = await org_repo.role_holders(tx.session, role.id)
    return RoleView(role=role, entitlements=ents, holders=len(holders), editable=_editable(caller, role))


async def list_roles(*, tx: Tx, caller: Caller) -> list[RoleView]:
    require(caller, VIEW_USERS)
    tree = await repo.load_tree(tx.session)
    roles = await assignable_roles(tx, tree, caller.org_id)
    return [await _view(tx, caller, role, ents) for role, ents in roles.values()]


async def get_role(*, tx: Tx, caller: Caller, role_id: str) -> RoleView:
    role, ents = await _visible(tx, caller, role_id)
    return await _view(tx, caller, role, ents)


async def _check_within_held(tx: Tx, caller: Caller, wanted: tuple[Entitlement, ...]) -> None:
    held = await caller_entitlements(tx, caller)
    errors = Errors()
    for i, ent in enumerate(wanted):
        field = f"entitlements[{i}].action"
        mine = [h for h in held if h.action == ent.action]
        if ent.action in SERVICE_ACTIONS:
            errors.add(field, f"{ent.action} is for platform services only.")
        elif not mine:
            errors.add(field, f"You do not hold {ent.action}, so your roles cannot include it.")
        elif not covers(held, ent):
            ids = sorted({x for h in mine for x in h.scope or ()})
            errors.add(
                field,
                f"You hold {ent.action} only on {', '.join(ids)}: limit the role's scope to those.",
            )
    errors.raise_if_any()


async def _changeable(tx: Tx, caller: Caller, role_id: str) -> tuple[Role, tuple[Entitlement, ...]]:
    require(caller, MANAGE_ROLES)
    role, ents = await _visible(tx, caller, role_id)
    if role.builtin:
        raise ProblemError(409, detail=f"{role.id} is a built-in role: it cannot be changed or deleted")
    if role.org_id != caller.org_id:
        raise ProblemError(
            403, detail=f"{role.id} belongs to {role.org_id}: you can change your own roles only"
        )
    if beyond := uncovered(await caller_entitlements(tx, caller), ents):
        raise ProblemError(403, detail=f"{role.id} holds entitlements you lack: {', '.join(beyond)}")
    return role, ents


async def create_role(*, tx: Tx, caller: Caller, data: NewRole) -> RoleView:
    require(caller, MANAGE_ROLES)
    assert data.slug is not None
    role_id = f"{caller.org_id}.{data.slug}"
    errors = Errors()
    if await org_repo.get_role(tx.session, role_id) is not None:
        errors.add("id", f"Your organisation already has a role {role_id}.")
    errors.raise_if_any()
    await _check_within_held(tx, caller, data.entitlements)
    role = Role(id=role_id, name=data.name, org_id=caller.org_id, description=data.description, builtin=False)
    tx.session.add(role)
    await tx.session.flush()
    await org_repo.replace_role_entitlements(tx.session, role_id=role.id, entitlements=data.entitlements)
    await record(
        tx, event="role.create", caller=caller, org_id=caller.org_id, subject=role.id,
        after=_state(role, data.entitlements),
    )  # fmt: skip
    return RoleView(role=role, entitlements=data.entitlements, holders=0, editable=True)


async def update_role(*, tx: Tx, caller: Caller, role_id: str, data: NewRole) -> RoleView:
    """Replace a custom role's name, description and entitlements."""
    role, ents = await _changeable(tx, caller, role_id)
    await _check_within_held(tx, caller, data.entitlements)
    before = _state(role, ents)
    role.name, role.description = data.name, data.description
    await org_repo.replace_role_entitlements(tx.session, role_id=role.id, entitlements=data.entitlements)
    after = _state(role, data.entitlements)
    holders = await org_repo.role_holders(tx.session, role.id)
    if after != before:
        await record(
            tx, event="role.update", caller=caller, org_id=role.org_id, subject=role.id,
            before=before, after=after,
        )  # fmt: skip
        if data.entitlements != ents:
            tx.mark_changed(*holders)
    return RoleView(role=role, entitlements=data.entitlements, holders=len(holders), editable=True)


async def delete_role(*, tx: Tx, caller: Caller, role_id: str) -> None:
    role, ents = await _changeable(tx, caller, role_id)
    if holders := await org_repo.role_holders(tx.session, role.id):
        n = len(holders)
        raise ProblemError(
            409, detail=f"{role.id} is held by {n} user{'' if n == 1 else 's'}: take it away from them first"
        )
    await org_repo.delete_role(tx.session, role.id)
    await record(
        tx, event="role.delete", caller=caller, org_id=role.org_id, subject=role.id, before=_state(role, ents)
    )

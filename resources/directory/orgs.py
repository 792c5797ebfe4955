"""Delegated administration of the tenancy tree (`directory:manage-orgs`, staff only).

* The provider creates resellers and customers anywhere; a reseller creates customers and
  sub-resellers below itself (both: below an org it can see that is not a customer).
* Suspending an org blocks every user of it and of every org below it: `authenticate` answers
  reason "suspended", `principals/{id}` 404s, and `directory.changed` names all of them so
  gateways end their sessions and the traffic hub closes their sockets. Resuming undoes it.
* `set_admin` creates (or promotes) the org's administrator: `customer-admin` for a customer,
  `reseller-admin` for a reseller.

Orgs outside the caller's tenancy answer 404 exactly like unknown ones; the caller's own org is
visible but cannot be changed here (409). Every change is audited (`org.*`) and, when the tree
changed, `directory.tenancy` is republished after the commit (`Tx.mark_tenancy`).
"""

from __future__ import annotations

from dataclasses import dataclass

from resources.directory import repository as repo
from resources.directory import repository_orgs as org_repo
from resources.directory.audit import record
from resources.directory.context import Tx
from resources.directory.entitlements import uncovered
from resources.directory.manifest import MANAGE_ORGS
from resources.directory.models import Org, User
from resources.directory.schemas import Errors, parse_new_user
from resources.directory.schemas_orgs import NewOrg, OrgPatch
from resources.directory.service import caller_entitlements, insert_user, require, require_manageable
from resources.directory.tenancy import OrgTree
from resources.kit.caller import Caller
from resources.kit.errors import ProblemError, ValidationFailed

ADMIN_ROLE = {"customer": "customer-admin", "reseller": "reseller-admin"}


@dataclass(frozen=True, kw_only=True)
class OrgView:
    org: Org
    suspended: bool  # the org or an org above it
    users: int
    own: bool  # the caller's own org (read-only here)


def not_found() -> ProblemError:
    return ProblemError(404, detail="no such organisation")


async def visible(tx: Tx, caller: Caller) -> tuple[OrgTree, frozenset[str]]:
    """The tree and the orgs the caller may see for MANAGE_ORGS (its own org and below)."""
    require(caller, MANAGE_ORGS)
    tree = await repo.load_tree(tx.session)
    return tree, tree.visible(caller.org_id, caller.scope_for(MANAGE_ORGS))


async def _visible_org(tx: Tx, caller: Caller, org_id: str) -> tuple[OrgTree, Org]:
    tree, orgs = await visible(tx, caller)
    org = await repo.get_org(tx.session, org_id) if org_id in orgs else None
    if org is None:
        raise not_found()
    return tree, org


async def _below(tx: Tx, caller: Caller, org_id: str, doing: str) -> tuple[OrgTree, Org]:
    """An org strictly below the caller's own (404 outside the tenancy, 409 for its own)."""
    tree, org = await _visible_org(tx, caller, org_id)
    if org.id == caller.org_id:
        raise ProblemError(409, detail=f"you cannot {doing} your own organisation")
    return tree, org


def _state(org: Org) -> dict[str, object]:
    return {
        "name": org.name,
        "kind": org.kind,
        "parent_id": org.parent_id,
        "contact_name": org.contact_name,
        "contact_email": org.contact_email,
        "contact_phone": org.contact_phone,
        "suspended": org.suspended_at is not None,
    }


async def _view(tx: Tx, caller: Caller, tree: OrgTree, org: Org) -> OrgView:
    counts = await org_repo.user_counts(tx.session, [org.id])
    return OrgView(
        org=org, suspended=tree.suspended(org.id), users=counts.get(org.id, 0), own=org.id == caller.org_id
    )


async def list_orgs(*, tx: Tx, caller: Caller) -> list[OrgView]:
    """The caller's own org and every org below it, by id."""
    tree, orgs = await visible(tx, caller)
    counts = await org_repo.user_counts(tx.session, orgs)
    return [
        OrgView(org=o, suspended=tree.suspended(o.id), users=counts.get(o.id, 0), own=o.id == caller.org_id)
        for o in await org_repo.list_orgs(tx.session, orgs)
    ]


async def get_org(*, tx: Tx, caller: Caller, org_id: str) -> OrgView:
    tree, org = await _visible_org(tx, caller, org_id)
    return await _view(tx, caller, tree, org)


async def parent_choices(*, tx: Tx, caller: Caller) -> list[Org]:
    """Orgs a new org may be created below: visible, not customers, not suspended."""
    tree, orgs = await visible(tx, caller)
    return [
        o
        for o in await org_repo.list_orgs(tx.session, orgs)
        if o.kind in ("provider", "reseller") and not tree.suspended(o.id)
    ]


async def create_org(*, tx: Tx, caller: Caller, data: NewOrg) -> OrgView:
    tree, orgs = await visible(tx, caller)
    errors = Errors()
    parent_id = data.parent_id or caller.org_id
    parent = tree.get(parent_id) if parent_id in orgs else None
    if parent is None:
        errors.add("parent_id", "No such organisation.")
    elif parent.kind not in ("provider", "reseller"):
        errors.add("parent_id", f"{parent_id} is a customer: organisations cannot be created below it.")
    elif tree.suspended(parent_id):
        errors.add("parent_id", f"{parent_id} is suspended: resume it first.")
    if await repo.get_org(tx.session, data.id) is not None:
        errors.add("id", f"An organisation with the id {data.id} already exists.")
    errors.raise_if_any()
    org = Org(
        id=data.id,
        name=data.name,
        kind=data.kind,
        parent_id=parent_id,
        brand=None,  # a new reseller shows its parent's brand until it publishes its own
        contact_name=data.contact.display_name,
        contact_email=data.contact.email,
        contact_phone=data.contact.phone,
        created_at=tx.now,
        suspended_at=None,
        suspended_by=None,
    )
    tx.session.add(org)
    await tx.session.flush()
    await record(tx, event="org.create", caller=caller, org_id=org.id, subject=org.id, after=_state(org))
    tx.mark_tenancy()
    return OrgView(org=org, suspended=False, users=0, own=False)


async def update_org(*, tx: Tx, caller: Caller, org_id: str, patch: OrgPatch) -> OrgView:
    """Change the name or contact details of an org below the caller (None clears a contact)."""
    tree, org = await _below(tx, caller, org_id, "edit")
    before = _state(org)
    if "name" in patch.fields and patch.name:
        org.name = patch.name
    if "contact_name" in patch.fields:
        org.contact_name = patch.contact.display_name
    if "contact_email" in patch.fields:
        org.contact_email = patch.contact.email
    if "contact_phone" in patch.fields:
        org.contact_phone = patch.contact.phone
    if _state(org) != before:
        await record(
            tx, event="org.update", caller=caller, org_id=org.id, subject=org.id,
            before=before, after=_state(org),
        )  # fmt: skip
    return await _view(tx, caller, tree, org)


async def _set_suspended(tx: Tx, caller: Caller, org_id: str, suspended: bool) -> OrgView:
    tree, org = await _below(tx, caller, org_id, "suspend" if suspended else "resume")
    if (org.suspended_at is not None) != suspended:
        before = _state(org) | {"suspended_by": org.suspended_by}
        org.suspended_at, org.suspended_by = (tx.now, caller.username) if suspended else (None, None)
        affected = await org_repo.user_ids_in(tx.session, tree.subtree(org.id))
        await record(
            tx, event="org.suspend" if suspended else "org.resume", caller=caller, org_id=org.id,
            subject=org.id, before=before, after=_state(org) | {"suspended_by": org.suspended_by},
            detail={"orgs": sorted(tree.subtree(org.id)), "users": len(affected)},
        )  # fmt: skip
        tx.mark_changed(*affected)
        tx.mark_tenancy()
        tree = await repo.load_tree(tx.session)
    return await _view(tx, caller, tree, org)


async def suspend_org(*, tx: Tx, caller: Caller, org_id: str) -> OrgView:
    """Suspend an org below the caller (and so every org below it). Idempotent."""
    return await _set_suspended(tx, caller, org_id, True)


async def resume_org(*, tx: Tx, caller: Caller, org_id: str) -> OrgView:
    """Lift this org's own suspension (an org above it may still be suspended). Idempotent."""
    return await _set_suspended(tx, caller, org_id, False)


async def admins_of(*, tx: Tx, caller: Caller, org_id: str) -> list[User]:
    """Users of the org holding its administrator role."""
    _, org = await _visible_org(tx, caller, org_id)
    role = ADMIN_ROLE.get(org.kind)
    users = await org_repo.users_of_org(tx.session, org.id)
    return [u for u in users if role in await repo.role_ids_of(tx.session, u.id)]


async def set_admin(
    *,
    tx: Tx,
    caller: Caller,
    org_id: str,
    username: str,
    display_name: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    password: str | None = None,
) -> tuple[User, str | None, bool]:
    """Create the org's administrator, or promote an existing user of that org. Returns the user,
    the one-time temporary password (new users without a password) and whether it was created."""
    _, org = await _below(tx, caller, org_id, "set the administrator of")
    role_id = ADMIN_ROLE.get(org.kind)
    if role_id is None:
        raise ProblemError(409, detail=f"{org.id} is a {org.kind}: it has no administrator role")
    data = parse_new_user(
        {"username": username, "display_name": display_name, "email": email, "phone": phone,
         "password": password},
        min_password_length=tx.ctx.settings.min_password_length,
    )  # fmt: skip
    role_ents = (await repo.role_entitlements(tx.session, [role_id]))[role_id]
    if beyond := uncovered(await caller_entitlements(tx, caller), role_ents):
        raise ProblemError(403, detail=f"you cannot grant {role_id}: you lack {', '.join(beyond)}")
    user = await repo.user_by_username(tx.session, data.username)
    temporary = None
    created = user is None
    if user is not None:
        if user.org_id != org.id:
            raise ValidationFailed([{"field": "username", "message": "This username is taken."}])
        if data.password is not None:
            raise ValidationFailed(
                [{"field": "password", "message": "The user exists: reset the password on its page."}]
            )
        await require_manageable(tx, caller, user)
    else:
        user, temporary = await insert_user(tx, data=data, org_id=org.id)
    granted = await org_repo.add_user_role(tx.session, user_id=user.id, role_id=role_id)
    if created or granted:
        await record(
            tx, event="org.admin", caller=caller, org_id=org.id, subject=user.username,
            detail={"org": org.id, "role": role_id, "created": created},
        )  # fmt: skip
        tx.mark_changed(user.id)
    return user, temporary, created

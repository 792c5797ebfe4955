"""Demo seed (`switchboard demo`): a provider, resellers (one nested), customers, seven users.
Idempotent."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from argon2 import PasswordHasher
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from resources.directory import repository as repo
from resources.directory.manifest import ACTIONS, SELF
from resources.directory.models import Org, Role, RoleEntitlement, User
from resources.kit.caller import Entitlement
from resources.kit.db import unit_of_work
from resources.kit.manifest import Action

DEMO_PASSWORD = "switchboard-demo"  # noqa: S105 - demo mode only

ORGS = (  # id, name, kind, parent, brand, contact
    (
        "switchboard",
        "Switchboard",
        "provider",
        None,
        "default",
        ("NOC", "noc@switchboard.example", "+441632960000"),
    ),
    (
        "acme",
        "Acme Telecom",
        "reseller",
        "switchboard",
        "acme",
        ("Rita Reseller", "rita@acme.example", "+441632960100"),
    ),
    (
        "globex",
        "Globex Corporation",
        "customer",
        "switchboard",
        None,
        ("Alice Admin", "alice@globex.example", "+441632960200"),
    ),
    (
        "initech",
        "Initech",
        "customer",
        "acme",
        None,
        ("Carol Admin", "carol@initech.example", "+441632960300"),
    ),
    # a second reseller, for isolation: nothing of Acme's is Zenith's and the other way round
    (
        "zenith",
        "Zenith Communications",
        "reseller",
        "switchboard",
        None,
        ("Zed Reseller", "zed@zenith.example", "+441632960400"),
    ),
    (
        "hooli",
        "Hooli",
        "customer",
        "zenith",
        None,
        ("Hank Admin", "hank@hooli.example", "+441632960500"),
    ),
    # a sub-reseller of Acme (shows Acme's brand until it publishes its own) with a customer
    (
        "acme-west",
        "Acme West",
        "reseller",
        "acme",
        None,
        ("Wes Reseller", "wes@acme-west.example", "+441632960600"),
    ),
    (
        "vandelay",
        "Vandelay Industries",
        "customer",
        "acme-west",
        None,
        ("Art Vandelay", "art@vandelay.example", "+441632960700"),
    ),
)
ADMIN_ROLES = (
    ("provider-admin", "Provider administrator", "Everything, across every reseller and customer"),
    ("reseller-admin", "Reseller administrator", "Everything within the reseller's customers"),
    ("customer-admin", "Customer administrator", "Everything within the customer's own company"),
)
USERS = (  # username, display name, org, role
    ("admin", "Provider Admin", "switchboard", "provider-admin"),
    ("rita@acme", "Rita Reseller", "acme", "reseller-admin"),
    ("alice@globex", "Alice Admin", "globex", "customer-admin"),
    ("bob@globex", "Bob User", "globex", "customer-user"),
    ("carol@initech", "Carol Admin", "initech", "customer-admin"),
    ("zed@zenith", "Zed Reseller", "zenith", "reseller-admin"),
    ("hank@hooli", "Hank Admin", "hooli", "customer-admin"),
)


# bob@globex: his own account plus toll-free viewing and editing, and watching their traffic, on
# two of Globex's numbers only.
BOB_NUMBERS = ("+18005550100", "+18005550101")
SCOPED_GRANTS = {
    "bob@globex": (
        Entitlement(action="tollfree:view", scope=BOB_NUMBERS),
        Entitlement(action="tollfree:edit-routing", scope=BOB_NUMBERS),
        Entitlement(action="traffic:view", scope=BOB_NUMBERS),
    )
}


def person_actions(actions: Iterable[Action], *, staff: bool = True) -> list[str]:
    return sorted({a.name for a in actions if a.scope_kind != "service" and (staff or not a.staff_only)})


async def _seed(
    *,
    maker: async_sessionmaker[AsyncSession],
    actions: Iterable[Action],
    orgs: tuple[tuple[str, str, str, str | None, str | None, tuple[str, str, str]], ...],
) -> None:
    from resources.directory.context import utcnow

    now = utcnow()
    admin_actions = person_actions(actions)
    async with unit_of_work(maker, write=True) as session:
        for org_id, name, kind, parent, brand, (cname, cmail, cphone) in orgs:
            if await session.get(Org, org_id) is None:
                session.add(
                    Org(
                        id=org_id,
                        name=name,
                        kind=kind,
                        parent_id=parent,
                        brand=brand,
                        contact_name=cname,
                        contact_email=cmail,
                        contact_phone=cphone,
                        created_at=now,
                    )
                )
                await session.flush()
        customer_actions = person_actions(actions, staff=False)
        roles = [(*r, customer_actions if r[0] == "customer-admin" else admin_actions) for r in ADMIN_ROLES]
        roles.append(("customer-user", "Customer user", "Own account only", [SELF]))
        for role_id, name, description, role_actions in roles:
            role = await session.get(Role, role_id)
            if role is None:
                session.add(
                    Role(id=role_id, name=name, org_id="switchboard", description=description, builtin=True)
                )
                await session.flush()
            elif not role.builtin:
                role.builtin = True
            have = {e.action for e in (await repo.role_entitlements(session, [role_id]))[role_id]}
            session.add_all(
                RoleEntitlement(role_id=role_id, action=a, scope=None) for a in role_actions if a not in have
            )
        await session.flush()


async def bootstrap(*, maker: async_sessionmaker[AsyncSession], actions: Iterable[Action] = ACTIONS) -> None:
    """The baseline every installation needs: the provider org and the built-in roles. Idempotent;
    re-running it after a new resource is added grants the admin roles that resource's actions."""
    await _seed(maker=maker, actions=actions, orgs=ORGS[:1])


async def load_demo(
    *,
    maker: async_sessionmaker[AsyncSession],
    hasher: PasswordHasher,
    actions: Iterable[Action] = ACTIONS,
    password: str = DEMO_PASSWORD,
) -> dict[str, str]:
    """Seed the demo tenancy. `actions` should be every manifest's actions so the admin roles
    hold them all. Returns {username: user id}. Running it again changes nothing."""
    await _seed(maker=maker, actions=actions, orgs=ORGS)
    from resources.directory.context import utcnow

    now = utcnow()
    async with unit_of_work(maker, write=True) as session:
        ids: dict[str, str] = {}
        for username, display, org_id, role_id in USERS:
            user = await repo.user_by_username(session, username)
            if user is None:
                user = User(
                    id=uuid.uuid4().hex,
                    username=username,
                    display_name=display,
                    email=f"{username.partition('@')[0]}@{org_id}.example",
                    org_id=org_id,
                    password_hash=hasher.hash(password),
                    disabled=False,
                    failed_count=0,
                    mfa_enabled=False,
                    password_changed_at=now,
                    created_at=now,
                )
                session.add(user)
                await session.flush()
                await repo.replace_grants(
                    session,
                    user_id=user.id,
                    role_ids=[role_id],
                    entitlements=SCOPED_GRANTS.get(username, ()),
                )
            ids[username] = user.id
    return ids

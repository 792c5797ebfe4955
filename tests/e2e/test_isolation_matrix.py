"""The isolation matrix (whitelabel contract "Isolation matrix"): every admin route of the
directory (organisations, roles, users, entitlements, brand) and of toll-free (number pools,
numbers, sites, the admin pages), for five principals and the kinds of object they might reach, with
the exact status expected in every cell — against one real portal process with the demo loaded.

Principals (httpx clients signed in through /login, each on its brand's host): the provider's
`admin`, `rita@acme` (reseller A, on acme.localhost), `zed@zenith` (reseller B: Zenith has no
brand host of its own, so the provider's), `alice@globex` (customer admin) and `bob@globex`
(plain user).

Object kinds, relative to the principal:
* `own`: its own organisation;
* `child`: a customer below it (the provider: Globex, a direct customer; Acme: Initech; Zenith:
  Hooli; a customer has none: "-");
* `foreign`: a customer of a reseller that is not theirs (Acme: Hooli, Zenith's; Zenith and
  Globex's users: Initech, Acme's; the provider, above everyone: Hooli);
* `provider`: the provider's organisation.
Routes whose object is a number pool take the pool of the nearest reseller at or above that
organisation ("-" when there is none); routes without an object use the `own` column only.

Order independence: every mutating cell works on objects made for it alone during setup
(organisations `iso-<principal>-<kind>`, users, roles, pooled and assigned numbers, sites) or is
idempotent, and the cells run in a shuffled order (the seed is in the failure message). The
whole table is checked at once: the failure lists every cell that differs.

KNOWN_BUGS lists cells where the product answers something else than the table's (correct)
expectation; the test also fails when one of them starts to pass, so the entry gets removed.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import httpx
import pytest
from e2e_support import Portal
from whitelabel_support import ACME_HOST, Session, png, sessions

pytestmark = pytest.mark.e2e

PRINCIPALS = {  # name → (username, host to sign in on; None = 127.0.0.1, the provider's)
    "admin": ("admin", None),
    "rita": ("rita@acme", ACME_HOST),
    "zed": ("zed@zenith", None),
    "alice": ("alice@globex", None),
    "bob": ("bob@globex", None),
}
HELPERS = {  # org admins that only set up objects (custom roles of their org)
    "carol": ("carol@initech", ACME_HOST),
    "hank": ("hank@hooli", None),
}
KINDS = ("own", "child", "foreign", "provider")
ORG_OF: dict[str, dict[str, str | None]] = {
    "admin": {"own": "switchboard", "child": "globex", "foreign": "hooli", "provider": "switchboard"},
    "rita": {"own": "acme", "child": "initech", "foreign": "hooli", "provider": "switchboard"},
    "zed": {"own": "zenith", "child": "hooli", "foreign": "initech", "provider": "switchboard"},
    "alice": {"own": "globex", "child": None, "foreign": "initech", "provider": "switchboard"},
    "bob": {"own": "globex", "child": None, "foreign": "initech", "provider": "switchboard"},
}
PARENT = {  # the demo tree
    "switchboard": None, "acme": "switchboard", "zenith": "switchboard", "globex": "switchboard",
    "initech": "acme", "hooli": "zenith",
}  # fmt: skip
RESELLERS = ("acme", "zenith")
CUSTOMERS = ("globex", "initech", "hooli")
ORG_ADMIN = {  # who defines an org's custom roles in setup
    "switchboard": "admin", "acme": "rita", "zenith": "zed", "globex": "alice", "initech": "carol",
    "hooli": "hank",
}  # fmt: skip
SELF_ONLY = [{"action": "directory:self", "scope": None}]

# The expected status of every cell. Columns: own child foreign provider, per principal;
# "-": no such object for that principal (not run). Row names are the ROUTES keys.
TABLE = """
                 admin             rita              zed               alice             bob
orgs.list        200 -   -   -   | 200 -   -   -   | 200 -   -   -   | 403 -   -   -   | 403 -   -   -
orgs.create      201 422 422 201 | 201 422 422 422 | 201 422 422 422 | 403 -   403 403 | 403 -   403 403
orgs.detail      200 200 200 200 | 200 200 404 404 | 200 200 404 404 | 403 -   403 403 | 403 -   403 403
orgs.page        200 200 200 200 | 200 200 404 404 | 200 200 404 404 | 403 -   403 403 | 403 -   403 403
orgs.patch       409 200 200 409 | 409 200 404 404 | 409 200 404 404 | 403 -   403 403 | 403 -   403 403
orgs.suspend     409 200 200 409 | 409 200 404 404 | 409 200 404 404 | 403 -   403 403 | 403 -   403 403
orgs.resume      409 200 200 409 | 409 200 404 404 | 409 200 404 404 | 403 -   403 403 | 403 -   403 403
orgs.admin       409 201 201 409 | 409 201 404 404 | 409 201 404 404 | 403 -   403 403 | 403 -   403 403
users.list       200 -   -   -   | 200 -   -   -   | 200 -   -   -   | 200 -   -   -   | 403 -   -   -
users.create     201 201 201 201 | 201 201 422 422 | 201 201 422 422 | 201 -   422 422 | 403 -   403 403
users.detail     200 200 200 200 | 200 200 404 404 | 200 200 404 404 | 200 -   404 404 | 403 -   403 403
users.disable    200 200 200 200 | 200 200 404 404 | 200 200 404 404 | 200 -   404 404 | 403 -   403 403
users.grants     200 200 200 200 | 200 200 404 404 | 200 200 404 404 | 200 -   404 404 | 403 -   403 403
roles.list       200 -   -   -   | 200 -   -   -   | 200 -   -   -   | 200 -   -   -   | 403 -   -   -
roles.create     201 -   -   -   | 201 -   -   -   | 201 -   -   -   | 201 -   -   -   | 403 -   -   -
roles.detail     200 404 404 200 | 200 404 404 200 | 200 404 404 200 | 200 -   404 200 | 403 -   403 403
roles.update     200 404 404 200 | 200 404 404 403 | 200 404 404 403 | 200 -   404 403 | 403 -   403 403
roles.delete     204 404 404 204 | 204 404 404 403 | 204 404 404 403 | 204 -   404 403 | 403 -   403 403
brand.get        200 404 404 200 | 200 404 404 404 | 200 404 404 404 | 403 -   403 403 | 403 -   403 403
brand.page       200 404 404 200 | 200 404 404 404 | 200 404 404 404 | 403 -   403 403 | 403 -   403 403
brand.draft      200 404 404 200 | 200 404 404 404 | 200 404 404 404 | 403 -   403 403 | 403 -   403 403
brand.assets     201 404 404 201 | 201 404 404 404 | 201 404 404 404 | 403 -   403 403 | 403 -   403 403
brand.publish    200 404 404 200 | 200 404 404 404 | 200 404 404 404 | 403 -   403 403 | 403 -   403 403
brand.rollback   200 404 404 200 | 200 404 404 404 | 200 404 404 404 | 403 -   403 403 | 403 -   403 403
pool.list        200 -   -   -   | 200 -   -   -   | 200 -   -   -   | 403 -   -   -   | 403 -   -   -
pool.of          200 200 200 200 | 200 404 404 404 | 200 404 404 404 | 403 -   403 403 | 403 -   403 403
pool.add         -   -   201 -   | 403 403 403 -   | 403 403 403 -   | -   -   403 -   | -   -   403 -
pool.assign      404 404 201 404 | 404 201 404 404 | 404 201 404 404 | 403 -   403 403 | 403 -   403 403
pool.remove      -   -   204 -   | 403 403 403 -   | 403 403 403 -   | -   -   403 -   | -   -   403 -
tf.admin         200 -   -   -   | 200 -   -   -   | 200 -   -   -   | 403 -   -   -   | 403 -   -   -
tf.pool          200 -   -   -   | 200 -   -   -   | 200 -   -   -   | 403 -   -   -   | 403 -   -   -
audit.list       200 -   -   -   | 200 -   -   -   | 200 -   -   -   | 200 -   -   -   | 403 -   -   -
audit.of         200 200 200 200 | 404 200 404 404 | 404 200 404 404 | 200 -   404 404 | 403 -   403 403
audit.page       200 -   -   -   | 200 -   -   -   | 200 -   -   -   | 200 -   -   -   | 403 -   -   -
numbers.assign   422 201 201 422 | -   403 403 -   | -   403 403 -   | 403 -   403 -   | 403 -   403 -
numbers.remove   -   204 204 -   | -   403 403 -   | -   403 403 -   | 403 -   403 -   | 403 -   403 -
sites.save       404 200 200 404 | -   200 404 -   | -   200 404 -   | 403 -   403 -   | 403 -   403 -
sites.delete     -   204 204 -   | -   204 404 -   | -   204 404 -   | 403 -   403 -   | 403 -   403 -
orgs.suspend-ui  422 200 200 422 | 422 200 404 404 | 422 200 404 404 | 403 -   403 403 | 403 -   403 403
users.disable-ui 200 200 200 200 | 200 200 404 404 | 200 200 404 404 | 200 -   404 404 | 403 -   403 403
roles.delete-ui  200 404 404 200 | 200 404 404 422 | 200 404 404 422 | 200 -   404 422 | 403 -   403 403
brand.publish-ui 200 404 404 200 | 200 404 404 404 | 200 404 404 404 | 403 -   403 403 | 403 -   403 403
pool.assign-ui   422 422 200 422 | 422 200 404 422 | 422 200 404 422 | 403 -   403 403 | 403 -   403 403
"""

# Cells where the product is wrong today: (principal, route, kind). Report them; remove an entry
# when the product is fixed (the test fails while a listed cell already passes). None today.
KNOWN_BUGS: frozenset[tuple[str, str, str]] = frozenset()


def parse_table(text: str) -> dict[tuple[str, str, str], int]:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    principals = lines[0].split()
    out: dict[tuple[str, str, str], int] = {}
    for line in lines[1:]:
        route, _, rest = line.partition(" ")
        groups = [g.split() for g in rest.split("|")]
        assert len(groups) == len(principals), f"{route}: {len(groups)} principals"
        for principal, statuses in zip(principals, groups, strict=True):
            assert len(statuses) == len(KINDS), f"{route}/{principal}: {statuses}"
            for kind, status in zip(KINDS, statuses, strict=True):
                if status != "-":
                    out[(principal, route, kind)] = int(status)
    return out


# --- the world the cells act on (made in setup, as the provider and the orgs' admins) -----------


@dataclass
class World:
    s: dict[str, Session]  # every signed-in principal and helper
    users: dict[tuple[str, str], str] = field(default_factory=dict)  # (principal, kind) → user id
    pooled: dict[tuple[str, str, str], str] = field(default_factory=dict)  # (route, p, kind) → tfn
    assigned: dict[tuple[str, str], str] = field(default_factory=dict)  # (principal, kind) → tfn
    numbers: Iterator[int] = field(default_factory=lambda: itertools.count(1000))

    def tfn(self) -> str:
        return f"+1844555{next(self.numbers):04d}"


def throwaway_org(p: str, kind: str) -> str:
    """The org a mutating org-route cell acts on: made for it alone (own/provider: the real one,
    which the principal may only look at)."""
    real = ORG_OF[p][kind]
    return f"iso-{p}-{kind}" if kind in ("child", "foreign") and real is not None else str(real)


def pool_of(org: str | None) -> str | None:
    """The nearest reseller at or above `org`."""
    while org is not None and org not in RESELLERS:
        org = PARENT[org]
    return org


def chain_of(org: str) -> list[str]:
    reseller = pool_of(org)
    return [reseller] if reseller else []


def ok(response: httpx.Response, *statuses: int) -> httpx.Response:
    assert response.status_code in statuses, f"setup: {response.request.url} {response.text[:300]}"
    return response


def build_world(s: dict[str, Session]) -> World:
    world = World(s=s)
    admin = s["admin"]
    for p, kind in itertools.product(PRINCIPALS, KINDS):
        org = ORG_OF[p][kind]
        if org is None:
            continue
        if kind in ("child", "foreign"):
            parent = PARENT[org]
            ok(admin.call("POST", "/api/directory/orgs", json={
                "id": throwaway_org(p, kind), "name": f"Isolation {p} {kind}", "kind": "customer",
                "parent_id": parent,
            }), 201)  # fmt: skip
        user = ok(admin.call("POST", "/api/directory/users", json={
            "username": f"iso-{p}-{kind}@iso", "display_name": f"Iso {p} {kind}", "org_id": org,
            "roles": ["customer-user"],
        }), 201)  # fmt: skip
        world.users[(p, kind)] = user.json()["id"]
        for verb in ("del", "ui"):  # roles.delete, roles.delete-ui
            ok(s[ORG_ADMIN[org]].call("POST", "/api/directory/roles", json={
                "id": f"iso-{verb}-{p}-{kind}", "name": f"Deletable by {p}", "entitlements": SELF_ONLY,
            }), 201)  # fmt: skip
        reseller = pool_of(org)
        for route in ("pool.add", "pool.assign", "pool.assign-ui", "pool.remove"):
            assigning = route.startswith("pool.assign")
            holder = reseller if not assigning else reseller or pool_of(ORG_OF[p]["own"]) or "acme"
            if holder is None:
                continue
            tfn = world.tfn()
            world.pooled[(route, p, kind)] = tfn
            if route != "pool.add":  # pool.add cells put in a number nobody holds yet
                ok(admin.call("POST", "/api/tollfree/pool", json={"tfn": tfn, "reseller": holder}), 201)
        if org in CUSTOMERS:
            tfn = world.tfn()
            world.assigned[(p, kind)] = tfn
            ok(admin.call("POST", "/api/tollfree/numbers", json={
                "tfn": tfn, "customer_id": org, "reseller_chain": chain_of(org),
            }), 201)  # fmt: skip
            ok(admin.call("PUT", f"/api/tollfree/sites/{org}/iso-del-{p}", json={
                "uri": "sip:127.0.0.1:5099",
            }), 200)  # fmt: skip
    for org in ORG_ADMIN:
        ok(s[ORG_ADMIN[org]].call("POST", "/api/directory/roles", json={
            "id": "iso-shared", "name": "Shared isolation role", "entitlements": SELF_ONLY,
        }), 201)  # fmt: skip
    return world


# --- the routes ---------------------------------------------------------------------------------

Call = Callable[[World, str, str, int], httpx.Response]  # (world, principal, kind, cell number)


def _org(p: str, kind: str) -> str:
    org = ORG_OF[p][kind]
    assert org is not None
    return org


def _brand_draft(me: Session, org: str, phone: str) -> httpx.Response:
    return me.call(
        "PUT", "/api/directory/brand/draft", params={"org": org}, json={"fields": {"support_phone": phone}}
    )


def _publish(me: Session, org: str, phone: str, *, page: bool = False) -> httpx.Response:
    draft = _brand_draft(me, org, phone)
    if draft.status_code != 200:
        return draft
    if page:
        return me.call("POST", "/directory/brand/publish", params={"org": org}, data={})
    return me.call("POST", "/api/directory/brand/publish", params={"org": org})


def _rollback(w: World, p: str, kind: str, n: int) -> httpx.Response:
    me, org = w.s[p], _org(p, kind)
    first = _publish(me, org, f"+1 800 555 {n:04d}")
    if first.status_code != 200:
        return me.call("POST", "/api/directory/brand/rollback/1", params={"org": org})
    ok(_publish(me, org, f"+1 800 556 {n:04d}"), 200)
    return me.call("POST", f"/api/directory/brand/rollback/{first.json()['version']}", params={"org": org})


ROUTES: dict[str, tuple[str, Call]] = {
    # name: (what it is, how a cell calls it)
    "orgs.list": ("GET /api/directory/orgs", lambda w, p, k, n: w.s[p].call("GET", "/api/directory/orgs")),
    "orgs.create": (
        "POST /api/directory/orgs (a customer below the object)",
        lambda w, p, k, n: w.s[p].call(
            "POST",
            "/api/directory/orgs",
            json={
                "id": f"iso-new-{p}-{k}",
                "name": "New",
                "kind": "customer",
                "parent_id": _org(p, k),
            },
        ),
    ),
    "orgs.detail": (
        "GET /api/directory/orgs/{id}",
        lambda w, p, k, n: w.s[p].call("GET", f"/api/directory/orgs/{throwaway_org(p, k)}"),
    ),
    "orgs.page": (
        "GET /directory/orgs/{id}",
        lambda w, p, k, n: w.s[p].call("GET", f"/directory/orgs/{throwaway_org(p, k)}"),
    ),
    "orgs.patch": (
        "PATCH /api/directory/orgs/{id}",
        lambda w, p, k, n: w.s[p].call(
            "PATCH", f"/api/directory/orgs/{throwaway_org(p, k)}", json={"contact_phone": "+441632960999"}
        ),
    ),
    "orgs.suspend": (
        "POST /api/directory/orgs/{id}/suspend",
        lambda w, p, k, n: w.s[p].call("POST", f"/api/directory/orgs/{throwaway_org(p, k)}/suspend"),
    ),
    "orgs.resume": (
        "POST /api/directory/orgs/{id}/resume",
        lambda w, p, k, n: w.s[p].call("POST", f"/api/directory/orgs/{throwaway_org(p, k)}/resume"),
    ),
    "orgs.admin": (
        "POST /api/directory/orgs/{id}/admin",
        lambda w, p, k, n: w.s[p].call(
            "POST", f"/api/directory/orgs/{throwaway_org(p, k)}/admin", json={"username": f"iso-adm-{p}-{k}"}
        ),
    ),
    "users.list": ("GET /api/directory/users", lambda w, p, k, n: w.s[p].call("GET", "/api/directory/users")),
    "users.create": (
        "POST /api/directory/users (in the object org)",
        lambda w, p, k, n: w.s[p].call(
            "POST", "/api/directory/users", json={"username": f"iso-new-{p}-{k}@iso", "org_id": _org(p, k)}
        ),
    ),
    "users.detail": (
        "GET /api/directory/users/{id}",
        lambda w, p, k, n: w.s[p].call("GET", f"/api/directory/users/{w.users[(p, k)]}"),
    ),
    "users.disable": (
        "PATCH /api/directory/users/{id} disabled",
        lambda w, p, k, n: w.s[p].call(
            "PATCH", f"/api/directory/users/{w.users[(p, k)]}", json={"disabled": True}
        ),
    ),
    "users.grants": (
        "PUT /api/directory/users/{id}/entitlements",
        lambda w, p, k, n: w.s[p].call(
            "PUT",
            f"/api/directory/users/{w.users[(p, k)]}/entitlements",
            json={"roles": ["customer-user"], "entitlements": []},
        ),
    ),
    "roles.list": ("GET /api/directory/roles", lambda w, p, k, n: w.s[p].call("GET", "/api/directory/roles")),
    "roles.create": (
        "POST /api/directory/roles",
        lambda w, p, k, n: w.s[p].call(
            "POST",
            "/api/directory/roles",
            json={"id": f"iso-new-{p}", "name": "New", "entitlements": SELF_ONLY},
        ),
    ),
    "roles.detail": (
        "GET /api/directory/roles/{org}.iso-shared",
        lambda w, p, k, n: w.s[p].call("GET", f"/api/directory/roles/{_org(p, k)}.iso-shared"),
    ),
    "roles.update": (
        "PUT /api/directory/roles/{org}.iso-shared",
        lambda w, p, k, n: w.s[p].call(
            "PUT",
            f"/api/directory/roles/{_org(p, k)}.iso-shared",
            json={"name": "Shared isolation role", "entitlements": SELF_ONLY},
        ),
    ),
    "roles.delete": (
        "DELETE /api/directory/roles/{org}.iso-del-{principal}-{kind}",
        lambda w, p, k, n: w.s[p].call("DELETE", f"/api/directory/roles/{_org(p, k)}.iso-del-{p}-{k}"),
    ),
    "brand.get": (
        "GET /api/directory/brand?org=",
        lambda w, p, k, n: w.s[p].call("GET", "/api/directory/brand", params={"org": _org(p, k)}),
    ),
    "brand.page": (
        "GET /directory/brand?org=",
        lambda w, p, k, n: w.s[p].call("GET", "/directory/brand", params={"org": _org(p, k)}),
    ),
    "brand.draft": (
        "PUT /api/directory/brand/draft?org=",
        lambda w, p, k, n: _brand_draft(w.s[p], _org(p, k), f"+1 800 557 {n:04d}"),
    ),
    "brand.assets": (
        "POST /api/directory/brand/assets?org=&kind=logo (a PNG)",
        lambda w, p, k, n: w.s[p].call(
            "POST",
            "/api/directory/brand/assets",
            params={"org": _org(p, k), "kind": "logo"},
            content=png(32, 32, (n % 256, (n * 7) % 256, 99)),
            headers={"Content-Type": "image/png"},
        ),
    ),
    "brand.publish": (
        "PUT draft, then POST /api/directory/brand/publish?org=",
        lambda w, p, k, n: _publish(w.s[p], _org(p, k), f"+1 800 558 {n:04d}"),
    ),
    "brand.rollback": ("publish twice, then POST /api/directory/brand/rollback/{first}?org=", _rollback),
    "pool.list": ("GET /api/tollfree/pool", lambda w, p, k, n: w.s[p].call("GET", "/api/tollfree/pool")),
    "pool.of": (
        "GET /api/tollfree/pool?reseller={org}",
        lambda w, p, k, n: w.s[p].call("GET", "/api/tollfree/pool", params={"reseller": _org(p, k)}),
    ),
    "pool.add": (
        "POST /api/tollfree/pool {tfn, reseller: the object's reseller}",
        lambda w, p, k, n: w.s[p].call(
            "POST",
            "/api/tollfree/pool",
            json={
                "tfn": w.pooled[("pool.add", p, k)],
                "reseller": pool_of(_org(p, k)),
            },
        ),
    ),
    "pool.assign": (
        "POST /api/tollfree/pool/{tfn of the object's reseller}/assign {customer_id: object}",
        lambda w, p, k, n: w.s[p].call(
            "POST",
            f"/api/tollfree/pool/{w.pooled[('pool.assign', p, k)]}/assign",
            json={"customer_id": _org(p, k)},
        ),
    ),
    "pool.remove": (
        "DELETE /api/tollfree/pool/{tfn in the object's reseller's pool}",
        lambda w, p, k, n: w.s[p].call("DELETE", f"/api/tollfree/pool/{w.pooled[('pool.remove', p, k)]}"),
    ),
    "tf.admin": ("GET /tollfree/admin", lambda w, p, k, n: w.s[p].call("GET", "/tollfree/admin")),
    "tf.pool": ("GET /tollfree/admin/pool", lambda w, p, k, n: w.s[p].call("GET", "/tollfree/admin/pool")),
    "audit.list": ("GET /api/tollfree/audit", lambda w, p, k, n: w.s[p].call("GET", "/api/tollfree/audit")),
    "audit.of": (
        "GET /api/tollfree/audit?customer={org}",
        lambda w, p, k, n: w.s[p].call("GET", "/api/tollfree/audit", params={"customer": _org(p, k)}),
    ),
    "audit.page": ("GET /tollfree/audit", lambda w, p, k, n: w.s[p].call("GET", "/tollfree/audit")),
    "numbers.assign": (
        "POST /api/tollfree/numbers {tfn, customer_id: object}",
        lambda w, p, k, n: w.s[p].call(
            "POST",
            "/api/tollfree/numbers",
            json={
                "tfn": f"+1833555{n:04d}",
                "customer_id": _org(p, k),
                "reseller_chain": chain_of(_org(p, k)),
            },
        ),
    ),
    "numbers.remove": (
        "DELETE /api/tollfree/numbers/{tfn of the object}",
        lambda w, p, k, n: w.s[p].call("DELETE", f"/api/tollfree/numbers/{w.assigned[(p, k)]}"),
    ),
    "sites.save": (
        "PUT /api/tollfree/sites/{object}/iso-save",
        lambda w, p, k, n: w.s[p].call(
            "PUT", f"/api/tollfree/sites/{_org(p, k)}/iso-save", json={"uri": "sip:127.0.0.1:5098"}
        ),
    ),
    "sites.delete": (
        "DELETE /api/tollfree/sites/{object}/iso-del-{principal}",
        lambda w, p, k, n: w.s[p].call("DELETE", f"/api/tollfree/sites/{_org(p, k)}/iso-del-{p}"),
    ),
    # the same through the pages' forms (htmx-less: inline form errors answer 422)
    "orgs.suspend-ui": (
        "POST /directory/orgs/{id}/suspend (form)",
        lambda w, p, k, n: w.s[p].call("POST", f"/directory/orgs/{throwaway_org(p, k)}/suspend", data={}),
    ),
    "users.disable-ui": (
        "POST /directory/users/{id}/disable (form)",
        lambda w, p, k, n: w.s[p].call("POST", f"/directory/users/{w.users[(p, k)]}/disable", data={}),
    ),
    "roles.delete-ui": (
        "POST /directory/roles/{org}.iso-ui-{principal}-{kind}/delete (form)",
        lambda w, p, k, n: w.s[p].call(
            "POST", f"/directory/roles/{_org(p, k)}.iso-ui-{p}-{k}/delete", data={}
        ),
    ),
    "brand.publish-ui": (
        "PUT draft, then POST /directory/brand/publish?org= (form)",
        lambda w, p, k, n: _publish(w.s[p], _org(p, k), f"+1 800 559 {n:04d}", page=True),
    ),
    "pool.assign-ui": (
        "POST /tollfree/admin/pool/{tfn of the object's reseller}/assign (form customer_id=object)",
        lambda w, p, k, n: w.s[p].call(
            "POST",
            f"/tollfree/admin/pool/{w.pooled[('pool.assign-ui', p, k)]}/assign",
            data={"customer_id": _org(p, k)},
        ),
    ),
}


@pytest.fixture(scope="module")
def world(fresh_portal: Portal) -> Iterator[World]:
    with sessions(fresh_portal, PRINCIPALS | HELPERS) as signed_in:
        yield build_world(signed_in)


def cell_id(cell: tuple[str, str, str]) -> str:
    p, route, kind = cell
    obj = "" if ROUTES[route][0].count("{") == 0 and kind == "own" else f" on {kind} ({ORG_OF[p][kind]})"
    return f"{p:<5} {route:<15} {ROUTES[route][0]}{obj}"


def test_table_covers_every_route() -> None:
    expected = parse_table(TABLE)
    assert sorted({route for _, route, _ in expected}) == sorted(ROUTES)
    assert set(expected) >= KNOWN_BUGS
    for p, _, kind in expected:
        assert ORG_OF[p][kind] is not None, f"{p}/{kind} has no object"


def test_isolation_matrix(world: World, fresh_portal: Portal) -> None:
    expected = parse_table(TABLE)
    cells = sorted(expected)
    seed = random.randrange(1 << 30)
    random.Random(seed).shuffle(cells)
    wrong: list[str] = []
    fixed: list[str] = []
    for n, cell in enumerate(cells):
        p, route, kind = cell
        got = ROUTES[route][1](world, p, kind, n).status_code
        if cell in KNOWN_BUGS:
            if got == expected[cell]:
                fixed.append(f"{cell_id(cell)}: now {got} as expected — remove it from KNOWN_BUGS")
        elif got != expected[cell]:
            wrong.append(f"{cell_id(cell)}: expected {expected[cell]}, got {got}")
    report = "\n".join(sorted(wrong) + sorted(fixed))
    assert not report, f"{len(wrong) + len(fixed)} of {len(cells)} cells differ (seed {seed}):\n{report}"

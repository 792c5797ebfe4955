"""CLI administration on the directory's store: baseline data, demo data, users and tokens.

These call the directory resource's own service layer (keyword-only functions) with a
provider-level system caller, so the CLI obeys the same rules and audit as the portal.
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from dispatcher.registry import load_manifests
from gateway.commands import CommandError
from gateway.config import Config
from resources.directory import account, demo, service
from resources.directory.context import Context, Tx, open_context, transaction
from resources.directory.settings import DirectorySettings
from resources.kit.caller import Caller
from resources.kit.errors import ProblemError
from resources.kit.events import make_bus
from resources.kit.manifest import Action

DEMO_LOGINS = (
    ("admin", "provider admin (Switchboard)"),
    ("rita@acme", "reseller admin (Acme Telecom) — sign in on the reseller brand's host"),
    ("alice@globex", "customer admin (Globex Corporation)"),
    ("bob@globex", "user with narrower entitlements (Globex Corporation)"),
    ("carol@initech", "customer admin (Initech, a customer of Acme) — on the reseller brand's host"),
    ("zed@zenith", "reseller admin (Zenith Communications, a second reseller)"),
    ("hank@hooli", "customer admin (Hooli, a customer of Zenith)"),
)


def all_actions() -> list[Action]:
    return [a for m in load_manifests().values() for a in m.actions]


@asynccontextmanager
async def directory(config: Config) -> AsyncIterator[Context]:
    from gateway.serve import resource_settings

    bus = make_bus(config.redis_url)
    try:
        settings = DirectorySettings.from_resource(resource_settings(config, "directory", bus))
        async with open_context(settings) as (ctx, _engine):
            yield ctx
    finally:
        await bus.aclose()


def system_caller() -> Caller:
    return service.system_caller(actions=[a.name for a in all_actions() if a.scope_kind != "service"])


async def bootstrap(config: Config) -> None:
    async with directory(config) as ctx:
        await demo.bootstrap(maker=ctx.maker, actions=all_actions())


async def load_demo(config: Config) -> dict[str, str]:
    """The directory's tenancy first, then every resource that declares a demo seed."""
    from gateway.serve import resource_settings

    async with directory(config) as ctx:
        ids = await demo.load_demo(maker=ctx.maker, hasher=ctx.hasher, actions=all_actions())
    bus = make_bus(config.redis_url)
    try:
        for name, manifest in load_manifests().items():
            if manifest.demo is not None:
                await manifest.demo(resource_settings(config, name, bus))
    finally:
        await bus.aclose()
    register_simulator(config)
    return ids


def register_simulator(config: Config) -> None:
    """Element `simulator` (the demo's switch simulator) with its actions and a client
    certificate. Idempotent: an element with those actions and a valid certificate stay."""
    import datetime as dt

    from certs import issue_element_cert, pki
    from gateway.elements import ElementRegistry, add_element
    from resources.traffic.simulator.settings import ELEMENT, ELEMENT_ACTIONS

    path = config.data_dir / "elements.json"
    element = ElementRegistry.load(path).get(ELEMENT)
    if element is None or set(element.actions) != set(ELEMENT_ACTIONS):
        add_element(path, name=ELEMENT, actions=ELEMENT_ACTIONS)  # it uses the certificate, not the token
    certs = config.certs_dir
    ca = pki.load_pair(certs / "ca.pem", certs / "ca-key.pem")
    mine = pki.load_pair(certs / "elements" / f"{ELEMENT}.pem", certs / "elements" / f"{ELEMENT}-key.pem")
    fresh = (
        ca is not None
        and mine is not None
        and pki.leaf_ok(
            mine[0],
            ca[0],
            common_name_=f"element:{ELEMENT}",
            hosts=(),
            usages=[pki.CLIENT_AUTH],
            now=dt.datetime.now(dt.UTC),
        )
    )
    if not fresh:
        issue_element_cert(certs, ELEMENT)


def demo_banner(config: Config) -> str:
    lines = [
        "",
        f"  Switchboard portal:  https://{config.public_host}:{config.port}",
        f"  Reseller brand:      https://acme.localhost:{config.port}",
        f"  Trust this dev CA:   {(config.certs_dir / 'ca.pem').resolve()}",
        f"  Network plane:       https://{config.network_host}:{config.network_port} (elements only)",
        "  Switch simulator:    places toll-free calls for the live traffic page"
        " (SWITCHBOARD_SIMULATOR_RATE calls/s at peak, default 2; 0 = off)",
        f"  Demo logins (password {demo.DEMO_PASSWORD!r}, demo mode only):",
        *(f"    {u:<15} {who}" for u, who in DEMO_LOGINS),
        "",
    ]
    return "\n".join(lines)


async def _user_id(tx: Tx, caller: Caller, username: str) -> str:
    try:
        return await service.user_id_for(tx=tx, caller=caller, username=username)
    except ProblemError as exc:
        raise CommandError(f"no user named {username!r}") from exc


async def user_command(
    args: argparse.Namespace, config: Config, *, read_password: Callable[[str], str]
) -> int:
    caller = system_caller()
    async with directory(config) as ctx:
        try:
            if args.user_command == "add":
                password = read_password(f"password for {args.username}: ") or None
                async with transaction(ctx, write=True) as tx:
                    user, temp = await service.add_user(
                        tx=tx,
                        caller=caller,
                        username=args.username,
                        display_name=args.display_name,
                        email=args.email,
                        org_id=args.org,
                        password=password,
                        roles=tuple(args.role),
                    )
                print(f"added {user.username} ({user.id})")
                if temp:
                    print(f"temporary password: {temp}")
            elif args.user_command == "passwd":
                password = read_password(f"new password for {args.username}: ")
                async with transaction(ctx, write=True) as tx:
                    uid = await _user_id(tx, caller, args.username)
                    await service.set_password(tx=tx, caller=caller, user_id=uid, password=password)
                print(f"password set for {args.username}")
            elif args.user_command == "disable":
                async with transaction(ctx, write=True) as tx:
                    uid = await _user_id(tx, caller, args.username)
                    await service.disable_user(tx=tx, caller=caller, user_id=uid)
                print(f"disabled {args.username}; their sessions end at their next request")
        except ProblemError as exc:
            raise CommandError(_problem_text(exc)) from exc
    return 0


async def create_token(
    config: Config, *, username: str, name: str, actions: list[str] | None, expires_days: int | None
) -> str:
    caller = system_caller()
    expires = dt.datetime.now(dt.UTC) + dt.timedelta(days=expires_days) if expires_days else None
    async with directory(config) as ctx:
        try:
            async with transaction(ctx, write=True) as tx:
                uid = await _user_id(tx, caller, username)
                _token, text = await account.create_token_for(
                    tx=tx, caller=caller, user_id=uid, name=name, actions=actions, expires_at=expires
                )
        except ProblemError as exc:
            raise CommandError(_problem_text(exc)) from exc
    return text


def _problem_text(exc: ProblemError) -> str:
    errors = exc.extra.get("errors")
    if isinstance(errors, list) and errors:
        return "; ".join(f"{e.get('field')}: {e.get('message')}" for e in errors)
    return exc.detail or exc.title

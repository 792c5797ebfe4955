"""What each `switchboard` sub-command does (the parser lives in gateway/cli.py)."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable

from gateway.config import Config

DEMO_HOSTS = ("localhost", "acme.localhost", "127.0.0.1", "::1")


class CommandError(Exception):
    """A clear, user-facing failure (exit code 2)."""


def _hosts(config: Config, extra: list[str] | None = None) -> list[str]:
    hosts = list(DEMO_HOSTS)
    for h in [config.public_host, *(extra or [])]:
        if h not in hosts:
            hosts.append(h)
    return hosts


def make_certs(config: Config, *, force: bool = False, extra_hosts: list[str] | None = None) -> str:
    from certs import generate_all
    from dispatcher.registry import load_manifests

    report = generate_all(
        config.certs_dir, resources=sorted(load_manifests()), hosts=_hosts(config, extra_hosts), force=force
    )
    return report.render()


async def run(args: argparse.Namespace, config: Config, *, read_password: Callable[[str], str]) -> int:
    from gateway import admin, serve
    from gateway.logs import configure_logging

    configure_logging(config.log_level)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    cmd = args.command
    if cmd == "certs":
        from certs import retire_previous, rotate_signing_key

        if args.rotate_signing_key:
            print(f"new signing key {rotate_signing_key(config.certs_dir)}; the previous key stays accepted")
        elif args.retire_previous_key:
            print("previous signing key retired" if retire_previous(config.certs_dir) else "no previous key")
        else:
            print(make_certs(config, force=args.force, extra_hosts=args.host))
        return 0
    if cmd == "migrate":
        done = await serve.migrate(config, only=args.only)
        if args.only and not done:
            raise CommandError(f"nothing named {args.only!r} to migrate")
        if "directory" in done:
            await admin.bootstrap(config)
        print("migrated: " + ", ".join(done))
        return 0
    if cmd == "demo":
        demo_config = Config(**{**config.__dict__, "demo": True})
        make_certs(demo_config)
        await serve.migrate(demo_config)
        await admin.bootstrap(demo_config)
        await admin.load_demo(demo_config)
        print(admin.demo_banner(demo_config))
        if args.load_only:
            return 0
        await serve.serve_portal(demo_config)
        return 0
    if cmd == "serve":
        if args.resource:
            if not args.port:
                raise CommandError("--resource needs --port")
            await serve.serve_resource(config, args.resource, host=args.host, port=args.port)
        else:
            print(
                f"Switchboard portal on https://{config.public_host}:{config.port}"
                f"  (network plane https://{config.network_host}:{config.network_port})"
            )
            await serve.serve_portal(config)
        return 0
    if cmd == "user":
        return await admin.user_command(args, config, read_password=read_password)
    if cmd == "token":
        print(
            await admin.create_token(
                config,
                username=args.user,
                name=args.name,
                actions=args.action,
                expires_days=args.expires_days,
            )
        )
        return 0
    if cmd == "element":
        from certs import issue_element_cert
        from gateway.elements import add_element

        token = add_element(config.data_dir / "elements.json", name=args.name, actions=args.action)
        pair = issue_element_cert(config.certs_dir, args.name)
        print(f"element {args.name}: client certificate {pair.cert} (key {pair.key})")
        print(token)
        return 0
    if cmd == "simulate":
        return await simulate(config, rate=args.rate, duration=args.duration, seed=args.seed)
    raise CommandError(f"unknown command {cmd}")


async def simulate(config: Config, *, rate: float | None, duration: float | None, seed: int | None) -> int:
    """`switchboard simulate`: the switch simulator against this portal's network plane."""
    from gateway.serve import simulator_settings
    from resources.traffic.simulator.client import NetworkError
    from resources.traffic.simulator.runner import SimulatorConfigError, run_simulator

    try:
        settings = simulator_settings(config, rate=rate, duration=duration, seed=seed)
    except SimulatorConfigError as exc:
        raise CommandError(str(exc)) from exc
    if settings.rate <= 0:
        raise CommandError("the rate is 0: nothing to simulate (--rate or SWITCHBOARD_SIMULATOR_RATE)")
    print(
        f"simulating up to {settings.rate:g} calls/s against {settings.network_url}"
        + (f" for {settings.duration:g} s" if settings.duration else " until interrupted")
    )
    try:
        report = await run_simulator(settings)
    except NetworkError as exc:
        raise CommandError(str(exc)) from exc
    print(report.render())
    return 0

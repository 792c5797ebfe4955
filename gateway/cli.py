"""`switchboard` — the one command line: demo, serve, migrate, certs, user, token, element, simulate."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from gateway.config import Config, ConfigError

DEMO_USERS = (
    ("admin", "provider admin (Switchboard)"),
    ("rita@acme", "reseller admin (Acme Telecom)"),
    ("alice@globex", "customer admin (Globex Corporation)"),
    ("bob@globex", "user with narrower entitlements (Globex Corporation)"),
    ("carol@initech", "customer admin (Initech, a customer of Acme)"),
    ("zed@zenith", "reseller admin (Zenith Communications, a second reseller)"),
    ("hank@hooli", "customer admin (Hooli, a customer of Zenith)"),
)
DEMO_PASSWORD = "switchboard-demo"  # noqa: S105 - demo mode only, printed on purpose


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="switchboard",
        description="Switchboard: customer self-service network-management portal.",
    )
    p.add_argument("--config", type=Path, help="TOML config file (else SWITCHBOARD_* environment)")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = sub.add_parser("demo", help="certs + migrate + demo data, then serve the whole portal")
    demo.add_argument("--load-only", action="store_true", help="prepare everything but do not serve")

    serve = sub.add_parser("serve", help="serve the portal (all in one) or one resource (--resource)")
    serve.add_argument("--resource", help="serve only this resource as its own HTTPS service (mTLS)")
    serve.add_argument("--host", default="127.0.0.1", help="with --resource: bind address")
    serve.add_argument("--port", type=int, help="with --resource: port (required with --resource)")

    mig = sub.add_parser("migrate", help="bring every database (or one part's) to the newest schema")
    mig.add_argument("--only", help="gateway or one resource name")

    certs = sub.add_parser("certs", help="create the dev CA, server/client certificates and the signing key")
    certs.add_argument("--force", action="store_true", help="re-create everything")
    certs.add_argument(
        "--rotate-signing-key",
        action="store_true",
        help="new dispatcher signing key; the previous one stays accepted",
    )
    certs.add_argument("--retire-previous-key", action="store_true", help="stop accepting the previous key")
    certs.add_argument("--host", action="append", default=[], help="extra host name for the gateway cert")

    user = sub.add_parser("user", help="manage directory users")
    usub = user.add_subparsers(dest="user_command", required=True, metavar="ACTION")
    add = usub.add_parser("add", help="add a user (password read from stdin or prompted)")
    add.add_argument("username")
    add.add_argument("--org", required=True, help="organisation id, e.g. globex")
    add.add_argument("--role", action="append", default=[], help="role name (repeatable)")
    add.add_argument("--display-name")
    add.add_argument("--email")
    pw = usub.add_parser("passwd", help="set a user's password (stdin or prompted)")
    pw.add_argument("username")
    dis = usub.add_parser("disable", help="disable a user and end their sessions")
    dis.add_argument("username")

    token = sub.add_parser("token", help="personal API tokens")
    tsub = token.add_subparsers(dest="token_command", required=True, metavar="ACTION")
    tc = tsub.add_parser("create", help="create a token for a user; printed once")
    tc.add_argument("--user", required=True)
    tc.add_argument("--name", default="cli")
    tc.add_argument(
        "--action",
        action="append",
        default=None,
        help="narrow the token to these actions (repeatable); default: all of the user's",
    )
    tc.add_argument("--expires-days", type=int)

    element = sub.add_parser("element", help="network elements (switch, simulator) on the network plane")
    esub = element.add_subparsers(dest="element_command", required=True, metavar="ACTION")
    ea = esub.add_parser("add", help="register an element; prints its token once and issues a client cert")
    ea.add_argument("name")
    ea.add_argument("--action", action="append", default=[], help="network action it may use (repeatable)")

    sim = sub.add_parser(
        "simulate", help="switch simulator: toll-free calls via the SCP, events and CDRs to traffic"
    )
    sim.add_argument(
        "--rate", type=float, help="calls per second at the daily peak (SWITCHBOARD_SIMULATOR_RATE)"
    )
    sim.add_argument(
        "--duration", type=float, help="seconds to run, then hang up and report (default: until ^C)"
    )
    sim.add_argument("--seed", type=int, help="random seed: the same seed places the same calls")
    return p


def _read_password(prompt: str) -> str:
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass(prompt)
    if getpass.getpass("again: ") != first:
        raise SystemExit("passwords differ")
    return first


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        config = Config.load(file=args.config)
    except ConfigError as exc:
        print(f"switchboard: {exc}", file=sys.stderr)
        return 2
    from gateway import commands

    try:
        with asyncio.Runner(loop_factory=loop_factory()) as runner:
            return runner.run(commands.run(args, config, read_password=_read_password))
    except KeyboardInterrupt:
        return 130
    except commands.CommandError as exc:
        print(f"switchboard: {exc}", file=sys.stderr)
        return 2


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop when installed (libuv: much cheaper socket and TLS I/O for the network plane)."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a declared dependency on Linux
        return None
    return uvloop.new_event_loop


if __name__ == "__main__":
    raise SystemExit(main())

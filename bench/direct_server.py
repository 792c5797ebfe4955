"""The directory resource app served on its own (TLS, no gateway) — the baseline of bench/dispatch.

`python -m bench.direct_server PORT` serves it; `python -m bench.direct_server --mint PRINCIPAL_JSON`
prints an assertion for that principal valid long enough for one benchmark run.
"""

from __future__ import annotations

import json
import sys

from bench.bare_server import run_like_the_portal, serve_like_the_portal
from dispatcher.assertion import AssertionSigner, SigningKeys
from dispatcher.registry import load_manifests
from gateway.config import Config
from gateway.serve import resource_settings
from resources.kit.caller import Entitlement, Principal
from resources.kit.events import InProcessBus


def mint(principal_json: str) -> str:
    config = Config.load()
    signer = AssertionSigner(SigningKeys.load(config.certs_dir), ttl=600)
    me = json.loads(principal_json)  # the shape of GET /api/directory/me
    principal = Principal(
        user_id=me["id"],
        username=me["username"],
        display_name=me["display_name"],
        kind="customer",
        org_id=me["org_id"],
        customer_id=me["org_id"],
        reseller_chain=(),
        brand="default",
        entitlements=tuple(Entitlement(action=e["action"], scope=e["scope"]) for e in me["entitlements"]),
    )
    return signer.mint(
        audience="directory",
        principal=principal,
        plane="customer",
        session_ref=None,
        request_id="bench",
        reuse=True,  # a read: what the dispatcher sends for it (resources.kit.assertion caches it)
    )


async def serve(port: int) -> None:
    config = Config.load()
    app = load_manifests()["directory"].create_app(resource_settings(config, "directory", InProcessBus()))
    await serve_like_the_portal(app, port=port, lifespan="on", config=config)


if __name__ == "__main__":
    if sys.argv[1] == "--mint":
        print(mint(sys.argv[2]))
    else:
        run_like_the_portal(serve(int(sys.argv[1])))

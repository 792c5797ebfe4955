"""The ceiling of bench/dispatch: a bare Starlette hello-world on the same uvicorn + TLS setup.

`python -m bench.bare_server PORT` serves `GET /hello` (a small JSON body) with the gateway's
certificate, the same uvicorn configuration and the same event loop (uvloop) the portal uses;
nothing else.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Coroutine
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gateway.cli import loop_factory
from gateway.config import Config
from gateway.serve import _uvicorn_config, run_servers
from gateway.tlsproto import tls_server_kwargs


async def hello(_request: Request) -> Response:
    return JSONResponse({"hello": "world"})


async def serve_like_the_portal(app: Any, *, port: int, lifespan: str, config: Config | None = None) -> None:
    """`app` on 127.0.0.1:`port` with the gateway's certificate and uvicorn configuration (what
    every row of bench/dispatch shares, so the rows differ only in the app)."""
    certs = (config or Config.load()).certs_dir
    cfg = _uvicorn_config(
        app,
        host="127.0.0.1",
        port=port,
        lifespan=lifespan,
        tls=tls_server_kwargs(
            certfile=certs / "gateway.pem",
            keyfile=certs / "gateway-key.pem",
            ca_file=None,
            require_client_cert=False,
        ),
    )
    await run_servers([cfg])


def run_like_the_portal(main: Coroutine[Any, Any, None]) -> None:
    """Run `main` on the event loop the portal's CLI runs on (uvloop)."""
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        runner.run(main)


async def serve(port: int) -> None:
    app = Starlette(routes=[Route("/hello", hello), Route("/healthz", hello)])
    await serve_like_the_portal(app, port=port, lifespan="off")


if __name__ == "__main__":
    run_like_the_portal(serve(int(sys.argv[1])))

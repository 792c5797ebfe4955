"""The ceiling of bench/dispatch: a bare Starlette hello-world on the same uvicorn + TLS setup.

`python -m bench.bare_server PORT` serves `GET /hello` (a small JSON body) with the gateway's
certificate and the same uvicorn configuration the portal uses; nothing else.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

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


async def serve(port: int) -> None:
    app = Starlette(routes=[Route("/hello", hello), Route("/healthz", hello)])
    await serve_like_the_portal(app, port=port, lifespan="off")


if __name__ == "__main__":
    asyncio.run(serve(int(sys.argv[1])))

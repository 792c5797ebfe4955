"""The ceiling of bench/dispatch: a bare Starlette hello-world on the same uvicorn + TLS setup.

`python -m bench.bare_server PORT` serves `GET /hello` (a small JSON body) with the gateway's
certificate and the same uvicorn configuration the portal uses; nothing else.
"""

from __future__ import annotations

import asyncio
import sys

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gateway.config import Config
from gateway.serve import _uvicorn_config, run_servers
from gateway.tlsproto import tls_server_kwargs


async def hello(_request: Request) -> Response:
    return JSONResponse({"hello": "world"})


async def serve(port: int) -> None:
    certs = Config.load().certs_dir
    app = Starlette(routes=[Route("/hello", hello), Route("/healthz", hello)])
    cfg = _uvicorn_config(
        app,
        host="127.0.0.1",
        port=port,
        lifespan="off",
        tls=tls_server_kwargs(
            certfile=certs / "gateway.pem",
            keyfile=certs / "gateway-key.pem",
            ca_file=None,
            require_client_cert=False,
        ),
    )
    await run_servers([cfg])


if __name__ == "__main__":
    asyncio.run(serve(int(sys.argv[1])))

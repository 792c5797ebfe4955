"""What every benchmark needs: free ports, a one-process portal's environment, readiness, wrk."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def portal_env(data: Path, *, port: int, net_port: int) -> dict[str, str]:
    """A demo portal in its own data dir, one process, SQLite: nothing from the caller's split setup."""
    env = {
        **os.environ,
        "SWITCHBOARD_DATA": str(data),
        "SWITCHBOARD_PORT": str(port),
        "SWITCHBOARD_NETWORK_PORT": str(net_port),
        "SWITCHBOARD_DEMO": "1",
        "SWITCHBOARD_LOG_LEVEL": "WARNING",
    }
    for name in ("SWITCHBOARD_DATABASE_URL", "SWITCHBOARD_REDIS_URL", "SWITCHBOARD_RESOURCES"):
        env.pop(name, None)
    return env


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_ready(url: str, ca: Path, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, verify=str(ca), timeout=1.0).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


def wrk(
    url: str,
    headers: dict[str, str],
    *,
    seconds: int,
    connections: int,
    threads: int = 2,
    script: Path | None = None,
) -> dict[str, float]:
    """Run wrk and read its summary: requests/s, p50/p99 in ms, non-2xx count, socket errors."""
    args = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if script is not None:
        args += ["-s", str(script)]
    for k, v in headers.items():
        args += ["-H", f"{k}: {v}"]
    out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]

    def pct(p: str) -> float:
        m = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)", out)
        if not m:
            return float("nan")
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors:.*", out)
    return {
        "rps": rps,
        "p50_ms": pct("50"),
        "p99_ms": pct("99"),
        "non_2xx": float(non2xx.group(1)) if non2xx else 0.0,
        "socket_errors": 1.0 if errors else 0.0,
    }

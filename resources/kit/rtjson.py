"""Pieces of Kamailio `rtjson` answers that every resource answering the switch builds the same
way (the toll-free SCP, the call-center router): the route-request URI of a site, the
`X-Switchboard-Route` header and one serial route.

kamailio.cfg relays to the routes in order (failure_route advances on busy, error or no answer):
`fr_timer` is how long a destination may stay silent (no provisional reply), `fr_inv_timer` how
long it may ring.
"""

from __future__ import annotations

from typing import Any

FR_TIMER_MS = 3000  # no provisional reply from a destination within 3 s → next destination
NO_MEDIA_SERVER = 480


def site_route_uri(site_uri: str, dnis: str) -> str:
    """``sip:host:port;transport=tcp`` + ``+18005550100`` → ``sip:+18005550100@host:port;transport=tcp``."""
    scheme, _, rest = site_uri.partition(":")
    hostport, sep, params = rest.partition(";")
    hostport = hostport.rpartition("@")[2]
    return f"{scheme}:{dnis}@{hostport}{sep}{params}"


def route_header(number: str | None, version: int | None, what: str) -> str:
    """``X-Switchboard-Route: +18005550100;v=3;dest=site:east`` (with the CRLF rtjson wants)."""
    parts = [number or "-", f"v={version if version is not None else '-'}", what]
    return f"X-Switchboard-Route: {';'.join(parts)}\r\n"


def serial_route(uri: str, *, header: str, ring_ms: int, fr_timer_ms: int = FR_TIMER_MS) -> dict[str, Any]:
    return {"uri": uri, "headers": {"extra": header}, "fr_timer": fr_timer_ms, "fr_inv_timer": ring_ms}

"""Run every benchmark: `python -m bench [NAME…]`."""

from __future__ import annotations

import sys

from bench import callcenter, dispatch, events, kamailio, network_plane, scp_eval, scp_http, traffic

BENCHES = {
    "dispatch": dispatch.main,
    "scp-eval": scp_eval.main,
    "scp-http": scp_http.main,
    "network-plane": network_plane.main,
    "kamailio": kamailio.main,
    "callcenter-kamailio": callcenter.main,
    "traffic": traffic.main,
    "events": events.main,
}


def main(argv: list[str]) -> int:
    names = argv or list(BENCHES)
    for name in names:
        if name not in BENCHES:
            print(f"unknown benchmark {name!r}; known: {', '.join(BENCHES)}", file=sys.stderr)
            return 2
        BENCHES[name]()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

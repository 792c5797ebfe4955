"""A throwaway CA with server and client certificates for the mTLS tests, made with the
project's own PKI code (certs.pki) so the tests exercise the certificates we really issue."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from certs.pki import CLIENT_AUTH, SERVER_AUTH, cert_pem, make_ca, make_leaf, store_pair


@dataclass(frozen=True)
class Pki:
    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path


def make_pki(root: Path) -> Pki:
    root.mkdir(parents=True, exist_ok=True)
    ca = make_ca()
    pki = Pki(
        ca=root / "ca.pem",
        server_cert=root / "server.pem",
        server_key=root / "server-key.pem",
        client_cert=root / "client.pem",
        client_key=root / "client-key.pem",
    )
    pki.ca.write_bytes(cert_pem(ca.cert))
    server, server_key = make_leaf(
        ca, common_name="orders", hosts=["127.0.0.1"], usages=[SERVER_AUTH], days=1
    )
    store_pair(server, server_key, cert_path=pki.server_cert, key_path=pki.server_key)
    client, client_key = make_leaf(ca, common_name="dispatcher", hosts=[], usages=[CLIENT_AUTH], days=1)
    store_pair(client, client_key, cert_path=pki.client_cert, key_path=pki.client_key)
    return pki

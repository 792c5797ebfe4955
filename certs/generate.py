"""`switchboard certs`: the dev PKI under `<data>/certs`, idempotent.

Layout (private keys 0600, directories 0700, every write atomic):

    ca.pem  ca-key.pem                          dev CA "Switchboard Dev CA" (EC P-256, 10 y, pathlen 0)
    gateway.pem  gateway-key.pem                customer port AND network port server cert
    dispatcher-client.pem  dispatcher-client-key.pem    dispatcher → resource mTLS client (CN dispatcher)
    resources/<name>.pem  resources/<name>-key.pem      CN resource:<name>, serverAuth + clientAuth
    elements/<name>.pem  elements/<name>-key.pem        CN element:<name>, clientAuth (issue_element_cert)
    signing/current.jwk  [previous.jwk]  jwks.json      assertion signing key (see certs.signing)

The network-plane listener reuses the gateway certificate: both listeners live in the same
process, answer to the same host names and are trusted through the same CA, so a second key would
add files without separating anything. A run keeps every file that still matches what it would
issue (same CA, names, usages, > 30 days left) unless `force`; a new CA re-issues every leaf.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509

from certs import pki, signing
from certs.files import ensure_dir

GATEWAY_HOSTS = ("localhost", "acme.localhost", "127.0.0.1", "::1")
RESOURCE_HOSTS = ("localhost", "127.0.0.1")
DISPATCHER_CN = "dispatcher"
_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")


@dataclass(frozen=True)
class CertPair:
    cert: Path
    key: Path


@dataclass(frozen=True, kw_only=True)
class CertsReport:
    certs_dir: Path
    ca: CertPair
    gateway: CertPair
    network: CertPair
    dispatcher_client: CertPair
    resources: Mapping[str, CertPair]
    signing_key: Path
    jwks: Path
    issued: tuple[str, ...] = ()  # labels of what this run (re)created
    kept: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())

    def render(self) -> str:
        lines = [f"certificates in {self.certs_dir}"]
        rows = [
            ("CA (curl --cacert)", self.ca.cert),
            ("gateway cert", self.gateway.cert),
            ("network cert", self.network.cert),
            ("dispatcher client", self.dispatcher_client.cert),
            *((f"resource {name}", pair.cert) for name, pair in self.resources.items()),
            ("signing key", self.signing_key),
            ("public JWKS", self.jwks),
        ]
        width = max(len(label) for label, _ in rows)
        lines += [f"  {label:<{width}}  {path}" for label, path in rows]
        lines.append(f"  issued: {', '.join(self.issued) or 'nothing'}")
        lines.append(f"  kept:   {', '.join(self.kept) or 'nothing'}")
        lines += [f"  note: {note}" for note in self.notes]
        return "\n".join(lines)


def _pair(certs_dir: Path, stem: str) -> CertPair:
    return CertPair(cert=certs_dir / f"{stem}.pem", key=certs_dir / f"{stem}-key.pem")


def _checked_name(name: str, what: str) -> str:
    if not _NAME.fullmatch(name):
        raise ValueError(f"{what} name must be lowercase letters, digits and '-', got {name!r}")
    return name


def _ensure_ca(pair: CertPair, *, force: bool, now: dt.datetime) -> tuple[pki.Issuer, bool]:
    loaded = None if force else pki.load_pair(pair.cert, pair.key)
    if loaded is not None:
        cert, key = loaded
        if pki.is_fresh(cert, now=now) and pki.issued_by(cert, cert) and pki.common_name(cert) == pki.CA_NAME:
            return pki.Issuer(cert=cert, key=key), False
    issuer = pki.make_ca(now=now)
    pki.store_pair(issuer.cert, issuer.key, cert_path=pair.cert, key_path=pair.key)
    return issuer, True


def _ensure_leaf(
    issuer: pki.Issuer,
    pair: CertPair,
    *,
    common_name: str,
    hosts: Sequence[str],
    usages: Sequence[x509.ObjectIdentifier],
    force: bool,
    now: dt.datetime,
) -> bool:
    """Issue unless a matching, fresh leaf is already there. True when (re)issued."""
    loaded = None if force else pki.load_pair(pair.cert, pair.key)
    if loaded is not None and pki.leaf_ok(
        loaded[0], issuer.cert, common_name_=common_name, hosts=hosts, usages=usages, now=now
    ):
        return False
    cert, key = pki.make_leaf(issuer, common_name=common_name, hosts=hosts, usages=usages, now=now)
    pki.store_pair(cert, key, cert_path=pair.cert, key_path=pair.key)
    return True


def generate_all(
    certs_dir: Path,
    *,
    resources: Sequence[str],
    hosts: Sequence[str],
    force: bool = False,
    now: dt.datetime | None = None,
) -> CertsReport:
    """Create or renew the whole dev PKI and the signing key; see the module docstring."""
    now = now or dt.datetime.now(dt.UTC)
    ensure_dir(certs_dir)
    issued: list[str] = []
    kept: list[str] = []

    def record(label: str, made: bool) -> None:
        (issued if made else kept).append(label)

    ca_pair = _pair(certs_dir, "ca")
    issuer, made = _ensure_ca(ca_pair, force=force, now=now)
    record("ca", made)

    gateway = _pair(certs_dir, "gateway")
    gateway_hosts = tuple(dict.fromkeys([*GATEWAY_HOSTS, *hosts]))
    record(
        "gateway",
        _ensure_leaf(
            issuer,
            gateway,
            common_name="gateway",
            hosts=gateway_hosts,
            usages=[pki.SERVER_AUTH],
            force=force,
            now=now,
        ),
    )

    client = _pair(certs_dir, "dispatcher-client")
    record(
        "dispatcher-client",
        _ensure_leaf(
            issuer,
            client,
            common_name=DISPATCHER_CN,
            hosts=(),
            usages=[pki.CLIENT_AUTH],
            force=force,
            now=now,
        ),
    )

    resource_pairs: dict[str, CertPair] = {}
    ensure_dir(certs_dir / "resources")
    for name in sorted(dict.fromkeys(resources)):
        pair = _pair(certs_dir / "resources", _checked_name(name, "resource"))
        resource_pairs[name] = pair
        record(
            f"resource:{name}",
            _ensure_leaf(
                issuer,
                pair,
                common_name=f"resource:{name}",
                hosts=RESOURCE_HOSTS,
                usages=[pki.SERVER_AUTH, pki.CLIENT_AUTH],
                force=force,
                now=now,
            ),
        )

    record("signing-key", signing.ensure_signing_key(certs_dir, force=force))

    notes: list[str] = []
    if "ca" in issued and (certs_dir / "elements").is_dir():
        notes.append("new CA: re-issue element certificates (switchboard certs --element NAME)")
    return CertsReport(
        certs_dir=certs_dir,
        ca=ca_pair,
        gateway=gateway,
        network=gateway,
        dispatcher_client=client,
        resources=resource_pairs,
        signing_key=signing.current_path(certs_dir),
        jwks=signing.jwks_path(certs_dir),
        issued=tuple(issued),
        kept=tuple(kept),
        notes=tuple(notes),
    )


def issue_element_cert(certs_dir: Path, name: str, *, now: dt.datetime | None = None) -> CertPair:
    """A fresh client certificate for network element `name` (CN `element:<name>`)."""
    now = now or dt.datetime.now(dt.UTC)
    loaded = pki.load_pair(certs_dir / "ca.pem", certs_dir / "ca-key.pem")
    if loaded is None:
        raise FileNotFoundError(f"no dev CA in {certs_dir}; run `switchboard certs` first")
    issuer = pki.Issuer(cert=loaded[0], key=loaded[1])
    pair = _pair(ensure_dir(certs_dir / "elements"), _checked_name(name, "element"))
    cert, key = pki.make_leaf(
        issuer, common_name=f"element:{name}", hosts=(), usages=[pki.CLIENT_AUTH], now=now
    )
    pki.store_pair(cert, key, cert_path=pair.cert, key_path=pair.key)
    return pair

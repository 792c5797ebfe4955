"""X.509 building blocks (cryptography): EC P-256 keys, the dev CA and the leaf certificates.

Pure functions over key/cert objects plus PEM load/store; `generate.py` decides what to (re)issue.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from certs.files import write_atomic

CA_NAME = "Switchboard Dev CA"
ORGANISATION = "Switchboard"
CA_DAYS = 3650
LEAF_DAYS = 397
RENEW_WITHIN = dt.timedelta(days=30)
_BACKDATE = dt.timedelta(minutes=5)  # tolerate small clock skew between hosts

SERVER_AUTH = ExtendedKeyUsageOID.SERVER_AUTH
CLIENT_AUTH = ExtendedKeyUsageOID.CLIENT_AUTH


@dataclass(frozen=True)
class Issuer:
    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey


def new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANISATION),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _san(hosts: Sequence[str]) -> x509.SubjectAlternativeName:
    names: list[x509.GeneralName] = []
    for host in dict.fromkeys(hosts):  # keep order, drop duplicates
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    return x509.SubjectAlternativeName(names)


def make_ca(*, now: dt.datetime | None = None) -> Issuer:
    """A self-signed CA: 10 years, path length 0, may only sign certificates and CRLs."""
    now = now or dt.datetime.now(dt.UTC)
    key = new_key()
    name = _name(CA_NAME)
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _BACKDATE)
        .not_valid_after(now + dt.timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(ski, critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False)
        .sign(key, hashes.SHA256())
    )
    return Issuer(cert=cert, key=key)


def make_leaf(
    issuer: Issuer,
    *,
    common_name: str,
    hosts: Sequence[str],
    usages: Sequence[x509.ObjectIdentifier],
    days: int = LEAF_DAYS,
    now: dt.datetime | None = None,
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """An end-entity certificate signed by `issuer` with the given SANs and extended key usages."""
    now = now or dt.datetime.now(dt.UTC)
    key = new_key()
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(issuer.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _BACKDATE)
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage(list(usages)), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()), critical=False
        )
    )
    if hosts:
        builder = builder.add_extension(_san(hosts), critical=False)
    return builder.sign(issuer.key, hashes.SHA256()), key


# --- PEM I/O --------------------------------------------------------------------------------------


def cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def store_pair(
    cert: x509.Certificate, key: ec.EllipticCurvePrivateKey, *, cert_path: Path, key_path: Path
) -> None:
    """Key first (0600), then the certificate: a reader never sees a cert without its key."""
    write_atomic(key_path, key_pem(key), private=True)
    write_atomic(cert_path, cert_pem(cert), private=False)


def load_pair(cert_path: Path, key_path: Path) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey] | None:
    """The cert and its EC private key, or None when either is missing, unreadable or mismatched."""
    try:
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError):
        return None
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        return None
    if key.public_key() != cert.public_key():
        return None
    return cert, key


# --- checks ---------------------------------------------------------------------------------------


def san_hosts(cert: x509.Certificate) -> frozenset[str]:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return frozenset()
    dns = san.get_values_for_type(x509.DNSName)
    ips = [str(ip) for ip in san.get_values_for_type(x509.IPAddress)]
    return frozenset([*dns, *ips])


def common_name(cert: x509.Certificate) -> str | None:
    attrs = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    value = attrs[0].value if attrs else None
    return value if isinstance(value, str) else None


def is_fresh(cert: x509.Certificate, *, now: dt.datetime | None = None) -> bool:
    """Currently valid and not expiring within RENEW_WITHIN."""
    now = now or dt.datetime.now(dt.UTC)
    return cert.not_valid_before_utc <= now and cert.not_valid_after_utc - RENEW_WITHIN > now


def issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def leaf_ok(
    cert: x509.Certificate,
    issuer: x509.Certificate,
    *,
    common_name_: str,
    hosts: Sequence[str],
    usages: Sequence[x509.ObjectIdentifier],
    now: dt.datetime | None = None,
) -> bool:
    """Keep an existing leaf only if it still matches exactly what we would issue now."""
    if not (is_fresh(cert, now=now) and issued_by(cert, issuer) and common_name(cert) == common_name_):
        return False
    if not set(hosts) <= san_hosts(cert):
        return False
    try:
        eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return False
    return set(eku) == set(usages)

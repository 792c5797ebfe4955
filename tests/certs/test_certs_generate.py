"""certs.generate / certs.signing: chain, extensions, permissions, idempotency, rotation."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import os
import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509 import verification as v
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from certs import generate_all, issue_element_cert, retire_previous, rotate_signing_key
from certs.generate import CertsReport

NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)


def _cert(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def _cn(cert: x509.Certificate) -> str:
    return str(cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value)


def _eku(cert: x509.Certificate) -> set[x509.ObjectIdentifier]:
    return set(cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)


def _san(cert: x509.Certificate) -> tuple[list[str], list[str]]:
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return san.get_values_for_type(x509.DNSName), [str(i) for i in san.get_values_for_type(x509.IPAddress)]


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def certs_dir(tmp_path: Path) -> Path:
    return tmp_path / "certs"


def _generate(certs_dir: Path, *, force: bool = False, now: dt.datetime = NOW) -> CertsReport:
    return generate_all(
        certs_dir, resources=["tollfree", "directory"], hosts=["portal.example.net"], force=force, now=now
    )


def test_ca_is_a_pathlen0_signing_only_ec_ca(certs_dir: Path) -> None:
    report = _generate(certs_dir)
    ca = _cert(report.ca.cert)
    assert report.ca.cert == certs_dir / "ca.pem"
    assert ca.subject == ca.issuer
    assert _cn(ca) == "Switchboard Dev CA"
    assert isinstance(ca.public_key(), ec.EllipticCurvePublicKey)
    assert ca.public_key().curve.name == "secp256r1"  # type: ignore[union-attr]
    bc = ca.extensions.get_extension_for_class(x509.BasicConstraints)
    assert (bc.critical, bc.value.ca, bc.value.path_length) == (True, True, 0)
    ku = ca.extensions.get_extension_for_class(x509.KeyUsage).value
    assert (ku.key_cert_sign, ku.crl_sign, ku.digital_signature) == (True, True, False)
    assert ca.not_valid_after_utc - ca.not_valid_before_utc == dt.timedelta(days=3650, minutes=5)


def test_gateway_cert_verifies_for_every_host(certs_dir: Path) -> None:
    report = _generate(certs_dir)
    ca, leaf = _cert(report.ca.cert), _cert(report.gateway.cert)
    assert leaf.issuer == ca.subject
    dns, ips = _san(leaf)
    assert dns == ["localhost", "acme.localhost", "portal.example.net"]
    assert ips == ["127.0.0.1", "::1"]
    assert _eku(leaf) == {ExtendedKeyUsageOID.SERVER_AUTH}
    ku = leaf.extensions.get_extension_for_class(x509.KeyUsage).value
    assert (ku.digital_signature, ku.key_cert_sign) == (True, False)
    assert leaf.not_valid_before_utc == NOW - dt.timedelta(minutes=5)
    assert leaf.not_valid_after_utc == NOW + dt.timedelta(days=397)
    store = v.Store([ca])
    for name in (
        x509.DNSName("acme.localhost"),
        x509.DNSName("portal.example.net"),
        x509.IPAddress(ipaddress.ip_address("::1")),
    ):
        chain = v.PolicyBuilder().store(store).time(NOW).build_server_verifier(name).verify(leaf, [])
        assert chain == [leaf, ca]
    with pytest.raises(v.VerificationError):
        v.PolicyBuilder().store(store).time(NOW).build_server_verifier(x509.DNSName("evil.test")).verify(
            leaf, []
        )
    assert report.network == report.gateway


def test_resource_client_and_element_certs(certs_dir: Path) -> None:
    report = _generate(certs_dir)
    ca = _cert(report.ca.cert)
    store = v.Store([ca])
    assert sorted(report.resources) == ["directory", "tollfree"]
    tollfree = _cert(certs_dir / "resources" / "tollfree.pem")
    assert report.resources["tollfree"].key == certs_dir / "resources" / "tollfree-key.pem"
    assert _cn(tollfree) == "resource:tollfree"
    assert _san(tollfree) == (["localhost"], ["127.0.0.1"])
    assert _eku(tollfree) == {ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH}
    v.PolicyBuilder().store(store).time(NOW).build_server_verifier(x509.DNSName("localhost")).verify(
        tollfree, []
    )

    client = _cert(report.dispatcher_client.cert)
    assert report.dispatcher_client.cert == certs_dir / "dispatcher-client.pem"
    assert _cn(client) == "dispatcher"
    assert _eku(client) == {ExtendedKeyUsageOID.CLIENT_AUTH}

    element = issue_element_cert(certs_dir, "sim", now=NOW)
    assert element.cert == certs_dir / "elements" / "sim.pem"
    cert = _cert(element.cert)
    assert _cn(cert) == "element:sim"
    assert _eku(cert) == {ExtendedKeyUsageOID.CLIENT_AUTH}
    assert _mode(element.key) == 0o600
    with pytest.raises(ValueError, match="element name"):
        issue_element_cert(certs_dir, "../x")


def test_permissions_private_0600_public_0644_dirs_0700(certs_dir: Path) -> None:
    old = os.umask(0)  # even a permissive umask must not widen secrets
    try:
        report = _generate(certs_dir)
    finally:
        os.umask(old)
    for key in (
        report.ca.key,
        report.gateway.key,
        report.dispatcher_client.key,
        report.signing_key,
        report.resources["tollfree"].key,
    ):
        assert _mode(key) == 0o600, key
    assert _mode(report.ca.cert) == 0o644
    assert _mode(report.jwks) == 0o644
    for directory in (certs_dir, certs_dir / "resources", certs_dir / "signing"):
        assert _mode(directory) == 0o700, directory
    assert [p.name for p in certs_dir.rglob("*.tmp")] == []


def test_second_run_keeps_files_and_force_replaces_them(certs_dir: Path) -> None:
    _generate(certs_dir)
    files = sorted(p for p in certs_dir.rglob("*") if p.is_file())
    before = {p: p.read_bytes() for p in files}
    again = _generate(certs_dir, now=NOW + dt.timedelta(days=300))
    assert again.issued == ()
    assert again.kept == (
        "ca",
        "gateway",
        "dispatcher-client",
        "resource:directory",
        "resource:tollfree",
        "signing-key",
    )
    assert {p: p.read_bytes() for p in files} == before

    forced = _generate(certs_dir, force=True)
    assert forced.kept == ()
    assert all(p.read_bytes() != before[p] for p in files)


def test_renews_leaf_within_30_days_and_new_host(certs_dir: Path) -> None:
    _generate(certs_dir)
    ca_before = (certs_dir / "ca.pem").read_bytes()
    late = NOW + dt.timedelta(days=397 - 29)
    report = _generate(certs_dir, now=late)
    assert report.issued == ("gateway", "dispatcher-client", "resource:directory", "resource:tollfree")
    assert (certs_dir / "ca.pem").read_bytes() == ca_before
    assert _cert(report.gateway.cert).not_valid_after_utc == late + dt.timedelta(days=397)

    more = generate_all(certs_dir, resources=["tollfree", "directory"], hosts=["other.test"], now=late)
    assert more.issued == ("gateway",)
    assert "other.test" in _san(_cert(more.gateway.cert))[0]


def test_new_ca_reissues_every_leaf(certs_dir: Path) -> None:
    _generate(certs_dir)
    (certs_dir / "ca.pem").unlink()
    report = _generate(certs_dir)
    assert report.issued[:5] == (
        "ca",
        "gateway",
        "dispatcher-client",
        "resource:directory",
        "resource:tollfree",
    )
    assert report.kept == ("signing-key",)
    assert _cert(report.gateway.cert).issuer == _cert(report.ca.cert).subject


def test_report_renders_paths(certs_dir: Path) -> None:
    text = _generate(certs_dir).render()
    assert f"CA (curl --cacert)  {certs_dir / 'ca.pem'}" in text
    assert f"resource tollfree   {certs_dir / 'resources' / 'tollfree.pem'}" in text
    assert (
        "issued: ca, gateway, dispatcher-client, resource:directory, resource:tollfree, signing-key" in text
    )


def _kids(certs_dir: Path) -> list[str]:
    return [k["kid"] for k in json.loads((certs_dir / "signing" / "jwks.json").read_text())["keys"]]


def test_signing_key_rotation_keeps_both_kids(certs_dir: Path) -> None:
    _generate(certs_dir)
    current = json.loads((certs_dir / "signing" / "current.jwk").read_text())
    assert (current["kty"], current["crv"], "d" in current) == ("EC", "P-256", True)
    old_kid = current["kid"]
    assert _kids(certs_dir) == [old_kid]
    jwks = json.loads((certs_dir / "signing" / "jwks.json").read_text())
    assert "d" not in jwks["keys"][0]

    new_kid = rotate_signing_key(certs_dir)
    assert new_kid != old_kid
    assert _kids(certs_dir) == [new_kid, old_kid]
    assert json.loads((certs_dir / "signing" / "previous.jwk").read_text())["kid"] == old_kid
    assert _mode(certs_dir / "signing" / "previous.jwk") == 0o600
    assert _generate(certs_dir).kept[-1] == "signing-key"  # a run keeps the rotation state
    assert _kids(certs_dir) == [new_kid, old_kid]

    assert retire_previous(certs_dir) is True
    assert _kids(certs_dir) == [new_kid]
    assert not (certs_dir / "signing" / "previous.jwk").exists()
    assert retire_previous(certs_dir) is False

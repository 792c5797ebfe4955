"""Dev PKI and signing-key tooling (`switchboard certs`); see certs.generate for the layout."""

from certs.generate import CertPair, CertsReport, generate_all, issue_element_cert
from certs.signing import retire_previous, rotate_signing_key

__all__ = [
    "CertPair",
    "CertsReport",
    "generate_all",
    "issue_element_cert",
    "retire_previous",
    "rotate_signing_key",
]

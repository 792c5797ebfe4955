from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import time
from pathlib import Path
from typing import Any

import pytest
from joserfc.jws import serialize_compact

from dispatcher.assertion import AssertionSigner, SigningKeys, new_signing_jwk, public_jwks
from resources.kit.assertion import AssertionVerifier, InvalidAssertion
from resources.kit.caller import Caller, Entitlement, Principal

NOW = 1_700_000_000
PRINCIPAL = Principal(
    user_id="u-bob",
    username="bob",
    display_name="Bob",
    kind="customer",
    org_id="org-1",
    customer_id="cust-1",
    reseller_chain=("res-a", "res-b"),
    brand="acme",
    entitlements=(
        Entitlement(action="tollfree:view"),
        Entitlement(action="tollfree:edit-routing", scope=("+18005550100",)),
        Entitlement(action="directory:view"),
    ),
)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@pytest.fixture(scope="module")
def keys() -> SigningKeys:
    return SigningKeys.from_jwks(new_signing_jwk())


@pytest.fixture
def verifier(keys: SigningKeys) -> AssertionVerifier:
    return AssertionVerifier(public_jwks(keys), audience="tollfree")


def mint(
    keys: SigningKeys, *, now: float = NOW, audience: str = "tollfree", reuse: bool = False, **kw: Any
) -> str:
    return AssertionSigner(keys, **kw).mint(
        audience=audience,
        principal=PRINCIPAL,
        plane="customer",
        session_ref="s" * 32,
        request_id="r-1",
        reuse=reuse,
        now=now,
    )


def test_roundtrip(keys: SigningKeys, verifier: AssertionVerifier) -> None:
    token = mint(keys)
    caller = verifier.verify(token, now=NOW + 1)
    jti = json.loads(unb64(token.split(".")[1]))["jti"]
    assert caller == Caller(
        subject="u-bob",
        username="bob",
        kind="customer",
        plane="customer",
        org_id="org-1",
        customer_id="cust-1",
        reseller_chain=("res-a", "res-b"),
        brand="acme",
        entitlements=(
            Entitlement(action="tollfree:view"),
            Entitlement(action="tollfree:edit-routing", scope=("+18005550100",)),
        ),
        session="s" * 32,
        request_id="r-1",
        jti=jti,
    )


def test_real_clock(keys: SigningKeys, verifier: AssertionVerifier) -> None:
    assert verifier.verify(mint(keys, now=time.time())).subject == "u-bob"


@pytest.mark.parametrize(
    ("at", "ok"),
    [(NOW - 5, True), (NOW - 6, False), (NOW + 60 + 5, True), (NOW + 60 + 6, False)],
)
def test_leeway_edges(keys: SigningKeys, verifier: AssertionVerifier, at: int, ok: bool) -> None:
    token = mint(keys)
    if ok:
        assert verifier.verify(token, now=at).subject == "u-bob"
    else:
        with pytest.raises(InvalidAssertion) as exc:
            verifier.verify(token, now=at)
        assert exc.value.reason == ("expired" if at > NOW else "not yet valid")


def reason(verifier: AssertionVerifier, token: str, now: float = NOW) -> str:
    with pytest.raises(InvalidAssertion) as exc:
        verifier.verify(token, now=now)
    return exc.value.reason


def test_expired(keys: SigningKeys, verifier: AssertionVerifier) -> None:
    assert reason(verifier, mint(keys, now=NOW - 120)) == "expired"


def test_wrong_audience(keys: SigningKeys, verifier: AssertionVerifier) -> None:
    assert reason(verifier, mint(keys, audience="directory")) == "wrong audience"


def test_wrong_issuer(keys: SigningKeys, verifier: AssertionVerifier) -> None:
    assert reason(verifier, mint(keys, issuer="someone-else")) == "wrong issuer"


def test_unknown_kid(verifier: AssertionVerifier) -> None:
    assert reason(verifier, mint(SigningKeys.from_jwks(new_signing_jwk()))) == "unknown kid"


def test_other_key_with_trusted_kid(keys: SigningKeys, verifier: AssertionVerifier) -> None:
    impostor = {**new_signing_jwk(), "kid": keys.kid}
    assert reason(verifier, mint(SigningKeys.from_jwks(impostor))) == "bad signature"


def test_tampered_payload(keys: SigningKeys, verifier: AssertionVerifier) -> None:
    head, body, sig = mint(keys).split(".")
    claims = json.loads(unb64(body))
    claims["ent"].append({"a": "tollfree:admin", "s": None})
    forged = ".".join([head, b64(json.dumps(claims).encode()), sig])
    assert reason(verifier, forged) == "bad signature"


def test_tampered_signature(keys: SigningKeys, verifier: AssertionVerifier) -> None:
    head, body, sig = mint(keys).split(".")
    raw = bytearray(unb64(sig))
    raw[0] ^= 1
    assert reason(verifier, ".".join([head, body, b64(bytes(raw))])) == "bad signature"


def _forge(header: dict[str, Any], claims: dict[str, Any], signature: bytes = b"") -> str:
    return ".".join([b64(json.dumps(header).encode()), b64(json.dumps(claims).encode()), b64(signature)])


def test_alg_none(keys: SigningKeys, verifier: AssertionVerifier) -> None:
    claims = json.loads(unb64(mint(keys).split(".")[1]))
    assert (
        reason(verifier, _forge({"alg": "none", "kid": keys.kid, "typ": "JWT"}, claims))
        == "alg 'none' not accepted"
    )


def test_alg_confusion_hs256_with_public_key(keys: SigningKeys, verifier: AssertionVerifier) -> None:
    claims = json.loads(unb64(mint(keys).split(".")[1]))
    header = {"alg": "HS256", "kid": keys.kid, "typ": "JWT"}
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
    secret = json.dumps(public_jwks(keys)["keys"][0]).encode()
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    assert reason(verifier, f"{signing_input}.{b64(mac)}") == "alg 'HS256' not accepted"


def test_extra_header_parameters_rejected(keys: SigningKeys, verifier: AssertionVerifier) -> None:
    claims = json.loads(unb64(mint(keys).split(".")[1]))
    token = _forge({"alg": "ES256", "kid": keys.kid, "jku": "https://evil.example/jwks"}, claims, b"x" * 64)
    assert reason(verifier, token) == "unexpected header parameters"


@pytest.mark.parametrize("token", ["", "abc", "a.b", "a.b.c", "x" * 20_000, "ä.b.c"])
def test_malformed(verifier: AssertionVerifier, token: str) -> None:
    assert reason(verifier, token) == "malformed token"


@pytest.mark.parametrize(
    ("claim", "value", "expected"),
    [
        ("sub", None, "claim sub missing or not a string"),
        ("jti", None, "claim jti missing or not a string"),
        ("exp", None, "claim exp missing or not an integer"),
        ("iat", "1", "claim iat missing or not an integer"),
        ("knd", "wizard", "claim knd is not a known kind"),
        ("pln", "admin", "claim pln is not a known plane"),
        ("ent", [{"a": "tollfree:view"}], "claim ent has a malformed entry"),
        ("rsl", "res-a", "claim rsl missing or not a list of strings"),
    ],
)
def test_missing_or_malformed_claims(
    keys: SigningKeys, verifier: AssertionVerifier, claim: str, value: Any, expected: str
) -> None:
    claims = json.loads(unb64(mint(keys).split(".")[1]))
    if value is None:
        del claims[claim]
    else:
        claims[claim] = value
    token = serialize_compact(
        {"alg": "ES256", "kid": keys.kid, "typ": "JWT"}, json.dumps(claims), keys.current
    )
    assert reason(verifier, token) == expected


def test_private_parts_in_jwks_are_dropped(keys: SigningKeys) -> None:
    jwks = {"keys": [{**public_jwks(keys)["keys"][0], "d": keys.current.as_dict(private=True)["d"]}]}
    verifier = AssertionVerifier(jwks, audience="tollfree")
    assert verifier.verify(mint(keys), now=NOW).subject == "u-bob"
    assert verifier.kids == frozenset({keys.kid})


def write_jwks(path: Path, *key_sets: SigningKeys) -> None:
    """Atomic replace, as the certs tooling does (readers never see a half-written file)."""
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"keys": [k for ks in key_sets for k in public_jwks(ks)["keys"]]}))
    os.replace(tmp, path)


def test_rotation_via_file(tmp_path: Path) -> None:
    old, new = SigningKeys.from_jwks(new_signing_jwk()), SigningKeys.from_jwks(new_signing_jwk())
    path = tmp_path / "jwks.json"
    write_jwks(path, old)
    verifier = AssertionVerifier.from_file(path, audience="tollfree", recheck=0)
    old_token, new_token = mint(old), mint(new)
    assert verifier.verify(old_token, now=NOW).subject == "u-bob"
    assert reason(verifier, new_token) == "unknown kid"

    write_jwks(path, new, old)  # rotation: new current, old kept as previous
    assert verifier.verify(new_token, now=NOW).subject == "u-bob"
    assert verifier.verify(old_token, now=NOW).subject == "u-bob"

    write_jwks(path, new)  # previous key retired
    assert reason(verifier, old_token) == "unknown kid"
    assert verifier.verify(new_token, now=NOW).subject == "u-bob"


def test_broken_file_keeps_previous_keys(tmp_path: Path, keys: SigningKeys) -> None:
    path = tmp_path / "jwks.json"
    write_jwks(path, keys)
    verifier = AssertionVerifier.from_file(path, audience="tollfree", recheck=0)
    tmp = tmp_path / "broken"
    tmp.write_text("{not json")
    os.replace(tmp, path)
    assert verifier.verify(mint(keys), now=NOW).subject == "u-bob"
    write_jwks(path, SigningKeys.from_jwks(new_signing_jwk()))  # a later good file is picked up
    assert reason(verifier, mint(keys)) == "unknown kid"


ELEMENT = Principal(
    user_id="element:kamailio",
    username="kamailio",
    display_name="kamailio",
    kind="element",
    org_id="switchboard",
    customer_id=None,
    reseller_chain=(),
    brand="default",
    entitlements=(Entitlement(action="tollfree:route-query"),),
)


def element_token(keys: SigningKeys, *, now: float = NOW) -> str:
    return AssertionSigner(keys).mint(
        audience="tollfree", principal=ELEMENT, plane="network", session_ref=None, request_id=None, now=now
    )


def test_element_verification_is_cached_until_expiry(keys: SigningKeys, verifier: AssertionVerifier) -> None:
    token = element_token(keys)
    first = verifier.verify(token, now=NOW)
    assert verifier.verify(token, now=NOW + 65) is first  # cached: same object, within exp + leeway
    assert reason(verifier, token, now=NOW + 66) == "expired"


def test_retired_key_drops_cached_element_assertions(tmp_path: Path) -> None:
    old, new = SigningKeys.from_jwks(new_signing_jwk()), SigningKeys.from_jwks(new_signing_jwk())
    path = tmp_path / "jwks.json"
    write_jwks(path, new, old)
    verifier = AssertionVerifier.from_file(path, audience="tollfree", recheck=0)
    token = element_token(old)
    assert verifier.verify(token, now=NOW).subject == "element:kamailio"
    write_jwks(path, new)  # previous key retired: the cached verification must not outlive it
    assert reason(verifier, token) == "unknown kid"


def test_assertions_carrying_a_request_id_are_not_cached(
    keys: SigningKeys, verifier: AssertionVerifier
) -> None:
    token = mint(keys)  # a write's fresh assertion
    assert verifier.verify(token, now=NOW) is not verifier.verify(token, now=NOW)


def test_a_reused_read_assertion_of_a_person_is_verified_once(
    keys: SigningKeys, verifier: AssertionVerifier
) -> None:
    token = mint(keys, reuse=True)  # a read's: no request id inside
    first = verifier.verify(token, now=NOW)
    assert (first.subject, first.session, first.request_id) == ("u-bob", "s" * 32, None)
    assert verifier.verify(token, now=NOW + 65) is first
    assert reason(verifier, token, now=NOW + 66) == "expired"


def test_jwks_file_is_looked_at_most_once_per_recheck_interval(tmp_path: Path) -> None:
    old, new = SigningKeys.from_jwks(new_signing_jwk()), SigningKeys.from_jwks(new_signing_jwk())
    path = tmp_path / "jwks.json"
    write_jwks(path, old)
    verifier = AssertionVerifier.from_file(path, audience="tollfree", recheck=3600)
    write_jwks(path, new)
    assert reason(verifier, mint(new)) == "unknown kid"  # not re-read within the interval
    verifier.recheck = 0
    assert verifier.verify(mint(new), now=NOW).subject == "u-bob"

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from dispatcher_helpers import make_principal

from dispatcher.assertion import AssertionSigner, SigningKeys, new_signing_jwk, public_jwks


def segments(token: str) -> tuple[dict[str, object], dict[str, object]]:
    head, body, _sig = token.split(".")
    pad = lambda s: s + "=" * (-len(s) % 4)  # noqa: E731
    return json.loads(base64.urlsafe_b64decode(pad(head))), json.loads(base64.urlsafe_b64decode(pad(body)))


def test_new_signing_jwk_shape() -> None:
    jwk = new_signing_jwk()
    assert sorted(jwk) == ["alg", "crv", "d", "kid", "kty", "use", "x", "y"]
    assert (jwk["kty"], jwk["crv"], jwk["alg"], jwk["use"]) == ("EC", "P-256", "ES256", "sig")
    assert len(jwk["kid"]) == 43  # base64url SHA-256 thumbprint
    assert new_signing_jwk()["kid"] != jwk["kid"]


def test_public_jwks_has_no_private_part() -> None:
    cur, prev = new_signing_jwk(), new_signing_jwk()
    jwks = public_jwks(SigningKeys.from_jwks(cur, prev))
    assert [k["kid"] for k in jwks["keys"]] == [cur["kid"], prev["kid"]]
    for key, src in zip(jwks["keys"], (cur, prev), strict=True):
        assert key == {k: src[k] for k in ("kty", "crv", "x", "y", "kid", "alg", "use")}


def test_load_from_certs_dir(tmp_path: Path) -> None:
    (tmp_path / "signing").mkdir()
    cur = new_signing_jwk()
    (tmp_path / "signing" / "current.jwk").write_text(json.dumps(cur))
    keys = SigningKeys.load(tmp_path)
    assert (keys.kid, keys.previous) == (cur["kid"], None)
    prev = new_signing_jwk()
    (tmp_path / "signing" / "previous.jwk").write_text(json.dumps(prev))
    keys = SigningKeys.load(tmp_path)
    assert keys.previous is not None
    assert (keys.kid, keys.previous.kid) == (cur["kid"], prev["kid"])


@pytest.mark.parametrize(
    ("mutation", "message"),
    [
        ({"d": None}, "current key: expected a private EC P-256 JWK"),
        ({"crv": "P-384"}, "current key: expected a private EC P-256 JWK"),
        ({"kid": ""}, "current key: the JWK needs a 'kid'"),
    ],
)
def test_rejects_unsuitable_keys(mutation: dict[str, object], message: str) -> None:
    jwk = {**new_signing_jwk(), **mutation}
    jwk = {k: v for k, v in jwk.items() if v is not None}
    with pytest.raises(ValueError, match=message):
        SigningKeys.from_jwks(jwk)


def test_mint_header_and_claims(signing_keys: SigningKeys) -> None:
    principal = make_principal("directory:view", "directory:manage-users", "tollfree:view")
    token = AssertionSigner(signing_keys).mint(
        audience="directory",
        principal=principal,
        plane="customer",
        session_ref="ab" * 16,
        request_id="req-1",
        now=1_700_000_000,
    )
    header, claims = segments(token)
    assert header == {"alg": "ES256", "kid": signing_keys.kid, "typ": "JWT"}
    jti = claims.pop("jti")
    assert isinstance(jti, str)
    assert len(jti) == 22
    assert claims == {
        "iss": "switchboard-dispatcher",
        "aud": "directory",
        "sub": "u-alice",
        "usr": "alice",
        "knd": "customer",
        "pln": "customer",
        "org": "org-acme",
        "cust": "cust-acme",
        "rsl": ["res-1"],
        "brand": "acme",
        "ent": [{"a": "directory:view", "s": None}, {"a": "directory:manage-users", "s": None}],
        "sid": "ab" * 16,
        "rid": "req-1",
        "iat": 1_700_000_000,
        "exp": 1_700_000_060,
    }


def test_each_mint_has_a_fresh_jti(signer: AssertionSigner) -> None:
    p = make_principal()
    mint = lambda: signer.mint(audience="x", principal=p, plane="service", session_ref=None, request_id=None)  # noqa: E731
    tokens = {segments(mint())[1]["jti"] for _ in range(20)}
    assert len(tokens) == 20


def test_element_assertions_are_reused_for_half_their_lifetime() -> None:
    signer = AssertionSigner(SigningKeys.from_jwks(new_signing_jwk()), ttl=60)
    switch = make_principal("tollfree:route-query", user_id="element:kamailio", kind="element")
    kw = {"audience": "tollfree", "principal": switch, "plane": "network", "session_ref": None}
    first = signer.mint(**kw, request_id="r-1", now=1000)  # type: ignore[arg-type]
    assert signer.mint(**kw, request_id="r-2", now=1029) == first  # type: ignore[arg-type]
    renewed = signer.mint(**kw, request_id="r-3", now=1030)  # type: ignore[arg-type]
    assert renewed != first
    assert (segments(first)[1]["rid"], segments(first)[1]["exp"]) == (None, 1060)
    assert (segments(renewed)[1]["iat"], segments(renewed)[1]["exp"]) == (1030, 1090)
    other = signer.mint(**{**kw, "audience": "traffic"}, request_id=None, now=1031)  # type: ignore[arg-type]
    assert segments(other)[1]["aud"] == "traffic"


def test_person_assertions_are_fresh_unless_the_request_only_reads() -> None:
    signer = AssertionSigner(SigningKeys.from_jwks(new_signing_jwk()), ttl=60)
    alice = make_principal("tollfree:view")
    kw = {"audience": "tollfree", "principal": alice, "plane": "customer", "session_ref": "s1"}
    a = signer.mint(**kw, request_id="r-1", now=1000)  # type: ignore[arg-type]
    b = signer.mint(**kw, request_id="r-1", now=1000)  # type: ignore[arg-type]
    assert a != b
    assert segments(a)[1]["jti"] != segments(b)[1]["jti"]
    assert segments(a)[1]["rid"] == "r-1"
    read = signer.mint(**kw, request_id="r-2", reuse=True, now=1000)  # type: ignore[arg-type]
    assert signer.mint(**kw, request_id="r-3", reuse=True, now=1029) == read  # type: ignore[arg-type]
    assert segments(read)[1]["rid"] is None
    assert signer.mint(**kw, request_id="r-4", reuse=True, now=1030) != read  # type: ignore[arg-type]
    other_session = signer.mint(**{**kw, "session_ref": "s2"}, request_id=None, reuse=True, now=1001)  # type: ignore[arg-type]
    assert segments(other_session)[1]["sid"] == "s2"
    narrower = make_principal("tollfree:view", "tollfree:edit-routing")
    wider = signer.mint(**{**kw, "principal": narrower}, request_id=None, reuse=True, now=1001)  # type: ignore[arg-type]
    assert [e["a"] for e in segments(wider)[1]["ent"]] == ["tollfree:view", "tollfree:edit-routing"]

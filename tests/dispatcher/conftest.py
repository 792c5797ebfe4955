"""Shared fixtures for the dispatcher tests: signing keys."""

from __future__ import annotations

import pytest

from dispatcher.assertion import AssertionSigner, SigningKeys, new_signing_jwk


@pytest.fixture(scope="session")
def signing_keys() -> SigningKeys:
    return SigningKeys.from_jwks(new_signing_jwk())


@pytest.fixture
def signer(signing_keys: SigningKeys) -> AssertionSigner:
    return AssertionSigner(signing_keys)

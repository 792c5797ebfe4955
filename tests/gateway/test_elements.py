"""gateway.elements: the element registry file, tokens and certificate names."""

from __future__ import annotations

import hashlib
import json
import os
import stat
from pathlib import Path

import pytest

from gateway.elements import ElementRegistry, add_element, remove_element
from resources.kit.caller import Entitlement, Principal


def test_add_stores_only_the_hash_and_authenticates(tmp_path: Path) -> None:
    path = tmp_path / "elements.json"
    token = add_element(path, name="sim", actions=["tollfree:route-query", "tollfree:route-query"])
    assert token.startswith("sbe_sim_")
    assert len(token) == len("sbe_sim_") + 43
    raw = json.loads(path.read_text())
    assert [sorted(item) for item in raw] == [["actions", "created_at", "name", "token_sha256"]]
    assert raw[0]["token_sha256"] == hashlib.sha256(token.encode()).hexdigest()
    assert raw[0]["actions"] == ["tollfree:route-query"]
    assert token not in path.read_text()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600

    registry = ElementRegistry.load(path)
    element = registry.authenticate_token(token)
    assert element is not None
    assert element.name == "sim"
    assert element.principal() == Principal(
        user_id="element:sim",
        username="sim",
        display_name="sim",
        kind="element",
        org_id="provider",
        customer_id=None,
        reseller_chain=(),
        brand="default",
        entitlements=(Entitlement(action="tollfree:route-query"),),
    )


def test_wrong_tokens_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "elements.json"
    token = add_element(path, name="sim", actions=[])
    add_element(path, name="switch", actions=[])
    registry = ElementRegistry.load(path)
    assert registry.authenticate_token(token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert registry.authenticate_token(token.replace("sbe_sim_", "sbe_switch_")) is None
    assert registry.authenticate_token("sbe_ghost_" + token.split("_", 2)[2]) is None
    assert registry.authenticate_token("sbt_" + token[4:]) is None
    assert registry.authenticate_token("") is None


def test_by_common_name(tmp_path: Path) -> None:
    path = tmp_path / "elements.json"
    add_element(path, name="sim", actions=[])
    registry = ElementRegistry.load(path)
    element = registry.by_common_name("element:sim")
    assert element is not None
    assert element.name == "sim"
    assert registry.by_common_name("sim") is None
    assert registry.by_common_name("resource:sim") is None
    assert registry.by_common_name("element:ghost") is None


def test_reloads_when_the_file_changes(tmp_path: Path) -> None:
    path = tmp_path / "elements.json"
    registry = ElementRegistry.load(path, recheck=0)
    assert registry.elements == ()
    first = add_element(path, name="sim", actions=[])
    assert registry.authenticate_token(first) is not None
    second = add_element(path, name="sim", actions=["tollfree:route-query"])  # new token replaces the old
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000))
    assert registry.authenticate_token(first) is None
    replaced = registry.authenticate_token(second)
    assert replaced is not None
    assert replaced.actions == ("tollfree:route-query",)
    assert remove_element(path, name="sim") is True
    assert registry.elements == ()
    assert remove_element(path, name="sim") is False


@pytest.mark.parametrize(
    ("name", "actions", "message"),
    [("Sim", [], "element name"), ("a_b", [], "element name"), ("sim", ["route"], "not an action")],
)
def test_add_validates(tmp_path: Path, name: str, actions: list[str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        add_element(tmp_path / "elements.json", name=name, actions=actions)


def test_looks_at_the_file_at_most_once_per_recheck_interval(tmp_path: Path) -> None:
    path = tmp_path / "elements.json"
    token = add_element(path, name="sim", actions=[])
    registry = ElementRegistry.load(path, recheck=3600)
    assert registry.authenticate_token(token) is not None
    remove_element(path, name="sim")
    assert registry.authenticate_token(token) is not None  # not re-read within the interval
    registry.recheck = 0
    assert registry.authenticate_token(token) is None

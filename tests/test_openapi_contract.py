"""Every JSON rule of every manifest has a documented operation and every operation a rule;
each resource's spec is valid OpenAPI 3.1 and filtered by the caller's entitlements."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from openapi_spec_validator import validate

from dispatcher.registry import load_manifests
from resources.kit.manifest import Manifest
from resources.kit.openapi import Contract, merge_specs

JSON_PREFIXES = {"customer": "/api/", "network": "/network/"}


def contracts() -> list[Contract]:
    out = []
    for manifest in load_manifests().values():
        module = importlib.import_module(f"resources.{manifest.name}.openapi")
        out.append(module.CONTRACT)
    return out


def json_rules(manifest: Manifest) -> set[tuple[str, str, str]]:
    return {
        (r.plane, r.method, r.path)
        for r in manifest.rules
        if r.plane in JSON_PREFIXES and r.path.startswith(JSON_PREFIXES[r.plane])
    }


@pytest.mark.parametrize("contract", contracts(), ids=lambda c: c.manifest.name)
def test_every_json_rule_has_an_operation_and_every_operation_a_rule(contract: Contract) -> None:
    documented = [op.key for op in contract.operations]
    assert len(documented) == len(set(documented)), "an operation is listed twice"
    assert json_rules(contract.manifest) - set(documented) == set(), "rules without an operation"
    assert set(documented) - json_rules(contract.manifest) == set(), "operations without a rule"


@pytest.mark.parametrize("contract", contracts(), ids=lambda c: c.manifest.name)
@pytest.mark.parametrize("plane", ["customer", "network"])
def test_the_whole_spec_is_valid_openapi_3_1(contract: Contract, plane: Any) -> None:
    spec = contract.spec(plane=plane)
    validate(spec)
    assert spec["openapi"] == "3.1.0"
    wanted = {op.key for op in contract.operations if op.plane == plane}
    assert sum(len(item) for item in spec["paths"].values()) == len(wanted)


@pytest.mark.parametrize("contract", contracts(), ids=lambda c: c.manifest.name)
def test_a_caller_sees_exactly_the_operations_of_the_actions_it_holds(contract: Contract) -> None:
    rules = [r for r in contract.manifest.rules_for("customer") if r.path.startswith("/api/")]
    action = rules[0].action
    spec = contract.spec(plane="customer", holds=lambda a: a == action)
    seen = {
        (m.upper(), item["x-switchboard-action"]) for ops in spec["paths"].values() for m, item in ops.items()
    }
    assert {a for _, a in seen} == {action}
    assert len(seen) >= 1
    expected = sum(1 for r in rules if r.action == action)
    assert sum(len(item) for item in spec["paths"].values()) == expected
    assert contract.spec(plane="customer", holds=lambda a: False)["paths"] == {}


def test_the_merged_spec_keeps_every_resource_apart() -> None:
    specs = [c.spec(plane="customer") for c in contracts()]
    merged = merge_specs(specs, title="Switchboard API")
    validate(merged)
    assert len(merged["paths"]) == sum(len(s["paths"]) for s in specs)
    assert all(
        name.split(".", 1)[0] in {c.manifest.name for c in contracts()}
        for name in merged["components"]["schemas"]
    )

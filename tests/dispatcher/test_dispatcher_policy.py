from __future__ import annotations

import pytest

from dispatcher.policy import Decision, decide
from resources.kit.caller import Entitlement, Principal
from resources.kit.manifest import Action, Manifest, Rule

MANIFEST = Manifest(
    name="tollfree",
    title="Toll-free",
    create_app=lambda settings: None,
    actions=(
        Action(name="tollfree:view", description="See plans"),
        Action(name="tollfree:edit-routing", description="Edit routing"),
        Action(name="tollfree:route", description="Answer route queries", scope_kind="service"),
        Action(name="tollfree:sync", description="Internal sync", scope_kind="service"),
    ),
    rules=(
        Rule(method="GET", path="/plans", action="tollfree:view"),
        Rule(method="GET", path="/plans/{plan_id}", action="tollfree:view"),
        Rule(method="PUT", path="/plans/{plan_id}/routing", action="tollfree:edit-routing"),
        Rule(method="GET", path="/files/{rest:path}", action="tollfree:view"),
        Rule(method="WS", path="/live", action="tollfree:view"),
        Rule(method="POST", path="/network/route", action="tollfree:route", plane="network"),
        Rule(method="POST", path="/internal/sync", action="tollfree:sync", plane="service"),
    ),
)


def principal(*actions: str) -> Principal:
    return Principal(
        user_id="u1",
        username="alice",
        display_name="Alice",
        kind="customer",
        org_id="o1",
        customer_id="c1",
        reseller_chain=(),
        brand="default",
        entitlements=tuple(Entitlement(action=a) for a in actions),
    )


VIEWER = principal("tollfree:view")
EDITOR = principal("tollfree:view", "tollfree:edit-routing")
SWITCH = principal("tollfree:route")


def allowed(action: str) -> Decision:
    return Decision(allow=True, action=action, reasons=(f"u1 holds {action}",))


def lacks(action: str) -> Decision:
    return Decision(allow=False, action=action, reasons=(f"u1 lacks {action}",))


def no_rule(method: str, path: str, plane: str) -> Decision:
    return Decision(allow=False, action=None, reasons=(f"no rule for {method} {path} on the {plane} plane",))


SYNC = principal("tollfree:sync")
CASES = [
    # (principal, method, path, plane, expected decision)
    (None, "GET", "/plans", "customer", Decision(allow=False, action=None, reasons=("no principal",))),
    (VIEWER, "GET", "/unknown", "customer", no_rule("GET", "/unknown", "customer")),
    (VIEWER, "GET", "/plans", "customer", allowed("tollfree:view")),
    (VIEWER, "DELETE", "/plans", "customer", no_rule("DELETE", "/plans", "customer")),
    (VIEWER, "GET", "/plans/p-7", "customer", allowed("tollfree:view")),
    (VIEWER, "GET", "/plans/p-7/extra", "customer", no_rule("GET", "/plans/p-7/extra", "customer")),
    (VIEWER, "PUT", "/plans/p-7/routing", "customer", lacks("tollfree:edit-routing")),
    (EDITOR, "PUT", "/plans/p-7/routing", "customer", allowed("tollfree:edit-routing")),
    (VIEWER, "GET", "/files/2024/report.csv", "customer", allowed("tollfree:view")),
    (VIEWER, "GET", "/files/", "customer", no_rule("GET", "/files/", "customer")),
    (VIEWER, "WS", "/live", "customer", allowed("tollfree:view")),
    (VIEWER, "GET", "/live", "customer", no_rule("GET", "/live", "customer")),
    (principal(), "WS", "/live", "customer", lacks("tollfree:view")),
    # a network rule is not reachable from the customer plane, even for a holder of the action
    (SWITCH, "POST", "/network/route", "customer", no_rule("POST", "/network/route", "customer")),
    (SWITCH, "POST", "/network/route", "network", allowed("tollfree:route")),
    # customer rules are not reachable from the network plane
    (VIEWER, "GET", "/plans", "network", no_rule("GET", "/plans", "network")),
    (SYNC, "POST", "/internal/sync", "service", allowed("tollfree:sync")),
    (SYNC, "POST", "/internal/sync", "customer", no_rule("POST", "/internal/sync", "customer")),
]


@pytest.mark.parametrize(("who", "method", "path", "plane", "expected"), CASES)
def test_decide(who: Principal | None, method: str, path: str, plane: str, expected: Decision) -> None:
    got = decide(principal=who, manifest=MANIFEST, method=method, path=path, plane=plane)  # type: ignore[arg-type]
    assert got == expected


def test_default_plane_is_customer() -> None:
    assert decide(principal=VIEWER, manifest=MANIFEST, method="GET", path="/plans").allow is True
    assert decide(principal=SWITCH, manifest=MANIFEST, method="POST", path="/network/route").allow is False


def test_a_holder_of_any_action_of_a_plane_may_read_that_planes_contract_and_nobody_else() -> None:
    spec = {"method": "GET", "path": "/api/openapi.json", "manifest": MANIFEST}
    assert decide(principal=principal("tollfree:edit-routing"), **spec) == Decision(
        allow=True, action=None, reasons=("u1 holds tollfree:edit-routing (contract)",)
    )
    assert decide(principal=principal("tollfree:route"), **spec) == Decision(
        allow=False, action=None, reasons=("u1 holds no customer action of tollfree",)
    )
    assert decide(principal=VIEWER, manifest=MANIFEST, method="POST", path="/api/openapi.json").allow is False
    network = {"method": "GET", "path": "/network/openapi.json", "manifest": MANIFEST, "plane": "network"}
    assert decide(principal=principal("tollfree:route"), **network).allow is True
    assert decide(principal=VIEWER, **network).reasons == ("u1 holds no network action of tollfree",)


def test_rules_are_indexed_by_plane_and_method_in_manifest_order() -> None:
    paths = lambda rules: [r.path for r in rules]  # noqa: E731
    assert paths(MANIFEST.rules_for("customer", "GET")) == [
        "/plans",
        "/plans/{plan_id}",
        "/files/{rest:path}",
    ]
    assert paths(MANIFEST.rules_for("customer", "PUT")) == ["/plans/{plan_id}/routing"]
    assert paths(MANIFEST.rules_for("network", "POST")) == ["/network/route"]
    assert paths(MANIFEST.rules_for("customer", "DELETE")) == []
    assert len(MANIFEST.rules_for("customer")) == 5

"""The manifest is the single source of the entitlement vocabulary (DESIGN.md §3): every action a
resource declares is documented in its README, and every rule/nav entry names a declared action."""

from __future__ import annotations

from pathlib import Path

import pytest

from dispatcher.registry import load_manifests
from resources.kit.manifest import Action, Manifest, NavEntry, Rule

ROOT = Path(__file__).resolve().parent.parent
MANIFESTS = load_manifests()


def test_resources_are_discovered() -> None:
    assert "directory" in MANIFESTS
    assert "kit" not in MANIFESTS


@pytest.mark.parametrize("name", sorted(MANIFESTS))
def test_every_action_is_documented_in_the_resource_readme(name: str) -> None:
    readme = (ROOT / "resources" / name / "README.md").read_text()
    missing = [a.name for a in MANIFESTS[name].actions if f"`{a.name}`" not in readme]
    assert missing == []


@pytest.mark.parametrize("name", sorted(MANIFESTS))
def test_every_action_is_used_by_a_rule(name: str) -> None:
    manifest = MANIFESTS[name]
    used = {r.action for r in manifest.rules}
    assert [a.name for a in manifest.actions if a.name not in used] == []


@pytest.mark.parametrize("name", sorted(MANIFESTS))
def test_resource_folder_has_the_standard_files(name: str) -> None:
    folder = ROOT / "resources" / name
    standard = [
        "manifest.py",
        "app.py",
        "routes.py",
        "service.py",
        "repository.py",
        "models.py",
        "schemas.py",
        "settings.py",
        "migrations",
        "templates",
        "README.md",
    ]
    assert [f for f in standard if not (folder / f).exists()] == []
    assert (folder / "templates" / name).is_dir()


def test_undeclared_action_in_a_rule_is_refused() -> None:
    with pytest.raises(ValueError, match="names undeclared action x:undeclared"):
        Manifest(
            name="x",
            title="X",
            create_app=lambda s: None,
            actions=(Action(name="x:view", description="View"),),
            rules=(Rule(method="GET", path="/", action="x:undeclared"),),
        )


def test_undeclared_action_in_nav_is_refused() -> None:
    with pytest.raises(ValueError, match="nav entry Home names undeclared action x:edit"):
        Manifest(
            name="x",
            title="X",
            create_app=lambda s: None,
            actions=(Action(name="x:view", description="View"),),
            rules=(Rule(method="GET", path="/", action="x:view"),),
            nav=(NavEntry(title="Home", path="/x/", action="x:edit"),),
        )


def test_action_outside_namespace_is_refused() -> None:
    with pytest.raises(ValueError, match="y:view is not in the x namespace"):
        Manifest(
            name="x",
            title="X",
            create_app=lambda s: None,
            actions=(Action(name="y:view", description="View"),),
            rules=(),
        )


@pytest.mark.parametrize("bad", ["view", "X:view", "x:", "x:View", "x:view now"])
def test_action_names_are_resource_colon_verb(bad: str) -> None:
    with pytest.raises(ValueError, match="action name must be"):
        Action(name=bad, description="d")


def test_rule_path_patterns() -> None:
    rule = Rule(method="GET", path="/api/users/{user_id}", action="x:view")
    assert rule.matches("GET", "/api/users/42")
    assert not rule.matches("GET", "/api/users/42/roles")
    assert not rule.matches("POST", "/api/users/42")
    tail = Rule(method="GET", path="/files/{rest:path}", action="x:view")
    assert tail.matches("GET", "/files/a/b/c.csv")
    assert not tail.matches("GET", "/files/")


def test_rule_table_builds_rules_per_plane_in_order() -> None:
    from resources.kit.manifest import rule_table

    assert rule_table(
        customer=[("GET", "/a", "x:view"), ("WS", "/a/ws", "x:view")],
        network=[("POST", "/network/e", "x:ingest")],
    ) == (
        Rule(method="GET", path="/a", action="x:view"),
        Rule(method="WS", path="/a/ws", action="x:view"),
        Rule(method="POST", path="/network/e", action="x:ingest", plane="network"),
    )
    with pytest.raises(ValueError, match="unknown plane 'browser'"):
        rule_table(browser=[("GET", "/a", "x:view")])
    with pytest.raises(ValueError, match="unknown method 'FETCH' for /a"):
        rule_table(customer=[("FETCH", "/a", "x:view")])

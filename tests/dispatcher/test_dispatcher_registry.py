from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from dispatcher.registry import ManifestError, load_manifests

MANIFEST_SRC = """
from resources.kit.manifest import Action, Manifest, Rule

MANIFEST = Manifest(
    name="{name}",
    title="{name} title",
    create_app=lambda settings: None,
    actions=(Action(name="{name}:view", description="view"),),
    rules=(Rule(method="GET", path="/", action="{name}:view"),),
)
"""


def make_package(root: Path, package: str, resources: dict[str, str]) -> None:
    base = root / package
    base.mkdir()
    (base / "__init__.py").write_text("")
    for folder, name in resources.items():
        (base / folder).mkdir()
        (base / folder / "__init__.py").write_text("")
        if name:
            (base / folder / "manifest.py").write_text(MANIFEST_SRC.format(name=name))


@pytest.fixture
def on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    for mod in [m for m in sys.modules if m.startswith("fakeres")]:
        del sys.modules[mod]


def test_discovers_sorted_skips_kit_and_manifestless(on_path: Path) -> None:
    make_package(on_path, "fakeres_a", {"zeta": "zeta", "alpha": "alpha", "kit": "", "helpers": ""})
    (on_path / "fakeres_a" / "kit" / "manifest.py").write_text("raise RuntimeError('kit is not a resource')")
    found = load_manifests("fakeres_a")
    assert list(found) == ["alpha", "zeta"]
    assert found["alpha"].title == "alpha title"


def test_name_must_match_folder(on_path: Path) -> None:
    make_package(on_path, "fakeres_b", {"billing": "orders"})
    with pytest.raises(ManifestError, match=r"MANIFEST.name 'orders' != folder 'billing'"):
        load_manifests("fakeres_b")


def test_manifest_module_without_manifest(on_path: Path) -> None:
    make_package(on_path, "fakeres_c", {"orders": ""})
    (on_path / "fakeres_c" / "orders" / "manifest.py").write_text("X = 1\n")
    with pytest.raises(ManifestError, match=r"fakeres_c.orders.manifest must define MANIFEST"):
        load_manifests("fakeres_c")


def test_broken_import_inside_manifest_propagates(on_path: Path) -> None:
    make_package(on_path, "fakeres_d", {"orders": ""})
    (on_path / "fakeres_d" / "orders" / "manifest.py").write_text("import no_such_module_xyz\n")
    with pytest.raises(ModuleNotFoundError, match="no_such_module_xyz"):
        load_manifests("fakeres_d")


def test_real_resources_package_loads() -> None:
    found = load_manifests()
    assert list(found) == sorted(found)
    assert all(name == m.name for name, m in found.items())

"""Discovers every resource manifest: `resources/<name>/manifest.py` exposing `MANIFEST`."""

from __future__ import annotations

import importlib
import pkgutil

from resources.kit.manifest import Manifest

_SKIP = frozenset({"kit"})


class ManifestError(ValueError):
    pass


def load_manifests(package: str = "resources") -> dict[str, Manifest]:
    """Import `<package>.<name>.manifest` for every sub-package (except `kit`); sorted by name."""
    root = importlib.import_module(package)
    found: dict[str, Manifest] = {}
    for info in sorted(pkgutil.iter_modules(root.__path__), key=lambda m: m.name):
        if not info.ispkg or info.name in _SKIP or info.name.startswith("_"):
            continue
        module_name = f"{package}.{info.name}.manifest"
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                continue  # a package without a manifest is not a resource
            raise
        manifest = getattr(module, "MANIFEST", None)
        if not isinstance(manifest, Manifest):
            raise ManifestError(f"{module_name} must define MANIFEST = Manifest(...)")
        if manifest.name != info.name:
            raise ManifestError(f"{module_name}: MANIFEST.name {manifest.name!r} != folder {info.name!r}")
        found[manifest.name] = manifest
    return dict(sorted(found.items()))

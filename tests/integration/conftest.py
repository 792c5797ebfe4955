"""tests/integration: the real switch. The portal helpers live in tests/e2e/e2e_support.py."""

from __future__ import annotations

import sys
from collections.abc import Callable, Generator
from pathlib import Path

import pytest

_E2E = str(Path(__file__).resolve().parents[1] / "e2e")
if _E2E not in sys.path:
    sys.path.insert(0, _E2E)

# A test (fixture) registers a function returning log tails; printed with a failed test's report.
LOGS_KEY = pytest.StashKey[Callable[[], str]]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """On a failure, attach the log tails registered in `item.stash[LOGS_KEY]` to the report."""
    report = yield
    logs = item.stash.get(LOGS_KEY, None)
    if report.failed and logs is not None:
        report.sections.append(("switch, sites and portal logs", logs()))
    return report


@pytest.fixture(autouse=True)
def _register_logs(request: pytest.FixtureRequest) -> None:
    """Tests using the `rig` fixture (test_kamailio.py) get its logs printed when they fail."""
    if "rig" in request.fixturenames:
        rig = request.getfixturevalue("rig")
        request.node.stash[LOGS_KEY] = rig.logs

"""The spine checks (tests/e2e/spine_checks.py) against the whole portal in one process."""

from __future__ import annotations

import functools
import secrets

import pytest
from e2e_support import Portal, run_cli
from spine_checks import Target, run_spine_checks

pytestmark = pytest.mark.e2e


def test_spine_in_one_process(fresh_portal: Portal) -> None:
    # not the shared `portal`: the browser tests enrol alice in MFA there
    portal = fresh_portal
    target = Target(
        base_url=portal.base_url,
        certs_dir=portal.data_dir / "certs",
        cli=functools.partial(run_cli, portal.env),
    )
    run_spine_checks(target, token_name=f"e2e-{secrets.token_hex(4)}")

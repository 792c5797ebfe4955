"""The in-memory tenancy replica: good pictures replace the tree, a bad one keeps the last."""

from __future__ import annotations

import logging

from resources.kit.tenancy import TenancyReplica

LOG = logging.getLogger("test")
TREE = {
    "orgs": [
        {"id": "zenith", "kind": "reseller", "parent_id": None, "chain": ["zenith"], "suspended": False},
        {
            "id": "sub",
            "kind": "reseller",
            "parent_id": "zenith",
            "chain": ["zenith", "sub"],
            "suspended": False,
        },
        {
            "id": "globex",
            "kind": "customer",
            "parent_id": "sub",
            "chain": ["zenith", "sub"],
            "suspended": False,
        },
    ]
}


def test_a_picture_answers_who_is_below_whom_and_a_bad_one_is_ignored() -> None:
    replica = TenancyReplica()
    assert (replica.reported, replica.current.is_customer_below("globex", "zenith")) == (False, False)
    assert replica.apply(TREE, log=LOG) is True
    below = [replica.current.is_customer_below("globex", r) for r in ("zenith", "sub", "globex", "other")]
    assert (replica.reported, below) == (True, [True, True, False, False])
    assert replica.apply({"orgs": [{"id": "x", "kind": "martian"}]}, log=LOG) is False
    assert replica.current.is_customer_below("globex", "zenith") is True

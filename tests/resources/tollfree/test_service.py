"""Service behaviour on the demo data: views, diff, simulation, audit, labels, origin import,
number assignment, and the demo loader's idempotence."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from tollfree_fixtures import START, Env, caller

from resources.kit.errors import ProblemError, ValidationFailed
from resources.tollfree import service
from resources.tollfree.answer import answer_json
from resources.tollfree.demo import business_hours, load_demo
from resources.tollfree.diff import Change
from resources.tollfree.document import empty_document
from resources.tollfree.models import AuditRow, Version

ALICE = caller("alice@globex", session="sess-alice")
ADMIN = caller("admin", session="sess-admin")
FUTURE = START + timedelta(days=30)


async def test_number_views(demo: Env) -> None:
    async with demo.tx(write=False) as tx:
        views = {v.tfn: v for v in await service.list_numbers(tx, caller=ALICE)}
    sales = views["+18005550100"]
    assert (sales.customer_id, sales.description, sales.reseller_chain) == ("globex", "Globex sales", ())
    assert sales.active is not None
    assert (sales.active.number, sales.active.state, sales.active.effective_at) == (1, "ACTIVE", START)
    assert [(p.number, p.state, p.effective_at) for p in sales.pending] == [(2, "PENDING", FUTURE)]
    assert sales.drafts == ()
    billing = views["+18885550102"]
    assert billing.active is None
    assert [(d.number, d.state, d.document) for d in billing.drafts] == [
        (1, "SAVED", {"format": 1, "template": "*GLOBEX-STD"})
    ]


async def test_target_view_and_version_events(demo: Env) -> None:
    async with demo.tx(write=False) as tx:
        view = await service.get_target(tx, caller=ALICE, target="+18005550100")
        v2 = await service.get_version(tx, caller=ALICE, target="+18005550100", number=2)
    assert (view.kind, view.can_edit, view.history) == ("number", True, ())
    assert view.active is not None
    assert [(e.from_state, e.to_state, e.actor) for e in view.active.events] == [
        (None, "SAVED", "demo"),
        ("SAVED", "PENDING", "demo"),
        ("PENDING", "ACTIVE", "demo"),
    ]
    assert v2.verbs == ["hold", "cancel", "activate", "fail"]
    assert v2.snapshot == {
        "labels": [{"name": "HOLIDAYS", "kind": "date", "values": ["01-01", "07-04", "12-25"]}],
        "sites": [
            {"name": "east", "uri": "sip:127.0.0.1:5071"},
            {"name": "west", "uri": "sip:127.0.0.1:5072"},
        ],
        "templates": [],
        "distributions": [],
    }


async def test_create_version_copies_the_active_one(demo: Env) -> None:
    async with demo.tx() as tx:
        copy = await service.create_version(tx, caller=ALICE, target="+18005550100", note="try")
        empty = await service.create_version(tx, caller=ALICE, target="+18885550102")  # nothing active
        second = await service.create_version(tx, caller=ALICE, target="+18885550102", from_version=1)
    assert (copy.number, copy.state, copy.document, copy.note) == (3, "SAVED", business_hours(), "try")
    assert (empty.number, empty.state, empty.document) == (2, "INVALID", empty_document())
    assert [(i.node, i.field, i.message) for i in empty.issues] == [
        ("M", "type", "Choose what happens here.")
    ]
    assert (second.number, second.state, second.document) == (
        3,
        "SAVED",
        {"format": 1, "template": "*GLOBEX-STD"},
    )


async def test_diff_against_active_and_another_version(demo: Env) -> None:
    async with demo.tx(write=False) as tx:
        changes = await service.diff(tx, caller=ALICE, target="+18005550100", number=2)
        same = await service.diff(tx, caller=ALICE, target="+18005550100", number=1, against=1)
    assert changes == [Change(node="M.o", field="branches[0].match", before="@BIZHOURS", after="07:00-19:00")]
    assert same == []


async def test_simulate_active_draft_and_pointer(demo: Env) -> None:
    async with demo.tx(write=False) as tx:
        now = await service.simulate(tx, caller=ALICE, target="+18005550100", ani="3125550100")
        night = await service.simulate(
            tx, caller=ALICE, target="+18005550100", ani="3125550100", at=START + timedelta(hours=10)
        )
        pointer = await service.simulate(tx, caller=ALICE, target="+18885550102", number=1)
    assert answer_json(now) == {
        "outcome": "route",
        "destinations": [
            {
                "dest": "site:east",
                "uri": "sip:+18005550100@127.0.0.1:5071",
                "carrier": None,
                "ring_timeout": 20,
            },
            {
                "dest": "site:west",
                "uri": "sip:+18005550100@127.0.0.1:5072",
                "carrier": None,
                "ring_timeout": 20,
            },
        ],
        "treatment": None,
        "code": None,
        "reason": None,
        "carrier": None,
        "path": [
            {"node": "M", "type": "date", "took": "OTHER"},
            {"node": "M.o", "type": "tod", "took": "@BIZHOURS"},
            {"node": "M.o.0", "type": "tel", "took": "site:east"},
        ],
    }
    assert [d.dest for d in night.destinations] == ["site:west", "site:east"]  # 01:00 in New York
    assert [(s.node, s.took) for s in pointer.path] == [("M", "@BIZHOURS"), ("M.0", "site:east")]
    assert pointer.destinations[0].uri == "sip:+18885550102@127.0.0.1:5071"


async def test_simulate_without_active_version(demo: Env) -> None:
    with pytest.raises(ProblemError) as caught:
        async with demo.tx(write=False) as tx:
            await service.simulate(tx, caller=ALICE, target="+18885550102")
    assert (caught.value.status, caught.value.detail) == (
        409,
        "+18885550102 has no active version; pick a version to simulate",
    )


async def test_audit_rows_say_who_when_session_before_after(demo: Env) -> None:
    demo.clock.advance(minutes=5)
    async with demo.tx() as tx:
        await service.hold(tx, caller=ALICE, target="+18005550100", number=2)
    async with demo.tx(write=False) as tx:
        rows = await service.audit(tx, caller=ALICE, target="+18005550100")
    top = rows[0]
    assert (top.at, top.actor_id, top.actor_name, top.session, top.customer_id, top.version, top.action) == (
        START + timedelta(minutes=5), "u-alice", "alice@globex", "sess-alice", "globex", 2, "version.hold",
    )  # fmt: skip
    assert (top.before, top.after) == (
        {"state": "PENDING", "effective_at": FUTURE.isoformat()},
        {"state": "HOLD", "effective_at": FUTURE.isoformat()},
    )
    assert [r.action for r in rows] == [
        "version.hold", "version.activate", "version.create", "version.activate", "version.create",
        "number.assign",
    ]  # fmt: skip
    assert demo.topics() == [("tollfree.plans-changed", {"targets": ["+18005550100"]})]


async def test_labels_save_replace_delete(demo: Env) -> None:
    async with demo.tx() as tx:
        made = await service.save_label(tx, caller=ALICE, name="CHICAGO", kind="npa", values=["312", "773"])
        changed = await service.save_label(tx, caller=ALICE, name="CHICAGO", kind="npa", values=["312"])
        await service.delete_label(tx, caller=ALICE, name="CHICAGO")
        labels = [lb.name for lb in await service.list_labels(tx, caller=ALICE)]
    assert (made.values, changed.values) == (("312", "773"), ("312",))
    assert labels == ["BIZHOURS", "HOLIDAYS", "WEEKDAYS"]
    async with demo.tx(write=False) as tx:
        rows = (
            await tx.session.execute(
                select(AuditRow.action, AuditRow.before, AuditRow.after)
                .where(AuditRow.target == "@CHICAGO")
                .order_by(AuditRow.id)
            )
        ).all()
    assert [tuple(r) for r in rows] == [
        ("label.save", None, {"kind": "npa", "values": ["312", "773"]}),
        ("label.save", {"kind": "npa", "values": ["312", "773"]}, {"kind": "npa", "values": ["312"]}),
        ("label.delete", {"kind": "npa", "values": ["312"]}, None),
    ]
    with pytest.raises(ValidationFailed) as caught:
        async with demo.tx() as tx:
            await service.save_label(tx, caller=ALICE, name="x", kind="pct", values=[])
    assert [e["field"] for e in caught.value.errors] == ["name", "kind", "values"]
    with pytest.raises(ValidationFailed) as caught:
        async with demo.tx() as tx:
            await service.save_label(tx, caller=ALICE, name="HOURS", kind="tod", values=["08:00-25:00", "@X"])
    assert caught.value.errors == [
        {"field": "values[0]", "message": "'08:00-25:00': hours run from 00:00 to 24:00."},
        {"field": "values[1]", "message": "A label cannot refer to another label."},
    ]


async def test_origin_import(demo: Env) -> None:
    csv_text = "npanxx,lata,state,rate_center\n312555,358,IL,CHICAGO\n212555,132,NY,NEW YORK\n"
    async with demo.tx() as tx:
        result = await service.import_origin(tx, caller=ADMIN, csv_text=csv_text)
    assert (result.rows, result.at) == (2, START)
    assert demo.topics() == [("tollfree.origin-changed", {})]
    with pytest.raises(ValidationFailed) as caught:
        async with demo.tx() as tx:
            await service.import_origin(tx, caller=ADMIN, csv_text="npa,lata\n")
    assert caught.value.errors == [
        {"field": "line 1", "message": "The first line must be the header npanxx,lata,state,rate_center."}
    ]
    with pytest.raises(ProblemError) as forbidden:
        async with demo.tx() as tx:
            await service.import_origin(tx, caller=caller("rita@acme"), csv_text=csv_text)
    assert forbidden.value.status == 403


async def test_unassign_number(demo: Env) -> None:
    async with demo.tx() as tx:
        await service.unassign_number(tx, caller=ADMIN, tfn="+18005550100")
    async with demo.tx(write=False) as tx:
        assert [n.tfn for n in await service.list_numbers(tx, caller=ALICE)] == [
            "+18005550101",
            "+18885550102",
        ]
        rows = (
            await tx.session.execute(
                select(Version.number, Version.state)
                .where(Version.target == "+18005550100")
                .order_by(Version.number)
            )
        ).all()
    assert [tuple(r) for r in rows] == [(1, "OLD"), (2, "SAVED")]
    assert demo.topics() == [
        ("tollfree.plans-changed", {"targets": ["+18005550100"]}),
        ("tollfree.numbers-wanted", {}),  # other resources' replicas of the assignments
    ]


async def test_demo_is_idempotent(demo: Env) -> None:
    async def counts() -> tuple[int, int]:
        async with demo.tx(write=False) as tx:
            audit = (await tx.session.execute(select(func.count()).select_from(AuditRow))).scalar_one()
            versions = (await tx.session.execute(select(func.count()).select_from(Version))).scalar_one()
        return int(audit), int(versions)

    before = await counts()
    await load_demo(ctx=demo.ctx)
    assert await counts() == before
    assert before[1] == 6  # template 1, +18005550100 2, three more numbers 1 each
    assert demo.topics() == []

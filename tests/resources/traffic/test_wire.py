"""Wire format -> CallEvent: our shape, aliases, acc_json CDRs and transaction records, numeric
strings, ISO times, one clear rejection per bad record, and no exception on any JSON input."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from traffic_builders import T0, TFN, lookup

from resources.traffic.calls import merge
from resources.traffic.model import CallEvent, NumberInfo, Rejection
from resources.traffic.wire import BodyError, normalise_line, parse_body, parse_record

NOW = T0 + 1000.0


def parse(obj: Any) -> CallEvent | Rejection:
    return parse_record(obj, element="kam1", now=NOW)


def ok(obj: Any) -> CallEvent:
    result = parse(obj)
    assert isinstance(result, CallEvent), result
    return result


def rejected(obj: Any) -> tuple[str, str, str]:
    result = parse(obj)
    assert isinstance(result, Rejection), result
    assert result.index is None
    return result.reason, result.field, result.message


def base(**fields: Any) -> dict[str, Any]:
    return {"type": "routed", "callid": "c1", "dnis": "+18005550100", "ts": T0 + 10, **fields}


def test_full_record_of_our_own_shape() -> None:
    record = {
        "type": "ended",
        "callid": "abc@10.0.0.1",
        "ts": T0 + 76.2,
        "dnis": "18005550100",
        "ani": "3125550100",
        "dest": "site:east",
        "uri": "sip:10.1.1.1:5060",
        "carrier": "0288",
        "version": 3,
        "path": ["M", "M.0", "M.0.1"],
        "start": T0 + 10,
        "answer": T0 + 16.5,
        "end": T0 + 76.2,
        "sip_code": 200,
        "q850": 16,
        "sip_reason": "OK",
        "account": "A-17",
        "state": "il",
        "lata": "358",
        "unknown_field": {"ignored": [1, 2]},
    }
    assert ok(record) == CallEvent(
        call_id="abc@10.0.0.1",
        kind="ended",
        ts=T0 + 76.2,
        element="kam1",
        number=TFN,
        ani="+13125550100",
        site="east",
        destination="site:east",
        uri="sip:10.1.1.1:5060",
        carrier="0288",
        version=3,
        path=("M", "M.0", "M.0.1"),
        start=T0 + 10,
        answer=T0 + 16.5,
        end=T0 + 76.2,
        sip_code=200,
        q850=16,
        block=None,
        account_code="A-17",
        origin_state="IL",
        origin_lata="358",
        reason="OK",
    )


def test_aliases_numeric_strings_and_iso_times() -> None:
    event = ok(
        {
            "type": "failed",
            "call_id": "c9",
            "time": "2024-03-04T09:00:40+00:00",
            "number": "8005550100",
            "seized": "2024-03-04T04:00:10-05:00",
            "end_time": "1709542840.250000",
            "code": "486",
            "reason": "Busy Here",
            "q850": "17",
            "version": "2",
            "path": "M; M.1 ,M.1.0",
        }
    )
    assert (event.call_id, event.kind, event.ts, event.number) == ("c9", "failed", T0 + 40, TFN)
    assert (event.start, event.end) == (T0 + 10, T0 + 40.25)
    assert (event.sip_code, event.q850, event.version, event.reason) == (486, 17, 2, "Busy Here")
    assert event.path == ("M", "M.1", "M.1.0")
    assert ok(base(ts="2024-03-04T09:00:10Z")).ts == T0 + 10
    assert ok(base(ts="2024-03-04T09:00:10.5Z")).ts == T0 + 10.5


def test_empty_strings_and_nulls_are_absent() -> None:
    event = ok(
        base(
            ani="",
            site="",
            dest=None,
            carrier="",
            version="",
            path="",
            sip_code="",
            q850=None,
            block="",
            account="",
            state="",
            lata="",
            start="",
        )
    )
    assert event == CallEvent(call_id="c1", kind="routed", ts=T0 + 10, element="kam1", number=TFN)
    # an empty primary name falls through to its alias
    assert ok(base(callid="", call_id="c2")).call_id == "c2"


def test_dest_site_sets_site_unless_site_given() -> None:
    assert ok(base(dest="site:west")).site == "west"
    assert ok(base(dest="site:west", site="east")).site == "east"
    event = ok(base(dest="+13125550100"))
    assert (event.site, event.destination) == (None, "+13125550100")
    assert ok(base(dest="carrier:0288")).carrier is None  # only site:X sets a field


def test_acc_json_cdr_as_kamailio_sends_it() -> None:
    # acc + dialog with cdr_start_on_confirmed: start_time is the answer; our cdr_extra adds
    # callid, dnis, ani, seized (the INVITE's time), sip_code and site.
    record = {
        "start_time": "1709542816.500000",
        "end_time": "1709542876.200000",
        "duration": "59.700000",
        "callid": "a84b4c76e66710@pc33",
        "dnis": "18005550100",
        "ani": "+13125550100",
        "seized": "1709542810.000000",
        "sip_code": "200",
        "sip_reason": "OK",
        "site": "east",
        "version": "",
    }
    event = ok(record)
    assert (event.kind, event.ts, event.start, event.answer, event.end) == (
        "cdr",
        T0 + 76.2,
        T0 + 10,
        T0 + 16.5,
        T0 + 76.2,
    )
    assert (event.sip_code, event.site, event.version, event.ani) == (200, "east", None, "+13125550100")


def test_acc_json_cdr_with_duration_only_and_no_seized() -> None:
    event = ok({"start_time": T0 + 16.5, "duration": "60", "callid": "c", "dnis": TFN})
    assert (event.kind, event.start, event.answer, event.end, event.ts) == (
        "cdr",
        T0 + 16.5,
        T0 + 16.5,
        T0 + 76.5,
        T0 + 76.5,
    )


def test_acc_json_cdr_of_a_failed_call_is_not_answered() -> None:
    event = ok(
        {
            "start_time": "1709542810.000000",
            "end_time": "1709542830.000000",
            "duration": "0",
            "callid": "c",
            "dnis": TFN,
            "sip_code": "487",
        }
    )
    assert (event.kind, event.start, event.answer, event.end) == ("cdr", T0 + 10, None, T0 + 30)
    blocked = ok({"start_time": T0 + 10, "end_time": T0 + 10, "callid": "c", "dnis": TFN, "block": "plan"})
    assert (blocked.answer, blocked.block) == (None, "plan")


@pytest.mark.parametrize(
    ("code", "kind"), [("486", "failed"), ("300", "failed"), ("200", "answered"), (183, "answered")]
)
def test_acc_json_transaction_record(code: Any, kind: str) -> None:
    event = ok(
        {
            "time": 1709542840,
            "method": "INVITE",
            "from_tag": "1928301774",
            "to_tag": "",
            "callid": "c",
            "sip_code": code,
            "sip_reason": "whatever",
            "dnis": TFN,
        }
    )
    assert (event.kind, event.ts, event.sip_code) == (kind, T0 + 40, int(code))


def test_ts_defaults() -> None:
    no_ts = base()
    del no_ts["ts"]
    assert ok(no_ts).ts == NOW
    assert ok({**no_ts, "start": T0 + 5}).ts == T0 + 5
    assert ok({**no_ts, "type": "answered", "answer": T0 + 7}).ts == T0 + 7
    assert ok({**no_ts, "type": "cdr", "end": T0 + 9}).ts == T0 + 9
    assert ok({**no_ts, "type": "ended", "end": T0 + 9}).ts == T0 + 9
    assert ok({**no_ts, "type": "cdr"}).ts == NOW


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"type": "hangup"}, "type", "type must be one of routed, answered, ended, failed or cdr"),
        ({"type": 3}, "type", "type must be one of routed, answered, ended, failed or cdr"),
        ({"callid": None}, "callid", "callid is required: a string of 1 to 256 characters"),
        ({"callid": 12345}, "callid", "callid must be a string of at most 256 characters"),
        ({"call_id": "x" * 257, "callid": ""}, "call_id", "call_id must be at most 256 characters long"),
        (
            {"dnis": None},
            "dnis",
            "dnis is required: the dialled toll-free number, a North American number like "
            "+18005550100, 18005550100 or 8005550100 (or, for an outbound call, line: the calling line)",
        ),
        (
            {"dnis": "+4420 7946 0000"},
            "dnis",
            "dnis must be a North American number like +18005550100, 18005550100 or 8005550100",
        ),
        (
            {"dnis": None, "number": 8005550100},
            "number",
            "number must be a North American number like +18005550100, 18005550100 or 8005550100",
        ),
        ({"ani": "anonymous"}, "ani", "ani must be a phone number like +13125550100 or 3125550100"),
        (
            {"ts": "yesterday"},
            "ts",
            "ts must be a time in epoch seconds (like 1709542800.25) or ISO 8601 "
            "with an offset (like 2024-03-04T09:00:00Z)",
        ),
        (
            {"ts": -1},
            "ts",
            "ts must be a time in epoch seconds (like 1709542800.25) or ISO 8601 "
            "with an offset (like 2024-03-04T09:00:00Z)",
        ),
        ({"ts": "2024-03-04T09:00:00"}, "ts", "ts must include a UTC offset (like 2024-03-04T09:00:00Z)"),
        (
            {"time": True, "ts": ""},
            "time",
            "time must be a time in epoch seconds (like 1709542800.25) or "
            "ISO 8601 with an offset (like 2024-03-04T09:00:00Z)",
        ),
        ({"carrier": "288"}, "carrier", "carrier must be a 4-digit carrier identification code like 0288"),
        ({"carrier": 288}, "carrier", "carrier must be a 4-digit carrier identification code like 0288"),
        ({"version": 0}, "version", "version must be a whole number of at least 1"),
        ({"version": 2.5}, "version", "version must be a whole number of at least 1"),
        ({"sip_code": 99}, "sip_code", "sip_code must be a SIP status code from 100 to 699"),
        ({"code": "busy"}, "code", "code must be a SIP status code from 100 to 699"),
        ({"q850": 128}, "q850", "q850 must be a Q.850 cause from 0 to 127"),
        ({"block": "ani"}, "block", "block must be one of plan, network, switch, payphone or policy"),
        ({"state": "Illinois"}, "state", "state must be a 2-letter state code like IL"),
        ({"lata": 358}, "lata", "lata must be a 3-digit LATA like 358"),
        ({"site": ["east"]}, "site", "site must be a string of at most 256 characters"),
        (
            {"path": [1, 2]},
            "path",
            "path must be a list of at most 64 node ids (strings) or one string of node ids "
            "separated by , or ;",
        ),
        ({"start": T0 + 20, "answer": T0 + 15}, "answer", "answer must not be before start (the seizure)"),
        ({"answer": T0 + 20, "end": T0 + 15}, "end", "end must not be before answer"),
        ({"start": T0 + 20, "end": T0 + 15}, "end", "end must not be before start (the seizure)"),
        (
            {"type": None, "start_time": T0, "duration": "-3"},
            "duration",
            "duration must be a number of seconds, 0 or more",
        ),
    ],
)
def test_rejections_name_the_field(changes: dict[str, Any], field: str, message: str) -> None:
    assert rejected(base(**changes)) == ("invalid", field, message)


def test_missing_type_message() -> None:
    assert rejected({"callid": "c", "dnis": TFN}) == (
        "invalid",
        "type",
        "type is required: one of routed, answered, ended, failed or cdr (or an acc_json CDR with "
        "start_time and end_time or duration, or an acc_json transaction record with method and sip_code)",
    )
    # a transaction record's bad code is named as such
    assert rejected({"method": "INVITE", "sip_code": "abc", "callid": "c", "dnis": TFN}) == (
        "invalid",
        "sip_code",
        "sip_code must be a SIP status code from 100 to 699",
    )


@pytest.mark.parametrize("value", [[], "routed", 3, None, True, [{"type": "routed"}]])
def test_a_record_that_is_not_an_object(value: Any) -> None:
    assert rejected(value) == ("malformed", "record", "each record must be a JSON object")


def body(value: Any) -> bytes:
    return json.dumps(value).encode()


def test_parse_body_object_and_array_with_indexes() -> None:
    events, rejections = parse_body(body(base()), element="kam1", now=NOW, numbers=lookup, max_records=10)
    assert [e.call_id for e in events] == ["c1"]
    assert rejections == []
    records = [
        base(callid="a"),
        base(callid=None),
        "x",
        base(callid="b", dnis="8885550199"),
        base(callid="c"),
    ]
    events, rejections = parse_body(body(records), element="kam2", now=NOW, numbers=lookup, max_records=5)
    assert [(e.call_id, e.element) for e in events] == [("a", "kam2"), ("c", "kam2")]
    assert rejections == [
        Rejection(
            index=1,
            reason="invalid",
            field="callid",
            message="callid is required: a string of 1 to 256 characters",
        ),
        Rejection(index=2, reason="malformed", field="record", message="each record must be a JSON object"),
        Rejection(
            index=3,
            reason="unknown-number",
            field="dnis",
            message="dnis +18885550199 is not a toll-free number known to traffic",
        ),
    ]
    assert parse_body(b"[]", element="kam1", now=NOW, numbers=lookup, max_records=5) == ([], [])


@pytest.mark.parametrize(
    ("raw", "status", "message"),
    [
        (b"", 400, "the body is not valid JSON"),
        (b"{", 400, "the body is not valid JSON"),
        (b"\xff\xfe\x00", 400, "the body is not valid JSON"),
        (b"NaN", 400, "the body is not valid JSON"),
        (b'[{"ts": Infinity}]', 400, "the body is not valid JSON"),
        (b"[" * 100_000 + b"]" * 100_000, 400, "the body is not valid JSON"),
        (b"1" * 5000, 400, "the body is not valid JSON"),
        (b'"routed"', 400, "the body must be a JSON object or an array of objects"),
        (b"42", 400, "the body must be a JSON object or an array of objects"),
        (b"null", 400, "the body must be a JSON object or an array of objects"),
        (b"[{}, {}, {}]", 413, "the body holds 3 records but one request may carry at most 2"),
    ],
)
def test_body_errors(raw: bytes, status: int, message: str) -> None:
    with pytest.raises(BodyError) as caught:
        parse_body(raw, element="kam1", now=NOW, numbers=lookup, max_records=2)
    assert (caught.value.status, caught.value.message) == (status, message)


NASTY: list[Any] = [
    None,
    "",
    " ",
    True,
    False,
    0,
    -1,
    1.5,
    10**30,
    -(10**30),
    1e308,
    -1e308,
    5e-324,
    "NaN",
    "nan",
    "Infinity",
    "-inf",
    "1e999",
    "1e5",
    "0x10",
    "١٢٣",  # Arabic-Indic digits
    "2024-03-04T09:00:00+23:59",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-14:00",
    "2024-W10-1T09:00:00Z",
    "x" * 300,
    "site:",
    "\x00",
    "\ud800",
    [],
    ["a", None],
    [1, [2, [3]]],
    {},
    {"nested": {"deeper": [None]}},
    "8005550100",
    "+18005550100",
    "200",
    "16",
    ";;,",
]
FIELDS = [
    "line",
    "class",
    "type",
    "callid",
    "call_id",
    "ts",
    "time",
    "dnis",
    "number",
    "ani",
    "dest",
    "site",
    "uri",
    "carrier",
    "version",
    "path",
    "start",
    "seized",
    "answer",
    "end",
    "end_time",
    "start_time",
    "duration",
    "sip_code",
    "code",
    "sip_reason",
    "reason",
    "q850",
    "block",
    "account",
    "state",
    "lata",
    "method",
]


@pytest.mark.parametrize("name", FIELDS)
def test_nasty_values_in_every_field_never_raise(name: str) -> None:
    for value in NASTY:
        for record in (base(**{name: value}), {name: value}, {"start_time": T0, "callid": "c", name: value}):
            result = parse(record)
            assert isinstance(result, CallEvent | Rejection)
            if isinstance(result, Rejection):
                # one sentence that starts with the field it names
                assert result.message.startswith(result.field + " "), result.message
                assert result.field in record or result.field in ("type", "callid", "dnis", "end", "answer")


def _random_json(rng: random.Random, depth: int = 0) -> Any:
    choice = rng.randrange(9 if depth < 3 else 6)
    if choice == 0:
        return None
    if choice == 1:
        return rng.choice([True, False])
    if choice == 2:
        return rng.choice([0, 1, -1, 200, 486, 10**20, T0, T0 + rng.random() * 1000])
    if choice == 3:
        return rng.choice([0.5, -0.0, 1e300, T0 + 0.25])
    if choice in (4, 5):
        return rng.choice([*NASTY[13:29], "routed", "cdr", "ended", "east", "0288", "INVITE", ""])
    if choice == 6:
        return [_random_json(rng, depth + 1) for _ in range(rng.randrange(4))]
    keys = FIELDS if choice == 7 else [*FIELDS[:8], "zzz"]
    return {rng.choice(keys): _random_json(rng, depth + 1) for _ in range(rng.randrange(12))}


def test_random_json_never_raises() -> None:
    rng = random.Random(20240304)
    for _ in range(3000):
        value = _random_json(rng)
        result = parse(value)
        assert isinstance(result, CallEvent | Rejection)
        if isinstance(result, Rejection) and result.reason == "invalid":
            assert result.message.startswith(result.field + " "), result.message
        raw = json.dumps(value).encode()
        if not isinstance(value, dict | list):
            with pytest.raises(BodyError, match="the body must be a JSON object or an array of objects"):
                parse_body(raw, element="e", now=NOW, numbers=lookup, max_records=50)
            continue
        events, rejections = parse_body(raw, element="e", now=NOW, numbers=lookup, max_records=50)
        assert len(events) + len(rejections) == (len(value) if isinstance(value, list) else 1)
        assert all(r.index is not None for r in rejections)


# --- outbound calls: the calling line, class and account code ------------------------------------

LINE = "+13125550142"
LINE_INFO = NumberInfo(number=LINE, customer_id="globex")


def test_acc_json_outbound_cdr() -> None:
    record = {
        "start_time": "1767261600.000",
        "end_time": "1767261660.500",
        "duration": "60.500",
        "callid": "abc",
        "line": "+13125550142",
        "class": "international",
        "account": "1001",
        "dest": "+442079460000",
        "sip_code": "200",
    }
    assert ok(record) == CallEvent(
        call_id="abc",
        kind="cdr",
        ts=1767261660.5,
        element="kam1",
        number="+13125550142",
        destination="+442079460000",
        start=1767261600.0,
        answer=1767261600.0,
        end=1767261660.5,
        sip_code=200,
        account_code="1001",
        call_class="international",
        outbound=True,
    )


def test_policy_denied_outbound_attempt_is_blocked() -> None:
    record = {
        "time": "1767261600.250",
        "method": "INVITE",
        "callid": "denied-1",
        "sip_code": "403",
        "sip_reason": "International calls not allowed",
        "block": "policy",
        "line": "3125550142",
        "class": "international",
        "account": "1001",
        "dest": "+442079460000",
    }
    event = ok(record)
    assert (event.kind, event.ts, event.number, event.block, event.call_class, event.reason) == (
        "failed",
        1767261600.25,
        LINE,
        "policy",
        "international",
        "International calls not allowed",
    )
    call, contributed, duplicate = merge(None, event, LINE_INFO, now=1767261601.0)
    assert (call.disposition, call.q850, call.call_class, call.account_code, call.key, duplicate) == (
        "blocked",
        21,
        "international",
        "1001",
        ("globex", LINE, "", ""),
        False,
    )
    assert sorted((c.field, c.amount) for c in contributed) == [(0, 1), (7, 1), (11, 1), (12, 1)]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+13125550142", LINE),
        ("13125550142", LINE),
        ("3125550142", LINE),
        ("+442079460000", "+442079460000"),
        ("+4930123456", "+4930123456"),  # 10 digits
        ("+49301234", "+49301234"),  # 8 digits, the shortest
        ("+4930123", None),  # 7 digits
        ("+4930123456789012", None),  # 16 digits
        ("+10125550142", None),  # +1 but not a North American number
        ("1125550142", None),
        ("442079460000", None),  # no +
        ("+44 20 7946 0000", None),
        ("+0442079460000", None),
        (3125550142, None),
    ],
)
def test_line_forms(raw: object, expected: str | None) -> None:
    assert normalise_line(raw) == expected
    if expected is not None:
        event = ok({"type": "routed", "callid": "c", "line": raw, "ts": T0})
        assert (event.number, event.outbound, event.call_class) == (expected, True, None)


CLASS_MESSAGE = (
    "class must be a calling class like international, long-distance or local (lowercase letters and -)"
)


def outbound(**fields: Any) -> dict[str, Any]:
    return {"type": "routed", "callid": "c1", "line": LINE, "class": "local", "ts": T0 + 10, **fields}


@pytest.mark.parametrize(
    ("record", "field", "message"),
    [
        (
            outbound(dnis=TFN),
            "line",
            "line (an outbound call's calling line) and dnis (a toll-free call's dialled number) exclude "
            "each other: send one of them",
        ),
        (
            outbound(number=TFN),
            "line",
            "line (an outbound call's calling line) and number (a toll-free call's dialled number) exclude "
            "each other: send one of them",
        ),
        (
            outbound(line="anonymous"),
            "line",
            "line must be a phone number in E.164 like +13125550142 (or a North American 3125550142 or "
            "13125550142)",
        ),
        (
            outbound(line=13125550142),
            "line",
            "line must be a phone number in E.164 like +13125550142 (or a North American 3125550142 or "
            "13125550142)",
        ),
        (
            base(**{"class": "international"}),
            "class",
            "class is the calling class of an outbound call: it needs line, the calling line",
        ),
        (
            outbound(**{"class": "International"}),
            "class",
            CLASS_MESSAGE,
        ),
        (
            outbound(**{"class": "x" * 33}),
            "class",
            CLASS_MESSAGE,
        ),
        (
            outbound(**{"class": 3}),
            "class",
            CLASS_MESSAGE,
        ),
        (
            {"type": "routed", "callid": "c1", "ts": T0},
            "dnis",
            "dnis is required: the dialled toll-free number, a North American number like +18005550100, "
            "18005550100 or 8005550100 (or, for an outbound call, line: the calling line)",
        ),
    ],
)
def test_outbound_rejections(record: dict[str, Any], field: str, message: str) -> None:
    assert rejected(record) == ("invalid", field, message)


def test_outbound_fields_are_optional_and_empty_is_absent() -> None:
    event = ok(outbound(**{"class": "", "account": "", "dnis": ""}))
    assert (event.number, event.call_class, event.account_code, event.outbound) == (LINE, None, None, True)
    assert ok(outbound(**{"class": "x" * 32})).call_class == "x" * 32
    assert ok(outbound(**{"class": "long-distance"})).call_class == "long-distance"
    assert ok(base()).outbound is False


def test_parse_body_rejects_an_unknown_line() -> None:
    lines = {LINE: LINE_INFO}

    def numbers(number: str) -> NumberInfo | None:
        return lookup(number) or lines.get(number)

    records = [outbound(), outbound(callid="c2", line="+13125550199"), base(callid="c3", dnis="8885550199")]
    events, rejections = parse_body(body(records), element="kam1", now=NOW, numbers=numbers, max_records=5)
    assert [(e.call_id, e.number, e.call_class) for e in events] == [("c1", LINE, "local")]
    assert rejections == [
        Rejection(
            index=1,
            reason="unknown-number",
            field="line",
            message="line +13125550199 is not a number or line known to traffic",
        ),
        Rejection(
            index=2,
            reason="unknown-number",
            field="dnis",
            message="dnis +18885550199 is not a toll-free number known to traffic",
        ),
    ]

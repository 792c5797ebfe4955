"""Calling classes: every class from every dialling form, and every reason a string is not dialable."""

from __future__ import annotations

import pytest

from resources.outbound.classes import CallingClass, Classified, DialError, classify

CHICAGO = "+13125550142"  # NPA 312: local calls are 312 numbers

E = CallingClass


@pytest.mark.parametrize(
    ("dialled", "expected"),
    [
        ("911", Classified(E.EMERGENCY, None, None, "911")),
        ("933", Classified(E.EMERGENCY, None, None, "933")),
        ("112", Classified(E.EMERGENCY, None, None, "112")),
        ("0", Classified(E.OPERATOR, None, None, "0")),
        ("00", Classified(E.OPERATOR, None, None, "00")),
        ("03125550100", Classified(E.OPERATOR, "+13125550100", "US", "03125550100")),
        ("08095551234", Classified(E.OPERATOR, "+18095551234", "DO", "08095551234")),
        ("411", Classified(E.DIRECTORY, None, None, "411")),
        ("2125551212", Classified(E.DIRECTORY, "+12125551212", "US", "2125551212")),
        ("+13125551212", Classified(E.DIRECTORY, "+13125551212", "US", "+13125551212")),
        ("1-416-555-1212", Classified(E.DIRECTORY, "+14165551212", "CA", "14165551212")),
        ("211", Classified(E.SERVICE, None, None, "211")),
        ("311", Classified(E.SERVICE, None, None, "311")),
        ("511", Classified(E.SERVICE, None, None, "511")),
        ("611", Classified(E.SERVICE, None, None, "611")),
        ("711", Classified(E.SERVICE, None, None, "711")),
        ("811", Classified(E.SERVICE, None, None, "811")),
        ("988", Classified(E.EMERGENCY, None, None, "988")),  # the crisis line: must complete
        ("18005550100", Classified(E.TOLL_FREE, "+18005550100", "US", "18005550100")),
        ("8335550100", Classified(E.TOLL_FREE, "+18335550100", "US", "8335550100")),
        ("+18445550100", Classified(E.TOLL_FREE, "+18445550100", "US", "+18445550100")),
        ("18555550100", Classified(E.TOLL_FREE, "+18555550100", "US", "18555550100")),
        ("18665550100", Classified(E.TOLL_FREE, "+18665550100", "US", "18665550100")),
        ("18775550100", Classified(E.TOLL_FREE, "+18775550100", "US", "18775550100")),
        ("18885550100", Classified(E.TOLL_FREE, "+18885550100", "US", "18885550100")),
        ("19005550100", Classified(E.PREMIUM, "+19005550100", "US", "19005550100")),
        ("3129761234", Classified(E.PREMIUM, "+13129761234", "US", "3129761234")),
        ("+12129761234", Classified(E.PREMIUM, "+12129761234", "US", "+12129761234")),
        ("3125550100", Classified(E.LOCAL, "+13125550100", "US", "3125550100")),
        ("13125550100", Classified(E.LOCAL, "+13125550100", "US", "13125550100")),
        ("+13125550100", Classified(E.LOCAL, "+13125550100", "US", "+13125550100")),
        ("(312)555-0100", Classified(E.LOCAL, "+13125550100", "US", "3125550100")),
        ("312.555.0100", Classified(E.LOCAL, "+13125550100", "US", "3125550100")),
        ("2125550100", Classified(E.LONG_DISTANCE, "+12125550100", "US", "2125550100")),
        ("+14165550100", Classified(E.LONG_DISTANCE, "+14165550100", "CA", "+14165550100")),
        ("17875550100", Classified(E.LONG_DISTANCE, "+17875550100", "PR", "17875550100")),
        ("011442079460000", Classified(E.INTERNATIONAL, "+442079460000", "GB", "011442079460000")),
        ("+442079460000", Classified(E.INTERNATIONAL, "+442079460000", "GB", "+442079460000")),
        ("0115358123456", Classified(E.INTERNATIONAL, "+5358123456", "CU", "0115358123456")),
        ("+61291234567", Classified(E.INTERNATIONAL, "+61291234567", "AU", "+61291234567")),
        ("+18095551234", Classified(E.INTERNATIONAL, "+18095551234", "DO", "+18095551234")),
        ("18765550100", Classified(E.INTERNATIONAL, "+18765550100", "JM", "18765550100")),
        ("+80012345678", Classified(E.INTERNATIONAL, "+80012345678", "001", "+80012345678")),
    ],
)
def test_classify(dialled: str, expected: Classified) -> None:
    assert classify(dialled, caller=CHICAGO) == expected


@pytest.mark.parametrize(
    ("dialled", "caller", "expected"),
    [
        ("2125550100", "+12125550199", Classified(E.LOCAL, "+12125550100", "US", "2125550100")),
        ("3125550100", "+12125550199", Classified(E.LONG_DISTANCE, "+13125550100", "US", "3125550100")),
        # a caller outside the NANP has no local calls, not even when its digits after "+3"
        # look like the NPA dialled
        ("3125550100", "+33125550142", Classified(E.LONG_DISTANCE, "+13125550100", "US", "3125550100")),
        ("+18095550100", "+18095551234", Classified(E.INTERNATIONAL, "+18095550100", "DO", "+18095550100")),
    ],
)
def test_local_is_the_callers_npa(dialled: str, caller: str, expected: Classified) -> None:
    assert classify(dialled, caller=caller) == expected


@pytest.mark.parametrize("caller", ["3125550142", "", "sip:alice@example.com"])
def test_emergency_is_recognised_before_the_caller_is_checked(caller: str) -> None:
    assert classify("911", caller=caller) == Classified(E.EMERGENCY, None, None, "911")
    with pytest.raises(DialError) as caught:
        classify("3125550100", caller=caller)
    assert (caught.value.field, caught.value.message) == (
        "caller",
        f"{caller!r} is not an E.164 number such as +13125550142",
    )


HINT = "dial 10 digits, 1 + 10 digits, 011 + an international number or +E.164"


@pytest.mark.parametrize(
    ("dialled", "message"),
    [
        ("", "is empty"),
        ("   ", "is empty"),
        ("1" * 41, "is too long (41 characters; at most 40)"),
        ("31255501OO", "'31255501OO' has letters; a number is digits, with an optional leading +"),
        ("sip:911", "'sip:911' has letters; a number is digits, with an optional leading +"),
        ("*67", "'*67' may only hold digits, with an optional leading +"),
        ("+1 312", "'+1 312' may only hold digits, with an optional leading +"),
        ("1+312", "'1+312' may only hold digits, with an optional leading +"),
        ("٩١١", "'٩١١' may only hold digits, with an optional leading +"),
        ("+", "'+' is too short: give the country code and number after the +"),
        ("011", "'011' is too short: give the country code and number after 011"),
        (
            "+1234567890123456",
            "'+1234567890123456' is too long: an international number has at most 15 digits",
        ),
        (
            "0111234567890123456",
            "'0111234567890123456' is too long: an international number has at most 15 digits",
        ),
        (
            "012",
            "'012': after 0 dial nothing (operator), 0 (carrier operator), 10 digits (operator-assisted) "
            "or 11 + an international number",
        ),
        ("5550100", f"'5550100' is too short: {HINT}"),
        ("1312555010", f"'1312555010' is too short: {HINT}"),
        ("312555010012", f"'312555010012' is too long: {HINT}"),
        ("131255501001", f"'131255501001' is too long: {HINT}"),
        ("+999123", "'+999123' does not start with a country code"),
        ("+1312", "'+1312' is too short for a number with country code +1"),
        ("+44207946000000", "'+44207946000000' is too long for a number with country code +44"),
        ("+4420794600", "'+4420794600' is not a valid number with country code +44"),
        ("1-012-555-0100", "'1-012-555-0100' is not a valid number with country code +1"),
        ("00000000000", "'00000000000' is not a valid number with country code +1"),
    ],
)
def test_not_dialable(dialled: str, message: str) -> None:
    with pytest.raises(DialError) as caught:
        classify(dialled, caller=CHICAGO)
    assert (caught.value.field, caught.value.message) == ("dialled", message)


def test_not_text() -> None:
    with pytest.raises(DialError) as caught:
        classify(None, caller=CHICAGO)  # type: ignore[arg-type]  # what a JSON null would give
    assert (caught.value.field, caught.value.message) == (
        "dialled",
        "must be text: the user part of the request URI",
    )


def test_dial_error_is_a_field_problem() -> None:
    with pytest.raises(DialError) as caught:
        classify("abc", caller=CHICAGO)
    assert caught.value.problem().errors == [
        {"field": "dialled", "message": "'abc' has letters; a number is digits, with an optional leading +"}
    ]

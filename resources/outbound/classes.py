"""Calling classes: what kind of call a dialled string is, as the outbound policy sees it.

The switch asks on every outbound INVITE with the request-URI user part the PBX sent and the
caller's own number. The dial plan is the North American one (the customer's users dial as in
the US and Canada):

* `911`, `933` (the 911 address test line), `112` (GSM phones route it to 911) and `988` (the
  Suicide & Crisis Lifeline, which carriers must deliver like 911) are `emergency`, recognised
  before anything else so that no other rule can shadow them: no policy can block them.
* `0` (local operator), `00` (long-distance carrier operator) and `0` + 10 digits
  (operator-assisted: collect, calling card, person to person) are `operator`.
* `411` and NPA-555-1212 are `directory` (assistance).
* The other N11 codes are community services: 211 (social services), 311 (city services),
  511 (traffic), 611 (repair), 711 (relay for deaf and hard-of-hearing callers), 811 (call
  before you dig). They are `service`.
* A number is dialled as `+E164`, as 10 digits (NPA-NXX-XXXX), as `1` + 10 digits or as
  `011` + an international number. Seven-digit local dialling is gone from most of the NANP
  (overlays and the 988 change made ten digits mandatory), so seven digits are refused.

A number is then classed by where it rings, which phonenumbers knows
(`region_code_for_number`). The NANP spans some twenty countries behind the one country code
+1: only the US, Canada and the US territories (PR, VI, GU, MP, AS) are domestic; a NANP
Caribbean number such as +1 809 (DO) or +1 876 (JM) is rated as international by every
carrier, so it is `international`, as is every other country and the non-geographic codes
(+800 freephone, +881 satellite… whose country is phonenumbers' "001"). Within the domestic
part:

* NPAs 800, 833, 844, 855, 866, 877 and 888 are `toll-free`;
* NPA 900, and exchange (NXX) 976 in any NPA, are `premium` (pay-per-call);
* NPA-555-1212 is `directory`;
* the caller's own NPA is `local`. This is a simplification: a real local calling area is a
  set of rate centres, not an area code; the caller's NPA stands for it until rate-centre data
  is imported. A caller outside the NANP has no local calls.
* everything else is `long-distance`.

Anything that is not a dialable number raises `DialError` naming the field and what is wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

import phonenumbers

from resources.kit.errors import FieldError

MAX_E164_DIGITS = 15
MAX_INPUT = 40
VISUAL_SEPARATORS = re.compile(r"[-.()]")  # RFC 3966 visual separators: ignored
E164 = re.compile(r"^\+[1-9]\d{6,14}$")
DOMESTIC = frozenset({"US", "CA", "PR", "VI", "GU", "MP", "AS"})
TOLL_FREE_NPAS = frozenset({"800", "833", "844", "855", "866", "877", "888"})
DIAL_HINT = "dial 10 digits, 1 + 10 digits, 011 + an international number or +E.164"


class CallingClass(StrEnum):
    EMERGENCY = "emergency"
    OPERATOR = "operator"
    DIRECTORY = "directory"
    SERVICE = "service"
    TOLL_FREE = "toll-free"
    PREMIUM = "premium"
    LOCAL = "local"
    LONG_DISTANCE = "long-distance"
    INTERNATIONAL = "international"


SHORT_CODES: dict[str, CallingClass] = {
    "911": CallingClass.EMERGENCY,
    "933": CallingClass.EMERGENCY,
    "112": CallingClass.EMERGENCY,
    "988": CallingClass.EMERGENCY,
    "0": CallingClass.OPERATOR,
    "00": CallingClass.OPERATOR,
    "411": CallingClass.DIRECTORY,
    **{code: CallingClass.SERVICE for code in ("211", "311", "511", "611", "711", "811")},
}


class DialError(FieldError):
    """Not a dialable number; `field` is `dialled` (or `caller` for a bad caller number)."""


@dataclass(frozen=True)
class Classified:
    call_class: CallingClass
    number: str | None  # E.164; None for a short code
    country: str | None  # ISO 3166 alpha-2 ("001": non-geographic); None for a short code
    dialled: str  # the digits dialled (visual separators removed)


def classify(dialled: str, *, caller: str) -> Classified:
    """The class of `dialled` for a user whose own number is `caller` (E.164)."""
    digits = _clean(dialled)
    short = SHORT_CODES.get(digits)
    if short is not None:  # emergency first: before even the caller's number is looked at
        return Classified(short, None, None, digits)
    if not E164.match(caller):
        raise DialError("caller", f"{caller!r} is not an E.164 number such as +13125550142")
    if digits.startswith("0") and not digits.startswith("011"):
        if len(digits) != 11:
            raise DialError(
                "dialled",
                f"{dialled!r}: after 0 dial nothing (operator), 0 (carrier operator), "
                "10 digits (operator-assisted) or 11 + an international number",
            )
        number, country = _valid(dialled, "+1" + digits[1:])
        return Classified(CallingClass.OPERATOR, number, country, digits)
    number, country = _valid(dialled, _e164(dialled, digits))
    return Classified(_class_of(number, country, caller), number, country, digits)


def _clean(dialled: str) -> str:
    if not isinstance(dialled, str):
        raise DialError("dialled", "must be text: the user part of the request URI")
    if not dialled.strip():
        raise DialError("dialled", "is empty")
    if len(dialled) > MAX_INPUT:
        raise DialError("dialled", f"is too long ({len(dialled)} characters; at most {MAX_INPUT})")
    text = VISUAL_SEPARATORS.sub("", dialled)
    if any(c.isalpha() for c in text):
        raise DialError("dialled", f"{dialled!r} has letters; a number is digits, with an optional leading +")
    body = text.removeprefix("+")
    if not body.isascii() or not body.isdigit():
        if text == "+":
            raise DialError("dialled", "'+' is too short: give the country code and number after the +")
        raise DialError("dialled", f"{dialled!r} may only hold digits, with an optional leading +")
    return text


def _e164(dialled: str, digits: str) -> str:
    """`digits` (not a short code, not operator-assisted) written as +E.164."""
    if digits.startswith(("+", "011")):
        body = digits.removeprefix("+").removeprefix("011")
        if not body:
            raise DialError(
                "dialled", f"{dialled!r} is too short: give the country code and number after 011"
            )
        if len(body) > MAX_E164_DIGITS:
            raise DialError(
                "dialled", f"{dialled!r} is too long: an international number has at most 15 digits"
            )
        return "+" + body
    national, need = (digits[1:], 11) if digits.startswith("1") else (digits, 10)
    if len(digits) < need:
        raise DialError("dialled", f"{dialled!r} is too short: {DIAL_HINT}")
    if len(digits) > need:
        raise DialError("dialled", f"{dialled!r} is too long: {DIAL_HINT}")
    return "+1" + national


def _valid(dialled: str, e164: str) -> tuple[str, str]:
    """(E.164, country) of a number phonenumbers holds valid, else a DialError saying why not."""
    verdict, first, second = _lookup(e164)
    if verdict == "ok":
        return first, second
    if verdict == "no-code":
        raise DialError("dialled", f"{dialled!r} does not start with a country code")
    where = f"country code +{first}"
    if verdict == "short":
        raise DialError("dialled", f"{dialled!r} is too short for a number with {where}")
    if verdict == "long":
        raise DialError("dialled", f"{dialled!r} is too long for a number with {where}")
    raise DialError("dialled", f"{dialled!r} is not a valid number with {where}")


@lru_cache(maxsize=65_536)
def _lookup(e164: str) -> tuple[str, str, str]:
    """phonenumbers' word on one number, remembered (parsing is ~80 µs, and the switch asks
    about the same numbers again and again): ("ok", E.164, country) or (why not, country code, "")."""
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return "no-code", "", ""
    reason = phonenumbers.is_possible_number_with_reason(parsed)
    code = str(parsed.country_code)
    if reason == phonenumbers.ValidationResult.TOO_SHORT:
        return "short", code, ""
    if reason == phonenumbers.ValidationResult.TOO_LONG:
        return "long", code, ""
    country = phonenumbers.region_code_for_number(parsed)
    if not phonenumbers.is_valid_number(parsed) or country is None:
        return "invalid", code, ""
    return "ok", phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164), country


def _class_of(number: str, country: str, caller: str) -> CallingClass:
    if country not in DOMESTIC:
        return CallingClass.INTERNATIONAL
    npa, nxx, line = number[2:5], number[5:8], number[8:]
    if npa in TOLL_FREE_NPAS:
        return CallingClass.TOLL_FREE
    if npa == "900" or nxx == "976":
        return CallingClass.PREMIUM
    if nxx + line == "5551212":
        return CallingClass.DIRECTORY
    if caller.startswith("+1") and caller[2:5] == npa:
        return CallingClass.LOCAL
    return CallingClass.LONG_DISTANCE

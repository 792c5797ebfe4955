"""The published swagger 2.0 files as JSON Schema: `definitions` become the schema's own
`definitions`, so `$ref: "#/definitions/X"` resolves in place (Draft 4, the dialect swagger 2.0
schemas are written in); `format: date-time` is checked (RFC 3339). Swagger-only keywords
(`discriminator`) are ignored by the validator, so a polymorphic value is checked against its base
definition.

`problems(spec, "Alarm", doc)` lists every way `doc` departs from the definition as
`(path, keyword, detail)` triples, sorted: the tests compare that list exactly, so a documented
difference stays the only one."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft4Validator  # type: ignore[import-untyped]  # no stubs in the lock

SCHEMAS = Path(__file__).resolve().parent / "schemas"
TMF642 = "TMF642-Alarm-v4.0.0.swagger.json"
TMF621 = "TMF621_Trouble_Ticket_Management_API_v4.0.0_swagger.json"


@cache
def swagger(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((SCHEMAS / name).read_text(encoding="utf-8"))
    return loaded


def definition(name: str, definition_name: str) -> dict[str, Any]:
    found: dict[str, Any] = swagger(name)["definitions"][definition_name]
    return found


@cache
def validator(name: str, definition_name: str) -> Draft4Validator:
    schema = {
        "$schema": "http://json-schema.org/draft-04/schema#",
        "definitions": swagger(name)["definitions"],
        "$ref": f"#/definitions/{definition_name}",
    }
    Draft4Validator.check_schema(schema)
    return Draft4Validator(schema, format_checker=Draft4Validator.FORMAT_CHECKER)


def problems(name: str, definition_name: str, doc: Any) -> list[tuple[str, str, str]]:
    """Every departure of `doc` from the definition: (JSON path, keyword, the offending value's
    repr, or the missing property's name), sorted."""
    out = []
    for error in validator(name, definition_name).iter_errors(doc):
        path = "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
        # `required` reports one error per missing property: name it (the message quotes it)
        detail = error.message.split("'")[1] if error.validator == "required" else repr(error.instance)
        out.append((path, str(error.validator), detail))
    return sorted(out)


def property_names(name: str, definition_name: str) -> set[str]:
    return set(definition(name, definition_name)["properties"])

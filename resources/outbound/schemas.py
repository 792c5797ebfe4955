"""What the outbound API writes besides the documents themselves: the configuration and audit
rows as JSON (an authorization code shows only as whether it is set and its lockout)."""

from __future__ import annotations

from typing import Any

from resources.outbound.models import AuditRow, CodeRow
from resources.outbound.service import Config


def config_json(customer_id: str, config: Config, codes: dict[str, CodeRow]) -> dict[str, Any]:
    def line(number: str) -> dict[str, Any]:
        code = codes.get(number)
        name, _ = config.policy_of(config.lines[number])
        return {
            **config.lines[number].as_json(),
            "effective_policy": name,
            "authorization_code": {
                "set": code is not None,
                "failures": code.failures if code else 0,
                "locked_until": code.locked_until.isoformat() if code and code.locked_until else None,
            },
        }

    return {
        "customer": customer_id,
        "policies": [{"name": n, **config.policies[n].as_json()} for n in sorted(config.policies)],
        "groups": [config.groups[n].as_json() for n in sorted(config.groups)],
        "lines": [line(n) for n in sorted(config.lines)],
        "account_codes": [config.account_codes[c].as_json() for c in sorted(config.account_codes)],
    }


def audit_json(row: AuditRow) -> dict[str, Any]:
    return {
        "at": row.at.isoformat(),
        "actor": row.actor_name,
        "action": row.action,
        "kind": row.kind,
        "name": row.name,
        "before": row.before,
        "after": row.after,
    }

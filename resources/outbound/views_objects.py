"""The groups page (`/groups`: name, policy, description, how many lines) and the account codes
page (`/account-codes`: code, description): a table each, with a form for a new one or
`?edit=<key>`, and delete. Both go through `service.put` / `service.remove`; a refusal shows
the form again as typed with the message next to its input, a group still in use (409) says so
at the top of the form."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from resources.kit.errors import FieldError, ProblemError
from resources.outbound import service
from resources.outbound.context import transaction
from resources.outbound.models import ACCOUNT_CODE, GROUP
from resources.outbound.service import Config
from resources.outbound.views_common import (
    FORM,
    Who,
    ctx_of,
    errors_of,
    page,
    render,
    require_edit,
    text_fields,
)


@dataclass(frozen=True)
class Kind:
    """What differs between the two simple pages."""

    kind: str  # models.GROUP | models.ACCOUNT_CODE
    path: str  # "/groups"
    title: str
    noun: str  # "Group", in messages
    key: str  # the input naming the object ("name", "code")
    inputs: tuple[str, ...]
    template: str
    items: Callable[[Config], Mapping[str, Any]]  # key → object
    document: Callable[[Mapping[str, str]], dict[str, Any]]


def _group_document(fields: Mapping[str, str]) -> dict[str, Any]:
    return {"name": fields.get("name", "").strip(), "policy": fields.get("policy", "").strip(),
            "description": fields.get("description", "")}  # fmt: skip


def _code_document(fields: Mapping[str, str]) -> dict[str, Any]:
    return {"code": fields.get("code", "").strip(), "description": fields.get("description", "")}


GROUPS = Kind(
    kind=GROUP, path="/groups", title="Outbound calling groups", noun="Group", key="name",
    inputs=("name", "policy", "description"), template="outbound/groups.html",
    items=lambda c: c.groups, document=_group_document,
)  # fmt: skip
ACCOUNT_CODES = Kind(
    kind=ACCOUNT_CODE, path="/account-codes", title="Account codes", noun="Account code", key="code",
    inputs=("code", "description"), template="outbound/account_codes.html",
    items=lambda c: c.account_codes, document=_code_document,
)  # fmt: skip


def lines_of(config: Config, group: str) -> int:
    return sum(1 for line in config.lines.values() if line.group == group)


async def objects_page(
    request: Request,
    whom: Who,
    spec: Kind,
    *,
    edit: str | None = None,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    notice: str | None = None,
    status: int = 200,
) -> Response:
    async with transaction(ctx_of(request), write=False) as tx:
        config = await service.config(tx, caller=whom.caller, customer_id=whom.customer)
    items = spec.items(config)
    wanted = edit if edit is not None else request.query_params.get("edit")
    editing = wanted if wanted in items else None
    values = form
    if values is None:
        doc = items[editing].as_json() if editing else {}
        values = {k: str(doc.get(k) or "") for k in spec.inputs}
    return render(request, spec.template, spec.title, {
        "who": whom, "items": [items[k] for k in sorted(items)], "editing": editing, "form": values,
        "errors": errors or {}, "notice": notice,
        "policy_options": [("", "Choose a policy"), *((p, p) for p in sorted(config.policies))],
        "lines_of": lambda group: lines_of(config, group), "current": spec.path.strip("/"),
    }, status=status)  # fmt: skip


def _endpoints(spec: Kind) -> list[Route]:
    @page(spec.title)
    async def get(request: Request, whom: Who) -> Response:
        return await objects_page(request, whom, spec)

    @page(spec.title)
    async def save(request: Request, whom: Who) -> Response:
        require_edit(request, whom)
        fields = text_fields(await request.form())
        editing = fields.get("mode") == "edit"
        document = spec.document(fields)
        key = str(document[spec.key])
        try:
            async with transaction(ctx_of(request), write=True) as tx:
                current = await service.config(tx, caller=whom.caller, customer_id=whom.customer)
                if not editing and key in spec.items(current):
                    raise FieldError(
                        spec.key, f"{spec.noun} {key} already exists; edit it in the table"
                    ).problem()
                _, created = await service.put(
                    tx, caller=whom.caller, customer_id=whom.customer, kind=spec.kind, name=key, raw=document
                )
        except ProblemError as exc:
            return await objects_page(request, whom, spec, edit=key if editing else "", form=fields,
                                      errors=errors_of(exc, spec.inputs), status=422)  # fmt: skip
        notice = f"{spec.noun} {key} {'added' if created else 'saved'}."
        return await objects_page(request, whom, spec, edit=key, notice=notice)

    @page(spec.title)
    async def delete(request: Request, whom: Who) -> Response:
        require_edit(request, whom)
        key = str(request.path_params["name"])
        try:
            async with transaction(ctx_of(request), write=True) as tx:
                await service.remove(
                    tx, caller=whom.caller, customer_id=whom.customer, kind=spec.kind, name=key
                )
        except ProblemError as exc:
            return await objects_page(request, whom, spec, edit=key, errors={FORM: errors_of(exc, ())[FORM]},
                                      status=422)  # fmt: skip
        return await objects_page(request, whom, spec, edit="", notice=f"{spec.noun} {key} deleted.")

    return [
        Route(spec.path, get, methods=["GET"]),
        Route(spec.path, save, methods=["POST"]),
        Route(f"{spec.path}/{{name}}/delete", delete, methods=["POST"]),
    ]


def object_routes() -> list[Route]:
    return [*_endpoints(GROUPS), *_endpoints(ACCOUNT_CODES)]

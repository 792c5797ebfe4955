"""HTML pages of the toll-free resource (htmx, server-rendered content; the gateway adds the shell).

Numbers and templates are both *targets* and share every page: `/numbers/{tfn}…` and
`/templates/{name}…` (target `*NAME`). The tree editor posts one operation at a time
(`…/versions/{n}/edit`, ops in editor.py), saves the draft and answers the re-rendered editor
with validation issues next to their nodes. Errors are inline: a fragment for htmx requests with
status 422 (htmx swaps 422, see base.html), the page itself otherwise; never a 500.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from resources.kit.errors import ProblemError, ValidationFailed
from resources.kit.middleware import caller_of
from resources.kit.pages import text_fields
from resources.tollfree import customers, editor, lifecycle, service
from resources.tollfree.compiler import Query
from resources.tollfree.context import transaction
from resources.tollfree.diff import Change, diff_documents
from resources.tollfree.document import get_node
from resources.tollfree.views_catalog import catalog_routes
from resources.tollfree.views_common import (
    MAX_WHATIF_CALLS,
    VERBS,
    ctx_of,
    is_htmx,
    issue_index,
    local_to_utc,
    problem_text,
    render,
    target_of,
    version_number,
    zone_of,
)


async def target_page(
    request: Request, *, notice: str | None = None, error: str | None = None, status: int = 200
) -> Response:
    t, caller = target_of(request), caller_of(request)
    async with transaction(ctx_of(request), write=False) as tx:
        view = await service.get_target(tx, caller=caller, target=t.target)
        audit = await service.audit(tx, caller=caller, target=t.target)
    active = view.active
    zone = zone_of(active.document if active else (view.drafts[0].document if view.drafts else None))
    title = f"{'Number' if t.kind == 'number' else 'Template'} {t.target}"
    headers = {"HX-Push-Url": t.url} if is_htmx(request) and request.method == "POST" else None
    return render(request, "tollfree/target.html", title, {
        "t": t, "view": view, "active": active, "audit": audit[:50], "zone": zone, "notice": notice,
        "error": error, "doc": active.document if active else None, "editable": False,
        "issues_at": issue_index(()),
        "versions": [*view.pending, *view.drafts, *([active] if active else []), *view.history],
        "vbase": "",
    }, status=status, headers=headers)  # fmt: skip


async def target_get(request: Request) -> Response:
    return await target_page(request)


async def create_version(request: Request) -> Response:
    t, form = target_of(request), text_fields(await request.form())
    source = form.get("from_version", "").strip()
    try:
        async with transaction(ctx_of(request), write=True) as tx:
            made = await service.create_version(
                tx, caller=caller_of(request), target=t.target, note=form.get("note", "").strip(),
                from_version=int(source) if source.isdigit() else None,
            )  # fmt: skip
    except ProblemError as exc:
        if exc.status == 404:
            raise
        return await target_page(request, error=problem_text(exc), status=422)
    url = f"{t.url}/versions/{made.number}"
    if is_htmx(request):
        return Response(status_code=204, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


async def audit_page(request: Request) -> Response:
    t = target_of(request)
    async with transaction(ctx_of(request), write=False) as tx:
        audit = await service.audit(tx, caller=caller_of(request), target=t.target)
    return render(request, "tollfree/audit.html", f"History of {t.target}", {"t": t, "audit": audit})


async def versions_page(request: Request) -> Response:
    t = target_of(request)
    async with transaction(ctx_of(request), write=False) as tx:
        versions = await service.list_versions(tx, caller=caller_of(request), target=t.target)
    return render(request, "tollfree/versions.html", f"Versions of {t.target}", {
        "t": t, "versions": sorted(versions, key=lambda v: -v.number), "can_edit": False,
    })  # fmt: skip


# --- a version: the editor ---------------------------------------------------------------------


async def _version_context(request: Request, *, document: Any = None) -> dict[str, Any]:
    t, caller, n = target_of(request), caller_of(request), version_number(request)
    async with transaction(ctx_of(request), write=False) as tx:
        view = await service.get_target(tx, caller=caller, target=t.target)
        version = await service.get_version(tx, caller=caller, target=t.target, number=n)
        sites = await customers.list_sites(tx, caller=caller, customer_id=view.customer_id)
        labels = await customers.list_labels(tx, caller=caller, customer_id=view.customer_id)
        templates = await customers.list_templates(tx, caller=caller, customer_id=view.customer_id)
    doc = version.document if document is None else document
    base = view.active.document if view.active and view.active.number != n else None
    return {
        "t": t, "view": view, "version": version, "doc": doc, "zone": zone_of(doc),
        "editable": view.can_edit and version.state in lifecycle.DRAFTS,
        "issues": list(version.issues), "issues_at": issue_index(version.issues),
        "vbase": f"{t.url}/versions/{n}", "sites": sites, "labels": labels,
        "templates": [x.name for x in templates], "changes": diff_documents(base, doc),
        "against": view.active.number if view.active and base is not None else None,
        "focus": None, "oob": False, "notice": None, "error": None, "activate_errors": {},
    }  # fmt: skip


async def version_page(request: Request) -> Response:
    context = await _version_context(request)
    v = context["version"]
    return render(request, "tollfree/version.html", f"{context['t'].target} version {v.number}", context)


def _focus(op: str, node: str, fields: Mapping[str, str]) -> str:
    """The id key of the button that keeps the keyboard focus after an operation."""
    branch = fields.get("branch", "")
    if op in ("move-up", "move-down") and branch.isdigit():
        return f"set-branch-{node}-{int(branch) + (-1 if op == 'move-up' else 1)}"
    if op in ("set-branch",):
        return f"set-branch-{node}-{branch}"
    if op in ("add-branch", "remove-branch"):
        return f"add-branch-{node}"
    if op in ("set-type", "set-action", "set-decision"):
        return f"set-type-{node}"
    return "set-record-M"


async def edit(request: Request) -> Response:
    """One editor operation: apply, save the draft, answer the re-rendered editor."""
    t, caller, n = target_of(request), caller_of(request), version_number(request)
    fields = text_fields(await request.form())
    op, node = fields.get("op", ""), fields.get("node", "M")
    try:
        async with transaction(ctx_of(request), write=True) as tx:
            current = await service.get_version(tx, caller=caller, target=t.target, number=n)
            document = editor.apply(current.document, op=op, node=node, fields=fields)
            await service.save_version(tx, caller=caller, target=t.target, number=n, document=document)
    except editor.EditError as exc:
        if fields.get("dialog"):
            return await _dialog(request, op=op, node=node, fields=fields, errors={exc.field: exc.message})
        return await _editor(request, error=exc.message, status=422)
    except ProblemError as exc:
        if exc.status == 404:
            raise
        return await _editor(request, error=problem_text(exc), status=422)
    return await _editor(request, focus=_focus(op, node, fields))


async def _editor(request: Request, *, focus: str | None = None, error: str | None = None,
                  status: int = 200) -> Response:  # fmt: skip
    context = await _version_context(request)
    context.update(focus=focus, error=error, oob=is_htmx(request))  # + diff and activation, out of band
    name = "tollfree/_editor.html" if is_htmx(request) else "tollfree/version.html"
    return render(request, name, f"{context['t'].target} version {context['version'].number}", context,
                  status=status)  # fmt: skip


async def _dialog(request: Request, *, op: str, node: str, fields: Mapping[str, str],
                  errors: dict[str, str] | None = None) -> Response:  # fmt: skip
    context = await _version_context(request)
    if not context["editable"] or op not in editor.DIALOGS:
        raise ProblemError(404, detail="nothing to edit here")
    doc = context["doc"]
    try:
        n = get_node(doc, node) if op not in editor.RECORD_DIALOGS else None
        values = editor.form_values(doc, op=op, node=n, fields=fields)
    except (KeyError, ValueError, IndexError):
        raise ProblemError(404, detail=f"there is no node {node} in this plan") from None
    if op == "set-branch" and not isinstance(n, dict):
        raise ProblemError(404, detail=f"{node} has no branches")
    if op in ("set-action", "set-decision") and not isinstance(n, dict):
        raise ProblemError(404, detail=f"{node} is empty")
    branch = int(fields["branch"]) if fields.get("branch", "").isdigit() else None
    kind = n.get("type") if isinstance(n, dict) else None
    context.update({
        "op": op, "node": node, "branch": branch, "n": n, "values": values, "errors": errors or {},
        "title": editor.DIALOGS[op].format(node=node, branch=(branch or 0) + 1),
        "labels": [f"@{x.name}" for x in context["labels"] if x.kind == kind],
        "subsections": [s for s in (doc.get("sections") or {}) if s != "M"],
    })  # fmt: skip
    headers = {"HX-Retarget": "#tf-dialog-slot", "HX-Reswap": "innerHTML"} if errors else None
    return render(request, "tollfree/_dialog.html", context["title"], context, status=422 if errors else 200,
                  headers=headers)  # fmt: skip


async def dialog(request: Request) -> Response:
    q = request.query_params
    fields = {k: q[k] for k in ("branch", "name") if k in q}
    return await _dialog(request, op=q.get("op", ""), node=q.get("node", "M"), fields=fields)


async def diff_page(request: Request) -> Response:
    t, n = target_of(request), version_number(request)
    against_text = request.query_params.get("against", "")
    against = int(against_text) if against_text.isdigit() else None
    async with transaction(ctx_of(request), write=False) as tx:
        changes: list[Change] = await service.diff(
            tx, caller=caller_of(request), target=t.target, number=n, against=against
        )
    return render(request, "tollfree/diff.html", f"Changes in version {n} of {t.target}", {
        "t": t, "n": n, "against": against, "changes": changes,
    })  # fmt: skip


# --- lifecycle ---------------------------------------------------------------------------------


async def lifecycle_action(request: Request, verb: str) -> Response:
    t, caller, n = target_of(request), caller_of(request), version_number(request)
    fields = text_fields(await request.form())
    try:
        async with transaction(ctx_of(request), write=True) as tx:
            if verb == "activate":
                version = await service.get_version(tx, caller=caller, target=t.target, number=n)
                when = None
                if fields.get("when") == "at":
                    day, _, clock = fields.get("effective", "").partition("T")
                    when = local_to_utc(day, clock, zone_of(version.document))
                    if when is None:
                        raise ValidationFailed([{"field": "effective", "message": "Give the date and time."}])
                done = await service.activate(tx, caller=caller, target=t.target, number=n, effective_at=when)
            else:
                action: Callable[..., Awaitable[Any]] = getattr(service, verb)
                done = await action(tx, caller=caller, target=t.target, number=n)
    except ProblemError as exc:
        if exc.status == 404:
            raise
        if verb == "activate":
            context = await _version_context(request)
            context["activate_errors"] = {"form": problem_text(exc)}
            return render(request, "tollfree/version.html", f"{t.target} version {n}", context, status=422)
        return await target_page(request, error=problem_text(exc), status=422)
    if verb == "activate" and done.state != lifecycle.ACTIVE:
        notice = f"Version {n} is scheduled for {done.effective_at:%Y-%m-%d %H:%M} UTC."
    else:
        notice = {
            "activate": f"Version {n} is active.",
            "hold": f"Version {n} is on hold.",
            "release": f"Version {n} is scheduled again.",
            "cancel": f"Version {n} is a draft again.",
            "rollback": f"Rolled back to version {n}: version {done.number} is active.",
        }[verb]
    return await target_page(request, notice=notice)


# --- simulator and what-if ---------------------------------------------------------------------


async def simulate(request: Request) -> Response:
    t, caller = target_of(request), caller_of(request)
    fields = text_fields(await request.form())
    choice = fields.get("version", "active")
    number = int(choice) if choice.isdigit() else None
    ani = fields.get("ani", "").strip() or None
    try:
        async with transaction(ctx_of(request), write=False) as tx:
            view = await service.get_target(tx, caller=caller, target=t.target)
            chosen = view.active
            if number is not None:
                chosen = await service.get_version(tx, caller=caller, target=t.target, number=number)
            document = chosen.document if chosen else None
            zone = zone_of(document)
            at = local_to_utc(fields.get("date", ""), fields.get("time", ""), zone)
            answer = await service.simulate(tx, caller=caller, target=t.target, number=number, ani=ani, at=at,
                                            call_id=fields.get("call_id", "").strip() or None)  # fmt: skip
            when = (at or tx.now).astimezone(ZoneInfo(zone))
    except ProblemError as exc:
        if exc.status == 404:
            raise
        return render(
            request, "tollfree/_sim_result.html", "Simulation", {"error": problem_text(exc)}, status=422
        )
    return render(request, "tollfree/_sim_result.html", "Simulation", {
        "answer": answer, "when": when, "zone": zone, "ani": ani, "version": number, "error": None,
    })  # fmt: skip


def parse_calls(text: str, *, dnis: str, zone: str) -> list[Query]:
    """CSV `ani,time,call_id` (header optional): time as epoch seconds or ISO 8601 (no zone =
    the plan's zone). ValidationFailed names the line."""
    calls: list[Query] = []
    errors: list[dict[str, str]] = []
    for line, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        cells = [c.strip() for c in row]
        if not any(cells) or (line == 1 and cells[:1] == ["ani"]):
            continue
        if len(cells) < 2:
            errors.append({"field": f"line {line}", "message": f"Line {line}: give ani,time[,call_id]."})
            continue
        try:
            ts = float(cells[1])
        except ValueError:
            try:
                moment = datetime.fromisoformat(cells[1])
            except ValueError:
                errors.append(
                    {"field": f"line {line}", "message": f"Line {line}: {cells[1]!r} is not a time."}
                )
                continue
            ts = (moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(zone))).timestamp()
        calls.append(
            Query(
                dnis=dnis, ani=cells[0] or None, ts=ts, call_id=(cells[2] if len(cells) > 2 else "") or None
            )
        )
        if len(calls) > MAX_WHATIF_CALLS:
            raise ValidationFailed(
                [{"field": "csv", "message": f"At most {MAX_WHATIF_CALLS} calls at a time."}]
            )
    if errors:
        raise ValidationFailed(errors[:20])
    if not calls:
        raise ValidationFailed([{"field": "csv", "message": "Paste or upload at least one call."}])
    return calls


async def whatif(request: Request) -> Response:
    """Replay calls through the active plan and through a version (the traffic resource will
    provide recorded calls later; for now CSV)."""
    t, caller = target_of(request), caller_of(request)
    form = await request.form()
    fields = text_fields(form)
    upload = form.get("file")
    text = fields.get("csv", "")
    if isinstance(upload, UploadFile) and upload.filename:
        text = (await upload.read()).decode("utf-8", errors="replace")
    choice = fields.get("version", "")
    try:
        if not choice.isdigit():
            raise ValidationFailed([{"field": "version", "message": "Choose the version to compare."}])
        async with transaction(ctx_of(request), write=False) as tx:
            view = await service.get_target(tx, caller=caller, target=t.target)
            version = await service.get_version(tx, caller=caller, target=t.target, number=int(choice))
            calls = parse_calls(text, dnis=t.target, zone=zone_of(version.document))
            result = await service.whatif(tx, caller=caller, target=t.target, number=int(choice), calls=calls)
    except ProblemError as exc:
        if exc.status == 404:
            raise
        return render(
            request, "tollfree/_whatif_result.html", "What-if", {"error": problem_text(exc)}, status=422
        )
    return render(request, "tollfree/_whatif_result.html", "What-if", {
        "result": result, "version": int(choice), "active": view.active, "error": None,
    })  # fmt: skip


# --- routes ------------------------------------------------------------------------------------


def _verb(verb: str) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        return await lifecycle_action(request, verb)

    return endpoint


def routes() -> list[Route]:
    out = catalog_routes()
    for base in ("/numbers/{tfn}", "/templates/{name}"):
        out += [
            Route(base, target_get, methods=["GET"]),
            Route(f"{base}/versions", versions_page, methods=["GET"]),
            Route(f"{base}/versions", create_version, methods=["POST"]),
            Route(f"{base}/versions/{{n}}", version_page, methods=["GET"]),
            Route(f"{base}/versions/{{n}}/edit", edit, methods=["POST"]),
            Route(f"{base}/versions/{{n}}/dialog", dialog, methods=["GET"]),
            Route(f"{base}/versions/{{n}}/diff", diff_page, methods=["GET"]),
            Route(f"{base}/simulate", simulate, methods=["POST"]),
            Route(f"{base}/whatif", whatif, methods=["POST"]),
            Route(f"{base}/audit", audit_page, methods=["GET"]),
            *(Route(f"{base}/versions/{{n}}/{verb}", _verb(verb), methods=["POST"]) for verb in VERBS),
        ]
    return out

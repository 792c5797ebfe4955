"""Toll-free catalog pages: number list, templates, labels, sites, and the staff admin page."""

from __future__ import annotations

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from resources.kit.errors import ProblemError, ValidationFailed
from resources.kit.middleware import caller_of
from resources.kit.pages import text_fields
from resources.tollfree import customers, editor, service
from resources.tollfree.context import transaction
from resources.tollfree.manifest import EDIT_ROUTING
from resources.tollfree.views_common import ctx_of, field_errors, problem_text, render


async def numbers_page(request: Request) -> Response:
    async with transaction(ctx_of(request), write=False) as tx:
        numbers = await service.list_numbers(tx, caller=caller_of(request))
    return render(request, "tollfree/numbers.html", "Toll-free numbers", {"numbers": numbers})


async def templates_page(request: Request, *, errors: dict[str, str] | None = None,
                         form: dict[str, str] | None = None, status: int = 200) -> Response:  # fmt: skip
    caller = caller_of(request)
    async with transaction(ctx_of(request), write=False) as tx:
        templates = await customers.list_templates(tx, caller=caller)
    return render(request, "tollfree/templates.html", "Routing templates", {
        "templates": templates, "errors": errors or {}, "form": form or {},
        "can_create": caller.has(EDIT_ROUTING), "staff": caller.kind != "customer",
    }, status=status)  # fmt: skip


async def create_template(request: Request) -> Response:
    form = text_fields(await request.form())
    try:
        async with transaction(ctx_of(request), write=True) as tx:
            made = await customers.create_template(
                tx,
                caller=caller_of(request),
                name=form.get("name", ""),
                description=form.get("description", ""),
                customer_id=form.get("customer_id", "").strip() or None,
            )
    except ValidationFailed as exc:
        return await templates_page(request, errors=field_errors(exc), form=form, status=422)
    except ProblemError as exc:
        if exc.status == 404:
            raise
        return await templates_page(request, errors={"name": problem_text(exc)}, form=form, status=422)
    return RedirectResponse(f"/tollfree/templates/{made.name.removeprefix('*')}", status_code=303)


async def labels_page(request: Request, *, errors: dict[str, str] | None = None,
                      form: dict[str, str] | None = None, notice: str | None = None,
                      status: int = 200) -> Response:  # fmt: skip
    async with transaction(ctx_of(request), write=False) as tx:
        labels = await customers.list_labels(tx, caller=caller_of(request))
    return render(request, "tollfree/labels.html", "Labels", {
        "labels": labels, "errors": errors or {}, "form": form or {}, "notice": notice,
        "kinds": editor.VALUE_HELP, "edit": request.query_params.get("edit"),
    }, status=status)  # fmt: skip


async def save_label(request: Request) -> Response:
    form = text_fields(await request.form())
    try:
        async with transaction(ctx_of(request), write=True) as tx:
            label = await customers.save_label(
                tx, caller=caller_of(request), name=form.get("name", "").strip().upper(),
                kind=form.get("kind", ""), values=editor.split_values(form.get("values", "")),
                customer_id=form.get("customer_id", "").strip() or None,
            )  # fmt: skip
    except ValidationFailed as exc:
        return await labels_page(request, errors=field_errors(exc), form=form, status=422)
    except ProblemError as exc:
        if exc.status == 404:
            raise
        return await labels_page(request, errors={"form": problem_text(exc)}, form=form, status=422)
    return await labels_page(request, notice=f"Label {label.name} saved.")


async def delete_label(request: Request) -> Response:
    name = str(request.path_params["name"])
    try:
        async with transaction(ctx_of(request), write=True) as tx:
            await customers.delete_label(tx, caller=caller_of(request), name=name)
    except ProblemError as exc:
        return await labels_page(request, errors={"form": problem_text(exc)}, status=422)
    return await labels_page(request, notice=f"Label {name} deleted.")


async def sites_page(request: Request) -> Response:
    async with transaction(ctx_of(request), write=False) as tx:
        sites = await customers.list_sites(tx, caller=caller_of(request))
    return render(request, "tollfree/sites.html", "Call-center sites", {"sites": sites})


async def admin_page(request: Request, *, errors: dict[str, dict[str, str]] | None = None,
                     form: dict[str, str] | None = None, notice: str | None = None,
                     status: int = 200) -> Response:  # fmt: skip
    async with transaction(ctx_of(request), write=False) as tx:
        numbers = await service.list_numbers(tx, caller=caller_of(request))
        sites = await customers.list_sites(tx, caller=caller_of(request))
    return render(request, "tollfree/admin.html", "Toll-free admin", {
        "numbers": numbers, "sites": sites, "errors": errors or {}, "form": form or {}, "notice": notice,
    }, status=status)  # fmt: skip


async def admin_action(request: Request) -> Response:
    what = request.url.path.rsplit("/", 1)[1]  # numbers | sites | origin
    caller, form = caller_of(request), await request.form()
    fields = text_fields(form)
    upload = form.get("file")
    if isinstance(upload, UploadFile):
        fields["csv"] = (await upload.read()).decode("utf-8", errors="replace") or fields.get("csv", "")
    try:
        async with transaction(ctx_of(request), write=True) as tx:
            if what == "numbers":
                chain = editor.split_values(fields.get("reseller_chain", ""), upper=False)
                number = await customers.assign_number(
                    tx, caller=caller, tfn=fields.get("tfn", ""), reseller_chain=chain,
                    customer_id=fields.get("customer_id", "").strip(),
                    description=fields.get("description", ""),
                )  # fmt: skip
                notice = f"{number.tfn} was assigned to {number.customer_id}."
            elif what == "sites":
                site = await customers.save_site(
                    tx, caller=caller, customer_id=fields.get("customer_id", "").strip(),
                    name=fields.get("name", "").strip(), uri=fields.get("uri", ""),
                    description=fields.get("description", ""),
                )  # fmt: skip
                notice = f"Site {site.name} of {site.customer_id} saved."
            else:
                result = await customers.import_origin(tx, caller=caller, csv_text=fields.get("csv", ""))
                notice = f"Origin data replaced: {result.rows} rows."
    except ValidationFailed as exc:
        return await admin_page(request, errors={what: field_errors(exc)}, form=fields, status=422)
    except ProblemError as exc:
        if exc.status == 404 and what != "sites":
            raise
        return await admin_page(request, errors={what: {"form": problem_text(exc)}}, form=fields, status=422)
    return await admin_page(request, notice=notice)


# --- a target: number or template -------------------------------------------------------------


def catalog_routes() -> list[Route]:
    return [
        Route("/numbers", numbers_page, methods=["GET"]),
        Route("/templates", templates_page, methods=["GET"]),
        Route("/templates", create_template, methods=["POST"]),
        Route("/labels", labels_page, methods=["GET"]),
        Route("/labels", save_label, methods=["POST"]),
        Route("/labels/{name}/delete", delete_label, methods=["POST"]),
        Route("/sites", sites_page, methods=["GET"]),
        Route("/admin", admin_page, methods=["GET"]),
        *(Route(f"/admin/{what}", admin_action, methods=["POST"]) for what in ("numbers", "sites", "origin")),
    ]

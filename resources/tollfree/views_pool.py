"""The number-pool section of the toll-free admin page (`/admin/pool`).

`admin.html` loads it with htmx (`hx-get`, on load) and links to it; without htmx it is a page of
its own. Forms post back here and get the section (htmx) or the whole page back, with the error
of the form that failed inline (422, which htmx swaps in); a number in no pool the caller sees
is a plain 404.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from resources.kit.errors import ProblemError, ValidationFailed
from resources.kit.middleware import caller_of
from resources.kit.pages import text_fields
from resources.tollfree import access, pool
from resources.tollfree.context import transaction
from resources.tollfree.views_common import ctx_of, field_errors, is_htmx, problem_text, render

TITLE = "Number pool"


async def pool_page(request: Request, *, errors: dict[str, dict[str, str]] | None = None,
                    form: dict[str, str] | None = None, notice: str | None = None,
                    status: int = 200) -> Response:  # fmt: skip
    """`errors`: "add" → field errors of the add form; a TFN → the error of that row's form."""
    caller = caller_of(request)
    async with transaction(ctx_of(request), write=False) as tx:
        entries = await pool.list_pool(tx, caller=caller)
        customers = await pool.assignable_customers(tx, caller=caller)
    return render(request, "tollfree/admin_pool.html", TITLE, {
        "pool": entries, "customers": customers, "provider": access.is_provider(caller),
        "standalone": not is_htmx(request), "errors": errors or {}, "form": form or {}, "notice": notice,
    }, status=status)  # fmt: skip


async def add(request: Request) -> Response:
    form = text_fields(await request.form())
    try:
        async with transaction(ctx_of(request), write=True) as tx:
            entry = await pool.add_to_pool(
                tx, caller=caller_of(request), tfn=form.get("tfn", ""), reseller=form.get("reseller", "")
            )
    except ValidationFailed as exc:
        return await pool_page(request, errors={"add": field_errors(exc)}, form=form, status=422)
    except ProblemError as exc:
        return await pool_page(request, errors={"add": {"form": problem_text(exc)}}, form=form, status=422)
    return await pool_page(request, notice=f"{entry.tfn} is in the pool of {entry.holder}.")


async def assign(request: Request) -> Response:
    tfn = str(request.path_params["tfn"])
    form = text_fields(await request.form())
    try:
        async with transaction(ctx_of(request), write=True) as tx:
            number = await pool.assign_from_pool(
                tx, caller=caller_of(request), tfn=tfn, customer_id=form.get("customer_id", "").strip(),
                description=form.get("description", ""),
            )  # fmt: skip
    except pool.NotInPool:
        raise
    except ProblemError as exc:
        return await pool_page(request, errors={tfn: {"form": problem_text(exc)}}, form=form, status=422)
    return await pool_page(request, notice=f"{number.tfn} was assigned to {number.customer_id}.")


async def remove(request: Request) -> Response:
    tfn = str(request.path_params["tfn"])
    try:
        async with transaction(ctx_of(request), write=True) as tx:
            await pool.remove_from_pool(tx, caller=caller_of(request), tfn=tfn)
    except pool.NotInPool:
        raise
    except ProblemError as exc:
        return await pool_page(request, errors={tfn: {"form": problem_text(exc)}}, status=422)
    return await pool_page(request, notice=f"{tfn} was taken out of its pool.")


def pool_routes() -> list[Route]:
    return [
        Route("/admin/pool", pool_page, methods=["GET"]),
        Route("/admin/pool", add, methods=["POST"]),
        Route("/admin/pool/{tfn}/assign", assign, methods=["POST"]),
        Route("/admin/pool/{tfn}/delete", remove, methods=["POST"]),
    ]

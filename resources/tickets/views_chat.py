"""The chat's pages: "Talk to us" (`/chat/new`: a subject and the first message open an inquiry
ticket, channel chat, and lead to its chat) and the ticket page's chat form without a script
(`POST /ticket/{id}/chat`: the message is stored and delivered as over the websocket; the page
again, 303). The live panel itself is templates/tickets/_chat.html with chat_script.py."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from resources.kit.errors import ProblemError
from resources.kit.middleware import caller_of
from resources.tickets import chat
from resources.tickets.views import ticket_page
from resources.tickets.views_common import BASE, ctx_of, errors_of, refusal, render, text_fields

TALK_TITLE = "Talk to us"


def sentence(text: str | None) -> str:
    text = (text or "").strip().rstrip(".")
    return text[:1].upper() + text[1:] + "."


TALK_INPUTS = {"name": "name", "text": "text"}


def talk_page(
    request: Request, form: dict[str, str], *, errors: dict[str, str] | None = None, status: int = 200
) -> Response:
    return render(
        request,
        "tickets/talk.html",
        TALK_TITLE,
        {"form": form, "errors": errors or {}, "current": "talk"},
        status=status,
    )


async def talk_get(request: Request) -> Response:
    return talk_page(request, {})


async def talk_post(request: Request) -> Response:
    fields = text_fields(await request.form())
    try:
        row = await chat.start(
            ctx_of(request),
            caller=caller_of(request),
            subject=fields.get("name", ""),
            text=fields.get("text", ""),
        )
    except ProblemError as exc:
        refusal(exc)
        return talk_page(request, fields, errors=errors_of(exc, TALK_INPUTS), status=422)
    return RedirectResponse(f"{BASE}/ticket/{row.id}#chat", status_code=303)


async def chat_post(request: Request) -> Response:
    ticket_id = str(request.path_params["id"])
    fields = text_fields(await request.form())
    try:
        await chat.post(
            ctx_of(request), caller=caller_of(request), ticket_id=ticket_id, text=fields.get("text", "")
        )
    except chat.ChatRefused as exc:
        return await ticket_page(
            request, ticket_id, errors={"chat": sentence(str(exc))}, form=fields, status=422
        )
    except ProblemError as exc:
        refusal(exc)
        return await ticket_page(
            request, ticket_id, errors={"chat": sentence(exc.detail)}, form=fields, status=422
        )
    return RedirectResponse(f"{BASE}/ticket/{ticket_id}#chat", status_code=303)


def routes() -> list[Route]:
    return [
        Route("/chat/new", talk_get, methods=["GET"]),
        Route("/chat/new", talk_post, methods=["POST"]),
        Route("/ticket/{id}/chat", chat_post, methods=["POST"]),
    ]

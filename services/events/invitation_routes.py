"""HTTP in for invitations: inviting partner networks, answering, the promoted events.

The owner's staff invite partners to promote or co-organise an own event; the invited
network's staff accept or decline. The events a network promotes are listed on its
public site (``/events/promoted``, and ``GET /api/events/promoted``).
"""

# No ``from __future__ import annotations``: FastAPI reads the route annotations.
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from services.events import invitations
from services.events.invitations import InvitationDraft, ReplyDraft
from services.events.pages import entry
from services.events.personal import public_view
from services.events.store import EventsUnitOfWork
from shared.errors import DomainError
from shared.http import problem_responses
from shared.service import ServiceKit
from shared.store import Document
from shared.web.forms import domain_errors, parse, split_list, text
from shared.web.i18n import N_
from shared.web.layer import WebLayer
from shared.web.session import Session

Kit = ServiceKit[EventsUnitOfWork]


async def invite(kit: Kit, event_id: str, draft: InvitationDraft) -> list[Document]:
    """Invite each partner (admitted nodes only); counted once committed."""
    known = kit.context.keyring.origins()
    node = kit.identity.node
    sent = await kit.transaction(lambda uow: invitations.invite(uow, node, event_id, draft, known))
    invitations.counter(kit.metrics.registry).labels("out", "invited").inc(len(sent))
    return sent


async def reply(kit: Kit, invitation_id: str, draft: ReplyDraft) -> Document:
    """Accept or decline an invitation; counted once committed."""
    found = await kit.transaction(lambda uow: invitations.reply(uow, invitation_id, draft))
    invitations.counter(kit.metrics.registry).labels("in", found["status"]).inc()
    return found


def invitations_api(kit: Kit) -> APIRouter:
    """Routes of the invitations, bound to this node's events service."""
    api = APIRouter(prefix="/api/events", tags=["events"])
    invitations.counter(kit.metrics.registry)  # shown at zero before the first one

    @api.post(
        "/events/{event_id}/invitations",
        status_code=201,
        dependencies=[Depends(kit.editor)],
        responses=problem_responses(404, 409),
    )
    async def invite_partners(event_id: str, draft: InvitationDraft) -> dict[str, Any]:
        """Invite partner networks to promote or co-organise an own, shared event."""
        return {"items": [public_view(doc) for doc in await invite(kit, event_id, draft)]}

    @api.get("/invitations", dependencies=[Depends(kit.editor)])
    async def list_invitations(
        side: str = Query("received", pattern="^(received|sent)$"),
        status: str | None = Query(None, pattern="^(pending|accepted|declined)$"),
    ) -> dict[str, Any]:
        """Invitations this network received, or sent to partners."""
        found = await invitations.listing_of(kit.reads(), side, status)
        return {"items": [public_view(doc) for doc in found]}

    @api.post(
        "/invitations/{invitation_id}/answer",
        dependencies=[Depends(kit.editor)],
        responses=problem_responses(404, 409),
    )
    async def answer_invitation(invitation_id: str, draft: ReplyDraft) -> dict[str, Any]:
        """Accept (``accept: true``) or decline an invitation; the owner hears."""
        return public_view(await reply(kit, invitation_id, draft))

    @api.get("/promoted")
    async def promoted_events() -> dict[str, Any]:
        """The public events this network accepted to promote to its members."""
        docs = await invitations.promoted(kit.reads())
        return {"items": [{**doc["data"], "origin": doc["origin"]} for doc in docs]}

    return api


def invitation_pages(kit: Kit, web: WebLayer) -> APIRouter:
    """/events/promoted (public) and /console/invitations."""
    pages = APIRouter(include_in_schema=False)
    Staff = Annotated[Session, Depends(web.staff())]

    @pages.get("/events/promoted")
    async def promoted_page(request: Request) -> Response:
        """The partners' events this network promotes to its members."""
        reader = web.language(request).code
        events = [entry(doc, reader) for doc in await invitations.promoted(kit.reads())]
        return web.render(request, "events/invitations_promoted.html", {"events": events})

    async def console_page(
        request: Request, values: dict[str, str], errors: dict[str, str], status: int = 200
    ) -> Response:
        reads = kit.reads()
        own, _next = await reads.events.page({"deleted": False}, None, 200)
        context = {
            "received": await invitations.listing_of(reads, "received", None),
            "sent": await invitations.listing_of(reads, "sent", None),
            "own": [event for event in own if event.is_shared],
            "values": values,
            "errors": errors,
        }
        return web.render(request, "events/invitations_console.html", context, status=status)

    @pages.get("/console/invitations")
    async def console(request: Request, session: Staff) -> Response:
        """Invitations received (to answer), sent (their answers), and a form to invite."""
        return await console_page(request, {"kind": "promote"}, {})

    @pages.post("/console/invitations")
    async def console_invite(request: Request, session: Staff) -> Response:
        form = await request.form()
        web.check_form(request, text(form, "csrf"))
        values = {name: text(form, name) for name in ("event", "partners", "kind", "message")}
        body = {
            "partners": split_list(values["partners"]),
            "kind": values["kind"],
            "message": values["message"],
        }
        draft, errors = parse(InvitationDraft, body)
        if draft is not None:
            try:
                await invite(kit, values["event"], draft)
            except DomainError as exc:
                errors = domain_errors(exc)
        if errors:
            return await console_page(request, values, errors, 422)
        notice = web.language(request).gettext(N_("Invitations sent."))
        return web.redirect("/console/invitations", notice=notice)

    @pages.post("/console/invitations/{invitation_id}/answer")
    async def console_answer(request: Request, invitation_id: str, session: Staff) -> Response:
        form = await request.form()
        web.check_form(request, text(form, "csrf"))
        await reply(kit, invitation_id, ReplyDraft(accept=text(form, "accept") == "yes"))
        notice = web.language(request).gettext(N_("Answer sent."))
        return web.redirect("/console/invitations", notice=notice)

    return pages

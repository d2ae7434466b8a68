"""HTTP in for inquiries: the API under /api/events/inquiries and the pages.

Anyone may ask about an event this node's calendar shows them (as the event page does);
the answer is read with the key the question returned (``GET …/inquiries/{id}?key=``),
or by this node's staff. The staff list and answer the inquiries about their own events.
"""

# No ``from __future__ import annotations``: FastAPI reads the route annotations.
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from services.events import inquiries
from services.events.inquiries import AnswerDraft, InquiryDraft
from services.events.personal import public_view
from services.events.personal_routes import (
    by_event,
    calendar_event,
    console_decision,
    read_keyed,
    request_form,
)
from services.events.store import EventsUnitOfWork
from shared.auth import Role
from shared.http import problem_responses
from shared.service import ServiceKit
from shared.store import Document
from shared.web.forms import parse, text
from shared.web.i18n import N_
from shared.web.layer import WebLayer
from shared.web.session import Session

Kit = ServiceKit[EventsUnitOfWork]
SIDES = ("received", "sent")
FIELDS = ("name", "email", "organisation", "question")


async def ask(kit: Kit, doc: Document, draft: InquiryDraft) -> tuple[Document, str]:
    """Record and send the question; counted once it is committed."""
    record, key = await kit.transaction(
        lambda uow: inquiries.ask(uow, kit.identity.node, doc, draft)
    )
    inquiries.counter(kit.metrics.registry).labels("out", "asked").inc()
    return record, key


async def answer(kit: Kit, inquiry_id: str, draft: AnswerDraft) -> Document:
    """Record and send the staff's answer; counted once it is committed."""
    record = await kit.transaction(
        lambda uow: inquiries.answer(uow, kit.identity.node, inquiry_id, draft)
    )
    inquiries.counter(kit.metrics.registry).labels("in", "answered").inc()
    return record


def inquiries_api(kit: Kit) -> APIRouter:
    """Routes of the inquiries, bound to this node's events service."""
    api = APIRouter(prefix="/api/events", tags=["events"])
    Caller = Annotated[Role | None, Depends(kit.caller)]
    inquiries.counter(kit.metrics.registry)  # shown at zero before the first inquiry

    @api.post(
        "/events/{origin}/{event_id}/inquiries",
        status_code=201,
        responses=problem_responses(404),
    )
    async def ask_about_event(
        origin: str, event_id: str, draft: InquiryDraft, role: Caller
    ) -> dict[str, Any]:
        """Ask the owner's staff about an event; keep ``key`` to read the answer."""
        doc = await calendar_event(kit, origin, event_id, public_only=role is None)
        record, key = await ask(kit, doc, draft)
        return {**public_view(record), "key": key}

    @api.get("/inquiries/{inquiry_id}", responses=problem_responses(404))
    async def read_inquiry(
        inquiry_id: str, role: Caller, key: str | None = Query(None, max_length=100)
    ) -> dict[str, Any]:
        """The asker's record: the question and, once it came, the owner's answer."""
        record = await read_keyed(kit, inquiries.asker_record, inquiry_id, role, key, "inquiry")
        return public_view(record)

    @api.get("/inquiries", dependencies=[Depends(kit.editor)])
    async def list_inquiries(
        side: str = Query("received", pattern="^(received|sent)$"),
        status: str | None = Query(None, pattern="^(open|waiting|answered|refused)$"),
    ) -> dict[str, Any]:
        """Inquiries about this node's events (``received``) or asked here (``sent``)."""
        found = await inquiries.listing_of(kit.reads(), side, status)
        return {"items": [public_view(doc) for doc in found]}

    @api.post(
        "/inquiries/{inquiry_id}/answer",
        dependencies=[Depends(kit.editor)],
        responses=problem_responses(404, 409),
    )
    async def answer_inquiry(inquiry_id: str, draft: AnswerDraft) -> dict[str, Any]:
        """Answer an inquiry about an own event: the answer goes to the asker's node."""
        return public_view(await answer(kit, inquiry_id, draft))

    return api


def inquiry_pages(kit: Kit, web: WebLayer) -> APIRouter:
    """/events/{origin}/{id}/ask, /inquiries/{id} (the asker's), /console/inquiries."""
    pages = APIRouter(include_in_schema=False)
    Staff = Annotated[Session, Depends(web.staff())]

    def ask_form(
        request: Request, doc: Document, values: dict[str, str], errors: dict[str, str]
    ) -> Response:
        return request_form(web, request, "events/inquiries_ask.html", doc, values, errors)

    @pages.get("/events/{origin}/{event_id}/ask")
    async def ask_page(request: Request, origin: str, event_id: str) -> Response:
        """The form to ask the organisers about a public event."""
        doc = await calendar_event(kit, origin, event_id, public_only=True)
        return ask_form(request, doc, {}, {})

    @pages.post("/events/{origin}/{event_id}/ask")
    async def ask_sent(request: Request, origin: str, event_id: str) -> Response:
        form = await request.form()
        web.check_form(request, text(form, "csrf"))
        doc = await calendar_event(kit, origin, event_id, public_only=True)
        values = {name: text(form, name) for name in FIELDS}
        draft, errors = parse(InquiryDraft, values)
        if draft is None:
            return ask_form(request, doc, values, errors)
        record, key = await ask(kit, doc, draft)
        notice = web.language(request).gettext(N_("Your question is sent."))
        return web.redirect(f"/inquiries/{record['_id']}", key=key, notice=notice)

    @pages.get("/inquiries/{inquiry_id}")
    async def asker_page(
        request: Request, inquiry_id: str, key: str = Query("", max_length=100)
    ) -> Response:
        """The asker's page (bookmark it): the question and the answer once it came."""
        record = await inquiries.asker_record(kit.reads(), inquiry_id, key)
        return web.render(request, "events/inquiries_mine.html", {"inquiry": record})

    @pages.get("/console/inquiries")
    async def console(request: Request, session: Staff) -> Response:
        """Open inquiries about own events, per event, then the people's own questions."""
        reads = kit.reads()
        context = {
            "by_event": by_event(await inquiries.listing_of(reads, "received", None)),
            "sent": await inquiries.listing_of(reads, "sent", None),
            "errors": {},
        }
        return web.render(request, "events/inquiries_console.html", context)

    @pages.post("/console/inquiries/{inquiry_id}/answer")
    async def console_answer(request: Request, inquiry_id: str, session: Staff) -> Response:
        return await console_decision(
            web,
            request,
            AnswerDraft,
            ("answer",),
            lambda draft: answer(kit, inquiry_id, draft),
            "/console/inquiries",
            (N_("Not answered: %s"), N_("Answer sent.")),
        )

    return pages

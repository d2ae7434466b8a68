"""HTTP in for translation requests: the API under /api/news, and the console's
/console/translations (the lists, a form to ask) and /console/translations/<origin>/<id>
(one request, the original beside the translation).

Every route needs a member of this node's staff (an editor token, or a console session):
translation requests are work between networks, not news. Only the owner's staff open a
request (for an own, published item the alliance sees), accept or send back a
submission, and close a request; any partner network's staff claim and submit, on their
own node, for a partner's request their replicas hold. The public sees a translation
only once it is published, through the item (``GET /api/news/items/{origin}/{id}``).
"""

# No ``from __future__ import annotations``: FastAPI reads the route annotations.
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from services.news import handlers
from services.news import translations_bus as bus
from services.news.store import NewsUnitOfWork
from services.news.translations import (
    RequestDraft,
    ReturnDraft,
    SubmissionDraft,
    TranslationRequest,
)
from services.news.translations_store import (
    my_claim,
    my_claims,
    partner_request,
    partners_requests,
    requests,
)
from shared.errors import DomainError
from shared.http import problem_responses
from shared.sanitise import sanitise
from shared.service import ServiceKit
from shared.store import Document
from shared.web.forms import domain_errors, parse, text
from shared.web.i18n import N_
from shared.web.layer import WebLayer
from shared.web.session import Session

Kit = ServiceKit[NewsUnitOfWork]
REQUESTS = "/api/news/translation-requests"
CONSOLE = "/console/translations"
SIDES = "^(own|partners|mine)$"
# a request's states (own, partners), and a claim's (mine)
STATUSES = "^(open|claimed|submitted|returned|accepted|closed|pending|granted|refused)$"


# --- views --------------------------------------------------------------------------------


def own_view(request: TranslationRequest, node: str) -> dict[str, Any]:
    """An own request as its staff see it, with the submission waiting for a decision."""
    return {**request.model_dump(mode="json"), "origin": node}


def record_view(record: Document) -> dict[str, Any]:
    """A claim record, its id as ``id``."""
    return {"id": record["_id"], **{k: v for k, v in record.items() if k != "_id"}}


async def original_of(kit: Kit, origin: str, item_id: str) -> dict[str, Any] | None:
    """The item's original text, as this node holds it (own, or a partner's replica),
    its body sanitised again: HTML from another node is never trusted."""
    reads = kit.reads()
    if origin == kit.identity.node:
        item = await reads.items.get(item_id)
        data = item.model_dump(mode="json") if item and not item.deleted else None
    else:
        doc = await reads.news.one(origin, item_id, public_only=False)
        data = doc["data"] if doc else None
    if data is None:
        return None
    return {
        "language": data["language"],
        "title": data["title"],
        "summary": data.get("summary", ""),
        "body": sanitise(data.get("body", "")).html,
    }


async def partner_view(kit: Kit, doc: Document) -> dict[str, Any]:
    """A partner's request from the replica, with the original text to translate."""
    data = doc["data"]
    return {
        **data,
        "origin": doc["origin"],
        "original": await original_of(kit, doc["origin"], data["item_id"]),
    }


async def listing(kit: Kit, side: str, status: str | None) -> list[dict[str, Any]]:
    """Own requests (``own``), partners' (``partners``), or this node's claims (``mine``,
    each with the request as the replica shows it now)."""
    reads = kit.reads()
    if side == "own":
        found = await requests(reads).newest()
        return [own_view(r, kit.identity.node) for r in found if not status or r.status == status]
    if side == "partners":
        return [await partner_view(kit, doc) for doc in await partners_requests(reads, status)]
    claims = []
    for record in await my_claims(reads):
        if status and record["status"] != status:
            continue
        doc = await partner_request(reads, record["origin"], record["request_id"])
        claims.append({**record_view(record), "request": doc["data"] if doc else None})
    return claims


async def changed(kit: Kit, work: Callable[[NewsUnitOfWork], Awaitable[Any]]) -> Any:
    """Run one change of the owner's requests, then count them by state again."""
    result = await kit.transaction(work)
    await bus.count_states(kit)
    return result


async def accepted(kit: Kit, request_id: str) -> tuple[TranslationRequest, list[str]]:
    """Accept and publish; the time from request to translation is observed."""
    request, removed = await changed(kit, lambda uow: bus.accept(uow, request_id))
    seconds = request.time_to_translation
    if seconds is not None:
        bus.translation_time(kit.metrics.registry).observe(seconds)
    return request, removed


# --- the API ------------------------------------------------------------------------------


def translations_api(kit: Kit) -> APIRouter:
    """Routes of translation requests, bound to this node's news service."""
    api = APIRouter(prefix="/api/news", tags=["news"], dependencies=[Depends(kit.editor)])
    node = kit.identity.node
    bus.request_gauge(kit.metrics.registry)  # shown at zero before the first request
    bus.translation_time(kit.metrics.registry)

    @api.post(
        "/items/{item_id}/translation-requests",
        status_code=201,
        responses=problem_responses(404, 409, 410),
    )
    async def request_translation(item_id: str, draft: RequestDraft) -> dict[str, Any]:
        """Ask partner networks to translate an own published item into ``language``
        (never the original's: 422); one live request per item and language (409)."""
        request = await changed(kit, lambda uow: bus.request_translation(uow, node, item_id, draft))
        return own_view(request, node)

    @api.get("/translation-requests")
    async def list_requests(
        side: str = Query("own", pattern=SIDES),
        status: str | None = Query(None, pattern=STATUSES),
    ) -> dict[str, Any]:
        """``own``: this network's requests (with submissions); ``partners``: partners'
        requests this node holds, with the original to translate; ``mine``: this
        network's claims on partners' requests."""
        return {"items": await listing(kit, side, status)}

    @api.get("/translation-requests/{origin}/{request_id}", responses=problem_responses(404))
    async def get_request(origin: str, request_id: str) -> dict[str, Any]:
        """One request, own or a partner's, with the original text."""
        if origin != node:
            return await partner_view(kit, await _partner_doc(kit, origin, request_id))
        view = own_view(await bus.existing_request(kit.reads(), request_id), node)
        return {**view, "original": await original_of(kit, node, view["item_id"])}

    @api.post(
        "/translation-requests/{request_id}/accept", responses=problem_responses(404, 409, 410)
    )
    async def accept(request_id: str) -> dict[str, Any]:
        """Owner: publish the submitted translation beside the original, with the
        translator network; ``removed`` says what sanitising took out of it."""
        request, removed = await accepted(kit, request_id)
        return {**own_view(request, node), "removed": removed}

    @api.post("/translation-requests/{request_id}/return", responses=problem_responses(404, 409))
    async def send_back(request_id: str, draft: ReturnDraft) -> dict[str, Any]:
        """Owner: send the submission back with a reason; the claim holds again."""
        hold = bus.hold_of(kit)
        request = await changed(kit, lambda uow: bus.send_back(uow, request_id, draft.reason, hold))
        return own_view(request, node)

    @api.post("/translation-requests/{request_id}/close", responses=problem_responses(404, 409))
    async def close(request_id: str) -> dict[str, Any]:
        """Owner: withdraw a request that is not accepted yet."""
        return own_view(await changed(kit, lambda uow: bus.close(uow, request_id)), node)

    @api.post(
        "/translation-requests/{origin}/{request_id}/claim",
        status_code=202,
        responses=problem_responses(404, 409),
    )
    async def claim(origin: str, request_id: str) -> dict[str, Any]:
        """Claimer: ask the owner for a partner's request; 202 until it answers
        (``mine``), 409 naming the network holding it, and until when, if another does."""
        record = await kit.transaction(lambda uow: bus.claim(uow, node, origin, request_id))
        return record_view(record)

    @api.post(
        "/translation-requests/{origin}/{request_id}/submission",
        status_code=202,
        responses=problem_responses(404, 409),
    )
    async def submit(origin: str, request_id: str, draft: SubmissionDraft) -> dict[str, Any]:
        """Claimer: send the translation (title, summary, body in the request's
        language) to the owner's staff."""
        record = await kit.transaction(lambda uow: bus.submit(uow, origin, request_id, draft))
        return record_view(record)

    return api


async def _partner_doc(kit: Kit, origin: str, request_id: str) -> Document:
    doc = await partner_request(kit.reads(), origin, request_id)
    if doc is None:
        raise handlers.NotFound(f"no translation request {request_id!r} of {origin!r} here", "id")
    return doc


# --- the console --------------------------------------------------------------------------


async def own_page_view(kit: Kit, request: TranslationRequest) -> dict[str, Any]:
    """An own request for its page: the original, and the submission (HTML cleaned)."""
    node = kit.identity.node
    submission = request.submission.model_dump() if request.submission else None
    if submission:
        submission["body"] = sanitise(submission["body"]).html
    view = own_view(request, node)
    original = await original_of(kit, node, request.item_id)
    return {**view, "original": original, "submission": submission}


def can_claim(state: dict[str, Any], claim: dict[str, Any] | None) -> bool:
    """Offer the claim button: open, and no claim of ours waiting for the owner."""
    return state["status"] == "open" and (claim is None or claim["status"] != bus.PENDING)


def can_submit(state: dict[str, Any], claim: dict[str, Any] | None) -> bool:
    """Offer the submission form: the owner granted our claim, and the request waits for
    a translation (``open`` too: the replica may not show the grant yet)."""
    held = claim is not None and claim["status"] in (bus.GRANTED, bus.SUBMITTED)
    return held and state["status"] in ("open", "claimed", "returned")


def translation_pages(kit: Kit, web: WebLayer) -> APIRouter:
    """/console/translations (partners' open requests, this network's claims, its own
    requests, a form to ask for one) and a page per request: the original beside the
    translation, with what the staff may do there."""
    pages = APIRouter(include_in_schema=False)
    Staff = Annotated[Session, Depends(web.staff())]
    node = kit.identity.node

    async def console_page(
        request: Request, values: dict[str, str], errors: dict[str, str], status: int = 200
    ) -> Response:
        reads = kit.reads()
        own_items, _next = await reads.items.page({"deleted": False}, None, 500)
        context = {
            "partners": await listing(kit, "partners", "open"),
            "mine": await listing(kit, "mine", None),
            "own": [await own_page_view(kit, r) for r in await requests(reads).newest()],
            "items": [(i.id, i.title) for i in own_items if i.is_shared],
            "values": values,
            "errors": errors,
        }
        return web.render(request, "news/translations_console.html", context, status=status)

    async def request_page(
        request: Request,
        origin: str,
        request_id: str,
        values: dict[str, str],
        errors: dict[str, str],
        status: int = 200,
    ) -> Response:
        reads = kit.reads()
        claim = None
        if origin == node:
            state = await own_page_view(kit, await bus.existing_request(reads, request_id))
        else:
            state = await partner_view(kit, await _partner_doc(kit, origin, request_id))
            record = await my_claim(reads, origin, request_id)
            claim = record_view(record) if record else None
        context = {
            "req": state,
            "own": origin == node,
            "claim": claim,
            "can_claim": origin != node and can_claim(state, claim),
            "can_submit": origin != node and can_submit(state, claim),
            "values": values,
            "errors": errors,
        }
        return web.render(request, "news/translation_request.html", context, status=status)

    async def act(
        request: Request,
        work: Callable[[], Awaitable[Any]],
        done: str,
        where: tuple[str, str],
        values: dict[str, str],
    ) -> Response:
        """Make the change, then show the request (``where``: its origin and id); a
        refusal is shown beside its field, with the 4xx status it has in the API."""
        try:
            await work()
        except DomainError as exc:
            return await request_page(request, *where, values, domain_errors(exc), exc.status)
        notice = web.language(request).gettext(done)
        return web.redirect(f"{CONSOLE}/{where[0]}/{where[1]}", notice=notice)

    async def form_of(request: Request, *names: str) -> dict[str, str]:
        """The form's fields, once its CSRF token is checked (403 otherwise)."""
        form = await request.form()
        web.check_form(request, text(form, "csrf"))
        return {name: text(form, name) for name in names}

    @pages.get(CONSOLE)
    async def console(request: Request, session: Staff) -> Response:
        """The translation requests; ``?item=`` preselects an own item to ask for."""
        return await console_page(request, {"item": request.query_params.get("item", "")}, {})

    @pages.post(CONSOLE)
    async def console_request(request: Request, session: Staff) -> Response:
        values = await form_of(request, "item", "language", "note")
        draft, errors = parse(RequestDraft, {k: values[k] for k in ("language", "note")})
        if draft is None:
            return await console_page(request, values, errors, 422)
        item_id = values["item"]
        try:
            made = await changed(
                kit, lambda uow: bus.request_translation(uow, node, item_id, draft)
            )
        except DomainError as exc:
            return await console_page(request, values, domain_errors(exc), exc.status)
        notice = web.language(request).gettext(N_("Translation requested."))
        return web.redirect(f"{CONSOLE}/{node}/{made.id}", notice=notice)

    @pages.get(CONSOLE + "/{origin}/{request_id}")
    async def one_request(
        request: Request, origin: str, request_id: str, session: Staff
    ) -> Response:
        """One request: the original beside the submitted translation (owner) or beside
        the form to translate it (claimer)."""
        return await request_page(request, origin, request_id, {}, {})

    @pages.post(CONSOLE + "/{origin}/{request_id}/claim")
    async def console_claim(
        request: Request, origin: str, request_id: str, session: Staff
    ) -> Response:
        await form_of(request)

        async def work() -> None:
            await kit.transaction(lambda uow: bus.claim(uow, node, origin, request_id))

        done = N_("Claim sent to the owner network.")
        return await act(request, work, done, (origin, request_id), {})

    @pages.post(CONSOLE + "/{origin}/{request_id}/submission")
    async def console_submit(
        request: Request, origin: str, request_id: str, session: Staff
    ) -> Response:
        values = await form_of(request, "title", "summary", "body")
        draft, errors = parse(SubmissionDraft, values)
        if draft is None:
            return await request_page(request, origin, request_id, values, errors, 422)

        async def work() -> None:
            await kit.transaction(lambda uow: bus.submit(uow, origin, request_id, draft))

        done = N_("Translation sent to the owner network.")
        return await act(request, work, done, (origin, request_id), values)

    @pages.post(CONSOLE + "/{request_id}/accept")
    async def console_accept(request: Request, request_id: str, session: Staff) -> Response:
        await form_of(request)

        async def work() -> None:
            await accepted(kit, request_id)

        done = N_("Translation published beside the original.")
        return await act(request, work, done, (node, request_id), {})

    @pages.post(CONSOLE + "/{request_id}/return")
    async def console_return(request: Request, request_id: str, session: Staff) -> Response:
        values = await form_of(request, "reason")
        draft, errors = parse(ReturnDraft, values)
        if draft is None:
            return await request_page(request, node, request_id, values, errors, 422)
        hold = bus.hold_of(kit)

        async def work() -> None:
            await changed(kit, lambda uow: bus.send_back(uow, request_id, draft.reason, hold))

        return await act(request, work, N_("Translation sent back."), (node, request_id), values)

    @pages.post(CONSOLE + "/{request_id}/close")
    async def console_close(request: Request, request_id: str, session: Staff) -> Response:
        await form_of(request)

        async def work() -> None:
            await changed(kit, lambda uow: bus.close(uow, request_id))

        return await act(request, work, N_("Request closed."), (node, request_id), {})

    return pages

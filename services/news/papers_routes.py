"""HTTP in for position papers: the API and the pages.

Who may do what (``papers.py`` states the rules):

- the public: ``GET /api/news/papers`` and ``/api/news/papers/{origin}/{id}`` (published
  papers, with each signature's ``verified`` computed here against this node's registry
  of keys), the pages ``/news/papers`` and ``/news/papers/{origin}/{id}``;
- this node's staff (an ``editor``/``admin`` token, or a console session) as owner:
  ``/api/news/own-papers`` (draft, edit, invite, publish) and ``/console/papers``;
- this node's staff as invited co-signer: ``/api/news/papers-to-sign`` (read the exact
  text and hash, sign or decline) and ``/console/papers-to-sign``.

Other nodes never call these routes: invitations and answers are direct messages
(``papers_handlers.py``).
"""

# No ``from __future__ import annotations``: FastAPI reads the route annotations.
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.news import papers_handlers as handlers
from services.news.domain import NodeId
from services.news.feed_routes import known_networks
from services.news.papers import PaperDraft, PositionPaper
from services.news.papers_store import (
    PaperRepository,
    invitations_received,
    published_paper,
    published_papers,
)
from shared.errors import DomainError, NotFound
from shared.http import problem_responses
from shared.paper_signatures import named, reader_view, summary_view
from shared.service import ServiceKit
from shared.store import Document, UnitOfWork
from shared.web.forms import domain_errors, parse, split_list, submit, text
from shared.web.i18n import N_
from shared.web.layer import WebLayer
from shared.web.session import Session

Kit = ServiceKit[Any]
Hash = Annotated[str, StringConstraints(strict=True, pattern=r"^sha256:[0-9a-f]{64}$")]


class Invitation(BaseModel):
    """Whom the owner's staff ask to co-sign: other member networks, by node id."""

    model_config = ConfigDict(extra="forbid")

    cosigners: Annotated[list[NodeId], Field(min_length=1, max_length=30)]


class Answer(BaseModel):
    """The hash of the text the staff read: they answer about that text only."""

    model_config = ConfigDict(extra="forbid")

    hash: Hash


def own_view(paper: PositionPaper) -> dict[str, Any]:
    """An own paper as its staff see it: text, hash, and where each co-signer stands."""
    return {
        **paper.model_dump(mode="json", exclude={"owner_signature"}),
        "hash": paper.hash,
        "signatures": [s.model_dump(mode="json") for s in paper.signatures()],
    }


async def read_published(kit: Kit, origin: str, paper_id: str) -> dict[str, Any]:
    found = await published_paper(kit.reads(), origin, paper_id)
    if found is None:
        raise NotFound(f"no published position paper {paper_id!r} of {origin!r}", "id")
    return reader_view(found, kit.context.keyring)


async def own(kit: Kit, paper_id: str) -> PositionPaper:
    return await handlers.own_paper(kit.reads(), paper_id)


class PaperActions:
    """The staff's actions, shared by the API and the console (counted once committed)."""

    def __init__(self, kit: Kit) -> None:
        self.kit = kit
        self.counter = handlers.counter(kit.metrics.registry)

    async def draft(self, draft: PaperDraft) -> PositionPaper:
        identity = self.kit.identity
        return await self.kit.transaction(lambda uow: handlers.draft_paper(uow, identity, draft))

    async def edit(self, paper_id: str, draft: PaperDraft) -> PositionPaper:
        return await self.kit.transaction(lambda uow: handlers.edit_paper(uow, paper_id, draft))

    async def invite(self, paper_id: str, invitation: Invitation) -> PositionPaper:
        known = self.kit.context.keyring.origins()
        nodes = invitation.cosigners
        return await self.kit.transaction(
            lambda uow: handlers.invite_cosigners(uow, paper_id, nodes, known)
        )

    async def publish(self, paper_id: str) -> PositionPaper:
        identity = self.kit.identity
        return await self.kit.transaction(
            lambda uow: handlers.publish_paper(uow, identity, paper_id)
        )

    async def answer(self, origin: str, paper_id: str, answer: Answer, sign: bool) -> Document:
        identity = self.kit.identity

        async def work(uow: UnitOfWork) -> Document:
            if sign:
                return await handlers.sign_paper(uow, identity, origin, paper_id, answer.hash)
            return await handlers.decline_paper(uow, origin, paper_id, answer.hash)

        done = await self.kit.transaction(work)
        self.counter.labels("out", done["status"]).inc()
        return done


def to_sign_view(doc: Document) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k != "_id"}


def papers_api(kit: Kit) -> APIRouter:
    """Routes of position papers, bound to this node's news service."""
    api = APIRouter(prefix="/api/news", tags=["news: position papers"])
    actions = PaperActions(kit)
    for direction, outcome in (("in", "collected"), ("out", "signed")):
        actions.counter.labels(direction, outcome)  # shown at zero before the first one
    editor = [Depends(kit.editor)]

    @api.get("/papers")
    async def list_papers() -> dict[str, Any]:
        """Published position papers of the whole alliance, newest first."""
        known = await known_networks(kit, "/")
        return {"items": [summary_view(doc, known) for doc in await published_papers(kit.reads())]}

    @api.get("/papers/{origin}/{paper_id}", responses=problem_responses(404))
    async def read_paper(origin: str, paper_id: str) -> dict[str, Any]:
        """A published paper: text, hash, signatories with each signature's ``verified``
        as this node finds it. Save it to check it offline with ``alliance verify-paper``."""
        return await read_published(kit, origin, paper_id)

    @api.post("/own-papers", status_code=201, dependencies=editor)
    async def draft_paper(draft: PaperDraft) -> dict[str, Any]:
        """Draft a paper owned by this node (nobody else sees it until it is published)."""
        return own_view(await actions.draft(draft))

    @api.get("/own-papers", dependencies=editor)
    async def list_own_papers() -> dict[str, Any]:
        """This node's papers, drafts included, newest first."""
        found = await PaperRepository(kit.reads()).newest_first()
        return {"items": [own_view(paper) for paper in found]}

    @api.get("/own-papers/{paper_id}", dependencies=editor, responses=problem_responses(404))
    async def read_own_paper(paper_id: str) -> dict[str, Any]:
        return own_view(await own(kit, paper_id))

    @api.put("/own-papers/{paper_id}", dependencies=editor, responses=problem_responses(404, 409))
    async def edit_paper(paper_id: str, draft: PaperDraft) -> dict[str, Any]:
        """Change the text: the signatures collected so far are void, everyone is asked
        again."""
        return own_view(await actions.edit(paper_id, draft))

    @api.post(
        "/own-papers/{paper_id}/invitations",
        dependencies=editor,
        responses=problem_responses(404, 409),
    )
    async def invite(paper_id: str, invitation: Invitation) -> dict[str, Any]:
        """Ask member networks to co-sign; each is sent the exact text and its hash."""
        return own_view(await actions.invite(paper_id, invitation))

    @api.post(
        "/own-papers/{paper_id}/publish", dependencies=editor, responses=problem_responses(404, 409)
    )
    async def publish(paper_id: str) -> dict[str, Any]:
        """Sign and publish with the co-signatures of the current text (one at least)."""
        return own_view(await actions.publish(paper_id))

    @api.get("/papers-to-sign", dependencies=editor)
    async def papers_to_sign() -> dict[str, Any]:
        """Papers other networks asked this one to co-sign, those waiting first."""
        return {"items": [to_sign_view(d) for d in await invitations_received(kit.reads())]}

    for verb, sign in (("sign", True), ("decline", False)):
        api.add_api_route(
            f"/papers-to-sign/{{origin}}/{{paper_id}}/{verb}",
            _answer_route(actions, sign),
            methods=["POST"],
            dependencies=editor,
            responses=problem_responses(404, 409),
            name=f"{verb}_paper",
            summary=f"{verb.capitalize()} the text whose hash is given (409 if it changed)",
        )
    return api


def _answer_route(
    actions: PaperActions, sign: bool
) -> Callable[[str, str, Answer], Awaitable[dict[str, Any]]]:
    async def answer_paper(origin: str, paper_id: str, answer: Answer) -> dict[str, Any]:
        return to_sign_view(await actions.answer(origin, paper_id, answer, sign))

    return answer_paper


def papers_pages(kit: Kit, web: WebLayer) -> APIRouter:
    """/news/papers (public) and /console/papers, /console/papers-to-sign (staff)."""
    pages = APIRouter(include_in_schema=False)
    actions = PaperActions(kit)
    Staff = Annotated[Session, Depends(web.staff())]

    @pages.get("/news/papers")
    async def papers_page(request: Request) -> Response:
        known = await known_networks(kit, "/")
        papers = [summary_view(doc, known) for doc in await published_papers(kit.reads())]
        return web.render(request, "news/papers_list.html", {"papers": papers})

    @pages.get("/news/papers/{origin}/{paper_id}")
    async def paper_page(request: Request, origin: str, paper_id: str) -> Response:
        paper = named(await read_published(kit, origin, paper_id), await known_networks(kit, "/"))
        return web.render(request, "news/papers_paper.html", {"paper": paper})

    async def console(
        request: Request, values: dict[str, str], errors: dict[str, str], status: int = 200
    ) -> Response:
        found = await PaperRepository(kit.reads()).newest_first()
        context = {"papers": found, "values": values, "errors": errors}
        return web.render(request, "news/papers_console.html", context, status=status)

    @pages.get("/console/papers")
    async def console_papers(request: Request, session: Staff) -> Response:
        return await console(request, {"language": "en"}, {})

    @pages.post("/console/papers")
    async def console_draft(request: Request, session: Staff) -> Response:
        values = await form_values(web, request, ("title", "text", "language"))
        made: list[PositionPaper] = []

        async def change(draft: PaperDraft) -> None:
            made.append(await actions.draft(draft))

        _draft, errors = await submit(PaperDraft, values, change)
        if errors:
            return await console(request, values, errors, 422)
        return web.redirect(f"/console/papers/{made[0].id}", notice=_(web, request, DRAFTED))

    async def editor_page(
        request: Request,
        paper: PositionPaper,
        values: dict[str, str] | None = None,
        errors: dict[str, str] | None = None,
        status: int = 200,
    ) -> Response:
        keep = values or {k: getattr(paper, k) for k in ("title", "text", "language")}
        context = {"paper": paper, "hash": paper.hash, "values": keep, "errors": errors or {}}
        return web.render(request, "news/papers_edit.html", context, status=status)

    @pages.get("/console/papers/{paper_id}")
    async def console_paper(request: Request, paper_id: str, session: Staff) -> Response:
        return await editor_page(request, await own(kit, paper_id))

    @pages.post("/console/papers/{paper_id}")
    async def console_edit(request: Request, paper_id: str, session: Staff) -> Response:
        values = await form_values(web, request, ("title", "text", "language"))
        _draft, errors = await submit(PaperDraft, values, lambda d: actions.edit(paper_id, d))
        if errors:
            return await editor_page(request, await own(kit, paper_id), values, errors, 422)
        return web.redirect(f"/console/papers/{paper_id}", notice=_(web, request, SAVED))

    @pages.post("/console/papers/{paper_id}/invite")
    async def console_invite(request: Request, paper_id: str, session: Staff) -> Response:
        values = await form_values(web, request, ("cosigners",))
        body = {"cosigners": split_list(values["cosigners"])}
        _sent, errors = await submit(Invitation, body, lambda i: actions.invite(paper_id, i))
        if errors:
            return await editor_page(request, await own(kit, paper_id), None, errors, 422)
        return web.redirect(f"/console/papers/{paper_id}", notice=_(web, request, INVITED))

    @pages.post("/console/papers/{paper_id}/publish")
    async def console_publish(request: Request, paper_id: str, session: Staff) -> Response:
        await form_values(web, request, ())
        try:
            await actions.publish(paper_id)
        except DomainError as exc:
            paper = await own(kit, paper_id)
            return await editor_page(request, paper, None, domain_errors(exc), exc.status)
        return web.redirect(f"/console/papers/{paper_id}", notice=_(web, request, PUBLISHED))

    @pages.get("/console/papers-to-sign")
    async def console_to_sign(request: Request, session: Staff) -> Response:
        return await to_sign_page(request, {})

    async def to_sign_page(request: Request, errors: dict[str, str], status: int = 200) -> Response:
        context = {"invitations": await invitations_received(kit.reads()), "errors": errors}
        return web.render(request, "news/papers_to_sign.html", context, status=status)

    @pages.post("/console/papers-to-sign/{origin}/{paper_id}/{verb}")
    async def console_answer(
        request: Request, origin: str, paper_id: str, verb: str, session: Staff
    ) -> Response:
        values = await form_values(web, request, ("hash",))
        answer, errors = parse(Answer, values)
        if answer is not None and verb in ("sign", "decline"):
            try:
                await actions.answer(origin, paper_id, answer, verb == "sign")
            except DomainError as exc:
                errors = domain_errors(exc)
        elif answer is not None:
            raise NotFound(f"no action {verb!r}", "verb")
        if errors:
            return await to_sign_page(request, errors, 409 if "hash" in errors else 422)
        return web.redirect("/console/papers-to-sign", notice=_(web, request, ANSWERED))

    return pages


DRAFTED = N_("The draft is saved.")
SAVED = N_("Saved. If the text changed, every invited network is asked again.")
INVITED = N_("The invitations are sent.")
PUBLISHED = N_("The paper is published with its signatories.")
ANSWERED = N_("Your answer is sent to the paper's owner.")


def _(web: WebLayer, request: Request, message: str) -> str:
    return web.language(request).gettext(message)


async def form_values(web: WebLayer, request: Request, names: tuple[str, ...]) -> dict[str, str]:
    """The form's fields, once its CSRF token is checked."""
    form = await request.form()
    web.check_form(request, text(form, "csrf"))
    return {name: text(form, name) for name in names}

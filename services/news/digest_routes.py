"""HTTP in for digests: the API under /api/news/digests, the public pages, the console.

Who may do what:

- this node's staff (an editor or admin token, or a console session) preview a digest
  (``POST …/preview``: nothing is saved or announced) and issue one (``POST``): it is
  stored as it showed and announced on the alliance channel (``DigestIssued``);
- anyone reads the issued digests (``GET …/digests``, ``…/{id}`` as JSON, ``.html``,
  ``.txt``, ``.eml``; the pages ``/news/digests`` and ``/news/digests/{id}``): a digest
  holds public items only, so it shows nothing a reader could not read on the node;
- other nodes receive only the announcement (the featured pairs), never the digest.

A period with nothing to feature is a 422 naming ``period`` ("nothing new …"), never an
empty digest. Sending mail is left to any mailer: the ``.eml`` is ready to send.
"""

# No ``from __future__ import annotations``: FastAPI reads the route annotations.
from datetime import UTC, datetime
from functools import cache
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from prometheus_client import CollectorRegistry, Counter

from services.news import digest_store
from services.news.digest_render import (
    Rendering,
    eml,
    interface_language,
    languages,
    render_html,
    render_text,
)
from services.news.digests import Digest, DigestRequest, Period, build
from services.news.feed_routes import known_networks
from services.news.store import NewsUnitOfWork
from shared.errors import DomainError, NotFound
from shared.http import problem_responses
from shared.ids import new_id
from shared.service import ServiceKit
from shared.web.forms import domain_errors, parse, text
from shared.web.i18n import N_
from shared.web.layer import WebLayer
from shared.web.session import Session

Kit = ServiceKit[NewsUnitOfWork]
LISTED = 100  # digests a list shows, newest first


@cache
def counter(registry: CollectorRegistry) -> Counter:
    """alliance_news_digests_issued_total{language}: once per process registry."""
    return Counter(
        "alliance_news_digests_issued_total",
        "Newsletter digests this node issued, by language (primary subtag).",
        ["language"],
        registry=registry,
    )


async def prepare(kit: Kit, request: DigestRequest, digest_id: str) -> Digest:
    """The digest a request makes of what the node holds now (422 when nothing new)."""
    period = Period.of(request.period, request.start, request.end)
    found = await digest_store.candidates(kit.reads(), period)
    return build(digest_id, kit.identity.node, request, found, datetime.now(UTC))


async def issue(kit: Kit, request: DigestRequest) -> Digest:
    """Issue and announce a digest; counted once committed.

    The digest is made inside the work, so a transaction run again (a write conflict)
    makes it, and records its announcement, again."""
    digest_id = new_id(kit.identity.node)

    async def save(uow: NewsUnitOfWork) -> Digest:
        digest = await prepare(kit, request, digest_id)
        digest_store.digests(uow).add(digest)
        return digest

    issued = await kit.transaction(save)
    counter(kit.metrics.registry).labels(issued.language.split("-")[0]).inc()
    return issued


async def issued(kit: Kit, digest_id: str) -> Digest:
    found = await digest_store.digests(kit.reads()).get(digest_id)
    if found is None or found.deleted:
        raise NotFound(f"no digest {digest_id!r} on this node", "digest_id")
    return found


async def rendering(kit: Kit, digest: Digest, base_url: str) -> Rendering:
    """How a digest is shown: the networks' names, links to this node, its words."""
    names = await network_names(kit, base_url)
    language = interface_language(languages(), digest.language)
    return Rendering(digest, names, base_url, language)


async def network_names(kit: Kit, base_url: str) -> dict[str, str]:
    """The networks' names this node knows (the feeds' authors), by node id."""
    known = await known_networks(kit, base_url)
    return {node: network.name for node, network in known.items()}


def digest_json(digest: Digest) -> dict[str, Any]:
    """A digest as the API shows it (``featured``: what its announcement said)."""
    shown = digest.model_dump(mode="json", exclude={"version", "deleted", "updated_at"})
    return {**shown, "featured": [f.model_dump() for f in digest.issued().featured]}


def digests_api(kit: Kit) -> APIRouter:
    """Routes of the digests, bound to this node's news service."""
    api = APIRouter(prefix="/api/news/digests", tags=["news"])
    counter(kit.metrics.registry)  # shown at zero before the first digest

    @api.post("/preview", dependencies=[Depends(kit.editor)], responses=problem_responses(422))
    async def preview_digest(request: DigestRequest) -> dict[str, Any]:
        """The digest the request would issue; nothing is saved or announced."""
        return digest_json(await prepare(kit, request, "preview"))

    @api.post(
        "", status_code=201, dependencies=[Depends(kit.editor)], responses=problem_responses(422)
    )
    async def issue_digest(request: DigestRequest) -> dict[str, Any]:
        """Issue a digest: own items of the period (but ``exclude``), and ``partners``."""
        return digest_json(await issue(kit, request))

    @api.get("")
    async def list_digests() -> dict[str, Any]:
        """This node's issued digests, newest first."""
        found = await digest_store.digests(kit.reads()).newest(LISTED)
        return {"items": [digest_json(d) for d in found]}

    @api.get("/{digest_id}.html", response_class=Response, responses=problem_responses(404))
    async def digest_html(digest_id: str, request: Request) -> Response:
        """The e-mail-ready HTML (inline styles)."""
        view = await rendering(kit, await issued(kit, digest_id), str(request.base_url))
        return Response(render_html(view), media_type="text/html; charset=utf-8")

    @api.get("/{digest_id}.txt", response_class=Response, responses=problem_responses(404))
    async def digest_text(digest_id: str, request: Request) -> Response:
        """The plain-text part."""
        view = await rendering(kit, await issued(kit, digest_id), str(request.base_url))
        return Response(render_text(view), media_type="text/plain; charset=utf-8")

    @api.get("/{digest_id}.eml", response_class=Response, responses=problem_responses(404))
    async def digest_eml(digest_id: str, request: Request) -> Response:
        """A multipart/alternative message, ready for any mailer (add From and To)."""
        view = await rendering(kit, await issued(kit, digest_id), str(request.base_url))
        return Response(
            eml(view),
            media_type="message/rfc822",
            headers={"Content-Disposition": f'attachment; filename="digest-{digest_id}.eml"'},
        )

    @api.get("/{digest_id}", responses=problem_responses(404))
    async def get_digest(digest_id: str) -> dict[str, Any]:
        return digest_json(await issued(kit, digest_id))

    return api


FORM_FIELDS = ("period", "start", "end", "language")


def request_of(values: dict[str, str], picks: list[str], left_out: list[str]) -> dict[str, Any]:
    """The form as the API's body: ticked partner items, own items unticked."""

    def refs(keys: list[str]) -> list[dict[str, str]]:
        """``origin/item`` as a reference; a mangled one fails validation, named."""
        return [{"origin": key.partition("/")[0], "item": key.partition("/")[2]} for key in keys]

    body: dict[str, Any] = {k: v for k, v in values.items() if v}
    return {**body, "partners": refs(picks), "exclude": refs(left_out)}


def digest_pages(kit: Kit, web: WebLayer) -> APIRouter:
    """/news/digests (issued ones), /news/digests/{id}, /console/news/digests (build)."""
    pages = APIRouter(include_in_schema=False)
    Staff = Annotated[Session, Depends(web.staff())]

    @pages.get("/news/digests")
    async def digest_list(request: Request) -> Response:
        found = await digest_store.digests(kit.reads()).newest(LISTED)
        return web.render(request, "news/digests.html", {"digests": found})

    @pages.get("/news/digests/{digest_id}")
    async def digest_page(request: Request, digest_id: str) -> Response:
        view = await rendering(kit, await issued(kit, digest_id), str(request.base_url))
        return web.render(request, "news/digest_page.html", {"view": view})

    async def console_page(
        request: Request,
        values: dict[str, str],
        errors: dict[str, str],
        ticked: set[str] | None = None,
        preview: Rendering | None = None,
    ) -> Response:
        """The builder: the period's items (own ones ticked unless unticked), a preview."""
        held, found = await period_items(values)
        errors = errors or found
        context = {
            "values": values,
            "items": held,
            "errors": errors,
            "node": kit.identity.node,
            "ticked": ticked,
            "preview": preview,
        }
        status = 422 if errors else 200
        return web.render(request, "news/digest_console.html", context, status=status)

    @pages.get("/console/news/digests")
    async def console(
        request: Request,
        session: Staff,
        period: str = Query("week", max_length=10),
        start: str = Query("", max_length=10),
        end: str = Query("", max_length=10),
        language: str = Query("", max_length=35),
    ) -> Response:
        """Choose a period and a language; the period's items, own ones ticked."""
        values = {"period": period, "start": start, "end": end, "language": language}
        return await console_page(request, values, {})

    async def period_items(values: dict[str, str]) -> tuple[list[Any], dict[str, str]]:
        if not values["start"]:
            return [], {}
        try:
            chosen = {**values, "language": values["language"] or "en"}
            draft, errors = parse(DigestRequest, request_of(chosen, [], []))
            if draft is None:
                return [], errors
            period = Period.of(draft.period, draft.start, draft.end)
            return await digest_store.candidates(kit.reads(), period), {}
        except DomainError as exc:
            return [], domain_errors(exc)

    @pages.post("/console/news/digests")
    async def console_issue(request: Request, session: Staff) -> Response:
        """Preview or issue the digest the form describes; a mistake is shown, named."""
        form = await request.form()
        web.check_form(request, text(form, "csrf"))
        values = {name: text(form, name) for name in FORM_FIELDS}
        picks = [str(v) for v in form.getlist("partners")]
        own = [str(v) for v in form.getlist("own")]
        left_out = [str(key) for key in form.getlist("listed") if key not in own]
        draft, errors = parse(DigestRequest, request_of(values, picks, left_out))
        if draft is None:
            return await console_page(request, values, errors, {*picks, *own})
        try:
            if text(form, "action") == "preview":
                digest = await prepare(kit, draft, "preview")
                view = await rendering(kit, digest, str(request.base_url))
                return await console_page(request, values, {}, {*picks, *own}, view)
            digest = await issue(kit, draft)
        except DomainError as exc:
            return await console_page(request, values, domain_errors(exc), {*picks, *own})
        notice = web.language(request).gettext(N_("The digest is issued."))
        return web.redirect(f"/news/digests/{digest.id}", notice=notice)

    return pages

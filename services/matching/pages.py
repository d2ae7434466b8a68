"""The pages of partner search and expressions of interest (docs/matching-service.md).

- ``/partners`` (anyone; staff find every organisation the node holds): search by a
  described need and/or offer, with filters; results with their reasons;
- ``/partners/{network}/{id}``: an organisation's possible partners;
- ``/partners/interest?partner=…`` (a member of this network): express interest in a
  result, errors beside the field;
- ``/interests/{id}?key=…`` (the member, with the key): their expression and the answer;
- ``/console/interests`` (staff): received (to answer) and sent by this network's members.

Staff are recognised by their console session: with one, search shows the node's
``alliance`` and ``node`` organisations too, as the API does with a token.
"""

# No ``from __future__ import annotations``: FastAPI reads the route annotations.
from collections.abc import Callable, Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from services.matching import handlers, interest
from services.matching.api import answer, express
from services.matching.handlers import FreeSearch, PartnerFilters
from services.matching.interest import AnswerDraft, InterestDraft
from services.matching.projection import Projection
from services.matching.store import MatchingUnitOfWork
from shared.errors import DomainError, NotFound
from shared.service import ServiceKit
from shared.web.forms import domain_errors, parse, split_list, text
from shared.web.i18n import N_
from shared.web.labels import COOPERATION_LABELS, labelled
from shared.web.layer import WebLayer
from shared.web.session import Session

Kit = ServiceKit[MatchingUnitOfWork]
FILTERS = ("country", "sector", "cooperation_type", "network", "top")
INTEREST_FIELDS = ("partner", "organisation_id", "name", "email", "message")


def _by_field(errors: Mapping[str, str]) -> dict[str, str]:
    """Errors keyed by the form's field (``country.1`` is the country field's)."""
    shown: dict[str, str] = {}
    for path, reason in errors.items():
        shown.setdefault(path.split(".")[0], reason)
    return shown


def _filter_values(params: Mapping[str, str]) -> dict[str, Any]:
    """The filters as typed in the form (countries comma-separated, a box for my own)."""
    values: dict[str, Any] = {name: params.get(name, "").strip() for name in FILTERS}
    values["country"] = [code.upper() for code in split_list(values["country"])]
    values["exclude_own_country"] = params.get("include_own") != "on"
    return {k: v for k, v in values.items() if v not in ("", None)}


def matching_pages(projection: Projection) -> Callable[[Kit, WebLayer], APIRouter]:
    """The page router factory, bound to the service's projection."""

    def routes(kit: Kit, web: WebLayer) -> APIRouter:
        pages = APIRouter(include_in_schema=False)
        Staff = Annotated[Session, Depends(web.staff())]

        def staff(request: Request) -> bool:
            return web.session(request) is not None

        def options(request: Request) -> list[tuple[str, str]]:
            """The cooperation types, labelled in the reader's language."""
            return labelled(COOPERATION_LABELS, web.language(request).gettext)

        def search_page(request: Request, context: dict[str, Any], status: int) -> Response:
            context = {"cooperation_types": options(request), **context}
            return web.render(request, "matching/search.html", context, status=status)

        @pages.get("/partners")
        async def search(request: Request) -> Response:
            """Partner search: a need and/or an offer in any language, and filters."""
            params = dict(request.query_params)
            values = {
                "need": params.get("need", ""),
                "offer": params.get("offer", ""),
                **_filter_values(params),
            }
            shown = {**params, "country": ", ".join(values.get("country", []))}
            if not (params.get("need", "").strip() or params.get("offer", "").strip()):
                return search_page(request, {"values": shown, "errors": {}, "found": None}, 200)
            query, errors = parse(FreeSearch, values)
            if query is None:
                context = {"values": shown, "errors": _by_field(errors), "found": None}
                return search_page(request, context, 422)
            found = await handlers.free_search(kit, projection, query, staff(request))
            return search_page(request, {"values": shown, "errors": {}, "found": found}, 200)

        @pages.get("/partners/interest")
        async def interest_form(
            request: Request, partner: str = Query(..., max_length=200)
        ) -> Response:
            """The form to express interest in a result: the network introduces you."""
            shown = handlers.existing(projection, partner, staff(request))
            return _interest_form(web, request, shown, {"partner": partner}, {})

        @pages.post("/partners/interest")
        async def interest_sent(request: Request) -> Response:
            form = await request.form()
            web.check_form(request, text(form, "csrf"))
            values = {name: text(form, name) for name in INTEREST_FIELDS}
            shown = handlers.existing(projection, values["partner"], staff(request))
            draft, errors = parse(InterestDraft, values)
            if draft is not None:
                try:
                    record, key = await express(kit, projection, draft, staff(request))
                except DomainError as exc:
                    errors = domain_errors(exc)
                else:
                    notice = web.language(request).gettext(
                        N_("Your expression of interest is sent.")
                    )
                    return web.redirect(f"/interests/{record['_id']}", key=key, notice=notice)
            return _interest_form(web, request, shown, values, _by_field(errors))

        @pages.get("/partners/{network}/{organisation_id}")
        async def partners(request: Request, network: str, organisation_id: str) -> Response:
            """An organisation's possible partners, from its own profile."""
            values = _filter_values(dict(request.query_params))
            query, errors = parse(PartnerFilters, values)
            found = None
            if query is not None:
                found = await handlers.partners_of(
                    projection, network, organisation_id, query, staff(request)
                )
            else:
                key = f"{network}/{organisation_id}"
                found = {"organisation": handlers.existing(projection, key, staff(request))}
            context = {
                "found": found,
                "values": {**request.query_params, "country": ", ".join(values.get("country", []))},
                "errors": _by_field(errors),
                "cooperation_types": options(request),
            }
            status = 422 if errors else 200
            return web.render(request, "matching/partners.html", context, status=status)

        @pages.get("/interests/{interest_id}")
        async def member_page(
            request: Request, interest_id: str, key: str = Query("", max_length=100)
        ) -> Response:
            """The member's page (bookmark it): the expression and the answer once it came."""
            record = await interest.member_record(kit.reads(), interest_id, key)
            return web.render(request, "matching/interest_mine.html", {"interest": record})

        @pages.get("/console/interests")
        async def console(request: Request, session: Staff) -> Response:
            """Received expressions to answer, then those this network's members sent."""
            reads = kit.reads()
            context = {
                "received": await interest.listing_of(reads, "received"),
                "sent": await interest.listing_of(reads, "sent"),
            }
            return web.render(request, "matching/interests_console.html", context)

        @pages.post("/console/interests/{interest_id}/answer")
        async def console_answer(request: Request, interest_id: str, session: Staff) -> Response:
            form = await request.form()
            web.check_form(request, text(form, "csrf"))
            values = {"outcome": text(form, "outcome"), "note": text(form, "note")}
            draft, errors = parse(AnswerDraft, values)
            gettext = web.language(request).gettext
            if draft is not None:
                try:
                    await answer(kit, interest_id, draft)
                except NotFound:
                    raise  # an unknown id is a 404 page, not a notice
                except DomainError as exc:
                    errors = domain_errors(exc)
            if errors:
                failed = gettext(N_("Not answered: %s")) % "; ".join(errors.values())
                return web.redirect("/console/interests", notice=failed)
            return web.redirect("/console/interests", notice=gettext(N_("Answer sent.")))

        return pages

    return routes


def _interest_form(
    web: WebLayer,
    request: Request,
    partner: dict[str, Any],
    values: dict[str, Any],
    errors: dict[str, str],
) -> Response:
    """The express-interest form; with errors, answered 422 with them beside the fields."""
    context = {"partner": partner, "values": values, "errors": errors}
    status = 422 if errors else 200
    return web.render(request, "matching/interest_form.html", context, status=status)

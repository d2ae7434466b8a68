"""HTML in: the console's pages of this network's own news items.

Who may do what: a signed-in editor (``web.staff()``, a session made from an editor or
admin API token) lists this network's items, drafts included, writes, revises and
publishes them; withdrawing an item (off every node) needs an admin, as in the API.
Every form carries the session's CSRF token. Nobody else reaches these pages: without a
session they lead to the sign-in page, and other nodes only ever get published items
over the bus.

The form is validated with ``NewsItemDraft``, the model the API uses, so both refuse the
same input with the same reason, shown beside its field; after saving, the page says
what sanitising removed from the body.
"""

# No ``from __future__ import annotations``: FastAPI reads the route annotations.
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from starlette.datastructures import FormData

from services.news import handlers
from services.news.api import published_counter
from services.news.domain import Category, NewsItem, NewsItemDraft
from services.news.pages import PAGE_SIZE, Kit, page_labels
from services.news.store import NewsUnitOfWork
from shared.auth import Role
from shared.contracts.base import Visibility
from shared.errors import DomainError
from shared.web.forms import domain_errors, optional, split_list, submit, text
from shared.web.i18n import N_
from shared.web.layer import WebLayer
from shared.web.session import Session

Move = Callable[[str, NewsUnitOfWork], Awaitable[NewsItem]]  # publish, withdraw
FORM_FIELDS = (
    *("category", "language", "title", "summary", "body", "image.url", "image.alt"),
    *("cluster", "about_networks", "tags", "visibility"),
    *("funding.deadline", "funding.programme", "funding.url"),
)


def news_console(kit: Kit, web: WebLayer) -> APIRouter:
    """/console/news, /console/news/new, /console/news/{id} and its buttons"""
    pages = APIRouter(include_in_schema=False)
    Staff = Annotated[Session, Depends(web.staff())]
    Admin = Annotated[Session, Depends(web.staff(Role.ADMIN))]
    published = published_counter(kit)

    def labels(request: Request) -> dict[str, Any]:
        return page_labels(kit, web, request)

    @pages.get("/console/news")
    async def console_news(
        request: Request, session: Staff, after: str = Query("", max_length=80)
    ) -> Response:
        """This network's own items, drafts included, with their status."""
        found, following = await kit.reads().items.page(
            {"deleted": False}, after or None, PAGE_SIZE
        )
        return web.render(
            request,
            "news/console_list.html",
            {**labels(request), "items": found, "next": following},
        )

    @pages.get("/console/news/new")
    async def new_item(request: Request, session: Staff) -> Response:
        values = {
            "category": Category.NETWORK_NEWS.value,
            "visibility": Visibility.PUBLIC.value,
            "language": web.language(request).code,
        }
        return render_form(request, session, values, {}, None)

    @pages.post("/console/news/new")
    async def create_item(request: Request, session: Staff) -> Response:
        values = await posted(request)
        removed: list[str] = []

        async def change(draft: NewsItemDraft) -> NewsItem:
            item, dropped = await kit.transaction(
                lambda uow: handlers.write_item(draft, uow, kit.identity)
            )
            removed.extend(dropped)
            return item

        return await save(request, session, values, None, change, removed)

    @pages.get("/console/news/{item_id}")
    async def edit_item(request: Request, item_id: str, session: Staff) -> Response:
        item = await handlers.existing_item(item_id, kit.reads())
        return render_form(request, session, item_values(item), {}, item)

    @pages.post("/console/news/{item_id}")
    async def revise_item(request: Request, item_id: str, session: Staff) -> Response:
        values = await posted(request)
        item = await handlers.existing_item(item_id, kit.reads())
        removed: list[str] = []

        async def change(draft: NewsItemDraft) -> NewsItem:
            revised, dropped = await kit.transaction(
                lambda uow: handlers.revise_item(item_id, draft, uow)
            )
            removed.extend(dropped)
            return revised

        return await save(request, session, values, item, change, removed)

    @pages.post("/console/news/{item_id}/publish")
    async def publish(request: Request, item_id: str, session: Staff) -> Response:
        """Publish (counted like the API's); a refusal (already published) is shown on the
        form, not a 500."""
        return await move(
            request, session, item_id, handlers.publish_item, N_("Published: %s"), count
        )

    def count(item: NewsItem) -> None:
        published.labels(item.category.value).inc()

    @pages.post("/console/news/{item_id}/withdraw")
    async def withdraw(request: Request, item_id: str, session: Admin) -> Response:
        """Off every node (admin only, as in the API)."""
        return await move(request, session, item_id, handlers.withdraw_item, N_("Withdrawn: %s"))

    # -- console helpers ----------------------------------------------------------------
    async def posted(request: Request) -> dict[str, str]:
        form = await request.form()
        web.check_form(request, _str(form.get("csrf")))
        return form_values(form)

    async def save(
        request: Request,
        session: Session,
        values: dict[str, str],
        item: NewsItem | None,
        change: Callable[[NewsItemDraft], Awaitable[NewsItem]],
        removed: list[str],
    ) -> Response:
        """Validate with the API's model, make the change, and say what happened: the
        errors beside their fields, or the item's page with what sanitising removed."""
        current = item.model_dump(mode="json") if item else {}
        draft, errors = await submit(NewsItemDraft, draft_body(values, current), change)
        if draft is None:
            return render_form(request, session, values, _on_fields(errors), item, 422)
        gettext = web.language(request).gettext
        notice = gettext(N_("Saved: %s")) % draft.title
        if removed:
            notice += " " + gettext(N_("The body was stored without: %s")) % ", ".join(removed)
        target = f"/console/news/{item.id}" if item else "/console/news"
        return web.redirect(target, notice=notice)

    async def move(
        request: Request,
        session: Session,
        item_id: str,
        handler: Move,
        done: str,
        then: Callable[[NewsItem], None] | None = None,
    ) -> Response:
        """A status change from the console's buttons; ``then`` runs once it committed."""
        form = await request.form()
        web.check_form(request, _str(form.get("csrf")))
        try:
            item = await kit.transaction(lambda uow: handler(item_id, uow))
        except DomainError as exc:
            if exc.status != 422:
                raise
            item = await handlers.existing_item(item_id, kit.reads())
            errors = domain_errors(exc)
            return render_form(request, session, item_values(item), errors, item, 422)
        if then is not None:
            then(item)
        notice = web.language(request).gettext(done) % item.title
        target = "/console/news" if item.deleted else f"/console/news/{item_id}"
        return web.redirect(target, notice=notice)

    def render_form(
        request: Request,
        session: Session,
        values: dict[str, Any],
        errors: dict[str, str],
        item: NewsItem | None,
        status: int = 200,
    ) -> Response:
        return web.render(
            request,
            "news/console_form.html",
            {
                **labels(request),
                "values": values,
                "errors": errors,
                "item": item,
                "may_withdraw": session.allows(Role.ADMIN),
            },
            status=status,
        )

    return pages


# -- the console's form ---------------------------------------------------------------------


def form_values(form: FormData) -> dict[str, str]:
    """The form as typed, flat (what the page shows back beside the errors)."""
    return {name: text(form, name) for name in FORM_FIELDS}


def draft_body(values: dict[str, str], current: dict[str, Any]) -> dict[str, Any]:
    """A ``NewsItemDraft`` body from the flat form. The form edits the first image;
    further images (written through the API) are kept from the current item. Funding is
    sent when any of its fields is filled, so an empty block on a funding opportunity is
    the API's own refusal, and a filled one on another category too."""
    images = current.get("images", [])[1:]
    if values["image.url"]:
        images = [{"url": values["image.url"], "alt": values["image.alt"]}, *images]
    funding_fields = ("funding.deadline", "funding.programme", "funding.url")
    funding = None
    if any(values[name] for name in funding_fields):
        funding = {name.split(".", 1)[1]: values[name] or None for name in funding_fields}
    return {
        "category": values["category"],
        "language": values["language"],
        "title": values["title"],
        "summary": values["summary"],
        "body": values["body"],
        "images": images,
        "cluster": optional(values, "cluster"),
        "about_networks": split_list(values["about_networks"]),
        "funding": funding,
        "tags": split_list(values["tags"]),
        "visibility": values["visibility"],
    }


def item_values(item: NewsItem) -> dict[str, str]:
    """An item as the form's flat values."""
    data = item.model_dump(mode="json")
    image = (data.get("images") or [{}])[0]
    funding = data.get("funding") or {}
    return {
        **{name: data.get(name) or "" for name in ("category", "language", "title", "summary")},
        "body": item.body,
        "image.url": image.get("url", ""),
        "image.alt": image.get("alt", ""),
        "cluster": item.cluster or "",
        "about_networks": ", ".join(item.about_networks),
        "tags": ", ".join(item.tags),
        "visibility": data["visibility"],
        **{f"funding.{name}": funding.get(name, "") for name in ("deadline", "programme", "url")},
    }


def _on_fields(errors: dict[str, str]) -> dict[str, str]:
    """Errors keyed by the form's fields: the first image's go to its two inputs, a list's
    items to the list's one field."""
    shown: dict[str, str] = {}
    for name, reason in errors.items():
        base = name.replace("images.0.", "image.")
        if base.startswith(("tags.", "about_networks.", "images.")):
            base = base.split(".", 1)[0]
        shown.setdefault(base, reason)
    return shown


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""

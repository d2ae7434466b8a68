"""The web layer's own pages: static assets, console sign-in and sign-out, console home."""

# No ``from __future__ import annotations``: FastAPI reads the route annotations.

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request, Response
from fastapi.staticfiles import StaticFiles

from shared.auth import Role, UnknownTokenId, parse_lifetime
from shared.web.i18n import N_
from shared.web.layer import WEB_DIR, Area, NavLink, WebLayer
from shared.web.session import Session

WEB_LINKS = (NavLink(N_("API tokens"), "/console/tokens", Area.CONSOLE, Role.ADMIN, 90),)
STATES = (N_("active"), N_("revoked"), N_("expired"))  # a token's state, as listed


def safe_next(target: str | None) -> str:
    """Only a path on this site (never another host) is a place to go after sign-in."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/console"


def web_router(web: WebLayer) -> APIRouter:
    pages = APIRouter(include_in_schema=False)

    @pages.get("/console/sign-in")
    async def sign_in_page(request: Request, next: str = "/console", expired: str = "") -> Response:
        return web.render(
            request,
            "web/sign_in.html",
            {"next": safe_next(next), "expired": bool(expired), "errors": {}},
        )

    @pages.post("/console/sign-in")
    async def sign_in(
        request: Request,
        token: Annotated[str, Form(max_length=200)] = "",
        csrf: Annotated[str, Form(max_length=200)] = "",
        next: Annotated[str, Form(max_length=500)] = "/console",
    ) -> Response:
        web.check_form(request, csrf)
        response = web.redirect(safe_next(next))
        if web.sessions.open(response, request, token.strip()) is None:
            reason = web.language(request).gettext(
                N_("This token is not valid: it may be mistyped, revoked or expired.")
            )
            return web.render(
                request,
                "web/sign_in.html",
                {"next": safe_next(next), "expired": False, "errors": {"token": reason}},
                status=401,
            )
        return response

    @pages.post("/console/sign-out")
    async def sign_out(
        request: Request, csrf: Annotated[str, Form(max_length=200)] = ""
    ) -> Response:
        web.check_form(request, csrf)
        response = web.redirect("/console/sign-in")
        web.sessions.close(response)
        return response

    @pages.get("/console/tokens")
    async def tokens_page(
        request: Request, session: Annotated[Session, Depends(web.staff(Role.ADMIN))]
    ) -> Response:
        return web.render(request, "web/tokens.html", _tokens_view(web, {}))

    @pages.post("/console/tokens")
    async def create_token(
        request: Request,
        session: Annotated[Session, Depends(web.staff(Role.ADMIN))],
        csrf: Annotated[str, Form(max_length=200)] = "",
        role: Annotated[str, Form(max_length=20)] = "editor",
        label: Annotated[str, Form(max_length=200)] = "",
        expires_in: Annotated[str, Form(max_length=20)] = "",
    ) -> Response:
        web.check_form(request, csrf)
        errors: dict[str, str] = {}
        lifetime = None
        if role not in (Role.EDITOR.value, Role.ADMIN.value):
            errors["role"] = web.language(request).gettext(N_("Choose editor or admin."))
        if expires_in.strip():
            try:
                lifetime = parse_lifetime(expires_in)
            except ValueError as exc:
                errors["expires_in"] = str(exc)
        if errors:
            view = _tokens_view(
                web, {"errors": errors, "values": {"label": label, "expires_in": expires_in}}
            )
            return web.render(request, "web/tokens.html", view, status=422)
        token = web.tokens.create(Role(role), label.strip(), lifetime)
        return web.render(request, "web/tokens.html", _tokens_view(web, {"new_token": token}))

    @pages.post("/console/tokens/{token_id}/revoke")
    async def revoke_token(
        request: Request,
        token_id: str,
        session: Annotated[Session, Depends(web.staff(Role.ADMIN))],
        csrf: Annotated[str, Form(max_length=200)] = "",
    ) -> Response:
        web.check_form(request, csrf)
        try:
            record = web.tokens.revoke(token_id)
        except UnknownTokenId as exc:
            raise HTTPException(404, str(exc)) from exc
        notice = web.language(request).gettext(N_("Revoked: %s")) % (record.label or record.id)
        return web.redirect("/console/tokens", notice=notice)

    @pages.get("/console")
    async def console_home(
        request: Request, session: Annotated[Session, Depends(web.staff())]
    ) -> Response:
        expires = dt.datetime.fromtimestamp(session.expires, dt.UTC)
        return web.render(request, "web/console_home.html", {"expires": expires})

    return pages


def _tokens_view(web: WebLayer, extra: dict[str, object]) -> dict[str, object]:
    now = dt.datetime.now(dt.UTC)
    records = sorted(web.tokens.records(), key=lambda record: record.created, reverse=True)
    return {
        "records": [(record, record.state(now)) for record in records],
        "errors": {},
        "values": {},
        "new_token": None,
        **extra,
    }


def static_files() -> StaticFiles:
    return StaticFiles(directory=WEB_DIR / "static")

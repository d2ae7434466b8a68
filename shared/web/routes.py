"""The web layer's own pages: static assets, console sign-in and sign-out, console home."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.staticfiles import StaticFiles

from shared.web.i18n import N_
from shared.web.layer import WEB_DIR, WebLayer
from shared.web.session import Session


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

    @pages.get("/console")
    async def console_home(
        request: Request, session: Annotated[Session, Depends(web.staff())]
    ) -> Response:
        expires = dt.datetime.fromtimestamp(session.expires, dt.UTC)
        return web.render(request, "web/console_home.html", {"expires": expires})

    return pages


def static_files() -> StaticFiles:
    return StaticFiles(directory=WEB_DIR / "static")

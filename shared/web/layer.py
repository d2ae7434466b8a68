"""The web layer: server-rendered pages that every service plugs into.

A service declares its page routers and navigation entries (``ServiceDeclaration.pages``
and ``.navigation``) and keeps its templates in ``<package>/templates/<service>/`` and
its message catalogues in ``<package>/locales/``; the host builds one ``WebLayer`` per
process from the declarations, so no template folder here knows a service. Pages render
on the server (Jinja2, autoescaped) and work without JavaScript; htmx, served from here
like every other asset, only improves them.
"""

from __future__ import annotations

import importlib.resources
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import HTTPException, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape

from shared.auth import Role, TokenStore
from shared.errors import shorten
from shared.web import i18n
from shared.web.i18n import N_
from shared.web.labels import cooperation_label
from shared.web.session import Session, SessionKeeper

WEB_DIR = Path(__file__).parent
ERROR_HEADINGS = {
    404: N_("Page not found"),
    403: N_("Not allowed"),
    401: N_("Sign-in needed"),
    413: N_("Too large"),
    503: N_("Temporarily unavailable"),
}
ROLE_NAMES = (N_("editor"), N_("admin"))  # shown as "Signed in as editor"
LANG_COOKIE = "lang"
LANG_COOKIE_SECONDS = 365 * 24 * 3600
MAX_NOTICE = 200


class Area(StrEnum):
    """Where a navigation entry shows: the public site or the staff console."""

    PUBLIC = "public"
    CONSOLE = "console"


@dataclass(frozen=True)
class NavLink:
    """One entry of a site's navigation; ``label`` is an English message id."""

    label: str
    path: str
    area: Area = Area.PUBLIC
    role: Role | None = None  # console entries only this role (or admin) sees
    order: int = 50


@dataclass(frozen=True)
class Site:
    """What the frame says about the site it serves: a node's or the hub's."""

    title: str
    kind: str  # "node" or "hub"
    subtitle: str = ""


@dataclass
class WebLayer:
    """Templates, languages, sessions and navigation of one process's pages."""

    site: Site
    tokens: TokenStore
    data_dir: Path
    template_dirs: list[Path] = field(default_factory=list)
    locale_dirs: list[Path] = field(default_factory=list)
    navigation: list[NavLink] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.sessions = SessionKeeper(self.data_dir, self.tokens)
        # the frame's catalogue first: a service's own wording wins where both say it
        self.languages = i18n.load_languages([WEB_DIR / "locales", *self.locale_dirs])
        self.env = Environment(
            loader=ChoiceLoader(
                [FileSystemLoader(self.template_dirs), FileSystemLoader(WEB_DIR / "templates")]
            ),
            autoescape=select_autoescape(default=True, default_for_string=True),
            extensions=["jinja2.ext.i18n"],
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.install_gettext_callables(  # type: ignore[attr-defined]
            i18n.gettext, i18n.ngettext, newstyle=True
        )
        self.env.filters["date"] = _format_date
        self.env.filters["number"] = _format_number
        self.env.filters["cooperation"] = cooperation_label  # one label table, every page

    # -- requests --------------------------------------------------------------------
    def language(self, request: Request) -> i18n.Language:
        code = i18n.choose_language(
            request.query_params.get("lang"),
            request.cookies.get(LANG_COOKIE),
            request.headers.get("accept-language"),
        )
        return self.languages[code]

    def session(self, request: Request) -> Session | None:
        return self.sessions.read(request)

    def render(
        self,
        request: Request,
        template: str,
        context: Mapping[str, Any] | None = None,
        status: int = 200,
    ) -> HTMLResponse:
        """A page in the request's language, in the frame of this site."""
        language = self.language(request)
        session = self.session(request)
        response = HTMLResponse("", status_code=status)
        values = {
            "request": request,
            "site": self.site,
            "lang": language.code,
            "languages": [(code, i18n.LANGUAGE_NAMES[code]) for code in i18n.LANGUAGES],
            "session": session,
            "nav_public": self._links(Area.PUBLIC, None),
            "nav_console": self._links(Area.CONSOLE, session) if session else [],
            "csrf": self.sessions.form_token(request, response),
            "url_with": lambda **changes: _url_with(request, changes),
            # what a POST said it did, carried by its redirect (shown as text, escaped)
            "notice": request.query_params.get("notice", "")[:MAX_NOTICE],
            **(context or {}),
        }
        with i18n.speaking(language):
            body = self.env.get_template(template).render(values)
        response.body = response.render(body)
        response.headers["content-length"] = str(len(response.body))
        response.headers["content-language"] = language.code
        if request.query_params.get("lang") in i18n.LANGUAGES:  # the switcher remembers
            response.set_cookie(
                LANG_COOKIE,
                language.code,
                max_age=LANG_COOKIE_SECONDS,
                samesite="lax",
                path="/",
            )
        return response

    def error_page(self, request: Request, status: int, message: str) -> HTMLResponse:
        """A friendly page for an error a browser met (never a traceback)."""
        heading = ERROR_HEADINGS.get(
            status, N_("Something is not right") if status < 500 else N_("Sorry")
        )
        language = self.language(request)
        if status == 404:
            message = language.gettext(N_("There is no page at this address."))
        return self.render(
            request,
            "web/error.html",
            {"heading": language.gettext(heading), "message": shorten(message)},
            status=status,
        )

    def _links(self, area: Area, session: Session | None) -> list[NavLink]:
        links = [
            link
            for link in self.navigation
            if link.area is area and (link.role is None or (session and session.allows(link.role)))
        ]
        return sorted(links, key=lambda link: (link.order, link.path))

    # -- console guard -----------------------------------------------------------------
    def staff(self, role: Role = Role.EDITOR) -> Callable[[Request], Session]:
        """FastAPI dependency of a console page: a valid session of at least ``role``."""

        def require(request: Request) -> Session:
            session = self.session(request)
            if session is None:
                expired = self.sessions.had_session(request)
                raise SignInNeeded(request.url.path, expired)
            if not session.allows(role):
                raise HTTPException(403, f"this page needs the {role.value} role")
            return session

        return require

    def check_form(self, request: Request, submitted: str | None) -> None:
        """Refuse a form that does not carry this browser's CSRF token (403)."""
        if not self.sessions.form_is_genuine(request, submitted):
            raise HTTPException(
                403, "this form has expired or did not come from this site; reload the page"
            )

    def redirect(self, path: str, **query: str) -> RedirectResponse:
        """After a successful POST: see the result (303), with a notice to show."""
        target = f"{path}?{urlencode(query)}" if query else path
        return RedirectResponse(target, status_code=303)

    def add_links(self, links: Iterable[NavLink]) -> None:
        self.navigation.extend(links)


class SignInNeeded(Exception):
    """A console page was asked for without a valid session: go to the sign-in page."""

    def __init__(self, wanted: str, expired: bool) -> None:
        super().__init__(wanted)
        self.wanted = wanted
        self.expired = expired


def sign_in_redirect(error: SignInNeeded) -> Response:
    query = {"next": error.wanted}
    if error.expired:
        query["expired"] = "1"
    return RedirectResponse(f"/console/sign-in?{urlencode(query)}", status_code=303)


def wants_html(request: Request) -> bool:
    """A browser asking for a page (not an API client): HTML errors instead of JSON."""
    if request.url.path.startswith(("/api/", "/metrics", "/healthz", "/openapi")):
        return False
    return "text/html" in request.headers.get("accept", "")


def template_dir(package: str) -> Path:
    """A service package's ``templates`` folder."""
    return Path(str(importlib.resources.files(package))) / "templates"


def locale_dir(package: str) -> Path:
    return Path(str(importlib.resources.files(package))) / "locales"


def _format_date(value: Any, style: str = "medium") -> str:
    language = i18n.current()
    return language.date(value, style) if language else str(value or "")


def _format_number(value: float | int) -> str:
    language = i18n.current()
    return language.number(value) if language else str(value)


def _url_with(request: Request, changes: Mapping[str, Any]) -> str:
    """This page's URL with some query parameters changed (None removes one)."""
    query = dict(request.query_params)
    for key, value in changes.items():
        if value is None:
            query.pop(key, None)
        else:
            query[key] = str(value)
    return f"{request.url.path}?{urlencode(query)}" if query else request.url.path

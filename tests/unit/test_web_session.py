"""Console sessions and the language of a page: pure rules, a real token store on disk."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from fastapi import Request, Response

from shared.auth import Role, TokenStore
from shared.web.i18n import LANGUAGES, choose_language, load_languages
from shared.web.layer import WEB_DIR
from shared.web.session import FORM_COOKIE, SESSION_COOKIE, SessionKeeper


def request_with(cookies: dict[str, str] | None = None) -> Request:
    header = "; ".join(f"{k}={v}" for k, v in (cookies or {}).items())
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/console",
        "headers": [(b"cookie", header.encode())] if header else [],
        "query_string": b"",
        "scheme": "http",
        "server": ("127.0.0.1", 80),
    }
    return Request(scope)


def signed_in(keeper: SessionKeeper, token: str) -> dict[str, str]:
    response = Response()
    assert keeper.open(response, request_with(), token) is not None
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Max-Age=" in cookie
    value = cookie.split(";", 1)[0].split("=", 1)[1].strip('"')
    return {SESSION_COOKIE: value}


@pytest.fixture
def tokens(tmp_path: Path) -> TokenStore:
    return TokenStore(tmp_path)


def test_a_valid_token_opens_a_session_with_its_role(tmp_path: Path, tokens: TokenStore) -> None:
    keeper = SessionKeeper(tmp_path, tokens)
    cookies = signed_in(keeper, tokens.create(Role.EDITOR))
    session = keeper.read(request_with(cookies))
    assert session is not None and session.role is Role.EDITOR
    assert not session.allows(Role.ADMIN)
    assert keeper.open(Response(), request_with(), "alt_not-a-token") is None


def test_a_tampered_cookie_or_another_nodes_secret_reads_as_no_session(
    tmp_path: Path, tokens: TokenStore
) -> None:
    keeper = SessionKeeper(tmp_path / "a", tokens)
    cookies = signed_in(keeper, tokens.create(Role.ADMIN))
    payload, _, signature = cookies[SESSION_COOKIE].partition(".")
    forged = {SESSION_COOKIE: f"{payload}x.{signature}"}
    assert keeper.read(request_with(forged)) is None
    assert SessionKeeper(tmp_path / "b", tokens).read(request_with(cookies)) is None
    assert keeper.had_session(request_with(forged))


def test_a_session_ends_when_it_expires(tmp_path: Path, tokens: TokenStore) -> None:
    keeper = SessionKeeper(tmp_path, tokens, lifetime=1)
    cookies = signed_in(keeper, tokens.create(Role.EDITOR))
    assert keeper.read(request_with(cookies)) is not None
    time.sleep(1.2)
    assert keeper.read(request_with(cookies)) is None
    assert keeper.had_session(request_with(cookies))


def test_csrf_tokens_belong_to_one_session_or_one_browser(
    tmp_path: Path, tokens: TokenStore
) -> None:
    keeper = SessionKeeper(tmp_path, tokens)
    cookies = signed_in(keeper, tokens.create(Role.EDITOR))
    mine = keeper.form_token(request_with(cookies))
    assert keeper.form_is_genuine(request_with(cookies), mine)
    other = signed_in(keeper, tokens.create(Role.EDITOR))
    assert not keeper.form_is_genuine(request_with(other), mine)
    before = {FORM_COOKIE: "a" * 32}
    assert keeper.form_is_genuine(request_with(before), keeper.form_token(request_with(before)))
    assert not keeper.form_is_genuine(request_with(), keeper.form_token(request_with(before)))


@pytest.mark.parametrize(
    ("query", "cookie", "header", "expected"),
    [
        (None, None, None, "en"),
        (None, None, "fr-FR,fr;q=0.9,en;q=0.8", "fr"),
        (None, None, "de-DE, es;q=0.5", "es"),
        (None, None, "fr-CH", "fr"),
        (None, None, "pl, de", "en"),
        (None, "es", "fr", "es"),
        ("fr", "es", "en", "fr"),
        ("xx", None, "es", "es"),
    ],
)
def test_the_language_of_a_request(
    query: str | None, cookie: str | None, header: str | None, expected: str
) -> None:
    assert choose_language(query, cookie, header) == expected


def test_every_interface_language_loads() -> None:
    languages = load_languages([WEB_DIR / "locales"])
    assert set(languages) == set(LANGUAGES)
    assert languages["fr"].number(1234.5) == "1\u202f234,5"
    assert languages["en"].gettext("Sign in") == "Sign in"

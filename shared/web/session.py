"""Staff console sessions: an API token exchanged for an expiring, signed session cookie.

The cookie holds the token's digest, its role, an expiry and a nonce, signed with HMAC
under a secret kept in the data dir (0600). It is HttpOnly (no script reads it),
SameSite=Lax (other sites' forms do not carry it) and Secure when served over HTTPS. On
every request the digest is checked against the token store, so revoking the token ends
its sessions at once. Every form carries a CSRF token derived from the session's nonce
(or, before sign-in, from a random cookie of its own: the double-submit pattern).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from fastapi import HTTPException, Request, Response

from shared.auth import Role, TokenFileError, TokenStore, token_digest

SESSION_COOKIE = "alliance_session"
FORM_COOKIE = "alliance_form"  # before sign-in: the CSRF secret of the sign-in form
SESSION_SECONDS = 8 * 3600  # a working day; then sign in again
SECRET_FILE = "web-secret"


@dataclass(frozen=True)
class Session:
    """A signed-in staff member: what their token may do, until when."""

    digest: str
    role: Role
    expires: int
    nonce: str

    def allows(self, role: Role) -> bool:
        return self.role.allows(role)


class SessionKeeper:
    """Issues, reads and ends console sessions for one process."""

    def __init__(self, data_dir: Path, tokens: TokenStore, lifetime: int = SESSION_SECONDS) -> None:
        self._secret = _load_secret(data_dir / SECRET_FILE)
        self._tokens = tokens
        self.lifetime = lifetime

    # -- signing ---------------------------------------------------------------------
    def _sign(self, payload: bytes) -> str:
        mac = hmac.new(self._secret, payload, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()

    def csrf_token(self, nonce: str) -> str:
        return self._sign(f"csrf:{nonce}".encode())

    # -- sessions --------------------------------------------------------------------
    def open(self, response: Response, request: Request, token: str) -> Session | None:
        """Sign in with an API token: set the session cookie, or None if the token is not valid."""
        role = self._tokens.role_of(token)
        if role is None:
            return None
        session = Session(
            token_digest(token), role, int(time.time()) + self.lifetime, secrets.token_hex(16)
        )
        payload = base64.urlsafe_b64encode(
            json.dumps(
                {"d": session.digest, "r": role.value, "e": session.expires, "n": session.nonce}
            ).encode()
        ).decode()
        response.set_cookie(
            SESSION_COOKIE,
            f"{payload}.{self._sign(payload.encode())}",
            max_age=self.lifetime,
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
            path="/",
        )
        response.delete_cookie(FORM_COOKIE, path="/")
        return session

    def read(self, request: Request) -> Session | None:
        """The request's valid session: signed by us, not expired, its token still valid."""
        raw = request.cookies.get(SESSION_COOKIE, "")
        payload, _, signature = raw.partition(".")
        if not payload or not hmac.compare_digest(signature, self._sign(payload.encode())):
            return None
        try:
            fields = json.loads(base64.urlsafe_b64decode(payload.encode()))
            session = Session(fields["d"], Role(fields["r"]), int(fields["e"]), fields["n"])
        except (ValueError, KeyError, TypeError):
            return None
        if session.expires < time.time():
            return None
        try:
            role = self._tokens.role_of_digest(session.digest)
        except TokenFileError as exc:  # fail closed, as the API does
            raise HTTPException(
                503, "the node cannot read its API tokens; the operator must fix tokens.json"
            ) from exc
        if role is None:  # revoked or expired since
            return None
        return Session(session.digest, role, session.expires, session.nonce)

    def had_session(self, request: Request) -> bool:
        """A session cookie was sent but is no longer valid (expired, token revoked)."""
        return SESSION_COOKIE in request.cookies and self.read(request) is None

    @staticmethod
    def close(response: Response) -> None:
        response.delete_cookie(SESSION_COOKIE, path="/")

    # -- forms -----------------------------------------------------------------------
    def form_token(self, request: Request, response: Response | None = None) -> str:
        """The CSRF token a form of this request must carry back."""
        session = self.read(request)
        if session is not None:
            return self.csrf_token(session.nonce)
        nonce = request.cookies.get(FORM_COOKIE) or secrets.token_hex(16)
        if response is not None and FORM_COOKIE not in request.cookies:
            response.set_cookie(
                FORM_COOKIE,
                nonce,
                httponly=True,
                samesite="strict",
                path="/",
                secure=request.url.scheme == "https",
            )
        request.state.form_nonce = nonce
        return self.csrf_token(nonce)

    def form_is_genuine(self, request: Request, submitted: str | None) -> bool:
        """Whether a posted form carries this session's (or this browser's) CSRF token."""
        session = self.read(request)
        nonce = session.nonce if session else request.cookies.get(FORM_COOKIE)
        return bool(nonce and submitted) and hmac.compare_digest(
            str(submitted), self.csrf_token(str(nonce))
        )


def _load_secret(path: Path) -> bytes:
    """The data dir's web secret, made on first use (0600, never leaves the node)."""
    try:
        return bytes.fromhex(path.read_text().strip())
    except (FileNotFoundError, ValueError):
        path.parent.mkdir(parents=True, exist_ok=True)
        secret = secrets.token_bytes(32)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secret.hex())
        return secret

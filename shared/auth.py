"""API tokens: created by ``alliance token create``, stored hashed in the data dir.

Reads of public data need no token; writes need an ``editor`` or ``admin`` token sent as
``Authorization: Bearer <token>``. The file is re-read when it changes, so a token made
while the node runs works at once.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from fastapi import Header, HTTPException

from shared.contracts.base import Visibility

TOKENS_FILE = "tokens.json"


class Role(StrEnum):
    EDITOR = "editor"
    ADMIN = "admin"

    def allows(self, needed: Role) -> bool:
        return self is Role.ADMIN or self is needed


def token_digest(token: str) -> str:
    """What is stored of a token (and what a console session remembers of it)."""
    return hashlib.sha256(token.encode()).hexdigest()


class TokenStore:
    """The hashed tokens of one node."""

    def __init__(self, data_dir: Path) -> None:
        self._path = data_dir / TOKENS_FILE
        self._cache: tuple[float, list[dict[str, str]]] = (-1.0, [])

    def create(self, role: Role, label: str = "") -> str:
        token = "alt_" + secrets.token_urlsafe(32)
        entries = self._load()
        entries.append(
            {
                "id": secrets.token_hex(4),
                "sha256": token_digest(token),
                "role": role.value,
                "label": label,
                "created": datetime.now(UTC).isoformat(),
            }
        )
        self._path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self._path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(entries, handle, indent=2)
        tmp.replace(self._path)
        return token

    def role_of(self, token: str) -> Role | None:
        return self.role_of_digest(token_digest(token))

    def role_of_digest(self, digest: str) -> Role | None:
        """The role of the token with this digest, if it is still valid."""
        for entry in self._load():
            if hmac.compare_digest(entry["sha256"], digest):
                return Role(entry["role"])
        return None

    def _load(self) -> list[dict[str, str]]:
        try:
            mtime = self._path.stat().st_mtime
        except FileNotFoundError:
            return []
        if mtime != self._cache[0]:
            self._cache = (mtime, json.loads(self._path.read_text()))
        return list(self._cache[1])


def _bearer(authorization: str | None) -> str | None:
    if authorization and authorization.startswith("Bearer "):
        return authorization.removeprefix("Bearer ").strip()
    return None


def _unknown_token() -> HTTPException:
    return HTTPException(401, "unknown API token", headers={"WWW-Authenticate": "Bearer"})


class Caller:
    """FastAPI dependency: the caller's role, or None for an anonymous (public) reader.

    A token that is sent but not known is refused (401), never read as anonymous: a
    mistyped or revoked token must not silently show less.
    """

    def __init__(self, tokens: TokenStore) -> None:
        self._tokens = tokens

    async def __call__(self, authorization: str | None = Header(default=None)) -> Role | None:
        token = _bearer(authorization)
        if token is None:
            return None
        role = self._tokens.role_of(token)
        if role is None:
            raise _unknown_token()
        return role


class RequireRole:
    """FastAPI dependency: the request must carry a token of at least ``role``."""

    def __init__(self, tokens: TokenStore, role: Role) -> None:
        self._tokens = tokens
        self._role = role

    async def __call__(self, authorization: str | None = Header(default=None)) -> Role:
        token = _bearer(authorization)
        if token is None:
            raise HTTPException(
                401,
                "this needs an API token: Authorization: Bearer <token>",
                headers={"WWW-Authenticate": "Bearer"},
            )
        role = self._tokens.role_of(token)
        if role is None:
            raise _unknown_token()
        if not role.allows(self._role):
            raise HTTPException(403, f"this needs the {self._role.value} role")
        return role


def can_read(role: Role | None, visibility: Visibility, deleted: bool = False) -> bool:
    """Anonymous readers see live ``public`` records; the node's staff see all it holds."""
    return role is not None or (visibility is Visibility.PUBLIC and not deleted)


def readable_visibilities(role: Role | None) -> list[str] | None:
    """The visibilities a list query may return to this caller (None: no restriction)."""
    return None if role is not None else [Visibility.PUBLIC.value]

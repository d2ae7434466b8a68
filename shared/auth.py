"""API tokens: made by ``alliance token create``, stored hashed in the data dir (0600).

Reads of public data need no token; writes need an ``editor`` or ``admin`` token sent as
``Authorization: Bearer <token>``. A token may expire (``--expires-in``) and can be
revoked (``alliance token revoke``); the file is re-read when it changes, so running
services honour a new, revoked or expired token at once.

A token that is sent is checked also on reads: unknown, revoked or expired is a 401 with
the reason, never a silent anonymous read. A ``tokens.json`` that cannot be read stops the
node at start in one line; if it breaks while the node runs, requests carrying a token
get 503 (fail closed: a revocation written by hand must not be ignored) and the log says
why once, while anonymous public reads go on.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
import re
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path

from fastapi import Header, HTTPException
from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from shared.contracts.base import Visibility
from shared.files import exclusive, private_dir, write_private
from shared.runtime import RuntimeFailure

log = logging.getLogger(__name__)

TOKENS_FILE = "tokens.json"
LIFETIME_UNITS = {"m": 60, "h": 3600, "d": 86_400, "w": 7 * 86_400}
MAX_LIFETIME = timedelta(days=3660)


class Role(StrEnum):
    EDITOR = "editor"
    ADMIN = "admin"

    def allows(self, needed: Role) -> bool:
        return self is Role.ADMIN or self is needed


class TokenRecord(BaseModel):
    """One token as stored: its hash and what it may do, never the token itself."""

    id: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    role: Role
    label: str = ""
    created: datetime
    expires: datetime | None = None
    revoked: datetime | None = None

    def refusal(self, now: datetime) -> str | None:
        """Why this token opens nothing now, or None while it is good."""
        if self.revoked is not None:
            return "this API token was revoked"
        if self.expires is not None and now >= self.expires:
            return f"this API token expired at {self.expires.isoformat(timespec='seconds')}"
        return None

    def state(self, now: datetime) -> str:
        if self.revoked is not None:
            return "revoked"
        return "expired" if self.refusal(now) else "active"


RECORDS = TypeAdapter(list[TokenRecord])


class TokenFileError(RuntimeFailure):
    """``tokens.json`` cannot be read or is not a token list: which file and why."""


class TokenRefused(Exception):
    """A token that opens nothing (unknown, revoked or expired); the message says which."""


class UnknownTokenId(RuntimeFailure):
    """``alliance token revoke`` was given an id the node does not know."""


def token_digest(token: str) -> str:
    """What is stored of a token (and what a console session remembers of it)."""
    return hashlib.sha256(token.encode()).hexdigest()


def parse_lifetime(text: str) -> timedelta:
    """``30d``, ``12h``, ``2w``, ``90m``: how long a new token stays good."""
    match = re.fullmatch(r"\s*(\d+)\s*([mhdw])\s*", text.lower())
    if not match or int(match.group(1)) == 0:
        raise ValueError(
            f"invalid lifetime {text!r}: use a positive number and a unit, e.g. 90m, 12h, 30d, 2w"
        )
    lifetime = timedelta(seconds=int(match.group(1)) * LIFETIME_UNITS[match.group(2)])
    if lifetime > MAX_LIFETIME:
        raise ValueError(f"invalid lifetime {text!r}: at most ten years")
    return lifetime


class TokenStore:
    """The hashed tokens of one node (``tokens.json`` in its data dir)."""

    def __init__(self, data_dir: Path) -> None:
        self._path = data_dir / TOKENS_FILE
        self._lock = data_dir / ".tokens.lock"
        self._cache: tuple[tuple[int, int, int] | None, list[TokenRecord]] = (None, [])
        self._broken: str | None = None  # why the cached version cannot be read
        self._reported: tuple[int, int, int] | None = None

    def create(self, role: Role, label: str = "", lifetime: timedelta | None = None) -> str:
        """A new token (printed once; only its hash is kept)."""
        token = "alt_" + secrets.token_urlsafe(32)
        now = datetime.now(UTC)
        record = TokenRecord(
            id=secrets.token_hex(4),
            sha256=token_digest(token),
            role=role,
            label=label,
            created=now,
            expires=now + lifetime if lifetime else None,
        )
        with self._editing() as records:
            records.append(record)
        return token

    def revoke(self, token_id: str) -> TokenRecord:
        """Mark a token revoked (kept, so ``token list`` still shows what it was)."""
        with self._editing() as records:
            for record in records:
                if record.id == token_id:
                    if record.revoked is None:
                        record.revoked = datetime.now(UTC)
                    return record
        raise UnknownTokenId(f"no API token with id {token_id!r} ('alliance token list')")

    def records(self) -> list[TokenRecord]:
        return self._load()

    def check(self) -> None:
        """Fail in one line (TokenFileError) when the file cannot be used."""
        self._load()

    def verify(self, token: str) -> Role:
        """The role a token grants; TokenRefused when it grants none.

        A broken file raises TokenFileError, logged once per broken version of the file
        (not once per request).
        """
        return self.verify_digest(token_digest(token))

    def verify_digest(self, digest: str) -> Role:
        """``verify`` for a token known only by its digest (a console session's)."""
        try:
            records = self._load()
        except TokenFileError as exc:
            if self._cache[0] != self._reported:
                self._reported = self._cache[0]
                log.error("%s", exc)
            raise
        for record in records:
            if hmac.compare_digest(record.sha256, digest):
                refusal = record.refusal(datetime.now(UTC))
                if refusal:
                    raise TokenRefused(refusal)
                return record.role
        raise TokenRefused("unknown API token")

    def role_of(self, token: str) -> Role | None:
        """The role a token grants now, or None."""
        return self.role_of_digest(token_digest(token))

    def role_of_digest(self, digest: str) -> Role | None:
        try:
            return self.verify_digest(digest)
        except TokenRefused:
            return None

    def _version(self) -> tuple[int, int, int] | None:
        try:
            stat = self._path.stat()
        except FileNotFoundError:
            return None
        return (stat.st_ino, stat.st_mtime_ns, stat.st_size)

    def _load(self) -> list[TokenRecord]:
        version = self._version()
        if version is None:
            return []
        if version != self._cache[0]:
            self._cache, self._broken = (version, []), None
            try:
                self._cache = (version, RECORDS.validate_json(self._path.read_bytes()))
            except (OSError, ValidationError) as exc:
                self._broken = (
                    f"cannot read API tokens {self._path}: {_first_problem(exc)}; "
                    "restore it from a backup or fix it"
                )
        if self._broken is not None:
            raise TokenFileError(self._broken)
        return list(self._cache[1])

    @contextlib.contextmanager
    def _editing(self) -> Iterator[list[TokenRecord]]:
        """Load, let the caller change, save (0600, atomically); one editor at a time."""
        private_dir(self._path.parent)
        with exclusive(self._lock):
            records = [record.model_copy() for record in self._load()]
            yield records
            text = RECORDS.dump_json(records, indent=2, exclude_none=True).decode()
            write_private(self._path, text + "\n")


def _first_problem(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"])
        return f"{where}: {error['msg']}" if where else str(error["msg"])
    return str(getattr(exc, "strerror", None) or exc)


def _bearer(authorization: str | None) -> str | None:
    if authorization and authorization.startswith("Bearer "):
        return authorization.removeprefix("Bearer ").strip()
    return None


def _role(tokens: TokenStore, token: str) -> Role:
    """The token's role, or the HTTP answer: 401 with the reason, 503 if the file broke."""
    try:
        return tokens.verify(token)
    except TokenRefused as exc:
        raise HTTPException(401, str(exc), headers={"WWW-Authenticate": "Bearer"}) from exc
    except TokenFileError as exc:
        raise HTTPException(
            503, "the node cannot read its API tokens; the operator must fix tokens.json"
        ) from exc


class Caller:
    """FastAPI dependency: the caller's role, or None for an anonymous (public) reader.

    A token that is sent but opens nothing is refused (401), never read as anonymous: a
    mistyped, revoked or expired token must not silently show less.
    """

    def __init__(self, tokens: TokenStore) -> None:
        self._tokens = tokens

    async def __call__(self, authorization: str | None = Header(default=None)) -> Role | None:
        token = _bearer(authorization)
        return None if token is None else _role(self._tokens, token)


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
        role = _role(self._tokens, token)
        if not role.allows(self._role):
            raise HTTPException(403, f"this needs the {self._role.value} role")
        return role


def can_read(role: Role | None, visibility: Visibility, deleted: bool = False) -> bool:
    """Anonymous readers see live ``public`` records; the node's staff see all it holds."""
    return role is not None or (visibility is Visibility.PUBLIC and not deleted)


def readable_visibilities(role: Role | None) -> list[str] | None:
    """The visibilities a list query may return to this caller (None: no restriction)."""
    return None if role is not None else [Visibility.PUBLIC.value]

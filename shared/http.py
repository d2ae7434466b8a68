"""HTTP edge shared by every process: readable errors, request limits, metrics, /metrics.

Every error a client can cause is answered with a 4xx and a JSON body
``{"message": ..., "errors": [{"field": ..., "reason": ...}]}``; nothing a client sends
produces a 500 or a traceback. What the client sent is echoed back shortened
(``shared.errors.shorten``), in ``problem``, the one place answers are rendered.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel
from pymongo.errors import ConnectionFailure, PyMongoError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.errors import DomainError, shorten
from shared.metrics import Metrics
from shared.web.layer import SignInNeeded, sign_in_redirect, wants_html

log = logging.getLogger(__name__)

MIB = 1024 * 1024
MAX_BODY_BYTES = 1 * MIB  # a JSON document: an organisation with 50 contacts is ~20 kB
MAX_CSV_BYTES = 5 * MIB  # a member list of 10,000 rows
CSV_MEDIA_TYPES = ("text/csv", "application/csv", "application/vnd.ms-excel", "text/plain")
FORM_UPLOAD_BYTES = MAX_CSV_BYTES + 64 * 1024  # a console form carrying a CSV file
BODY_LIMITS: Mapping[str, int] = {
    **dict.fromkeys(CSV_MEDIA_TYPES, MAX_CSV_BYTES),
    "multipart/form-data": FORM_UPLOAD_BYTES,
}
HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# A full disk, as each store says it: MongoDB's OutOfDiskSpace code; nx-27017 passes on
# SQLite's SQLITE_FULL message (with code 8, UnknownError, or none); the OS's ENOSPC.
STORAGE_FULL_CODES = frozenset({14031})
STORAGE_FULL_MESSAGES = ("database or disk is full", "no space left on device")
STORAGE_FULL_MESSAGE = (
    "storage full: the node's disk has no room left, so nothing was written; "
    "its operators must free space"
)
ANSWERS = {
    401: "no API token, or an unknown one (Authorization: Bearer <token>)",
    403: "the token's role may not do this",
    404: "no such record on this node (or not visible to this caller)",
    409: "another record already has this key (VAT number, or name and country)",
    410: "the record was deleted",
    413: "the body is larger than this endpoint accepts",
    415: "the body is not of a type this endpoint accepts",
    422: "the input is invalid: each problem names its field",
    503: "the node cannot do this now (its store is full or unavailable)",
}


class Page(BaseModel):
    """One page of a list; pass ``next`` as ``after`` to get the following one."""

    items: list[dict[str, Any]]
    next: str | None = None


class ProblemDetail(BaseModel):
    """One thing wrong with a request: the field (or ``body``, ``file``, a header…) and why."""

    field: str
    reason: str


class Problem(BaseModel):
    """The body of every 4xx/5xx answer: a readable message and each problem found."""

    message: str
    errors: list[ProblemDetail]


def problem(
    status: int,
    message: str,
    errors: list[dict[str, Any]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """The error body every refusal carries; the client's own text in it is shortened."""
    body = {"message": shorten(message), "errors": [_shortened(e) for e in errors or []]}
    return JSONResponse(body, status_code=status, headers=headers)


def _shortened(error: dict[str, Any]) -> dict[str, Any]:
    return {k: shorten(v) if isinstance(v, str) else v for k, v in error.items()}


def _field(loc: tuple[Any, ...]) -> str:
    parts = [str(part) for part in loc if part not in ("body", "query", "path")]
    return ".".join(parts) or str(loc[0]) if loc else "request"


def _answer(
    request: Request, status: int, message: str, errors: list[dict[str, Any]] | None = None
) -> Response:
    """The error as a page for a browser (when this process serves pages), else as JSON."""
    web = getattr(request.app.state, "web", None)
    if web is not None and wants_html(request):
        return web.error_page(request, status, message)
    return problem(status, message, errors)


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = [_detail(error, exc.body) for error in exc.errors()]
    first = errors[0] if errors else {"field": "request", "reason": "invalid"}
    return _answer(request, 422, f"{first['field']}: {first['reason']}", errors)


def _detail(error: Mapping[str, Any], body: Any) -> dict[str, str]:
    """One validation error as field and reason; a JSON syntax error says where it is."""
    loc = tuple(error.get("loc", ()))
    if error.get("type") == "json_invalid":
        return {"field": "body", "reason": _json_syntax(body, loc[-1], error.get("ctx", {}))}
    reason = str(error.get("msg", "")).removeprefix("Value error, ")
    return {"field": _field(loc), "reason": reason}


def _json_syntax(document: Any, position: Any, ctx: Mapping[str, Any]) -> str:
    """'invalid JSON at line 2, column 5 (character 17): Expecting value'."""
    where = f"character {position}"
    if isinstance(document, str) and isinstance(position, int):
        line = document.count("\n", 0, position) + 1
        column = position - document.rfind("\n", 0, position)
        where = f"line {line}, column {column} ({where})"
    return f"invalid JSON at {where}: {ctx.get('error', 'cannot be read')}"


async def _domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    errors = exc.errors or ([{"field": exc.field, "reason": exc.reason}] if exc.field else [])
    return _answer(request, exc.status, str(exc), errors)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    field = getattr(exc, "field", None)  # set where the refusal concerns one part
    errors = [{"field": field, "reason": str(exc.detail)}] if field else []
    response = _answer(request, exc.status_code, str(exc.detail), errors)
    for name, value in (exc.headers or {}).items():
        response.headers[name] = value
    return response


async def _store_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, PyMongoError)
    log.error("store error on %s %s: %s", request.method, request.url.path, exc)
    if isinstance(exc, ConnectionFailure):
        return problem(503, "the store is unavailable; try again shortly")
    if storage_full(exc):
        return problem(503, STORAGE_FULL_MESSAGE)
    return problem(500, "the store refused the operation; see the node's log")


async def _sign_in_needed(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SignInNeeded)
    return sign_in_redirect(exc)


def storage_full(error: PyMongoError | str) -> bool:
    """Did the store refuse a write because its disk is full (in any store's words)?

    Takes the error, or its text where only that was kept (a background job's).
    """
    code = getattr(error, "code", None)
    text = str(error).lower()
    return code in STORAGE_FULL_CODES or any(m in text for m in STORAGE_FULL_MESSAGES)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for these error answers, each with the real error body."""
    return {status: {"model": Problem, "description": ANSWERS[status]} for status in statuses}


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(SignInNeeded, _sign_in_needed)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(PyMongoError, _store_error)


class RequestMetrics:
    """ASGI middleware: count and time every request by its route template, not its path.

    A plain ASGI middleware rather than ``@app.middleware("http")``, whose request and
    response wrapping cost more than the rest of a small request (measured).
    """

    def __init__(self, app: ASGIApp, metrics: Metrics, service: str) -> None:
        self.app = app
        self.metrics = metrics
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            # Made-up methods and paths each count as one label value, or every one a
            # client invents would be a new series (13,000 of them made /metrics 34 MB).
            template = getattr(scope.get("route"), "path", "unmatched")
            method = scope["method"] if scope["method"] in HTTP_METHODS else "other"
            self.metrics.http_requests.labels(self.service, method, template, status).inc()
            self.metrics.http_latency.labels(self.service, method, template).observe(
                time.perf_counter() - started
            )


class BodyTooLarge(StarletteHTTPException):
    """The body went past its limit while being read; answered 413, connection closed."""

    field = "body"

    def __init__(self, limit: int) -> None:
        super().__init__(413, _too_large_message(limit), headers={"Connection": "close"})


def _too_large_message(limit: int) -> str:
    return f"the request body is larger than the {limit / MIB:g} MiB this endpoint accepts"


class RequestLimits:
    """ASGI middleware: what is refused before the app sees (or reads) the request.

    NUL characters anywhere in the path or the query (422), and bodies over their limit
    (413): a declared Content-Length over the limit is refused before one byte of the body
    is read; a body sent without one (chunked) is counted as it streams in, and refused
    the moment it passes the limit. The limit is ``limits`` for the body's media type,
    else ``default``.
    """

    def __init__(
        self, app: ASGIApp, default: int = MAX_BODY_BYTES, limits: Mapping[str, int] = BODY_LIMITS
    ) -> None:
        self.app = app
        self.default = default
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal = _nul_refusal(scope)
        limit = self.limits.get(_media_type(scope), self.default)
        if refusal is None and (_content_length(scope) or 0) > limit:
            refusal = _too_large(limit)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        try:
            await self.app(scope, _counted(receive, limit), send)
        except BodyTooLarge:  # read outside an endpoint; endpoints answer it themselves
            await _too_large(limit)(scope, receive, send)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value).decode("latin-1")
    return None


def _media_type(scope: Scope) -> str:
    return (_header(scope, b"content-type") or "").split(";")[0].strip().lower()


def _content_length(scope: Scope) -> int | None:
    declared = _header(scope, b"content-length")
    return int(declared) if declared and declared.strip().isdigit() else None


def _too_large(limit: int) -> JSONResponse:
    return problem(
        413,
        _too_large_message(limit),
        [{"field": "body", "reason": _too_large_message(limit)}],
        headers={"Connection": "close"},
    )


def _nul_refusal(scope: Scope) -> JSONResponse | None:
    """A 422 naming the query parameter (or the path) that holds a NUL character."""
    query = bytes(scope.get("query_string", b"")).decode("latin-1")
    named = [("path", scope["path"]), *parse_qsl(query, keep_blank_values=True)]
    for field, value in named:
        if "\x00" in field or "\x00" in value:
            field = field.replace("\x00", "\\x00")
            reason = "must not contain NUL characters"
            return problem(422, f"{field}: {reason}", [{"field": field, "reason": reason}])
    return None


def _counted(receive: Receive, limit: int) -> Callable[[], Awaitable[Message]]:
    """``receive``, raising BodyTooLarge once more than ``limit`` body bytes came in."""
    received = 0

    async def counting() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise BodyTooLarge(limit)
        return message

    return counting


def install_request_limits(app: FastAPI) -> None:
    """NUL characters in paths and queries, and oversized bodies, refused at the edge."""
    app.add_middleware(RequestLimits)


def install_metrics(app: FastAPI, metrics: Metrics, service: str) -> None:
    """Request metrics on every route, and ``/metrics`` for Prometheus."""
    app.add_middleware(RequestMetrics, metrics=metrics, service=service)

    @app.get("/metrics", include_in_schema=False)
    async def prometheus_metrics() -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

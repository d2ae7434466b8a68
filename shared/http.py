"""HTTP edge shared by every process: readable errors, request metrics, /metrics.

Every error a client can cause is answered with a 4xx and a JSON body
``{"message": ..., "errors": [{"field": ..., "reason": ...}]}``; nothing a client sends
produces a 500 or a traceback.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel
from pymongo.errors import ConnectionFailure, PyMongoError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.errors import DomainError
from shared.metrics import Metrics
from shared.web.layer import SignInNeeded, sign_in_redirect, wants_html

log = logging.getLogger(__name__)


class Page(BaseModel):
    """One page of a list; pass ``next`` as ``after`` to get the following one."""

    items: list[dict[str, Any]]
    next: str | None = None


def problem(status: int, message: str, errors: list[dict[str, Any]] | None = None) -> JSONResponse:
    return JSONResponse({"message": message, "errors": errors or []}, status_code=status)


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
    errors = [
        {"field": _field(tuple(error.get("loc", ()))), "reason": str(error.get("msg", ""))}
        for error in exc.errors()
    ]
    first = errors[0] if errors else {"field": "request", "reason": "invalid"}
    return _answer(request, 422, f"{first['field']}: {first['reason']}", errors)


async def _domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    errors = exc.errors or ([{"field": exc.field, "reason": exc.reason}] if exc.field else [])
    return _answer(request, exc.status, str(exc), errors)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    response = _answer(request, exc.status_code, str(exc.detail))
    for name, value in (exc.headers or {}).items():
        response.headers[name] = value
    return response


async def _store_error(request: Request, exc: Exception) -> JSONResponse:
    log.error("store error on %s %s: %s", request.method, request.url.path, exc)
    if isinstance(exc, ConnectionFailure):
        return problem(503, "the store is unavailable; try again shortly")
    return problem(500, "the store refused the operation; see the node's log")


async def _sign_in_needed(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SignInNeeded)
    return sign_in_redirect(exc)


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
            template = getattr(scope.get("route"), "path", "unmatched")
            method = scope["method"]
            self.metrics.http_requests.labels(self.service, method, template, status).inc()
            self.metrics.http_latency.labels(self.service, method, template).observe(
                time.perf_counter() - started
            )


def install_metrics(app: FastAPI, metrics: Metrics, service: str) -> None:
    """Request metrics on every route, and ``/metrics`` for Prometheus."""
    app.add_middleware(RequestMetrics, metrics=metrics, service=service)

    @app.get("/metrics", include_in_schema=False)
    async def prometheus_metrics() -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

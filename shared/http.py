"""HTTP edge shared by every process: readable errors, request metrics, /metrics.

Every error a client can cause is answered with a 4xx and a JSON body
``{"message": ..., "errors": [{"field": ..., "reason": ...}]}``; nothing a client sends
produces a 500 or a traceback.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel
from pymongo.errors import ConnectionFailure, PyMongoError
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.errors import DomainError
from shared.metrics import Metrics

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


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"field": _field(tuple(error.get("loc", ()))), "reason": str(error.get("msg", ""))}
        for error in exc.errors()
    ]
    first = errors[0] if errors else {"field": "request", "reason": "invalid"}
    return problem(422, f"{first['field']}: {first['reason']}", errors)


async def _domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    errors = exc.errors or ([{"field": exc.field, "reason": exc.reason}] if exc.field else [])
    return problem(exc.status, str(exc), errors)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    response = problem(exc.status_code, str(exc.detail))
    for name, value in (exc.headers or {}).items():
        response.headers[name] = value
    return response


async def _store_error(request: Request, exc: Exception) -> JSONResponse:
    log.error("store error on %s %s: %s", request.method, request.url.path, exc)
    if isinstance(exc, ConnectionFailure):
        return problem(503, "the store is unavailable; try again shortly")
    return problem(500, "the store refused the operation; see the node's log")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(PyMongoError, _store_error)


def install_metrics(app: FastAPI, metrics: Metrics, service: str) -> None:
    """Count and time every request by its route template, not its raw path."""

    @app.middleware("http")
    async def measure(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")
        template = getattr(route, "path", "unmatched")
        metrics.http_requests.labels(service, request.method, template, response.status_code).inc()
        metrics.http_latency.labels(service, request.method, template).observe(
            time.perf_counter() - started
        )
        return response

    @app.get("/metrics", include_in_schema=False)
    async def prometheus_metrics() -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

"""The OpenAPI document as a client needs it, and /docs that works without the internet.

FastAPI's document names neither how to authenticate (the token is read from the
``Authorization`` header by a plain dependency, which Swagger UI cannot fill) nor the
error body every refusal carries (it shows its own validation error model). Here, from
what each route depends on: the bearer scheme (so Swagger UI's Authorize button works),
``security`` per operation (required for editor/admin routes, optional for reads that
show more with a token), 401/403 answers, and ``Problem`` as the body of 401, 403, 413 and
422; routes declare their own 404/409/410/415/503 (``shared.http.problem_responses``).

Swagger UI and ReDoc are served from the pinned copies in ``fastapi-offline``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi_offline import FastAPIOffline
from starlette.routing import BaseRoute

from shared.auth import Caller, RequireRole
from shared.http import ANSWERS, Problem

__all__ = ["BEARER", "documented_app"]

BEARER = "bearerAuth"
_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
_FASTAPI_ERROR_MODELS = ("HTTPValidationError", "ValidationError")


def documented_app(**settings: Any) -> FastAPI:
    """A FastAPI app whose /docs and /redoc need no CDN and whose OpenAPI is complete."""
    app = FastAPIOffline(swagger_ui_parameters={"persistAuthorization": True}, **settings)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            _complete(document, app.routes)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


def _complete(document: dict[str, Any], routes: Sequence[BaseRoute]) -> None:
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(problem.pop("$defs", {}))
    schemas["Problem"] = problem
    components["securitySchemes"] = {
        BEARER: {
            "type": "http",
            "scheme": "bearer",
            "description": "an API token from `alliance token create` (writes need one)",
        }
    }
    for context in iter_route_contexts(routes):  # routes of included routers too
        if isinstance(context.original_route, APIRoute) and context.include_in_schema:
            calls = _calls(context.dependant)
            for method in context.methods or ():
                path = document["paths"].get(context.path_format or "", {})
                if (operation := path.get(method.lower())) is not None:
                    _complete_operation(operation, calls)
    used = json.dumps(document["paths"])
    for name in _FASTAPI_ERROR_MODELS:
        if f'/{name}"' not in used:
            schemas.pop(name, None)


def _complete_operation(operation: dict[str, Any], calls: set[object]) -> None:
    parameters = [
        p
        for p in operation.get("parameters", [])
        if not (p.get("in") == "header" and p.get("name", "").lower() == "authorization")
    ]
    if parameters:
        operation["parameters"] = parameters
    else:
        operation.pop("parameters", None)
    needed = {413, 422} if "requestBody" in operation else set()
    if any(isinstance(call, RequireRole) for call in calls):
        operation["security"] = [{BEARER: []}]
        needed |= {401, 403}
    elif any(isinstance(call, Caller) for call in calls):
        operation["security"] = [{BEARER: []}, {}]  # a token shows more; none is fine
        needed.add(401)
    responses = operation.setdefault("responses", {})
    if "422" in responses:
        needed.add(422)
    for status in sorted(needed):
        responses[str(status)] = {
            "description": ANSWERS[status],
            "content": {"application/json": {"schema": _PROBLEM_REF}},
        }


def _calls(dependant: Dependant) -> set[object]:
    """Every dependency callable of a route, however deeply nested."""

    def walk(node: Dependant) -> Iterator[object]:
        for sub in node.dependencies:
            if sub.call is not None:
                yield sub.call
            yield from walk(sub)

    return set(walk(dependant))

"""/docs needs no internet, and the OpenAPI document says how to authenticate and what
every error answer looks like (against a whole in-process node on real servers)."""

from __future__ import annotations

import re
from typing import Any

from tests.conftest import NodeUnderTest

PROBLEM = {"$ref": "#/components/schemas/Problem"}


def error_body(operation: dict[str, Any], status: int) -> Any:
    return operation["responses"][str(status)]["content"]["application/json"]["schema"]


async def test_docs_load_every_asset_from_the_node_itself(node: NodeUnderTest) -> None:
    for page in ("/docs", "/redoc"):
        html = (await node.client.get(page)).text
        assets = re.findall(r'(?:src|href)="([^"]+)"', html)
        assert assets, html
        for asset in assets:
            assert asset.startswith("/"), f"{page} loads {asset} from elsewhere"
            answer = await node.client.get(asset)
            assert answer.status_code == 200, asset
            assert len(answer.content) > 1000, asset
    assert "persistAuthorization" in (await node.client.get("/docs")).text


async def test_openapi_declares_the_bearer_scheme_per_operation(node: NodeUnderTest) -> None:
    document = (await node.client.get("/openapi.json")).json()
    assert document["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "an API token from `alliance token create` (writes need one)",
    }
    paths = document["paths"]
    create = paths["/api/membership/organizations"]["post"]
    assert create["security"] == [{"bearerAuth": []}]
    assert "parameters" not in create  # no 'authorization' header field to fill by hand
    listing = paths["/api/membership/organizations"]["get"]
    assert listing["security"] == [{"bearerAuth": []}, {}]  # optional: shows more
    assert "authorization" not in [p["name"].lower() for p in listing["parameters"]]
    assert "security" not in paths["/api/membership/profile"]["get"]
    assert paths["/api/membership/profile"]["put"]["security"] == [{"bearerAuth": []}]


async def test_openapi_declares_the_real_error_body_and_answers(node: NodeUnderTest) -> None:
    document = (await node.client.get("/openapi.json")).json()
    schemas = document["components"]["schemas"]
    assert set(schemas["Problem"]["properties"]) == {"message", "errors"}
    assert "HTTPValidationError" not in schemas
    orgs = "/api/membership/organizations"
    expected = {
        (orgs, "post"): {401, 403, 409, 413, 422},
        (f"{orgs}/{{org_id}}", "get"): {401, 404, 422},
        (f"{orgs}/{{org_id}}", "put"): {401, 403, 404, 409, 410, 413, 422},
        (f"{orgs}/{{org_id}}", "delete"): {401, 403, 404, 410, 422},
        (f"{orgs}/import", "post"): {401, 403, 413, 415, 422, 503},
        ("/api/membership/profile", "put"): {401, 403, 413, 422},
    }
    for (path, method), statuses in expected.items():
        operation = document["paths"][path][method]
        declared = {int(code) for code in operation["responses"] if code.startswith("4")} | {
            int(code) for code in operation["responses"] if code.startswith("5")
        }
        assert declared == statuses, (path, method, declared)
        for status in statuses:
            assert error_body(operation, status) == PROBLEM, (path, method, status)
    template = document["paths"][f"{orgs}/import/template"]["get"]
    assert "text/csv" in template["responses"]["200"]["content"]
    notices = document["paths"][orgs]["post"]["responses"]["201"]["headers"]
    assert "Alliance-Notice" in notices

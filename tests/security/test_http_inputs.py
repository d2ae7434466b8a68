"""Hostile HTTP input against a whole in-process node on real servers: NUL characters,
oversized bodies (refused before they are read), values echoed back, made-up methods and
paths that would each add a metric series. Every one gets a clear 4xx, never a 500."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from starlette.types import Message

from shared.http import MAX_BODY_BYTES
from tests.conftest import NodeUnderTest
from tests.integration.test_membership_api import assert_problem, org_payload

NODE_SERVICES = ("membership",)  # what the `node` fixture starts (tests/conftest.py)

ORGS = "/api/membership/organizations"
CLUSTERS = "/api/membership/clusters"


async def listed(node: NodeUnderTest) -> list[dict[str, Any]]:
    page = await node.client.get(ORGS, params={"limit": 500}, headers=node.editor)
    assert page.status_code == 200, page.text
    return list(page.json()["items"])


# -- NUL characters ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "field"),
    [
        (f"{ORGS}?text=acme%00robotics", "text"),  # was a 500 from the store's text search
        (f"{ORGS}?sector=62%00", "sector"),
        (f"{ORGS}?cluster=a%00b", "cluster"),
        ("/api/membership/cross-membership?org=acme%00", "org"),
        (f"{ORGS}/ro-abc%00def", "path"),
    ],
)
async def test_a_nul_in_the_query_or_path_is_422_naming_where(
    node: NodeUnderTest, path: str, field: str
) -> None:
    for headers in ({}, node.editor):
        assert_problem(await node.client.get(path, headers=headers), 422, field)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"legal_name": "Acme\x00Robotics"}, "legal_name"),
        ({"city": "Cluj\x00"}, "city"),
        ({"offers": "robots\x00"}, "offers"),
        ({"needs": "\x00"}, "needs"),
        ({"technologies": ["ai", "robo\x00tics"]}, "technologies"),
        ({"clusters": ["Cluster\x00"]}, "clusters"),
        ({"contacts": [{"name": "Ana\x00", "email": "ana@acme.ro"}]}, "contacts"),
        ({"contacts": [{"name": "Ana", "email": "ana\x00@acme.ro"}]}, "contacts"),
        ({"website": "https://acme.ro/\x00"}, "website"),
    ],
)
async def test_a_nul_in_any_text_field_is_422_and_nothing_is_stored(
    node: NodeUnderTest, overrides: dict[str, Any], field: str
) -> None:
    response = await node.client.post(ORGS, json=org_payload(**overrides), headers=node.editor)
    body = assert_problem(response, 422, field)
    assert "NUL" in body["message"] or any("NUL" in e["reason"] for e in body["errors"])
    assert await listed(node) == []


async def test_a_nul_in_a_cluster_or_profile_is_422(node: NodeUnderTest) -> None:
    response = await node.client.post(CLUSTERS, json={"name": "C\x00"}, headers=node.editor)
    assert_problem(response, 422, "name")
    profile = {"name": "Network", "country": "RO", "description": "x\x00y"}
    response = await node.client.put("/api/membership/profile", json=profile, headers=node.admin)
    assert_problem(response, 422, "description")


# -- what is echoed back -----------------------------------------------------------------


@pytest.mark.parametrize("field", ["website", "vat", "country", "nace_codes"])
async def test_a_huge_invalid_value_is_not_echoed_back_in_full(
    node: NodeUnderTest, field: str
) -> None:
    value = "9" * 900_000  # under the body limit, far over anything valid
    draft = org_payload(**{field: [value] if field == "nace_codes" else value})
    response = await node.client.post(ORGS, json=draft, headers=node.editor)
    assert_problem(response, 422, field)
    assert len(response.content) < 2_000, response.text[:300]


# -- body size ---------------------------------------------------------------------------


async def test_a_declared_oversized_body_is_413_before_any_of_it_is_read(
    node: NodeUnderTest,
) -> None:
    """Called as the server would call it: the app must answer without reading the body."""
    reads = 0

    async def receive() -> Message:
        nonlocal reads
        reads += 1
        return {"type": "http.request", "body": b"{}", "more_body": False}

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    for content_type in (b"application/json", b"text/csv"):
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": f"{ORGS}/import" if content_type == b"text/csv" else ORGS,
            "raw_path": ORGS.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": [
                (b"host", b"node"),
                (b"content-type", content_type),
                (b"content-length", str(50 * 1024 * 1024).encode()),
                (b"authorization", node.editor["Authorization"].encode()),
            ],
            "client": ("127.0.0.1", 1234),
            "server": ("127.0.0.1", 80),
        }
        sent.clear()
        await node.app(scope, receive, send)
        start = next(m for m in sent if m["type"] == "http.response.start")
        assert start["status"] == 413
        assert (b"connection", b"close") in start["headers"]
        body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
        assert b"MiB" in body
    assert reads == 0


async def test_a_streamed_body_is_counted_and_refused_once_past_the_limit(
    node: NodeUnderTest,
) -> None:
    """No Content-Length (chunked): the bytes are counted as they come in."""
    sent = 0

    async def chunks() -> AsyncIterator[bytes]:
        nonlocal sent
        yield b'{"legal_name": "Big SRL", "country": "RO", "offers": "'
        while sent < 3 * MAX_BODY_BYTES:
            sent += 64 * 1024
            yield b"x" * 64 * 1024
        yield b'"}'

    headers = {**node.editor, "content-type": "application/json"}
    response = await node.client.post(ORGS, content=chunks(), headers=headers)
    body = assert_problem(response, 413, "body")
    assert "1 MiB" in body["message"]
    assert response.headers["connection"] == "close"
    assert await listed(node) == []


async def test_a_body_just_under_the_limit_is_read(node: NodeUnderTest) -> None:
    padding = " " * (MAX_BODY_BYTES - 1000)
    content = padding.encode() + b'{"legal_name": "Near Limit SRL", "country": "RO"}'
    headers = {**node.editor, "content-type": "application/json"}
    response = await node.client.post(ORGS, content=content, headers=headers)
    assert response.status_code == 201, response.text[:300]


# -- metric series -----------------------------------------------------------------------


def _label_values(metrics: str, label: str) -> set[str]:
    return set(re.findall(rf'alliance_http_requests_total{{[^}}]*{label}="([^"]*)"', metrics))


async def test_made_up_methods_and_paths_add_no_metric_series(node: NodeUnderTest) -> None:
    for index in range(40):
        made_up = f"X{uuid.uuid4().hex[:8].upper()}"
        response = await node.client.request(made_up, ORGS)
        assert response.status_code in (400, 405), response.text
        response = await node.client.get(f"/nowhere/{uuid.uuid4().hex}/{index}")
        assert_problem(response, 404)
    metrics = (await node.client.get("/metrics")).text
    assert _label_values(metrics, "method") <= {"GET", "POST", "other"}
    assert "unmatched" in _label_values(metrics, "route")
    assert not any("nowhere" in route for route in _label_values(metrics, "route"))
    other = re.findall(r'alliance_http_requests_total{[^}]*method="other"[^}]*} (\S+)', metrics)
    assert sum(float(count) for count in other) == 40

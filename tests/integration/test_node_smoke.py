"""The in-process node answers health, metrics, OpenAPI and AsyncAPI against real servers."""

from __future__ import annotations

from tests.conftest import NodeUnderTest


async def test_health_metrics_and_documents(node: NodeUnderTest) -> None:
    health = await node.client.get("/healthz")
    assert health.status_code == 200
    assert health.json()["checks"] == {"bus": True, "store": True}
    metrics = await node.client.get("/metrics")
    assert "alliance_outbox_backlog" in metrics.text
    openapi = (await node.client.get("/openapi.json")).json()
    assert "/api/membership/organizations" in openapi["paths"]
    asyncapi = (await node.client.get("/asyncapi.json")).json()
    assert asyncapi["asyncapi"].startswith("3.")
    assert any("membership" in name for name in asyncapi["channels"])

"""/healthz answers 200 only while the bus and the store are both reachable."""

from __future__ import annotations

from pathlib import Path

from httpx import ASGITransport, AsyncClient

from shared.federation import node_plan
from shared.host import Endpoints, create_app
from shared.identity import create_identity
from shared.runtime import NatsServer, StoreServer
from shared.settings import NodeSettings
from tests.conftest import every_service


async def test_health_turns_503_when_the_store_goes_away(
    tmp_path: Path, nats_server: NatsServer
) -> None:
    store = StoreServer(tmp_path / "store")
    store.start()
    identity = create_identity(tmp_path / "node", "lv", "Latvian Clusters Network", "LV")
    settings = NodeSettings(data_dir=tmp_path / "node")
    app = create_app(
        settings,
        identity,
        Endpoints(nats_server.url, store.url),
        every_service(),
        node_plan(identity, settings),
    )
    try:
        async with app.router.lifespan_context(app):
            client = AsyncClient(transport=ASGITransport(app=app), base_url="http://node")
            assert (await client.get("/healthz")).status_code == 200
            store.stop()
            answer = await client.get("/healthz")
            assert answer.status_code == 503
            assert answer.json()["checks"] == {"bus": True, "store": False}
            await client.aclose()
    finally:
        store.stop()

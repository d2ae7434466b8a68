"""`alliance_leaf_link_up` also for a node whose NATS is given by ``NATS_URL``.

Before, the metric was exported only with the embedded server's monitoring URL (its
``/leafz``), so a node in the docker-compose layout never had it and the
``AllianceLeafLinkDown`` alert could not fire. Without a monitor, the feed's sources tell:
ALLIANCE sends each a heartbeat every second while the link carries.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from alliance.hub import admit_node
from shared.federation import leaf_config
from shared.identity import create_identity
from shared.runtime import NatsServer
from tests.federation import HubProcess, metric_value, poll
from tests.support import NodeProcess, spare_port

pytestmark = pytest.mark.e2e


def leaf_link_up(url: str) -> float | None:
    text = httpx.get(f"{url}/metrics", timeout=5).text
    return metric_value(text, "alliance_leaf_link_up", remote="hub")


def test_a_node_on_nats_url_exports_its_leaf_link_and_sees_it_drop_and_return(
    tmp_path: Path,
) -> None:
    hub = HubProcess(tmp_path / "hub")
    nats: NatsServer | None = None
    node: NodeProcess | None = None
    try:
        hub.start()
        data_dir = tmp_path / "ro"
        identity = create_identity(data_dir, "ro", "Net ro", "RO")
        request = data_dir / "join-request.json"
        request.write_text(json.dumps(identity.join_request()) + "\n")
        credentials = admit_node(hub.data_dir, request, None)
        credentials.save(tmp_path / "ro-credentials.json")
        # The node's own NATS, run by someone else (docker compose's `nats` container)
        nats = NatsServer(
            tmp_path / "ro-nats",
            server_name="ro",
            domain="ro",
            port=spare_port(),
            extra_config=leaf_config(credentials, hub.leaf_url),
        )
        nats.start()
        node = NodeProcess(
            data_dir,
            spare_port(),
            env={"NATS_URL": nats.url},
            options=["--hub-credentials", str(tmp_path / "ro-credentials.json")],
        ).start()
        poll(lambda: leaf_link_up(node.url) == 1.0, 60, "alliance_leaf_link_up 1")
        federation = httpx.get(f"{node.url}/api/federation", timeout=5).json()
        assert federation["leaf_link_up"] is True

        hub.kill()
        poll(lambda: leaf_link_up(node.url) == 0.0, 30, "alliance_leaf_link_up 0, hub gone")
        hub.start()
        poll(lambda: leaf_link_up(node.url) == 1.0, 60, "alliance_leaf_link_up 1 again")
    finally:
        if node is not None:
            node.cleanup()
        if nats is not None:
            nats.stop()
        hub.cleanup()

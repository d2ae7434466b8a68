"""On the hub, a node gets its leaf link and the consumers its feed needs, nothing more.

Findings: a node's leaf key also opened a client connection to the hub's client port; and
a client on a node (with that node's credentials) could create consumers on the
hub's ALLIANCE stream without limit (40 durables stayed), and could make one deliver
into another node's subjects. NATS cannot bound that per node (``services/hub/warden.py``
says why); now ALLIANCE's account caps the consumers that are not sourcing ones, the
node's user may only send the request sourcing sends, and the hub's consumer warden
deletes at once what a node may not have: durables, consumers that are not sourcing ones,
consumers delivering outside the node's ``deliver.hub.<id>.``, and any beyond its share.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import nats
import pytest
from nats.js.errors import NotFoundError

from services.hub.natsconf import ALLIANCE_PLAIN_CONSUMERS
from services.hub.warden import Creation, consumer_creation, consumer_limit
from shared import subjects
from tests.e2e.test_rights import marker_reaches
from tests.federation import Federation, federation_of, poll

pytestmark = pytest.mark.e2e

CREATE = "$JS.hub.API.CONSUMER.CREATE.ALLIANCE"
# an inactive threshold long enough that only the warden removes such a consumer
LONG_LIVED = {"inactive_threshold": 3600 * 10**9}


@pytest.fixture(scope="module")
def federation(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Federation]:
    with federation_of(tmp_path_factory.mktemp("consumers"), nodes=("ro", "fr")) as started:
        yield started


def create(name: str, **config: Any) -> tuple[str, bytes]:
    """A consumer-create request on ALLIANCE (extended form, filtered to fr's subjects)."""
    body = {
        "stream_name": subjects.ALLIANCE_STREAM,
        "config": {"name": name, "filter_subject": "alliance.fr.>", "ack_policy": "none", **config},
    }
    return f"{CREATE}.{name}.alliance.fr.>", json.dumps(body).encode()


async def send(url: str, requests: list[tuple[str, bytes]], listen: str | None = None) -> None:
    """Send requests from a client on a node's server; optionally keep listening (interest
    keeps a push consumer alive) for a few seconds."""
    client = await nats.connect(url, connect_timeout=2, max_reconnect_attempts=0)
    try:
        if listen:
            await client.subscribe(listen)
        for subject, body in requests:
            await client.publish(subject, body, reply=client.new_inbox())
        await client.flush()
        await asyncio.sleep(3 if listen else 0.5)
    finally:
        await client.close()


async def alive(hub_url: str, names: list[str]) -> list[str]:
    """Which of these consumers exist on ALLIANCE (sourcing ones included)."""
    client = await nats.connect(hub_url, connect_timeout=2, max_reconnect_attempts=0)
    found = []
    try:
        js = client.jetstream()
        for name in names:
            try:
                await js.consumer_info(subjects.ALLIANCE_STREAM, name)
            except NotFoundError:
                continue
            found.append(name)
    finally:
        await client.close()
    return found


async def listed(hub_url: str) -> list[str]:
    client = await nats.connect(hub_url, connect_timeout=2, max_reconnect_attempts=0)
    try:
        infos = await client.jetstream().consumers_info(subjects.ALLIANCE_STREAM)
        return [info.name or "" for info in infos]
    finally:
        await client.close()


def test_a_nodes_leaf_key_opens_no_client_connection(federation: Federation) -> None:
    assert federation.hub is not None
    seed = json.loads((federation.root / "ro-credentials.json").read_text())["nkey_seed"]
    address = str(federation.hub.run_info["nats_url"])

    async def connect() -> str:
        try:
            client = await nats.connect(
                address, nkeys_seed_str=seed, allow_reconnect=False, max_reconnect_attempts=0
            )
        except Exception as exc:
            return str(exc)
        await client.close()
        return "connected"

    assert asyncio.run(connect()) == "nats: 'Authorization Violation'"


def test_a_node_cannot_pile_up_durables(federation: Federation) -> None:
    assert federation.hub is not None
    hub_url, ro = federation.hub.nats_url, federation.members["ro"]
    names = [f"durable-{number}" for number in range(40)]
    requests = [create(name, durable_name=name, ack_policy="explicit") for name in names]
    asyncio.run(send(ro.nats_url, requests))
    assert len(asyncio.run(alive(hub_url, names))) <= ALLIANCE_PLAIN_CONSUMERS
    poll(lambda: not asyncio.run(alive(hub_url, names)), 10, "the durables deleted")
    # what stays are the hub's own read models (its portal's replica consumers)
    assert [name for name in asyncio.run(listed(hub_url)) if not name.startswith("hub-")] == []
    marker_reaches(federation, "fr", "ro")  # ro's own feed still works


@pytest.mark.parametrize("target", ["deliver.hub.fr.spy", "alliance.hub.spy", "deliver.ro.spy"])
def test_a_node_cannot_deliver_outside_its_own_subjects(
    federation: Federation, target: str
) -> None:
    """A sourcing-like consumer of ro's delivering elsewhere, with someone listening there."""
    assert federation.hub is not None
    hub_url = federation.hub.nats_url
    name = f"spy-{target.replace('.', '-')}"
    request = create(name, direct=True, deliver_subject=target, **LONG_LIVED)
    fr_listens = target if target.startswith("deliver.hub.fr.") else None

    async def attack() -> None:
        fr = federation.members["fr"].nats_url
        listener = asyncio.create_task(send(fr, [], listen=fr_listens)) if fr_listens else None
        await asyncio.sleep(0.5)
        await send(federation.members["ro"].nats_url, [request])
        if listener is not None:
            await listener

    asyncio.run(attack())
    poll(lambda: not asyncio.run(alive(hub_url, [name])), 10, f"{name} deleted")


def test_a_node_gets_no_more_than_its_share(federation: Federation) -> None:
    assert federation.hub is not None
    hub_url, ro = federation.hub.nats_url, federation.members["ro"]
    limit = consumer_limit(len(federation.active))
    names = [f"share-{number}" for number in range(3 * limit)]
    requests = [
        create(name, direct=True, deliver_subject=f"deliver.hub.ro.spy.{name}", **LONG_LIVED)
        for name in names
    ]
    asyncio.run(send(ro.nats_url, requests, listen="deliver.hub.ro.spy.>"))
    kept = asyncio.run(alive(hub_url, names))
    assert 0 < len(kept) <= limit - 2  # ro's feed already holds two (fr's and the hub's)
    marker_reaches(federation, "fr", "ro")
    marker_reaches(federation, "ro", "fr")


def audit(account: str, response: dict[str, Any]) -> dict[str, Any]:
    subject = f"$JS.API.CONSUMER.CREATE.ALLIANCE.{response.get('name')}.alliance.fr.>"
    return {
        "client": {"acc": account, "svc": "ALLIANCE"},
        "subject": subject,
        "response": json.dumps(response),
    }


def test_the_warden_reads_what_sourcing_creates() -> None:
    """The advisory of a consumer ro's feed creates, as nats-server 2.14 writes it."""
    created = {
        "type": "io.nats.jetstream.api.v1.consumer_create_response",
        "stream_name": "ALLIANCE",
        "name": "JS_SRC_abc-def",
        "config": {"direct": True, "deliver_subject": "deliver.hub.ro.S.x1y2", "sourcing": True},
    }
    creation = consumer_creation(audit("NODE_RO", created))
    assert creation == Creation("NODE_RO", "JS_SRC_abc-def", created["config"])
    assert creation.refusal("ro") is None
    assert creation.refusal("fr") is not None  # fr's own prefix is deliver.hub.fr.
    refused = dict(created, config={**created["config"], "durable_name": "x"})
    assert consumer_creation(audit("NODE_RO", refused)).refusal("ro") == "durable"  # type: ignore[union-attr]
    failed = dict(created, error={"code": 400, "description": "no"})
    assert consumer_creation(audit("NODE_RO", failed)) is None
    elsewhere = dict(created, stream_name="NODE_HUB")
    assert consumer_creation(audit("NODE_RO", elsewhere)) is None
    info = dict(audit("NODE_RO", created), subject="$JS.API.STREAM.INFO.ALLIANCE")
    assert consumer_creation(info) is None

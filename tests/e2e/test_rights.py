"""What a client on one node's NATS server can and cannot do to the alliance.

A hub and two nodes (``ro``, ``fr``) as real processes. An intruder is a plain nats-py
client on ro's server: it may publish there, but not as another node, not to the hub's
stream administration, and not with a signature that is not ro's. Data a node keeps to
itself never reaches the hub.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import nats
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeout

from shared import subjects
from shared.contracts import membership as contract
from shared.contracts import registry
from shared.contracts.base import Visibility
from shared.envelope import Envelope, KeyRing
from shared.identity import NodeIdentity, load_identity
from shared.subjects import Channel
from tests.federation import Federation, federation_of, metric_value, poll, read_stream

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def federation(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Federation]:
    with federation_of(tmp_path_factory.mktemp("rights"), nodes=("ro", "fr")) as started:
        yield started


def organization_event(signer: NodeIdentity, origin: str, name: str) -> Envelope:
    """A well-formed organization.registered envelope of ``origin``, signed by ``signer``."""
    aggregate = f"{origin}-{uuid.uuid4().hex}"
    event = contract.OrganizationRegistered(
        id=aggregate,
        legal_name=name,
        country="RO",
        visibility=Visibility.ALLIANCE,
        updated_at=datetime.now(UTC).isoformat(),
    )
    assert signer.node == origin
    return contract.CATALOGUE.seal(signer, Channel.ALLIANCE, event, 1)


async def publish_core(url: str, subject: str, data: bytes, msg_id: str) -> None:
    client = await nats.connect(url, connect_timeout=2, max_reconnect_attempts=0)
    try:
        await client.publish(subject, data, headers={"Nats-Msg-Id": msg_id})
        await client.flush()
    finally:
        await client.close()


def marker_reaches(federation: Federation, writer: str, reader: str) -> None:
    """A legitimate write on ``writer`` is replicated on ``reader``: the path is live."""
    before = set(federation.members[writer].created)
    answer = federation.create_org(writer, "Marker")
    assert answer.status_code == 201, answer.text
    marker = set(federation.members[writer].created) - before
    poll(
        lambda: marker <= federation.replica_ids(reader).get(writer, set()),
        60,
        f"{writer}'s marker on {reader}",
    )


def alliance_ids(federation: Federation) -> set[str]:
    return {event.id for event in federation.alliance_events()}


def test_a_node_cannot_publish_as_another_node(federation: Federation) -> None:
    ro, fr = federation.members["ro"], federation.members["fr"]
    # correctly signed by fr: were it delivered, fr's peers would accept it
    impostor = organization_event(load_identity(fr.data_dir), "fr", "Impostor Robotics")
    KeyRing({"fr": load_identity(fr.data_dir).public_key}).open(
        impostor.to_bytes(), impostor.subject
    )
    asyncio.run(publish_core(ro.nats_url, impostor.subject, impostor.to_bytes(), impostor.id))
    # nor as the hub: a registry event removing fr, from ro's server
    fake_hub = NodeIdentity("hub", "Fake hub", "EU", Ed25519PrivateKey.generate())
    removal = registry.CATALOGUE.seal(fake_hub, Channel.ALLIANCE, registry.NodeRemoved(id="fr"), 2)
    asyncio.run(publish_core(ro.nats_url, removal.subject, removal.to_bytes(), removal.id))

    marker_reaches(federation, "ro", "fr")
    marker_reaches(federation, "fr", "ro")
    assert not {impostor.id, removal.id} & alliance_ids(federation)
    assert impostor.id not in {e.id for e in federation.stream_events("fr")}
    assert impostor.id not in {e.id for e in federation.stream_events("ro")}
    assert impostor.id not in set(federation.replica_event_ids("ro"))
    assert impostor.aggregateid not in federation.replica_ids("ro").get("fr", set())
    assert "fr" in federation.replica_counts("ro")  # ro still trusts fr
    assert "fr" in json.loads((ro.data_dir / "peers.json").read_text())


async def answers(url: str, requests: dict[str, tuple[str, bytes]]) -> dict[str, str]:
    """What a server answers to each request (by name), or that nobody answered."""
    client = await nats.connect(url, connect_timeout=2, max_reconnect_attempts=0)
    outcome: dict[str, str] = {}
    try:
        for name, (subject, body) in requests.items():
            try:
                reply = await client.request(subject, body, timeout=3)
            except NoRespondersError:
                outcome[name] = "no responders"
            except (TimeoutError, NatsTimeout):
                outcome[name] = "timeout"
            else:
                outcome[name] = reply.data.decode(errors="replace")
    finally:
        await client.close()
    return outcome


async def hub_api_attempts(url: str) -> dict[str, str]:
    """What ro's server answers to the hub's stream administration, per operation."""
    config = {"name": subjects.ALLIANCE_STREAM, "subjects": ["alliance.>"], "max_msgs": 1}
    api = f"$JS.{subjects.HUB_DOMAIN}.API.STREAM"
    return await answers(
        url,
        {
            "DELETE": (f"{api}.DELETE.ALLIANCE", b""),
            "PURGE": (f"{api}.PURGE.ALLIANCE", b"{}"),
            "UPDATE": (f"{api}.UPDATE.ALLIANCE", json.dumps(config).encode()),
        },
    )


async def alliance_config(url: str) -> tuple[list[str], list[str]]:
    client = await nats.connect(url, connect_timeout=2, max_reconnect_attempts=0)
    try:
        config = (await client.jetstream().stream_info(subjects.ALLIANCE_STREAM)).config
    finally:
        await client.close()
    return list(config.subjects or []), sorted(s.name for s in config.sources or [])


def test_a_node_cannot_administer_the_hubs_stream(federation: Federation) -> None:
    assert federation.hub is not None
    marker_reaches(federation, "ro", "fr")
    marker_reaches(federation, "fr", "ro")
    config = asyncio.run(alliance_config(federation.hub.nats_url))
    assert config == ([], ["NODE_FR", "NODE_HUB", "NODE_RO"])
    before = read_stream(federation.hub.nats_url, subjects.ALLIANCE_STREAM)
    assert len(before) >= 4  # two admissions, two markers

    outcome = asyncio.run(hub_api_attempts(federation.members["ro"].nats_url))
    for operation, answer in outcome.items():
        if answer not in ("no responders", "timeout"):
            assert '"error"' in answer, f"STREAM.{operation} from ro answered {answer}"

    after = read_stream(federation.hub.nats_url, subjects.ALLIANCE_STREAM)
    assert [e.id for e in after[: len(before)]] == [e.id for e in before]
    assert asyncio.run(alliance_config(federation.hub.nats_url)) == config
    marker_reaches(federation, "ro", "fr")  # and it still sources ro
    assert len(read_stream(federation.hub.nats_url, subjects.ALLIANCE_STREAM)) > len(before)


def test_a_forged_signature_is_dead_lettered(federation: Federation) -> None:
    ro, fr = federation.members["ro"], federation.members["fr"]
    forger = NodeIdentity("ro", "Forger", "RO", Ed25519PrivateKey.generate())
    forged = organization_event(forger, "ro", "Forged Robotics")
    rejected = metric_value(
        federation.metrics("fr"),
        "alliance_dead_letters_total",
        reason="bad_signature",
        service="membership",
    )
    asyncio.run(publish_core(ro.nats_url, forged.subject, forged.to_bytes(), forged.id))

    # it enters ro's own stream, the hub sources it, and fr's feed receives it ...
    poll(lambda: forged.id in alliance_ids(federation), 60, "the forged event in ALLIANCE")
    poll(
        lambda: (
            (
                metric_value(
                    federation.metrics("fr"),
                    "alliance_dead_letters_total",
                    reason="bad_signature",
                    service="membership",
                )
                or 0.0
            )
            >= (rejected or 0.0) + 1
        ),
        60,
        'fr counting alliance_dead_letters_total{reason="bad_signature"}',
    )
    dead = read_stream(fr.nats_url, subjects.dead_letter_stream("fr"))
    assert forged.id in {e.id for e in dead}
    # ... but is never applied
    marker_reaches(federation, "ro", "fr")
    assert forged.aggregateid not in federation.replica_ids("fr").get("ro", set())
    assert forged.id not in set(federation.replica_event_ids("fr"))


def test_node_only_data_never_reaches_the_hub(federation: Federation) -> None:
    tag = uuid.uuid4().hex[:8]
    secret_name = f"Node Only Secret {tag}"
    hidden = {"name": f"Hidden Person {tag}", "email": f"hidden-{tag}@example.org"}
    shown = {"name": f"Shown Person {tag}", "email": f"shown-{tag}@example.org"}

    private = federation.create_org("ro", secret_name, visibility="node")
    assert private.status_code == 201, private.text
    private_id = private.json()["id"]
    shared = federation.create_org(
        "ro",
        "Contacts",
        contacts=[{**hidden, "consent": False}, {**shown, "consent": True}],
    )
    assert shared.status_code == 201, shared.text
    shared_id = shared.json()["id"]
    poll(
        lambda: shared_id in {e.body.get("aggregateid") for e in federation.alliance_events()},
        60,
        "the alliance org in ALLIANCE",
    )

    alliance = federation.alliance_events()
    raw = "\n".join(json.dumps(event.body) for event in alliance)
    for leaked in (secret_name, private_id, hidden["name"], hidden["email"]):
        assert leaked not in raw, f"{leaked!r} reached the hub's ALLIANCE stream"
    assert shown["email"] in raw  # the check can see contacts
    (event,) = [e for e in alliance if e.body.get("aggregateid") == shared_id]
    contacts = event.body["data"]["contacts"]
    assert [(c["name"], c["email"]) for c in contacts] == [(shown["name"], shown["email"])]
    # not even ro's own outbound stream carries it
    own = "\n".join(json.dumps(e.body) for e in federation.stream_events("ro"))
    assert private_id not in own and hidden["email"] not in own
    marker_reaches(federation, "ro", "fr")
    assert private_id not in federation.replica_ids("fr").get("ro", set())


async def local_stream_attempts(hub_url: str, node: str) -> dict[str, str]:
    """What the hub gets when it asks a node's JetStream for consumers on its LOCAL stream."""
    local = subjects.local_stream(node)
    config = json.dumps({"stream_name": local, "config": {"ack_policy": "explicit"}}).encode()
    api = f"$JS.{node}.API.CONSUMER"
    return await answers(
        hub_url,
        {
            "CREATE": (f"{api}.CREATE.{local}", config),
            "CREATE_FILTERED": (f"{api}.CREATE.{local}.spy.local.{node}.>", config),
            "DURABLE": (f"{api}.DURABLE.CREATE.{local}.spy", config),
            "NAMES": (f"{api}.NAMES.{local}", b"{}"),
        },
    )


async def consumer_names(url: str, stream: str) -> list[str]:
    client = await nats.connect(url, connect_timeout=2, max_reconnect_attempts=0)
    try:
        return [info.name for info in await client.jetstream().consumers_info(stream)]
    finally:
        await client.close()


def test_the_hub_cannot_read_a_nodes_local_channel(federation: Federation) -> None:
    """Node-only records travel on LOCAL_<ID>; the hub may source NODE_<ID> only."""
    assert federation.hub is not None
    ro = federation.members["ro"]
    before = asyncio.run(consumer_names(ro.nats_url, subjects.local_stream("ro")))
    outcome = asyncio.run(local_stream_attempts(federation.hub.nats_url, "ro"))
    for name, answer in outcome.items():
        assert answer in ("no responders", "timeout"), f"{name} on LOCAL_RO answered {answer}"
    assert asyncio.run(consumer_names(ro.nats_url, subjects.local_stream("ro"))) == before
    marker_reaches(federation, "ro", "fr")  # NODE_RO is still sourced


def test_the_hub_runs_on_the_same_host_as_a_node(federation: Federation) -> None:
    """Health (the hub keeps its portal's read model in a store of its own), metrics and
    the AsyncAPI document of what the hub publishes."""
    assert federation.hub is not None
    url = federation.hub.url
    health = httpx.get(f"{url}/healthz", timeout=5)
    assert health.status_code == 200 and health.json()["checks"] == {"bus": True, "store": True}
    assert 'alliance_hub_nodes{state="active"} 2.0' in httpx.get(f"{url}/metrics", timeout=5).text
    document = httpx.get(f"{url}/asyncapi.json", timeout=5).json()
    addresses = {channel["address"] for channel in document["channels"].values()}
    # what it publishes, and what its portal reads of ALLIANCE
    assert "alliance.{origin}.registry.node.{id}" in addresses
    assert "alliance.*.membership.organization.*" in addresses
    assert {"NodeAdmitted", "NodeRemoved"} <= set(document["components"]["schemas"])

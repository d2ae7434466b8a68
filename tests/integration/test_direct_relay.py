"""The direct outbox and its relay on a real nx-27017 and a real nats-server.

The kit's side is tested too: a node's service that declares direct messages gets each
verified message once, answers it in the same transaction, and shows both in AsyncAPI.

One nats-server stands for the alliance: a stream ``INBOX_FR`` capturing ``direct.fr.>``
is node fr's inbox (present), nothing captures ``direct.es.>`` (es is away). The relay
must deliver fr's messages in order while es's wait, report what waits per target, and
deliver es's once its inbox answers. A message is only sent if its transaction commits.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from nats.js.api import StreamConfig

from shared import subjects
from shared.bus import BusConnection
from shared.contracts.base import Event
from shared.contracts.direct import DirectCatalogue, MessageRefused
from shared.direct import DirectDelivery, DirectRelay
from shared.envelope import Envelope, KeyRing, seal
from shared.identity import NodeIdentity
from shared.metrics import Metrics
from shared.runtime import NatsServer
from shared.service import ServiceDeclaration
from shared.store import DirectOutbox, ServiceDatabase, UnitOfWork, in_transaction
from shared.streams import inbox
from tests.conftest import NodeUnderTest, make_identity, start_node
from tests.integration.test_bus import eventually


class Asked(Event):
    question: str


MESSAGES = DirectCatalogue("desk", {Asked: "asked"})


@pytest.fixture
async def bus(nats_server: NatsServer) -> AsyncIterator[BusConnection]:
    connection = BusConnection(nats_server.url)
    await connection.connect()
    yield connection
    await connection.close()


async def send(
    database: ServiceDatabase, identity: NodeIdentity, target: str, *questions: str
) -> list[str]:
    """Each question in its own transaction, as handlers would send them; returns the ids."""
    ids = []
    for question in questions:
        message = Asked(id=f"q-{len(ids)}-{target}", question=question)

        async def work(uow: UnitOfWork, message: Asked = message) -> None:
            uow.send(target, message)

        await in_transaction(
            lambda: UnitOfWork(database, None, DirectOutbox(identity, MESSAGES)), work
        )
        ids.append(message.id)
    return ids


async def inbox_subjects(bus: BusConnection, target: str) -> list[str]:
    stream = subjects.inbox_stream(target)
    state = (await bus.js.stream_info(stream)).state
    found = []
    for seq in range(state.first_seq, state.last_seq + 1):
        found.append((await bus.js.get_msg(stream, seq)).subject or "")
    return found


async def test_a_message_is_kept_only_if_its_transaction_commits(
    database: ServiceDatabase, identity: NodeIdentity
) -> None:
    await database.prepare()

    async def fails(uow: UnitOfWork) -> None:
        uow.send("fr", Asked(id="q-1", question="?"))
        raise RuntimeError("the handler failed after sending")

    with pytest.raises(RuntimeError):
        await in_transaction(
            lambda: UnitOfWork(database, None, DirectOutbox(identity, MESSAGES)), fails
        )
    assert await database.direct_outbox.count_documents({}) == 0
    await send(database, identity, "fr", "kept")
    assert await database.direct_outbox.count_documents({"target": "fr"}) == 1


async def test_an_absent_target_waits_without_holding_up_the_others(
    database: ServiceDatabase, identity: NodeIdentity, bus: BusConnection
) -> None:
    await database.prepare()
    await bus.js.add_stream(inbox("fr", 120))
    metrics = Metrics()
    relay = DirectRelay(database, bus, metrics, "desk")
    to_es = await send(database, identity, "es", "one", "two", "three")
    to_fr = await send(database, identity, "fr", "a", "b", "c", "d")
    relay.start()
    try:

        async def fr_has_all() -> bool:
            return await database.direct_outbox.count_documents({"target": "fr"}) == 0

        await eventually(fr_has_all, 20)
        assert await inbox_subjects(bus, "fr") == [
            f"direct.fr.ro.desk.asked.{message_id}" for message_id in to_fr
        ]
        pending = metrics.registry.get_sample_value(
            "alliance_direct_pending", {"service": "desk", "target": "es"}
        )
        assert pending == 3
        assert await database.direct_outbox.count_documents({"target": "es"}) == 3

        await bus.js.add_stream(inbox("es", 120))  # es is back

        async def es_has_all() -> bool:
            return await database.direct_outbox.count_documents({"target": "es"}) == 0

        await eventually(es_has_all, 60)
        assert await inbox_subjects(bus, "es") == [
            f"direct.es.ro.desk.asked.{message_id}" for message_id in to_es
        ]
        sent = metrics.registry.get_sample_value(
            "alliance_direct_sent_total", {"service": "desk", "target": "es"}
        )
        assert sent == 3
    finally:
        await relay.stop()


async def test_an_ack_from_another_stream_is_not_a_delivery(
    database: ServiceDatabase, identity: NodeIdentity, bus: BusConnection
) -> None:
    """Were anything but the target's inbox to store a message (a stream on the way), the
    relay would not take that for a delivery: the message stays in the outbox."""
    await database.prepare()
    await bus.js.add_stream(StreamConfig(name="SNOOP", subjects=["direct.de.>"]))
    await send(database, identity, "de", "anyone there?")
    relay = DirectRelay(database, bus, Metrics(), "desk")
    relay.start()
    try:
        await asyncio.sleep(2)
        assert await database.direct_outbox.count_documents({"target": "de"}) == 1
    finally:
        await relay.stop()


class DeskUnitOfWork(UnitOfWork):
    pass


async def on_asked(kit: Any, message: Event, delivery: DirectDelivery, uow: Any) -> None:
    """Counts each handling, and answers in the same transaction."""
    await uow.collection("questions").update_one(
        {"_id": message.id}, {"$inc": {"times": 1}}, upsert=True, session=uow.session
    )
    uow.send(delivery.sender, Asked(id=message.id, question="answered"))


async def on_refused(kit: Any, message: Event, delivery: DirectDelivery, uow: Any) -> None:
    """Keeps what the target refused, as a service marks its pending request refused."""
    assert isinstance(message, MessageRefused)
    document = {"_id": message.about, "sender": delivery.sender, "reason": message.reason}
    await uow.collection("refusals").insert_one(document, session=uow.session)


def desk() -> ServiceDeclaration[DeskUnitOfWork]:
    return ServiceDeclaration(
        name="desk",
        description="a test service: questions from other nodes",
        unit_of_work=DeskUnitOfWork,
        collections=("questions", "refusals"),
        messages=MESSAGES,
        direct={Asked: on_asked},
        on_refused=(on_refused,),
    )


@pytest.fixture
async def desk_node(
    tmp_path: Path, nats_server: NatsServer, store_url: str, identity: NodeIdentity
) -> AsyncIterator[NodeUnderTest]:
    """Node fr with the desk service; ro (``identity``) is an admitted peer."""
    ring = KeyRing({identity.node: identity.public_key})
    async for running in start_node(
        tmp_path / "fr", nats_server.url, store_url, "fr", [desk()], ring
    ):
        yield running


async def test_the_kit_hands_a_verified_message_to_its_handler_once_and_sends_the_answer(
    desk_node: NodeUnderTest, identity: NodeIdentity, bus: BusConnection
) -> None:
    envelope = MESSAGES.seal(identity, "fr", Asked(id="q-7", question="Parking?"))
    for attempt in range(2):  # the same message twice, as a replay would
        await bus.js.publish(
            envelope.subject,
            envelope.to_bytes(),
            headers={"Nats-Msg-Id": f"{envelope.id}-{attempt}"},
        )
    kit = desk_node.kit("desk")

    async def answered() -> bool:
        return await kit.database.direct_outbox.count_documents({"target": "ro"}) == 1

    await eventually(answered, 20)
    handled = await kit.database.collection("questions").find_one({"_id": "q-7"})
    assert handled is not None and handled["times"] == 1
    received = kit.metrics.registry.get_sample_value
    assert (
        received(
            "alliance_direct_received_total",
            {"service": "desk", "sender": "ro", "outcome": "handled"},
        )
        == 1
    )

    async def counted_duplicate() -> bool:
        labels = {"service": "desk", "sender": "ro", "outcome": "duplicate"}
        return received("alliance_direct_received_total", labels) == 1

    await eventually(counted_duplicate, 20)


async def test_asyncapi_shows_the_direct_messages_a_service_sends_and_takes(
    desk_node: NodeUnderTest,
) -> None:
    document = (await desk_node.client.get("/asyncapi.json")).json()
    addresses = {channel["address"] for channel in document["channels"].values()}
    assert "direct.{target}.{sender}.desk.asked.{id}" in addresses  # sent
    assert "direct.fr.*.desk.>" in addresses  # taken from the inbox


class Unreadable(Event):
    """A message as a faulty node might send it: no ``question``."""


def faulty(identity: NodeIdentity, kind: str, message_id: str) -> Envelope:
    """A message signed by ``identity`` whose payload desk cannot read as ``kind``."""
    return seal(
        identity,
        subject=subjects.direct_subject("fr", identity.node, "desk", kind, message_id),
        type=f"eu.clustersalliance.desk.direct.{kind}",
        payload=Unreadable(id=message_id),
        aggregate_id=message_id,
        aggregate_version=0,
    )


async def refusals_to(kit: Any, target: str, *about: str) -> list[Envelope]:
    """The MessageRefused answers waiting in ``kit``'s direct outbox for ``target`` about
    the messages ``about`` (the inbox stream keeps earlier tests' messages too)."""
    outbox = kit.database.direct_outbox.find({"target": target}, sort=[("_id", 1)])
    answers = [Envelope.model_validate_json(document["body"]) async for document in outbox]
    return [
        answer
        for answer in answers
        if answer.type.endswith(".message-refused")
        and answer.payload(MessageRefused).about in about
    ]


@pytest.mark.parametrize(
    ("kind", "reason"), [("asked", "invalid_payload"), ("nope", "unknown_message")]
)
async def test_a_verified_message_the_target_refuses_is_answered_with_the_reason(
    desk_node: NodeUnderTest, identity: NodeIdentity, bus: BusConnection, kind: str, reason: str
) -> None:
    bad = f"q-bad-{uuid.uuid4().hex[:8]}"
    envelope = faulty(identity, kind, bad)
    for attempt in range(2):  # redelivered or replayed: answered once
        await bus.js.publish(
            envelope.subject,
            envelope.to_bytes(),
            headers={"Nats-Msg-Id": f"{envelope.id}-{attempt}"},
        )
    kit = desk_node.kit("desk")

    async def answered() -> bool:
        return len(await refusals_to(kit, "ro", bad)) == 1

    await eventually(answered, 20)
    answer = (await refusals_to(kit, "ro", bad))[0]
    assert answer.subject == f"direct.ro.fr.desk.message-refused.{envelope.id}"
    refusal = answer.payload(MessageRefused)
    assert (refusal.id, refusal.about, refusal.kind, refusal.reason) == (
        envelope.id,
        bad,
        envelope.type,
        reason,
    )
    sent = kit.metrics.registry.get_sample_value(
        "alliance_direct_refused_total", {"service": "desk", "direction": "sent", "reason": reason}
    )
    assert sent == 1
    await asyncio.sleep(1)  # the replay is dead-lettered again, not answered again
    assert len(await refusals_to(kit, "ro", bad)) == 1


async def test_a_forged_message_or_a_refusal_gets_no_answer(
    desk_node: NodeUnderTest, identity: NodeIdentity, bus: BusConnection, tmp_path: Path
) -> None:
    """Unknown sender (a key fr never admitted): no one to answer. A refusal fr cannot
    read: answering it could loop between two nodes."""
    stranger = make_identity(tmp_path / "stranger", "ro")
    forged = faulty(stranger, "asked", "q-forged")
    bad_refusal = faulty(identity, "message-refused", "q-loop")
    for envelope in (forged, bad_refusal):
        await bus.js.publish(envelope.subject, envelope.to_bytes())
    after = MESSAGES.seal(identity, "fr", Asked(id=f"q-{uuid.uuid4().hex[:8]}", question="?"))
    await bus.js.publish(after.subject, after.to_bytes())  # handled after both, in order
    kit = desk_node.kit("desk")

    async def handled_after() -> bool:
        found = await kit.database.collection("questions").find_one({"_id": after.aggregateid})
        return found is not None

    await eventually(handled_after, 20)
    assert await refusals_to(kit, "ro", "q-forged", "q-loop") == []


async def test_a_refusal_from_the_target_reaches_the_declared_handler(
    desk_node: NodeUnderTest, identity: NodeIdentity, bus: BusConnection
) -> None:
    refusal = MessageRefused(
        id="ro-answer-1",
        about="q-mine",
        kind="eu.clustersalliance.desk.direct.asked",
        reason="invalid_payload",
        detail="question: field required",
    )
    envelope = MESSAGES.seal(identity, "fr", refusal)
    await bus.js.publish(envelope.subject, envelope.to_bytes())
    kit = desk_node.kit("desk")

    async def handled() -> bool:
        return await kit.database.collection("refusals").find_one({"_id": "q-mine"}) is not None

    await eventually(handled, 20)
    kept = await kit.database.collection("refusals").find_one({"_id": "q-mine"})
    assert kept == {"_id": "q-mine", "sender": "ro", "reason": "invalid_payload"}
    received = kit.metrics.registry.get_sample_value(
        "alliance_direct_refused_total",
        {"service": "desk", "direction": "received", "reason": "invalid_payload"},
    )
    assert received == 1

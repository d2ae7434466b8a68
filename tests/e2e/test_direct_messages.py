"""Direct messages across a real hub and three real nodes: node → owner node, and back.

The hub and the nodes ``ro``, ``fr`` and ``es`` are real ``alliance`` processes with their
own nats-server and nx-27017. Beside each node's own services, the test runs a tiny
service of its own, ``courier`` (declared in a few lines below, as a node's next service
would be), on that node's NATS and store: a ``ping`` sent from one node is handled by the
other, which answers with a ``pong`` in the same transaction. What the federation must
show: the message is handled once and answered; the hub and the third node hold no trace
of it in any stream; it waits while its target is away and arrives in order when it is
back; a node cannot send as another; a malformed message is dead-lettered with the reason.
"""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from collections.abc import Callable, Coroutine, Iterator
from functools import cached_property
from typing import Any, TypeVar

import httpx
import nats
import pytest
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeout
from nats.js.errors import NoStreamResponseError
from pymongo import AsyncMongoClient, ReturnDocument

from shared import subjects
from shared.auth import TokenStore
from shared.bus import BusConnection
from shared.contracts.base import Event
from shared.contracts.direct import DirectCatalogue
from shared.direct import DirectDelivery
from shared.envelope import KeyRing, seal
from shared.federation import CREDENTIALS_FILE, HubCredentials, Peers
from shared.identity import NodeIdentity, decode_public_key, load_identity
from shared.metrics import Metrics
from shared.service import ProcessContext, ServiceDeclaration, ServiceKit
from shared.settings import ProcessSettings
from shared.store import Document, UnitOfWork
from tests.federation import Federation, Member, federation_of, poll, read_stream

pytestmark = pytest.mark.e2e
T = TypeVar("T")


# -- the test's service ---------------------------------------------------------------------


class Ping(Event):
    """A request to another node (stands for a registration)."""

    text: str


class Pong(Event):
    """The other node's answer (stands for its decision)."""

    text: str
    position: int  # where the ping arrived among all the pings the node handled


MESSAGES = DirectCatalogue("courier", {Ping: "ping", Pong: "pong"})


class CourierUnitOfWork(UnitOfWork):
    @cached_property
    def pings(self) -> Any:
        return self.collection("pings")

    @cached_property
    def pongs(self) -> Any:
        return self.collection("pongs")


async def on_ping(
    kit: ServiceKit[CourierUnitOfWork], ping: Event, delivery: DirectDelivery, uow: Any
) -> None:
    """Counts every handling (a second one would show) and answers in the same transaction."""
    assert isinstance(ping, Ping)
    counter = await uow.pings.find_one_and_update(
        {"_id": "arrivals"},
        {"$inc": {"n": 1}},
        upsert=True,
        return_document=ReturnDocument.AFTER,
        session=uow.session,
    )
    await uow.pings.update_one(
        {"_id": ping.id},
        {"$inc": {"times": 1}, "$set": {"sender": delivery.sender, "position": counter["n"]}},
        upsert=True,
        session=uow.session,
    )
    uow.send(delivery.sender, Pong(id=ping.id, text=f"re: {ping.text}", position=counter["n"]))


async def on_pong(
    kit: ServiceKit[CourierUnitOfWork], pong: Event, delivery: DirectDelivery, uow: Any
) -> None:
    assert isinstance(pong, Pong)
    await uow.pongs.update_one(
        {"_id": pong.id},
        {"$inc": {"times": 1}, "$set": {"sender": delivery.sender, "position": pong.position}},
        upsert=True,
        session=uow.session,
    )


def courier() -> ServiceDeclaration[CourierUnitOfWork]:
    return ServiceDeclaration(
        name="courier",
        description="a test service: pings one node, which answers",
        unit_of_work=CourierUnitOfWork,
        collections=("pings", "pongs"),
        messages=MESSAGES,
        direct={Ping: on_ping, Pong: on_pong},
    )


# -- running it beside each node ------------------------------------------------------------


class Courier:
    """The courier service of one node, run in the test's event loop thread."""

    def __init__(self, member: Member) -> None:
        self.member = member
        self.identity: NodeIdentity = load_identity(member.data_dir)
        self.metrics = Metrics()
        self.bus = BusConnection(member.nats_url, self.metrics)
        self.mongo: AsyncMongoClient[Document] = AsyncMongoClient(member.mongodb_url, tz_aware=True)
        keyring = KeyRing({self.identity.node: self.identity.public_key})
        hub = HubCredentials.model_validate_json((member.data_dir / CREDENTIALS_FILE).read_text())
        keyring.admit("hub", decode_public_key(hub.hub_public_key))
        for origin, key in Peers(member.data_dir).load().items():
            keyring.admit(origin, decode_public_key(key))
        context = ProcessContext(
            settings=ProcessSettings(data_dir=member.data_dir, consumer_batch=50),
            identity=self.identity,
            keyring=keyring,
            mongo=self.mongo,
            bus=self.bus,
            metrics=self.metrics,
            tokens=TokenStore(member.data_dir),
        )
        self.kit = ServiceKit(courier(), context)

    async def start(self) -> Courier:
        await self.bus.connect()
        await self.kit.start()
        await self.bus.start_consuming()
        return self

    async def stop(self) -> None:
        await self.bus.stop_consuming()
        await self.kit.stop()
        await self.bus.close()
        await self.mongo.close()

    async def send(self, target: str, ping: Ping) -> None:
        async def work(uow: CourierUnitOfWork) -> None:
            uow.send(target, ping)

        await self.kit.transaction(work)

    async def documents(self, collection: str) -> dict[str, Document]:
        found = self.kit.database.collection(collection).find({"_id": {"$ne": "arrivals"}})
        return {str(d["_id"]): d async for d in found}

    async def waiting(self) -> int:
        return await self.kit.database.direct_outbox.count_documents({})

    def metric(self, name: str, **labels: str) -> float | None:
        return self.metrics.registry.get_sample_value(name, labels)


class Loop:
    """An event loop in a thread: the couriers live there while the test drives processes."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, work: Coroutine[Any, Any, T], timeout: float = 60) -> T:
        return asyncio.run_coroutine_threadsafe(work, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


@pytest.fixture(scope="module")
def federation(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Federation]:
    with federation_of(tmp_path_factory.mktemp("direct"), nodes=("ro", "fr", "es")) as started:
        yield started


@pytest.fixture(scope="module")
def loop() -> Iterator[Loop]:
    running = Loop()
    yield running
    running.close()


@pytest.fixture(scope="module")
def couriers(federation: Federation, loop: Loop) -> Iterator[dict[str, Courier]]:
    for member in federation.members.values():  # every node knows every other one's key
        others = set(federation.members) - {member.node}
        poll(lambda m=member, o=others: o <= set(Peers(m.data_dir).load()), 60, "peers known")
    started = {name: loop.run(Courier(m).start()) for name, m in federation.members.items()}
    yield started
    for courier_ in started.values():
        loop.run(courier_.stop())


def restart_courier(couriers: dict[str, Courier], loop: Loop, federation: Federation) -> None:
    """The fr node restarted: its servers listen on new ports, so its courier starts anew."""
    couriers["fr"] = loop.run(Courier(federation.members["fr"]).start())


def ping(text: str) -> Ping:
    return Ping(id=f"p-{uuid.uuid4().hex[:12]}", text=text)


def wait_for(loop: Loop, read: Callable[[], Coroutine[Any, Any, T | None]], what: str) -> T:
    return poll(lambda: loop.run(read()), 60, what)


# -- reading every stream -------------------------------------------------------------------


async def _stream_names(url: str) -> list[str]:
    client = await nats.connect(url, connect_timeout=2, max_reconnect_attempts=0)
    try:
        return [info.config.name or "" for info in await client.jetstream().streams_info()]
    finally:
        await client.close()


def traces(url: str, needle: str) -> list[str]:
    """Every stream of the server (the account ``url`` logs in to) holding ``needle``."""
    found = []
    for stream in asyncio.run(_stream_names(url)):
        for event in read_stream(url, stream):
            if needle in event.subject or needle in json.dumps(event.body):
                found.append(f"{stream}#{event.seq} {event.subject}")
    return found


def hub_accounts_with_streams(federation: Federation) -> dict[str, int]:
    """Streams per account on the hub, from its monitoring port (every account)."""
    assert federation.hub is not None
    monitor = federation.hub.run_info["nats_monitor_url"]
    params = {"accounts": "true", "streams": "true"}
    jsz = httpx.get(f"{monitor}/jsz", params=params, timeout=5).json()
    return {a["name"]: len(a.get("stream_detail") or []) for a in jsz["account_details"]}


# -- the tests ------------------------------------------------------------------------------


def test_a_message_is_handled_once_by_its_target_and_answered_and_kept_nowhere_else(
    federation: Federation, couriers: dict[str, Courier], loop: Loop
) -> None:
    sent = ping("seat for Ana Popescu")
    loop.run(couriers["ro"].send("fr", sent))

    async def answered() -> Document | None:
        return (await couriers["ro"].documents("pongs")).get(sent.id)

    pong = wait_for(loop, answered, "fr's answer on ro")
    assert pong["sender"] == "fr" and pong["times"] == 1
    handled = loop.run(couriers["fr"].documents("pings"))[sent.id]
    assert handled["times"] == 1 and handled["sender"] == "ro"
    assert couriers["fr"].metric(
        "alliance_direct_received_total", service="courier", sender="ro", outcome="handled"
    )
    assert couriers["ro"].metric("alliance_direct_sent_total", service="courier", target="fr")
    assert couriers["ro"].metric(
        "alliance_direct_delivery_seconds_count", service="courier", target="fr"
    )

    # only fr's inbox has the ping, only ro's inbox the answer; es and the hub nothing
    on_fr = traces(federation.members["fr"].nats_url, sent.id)
    on_ro = traces(federation.members["ro"].nats_url, sent.id)
    assert on_fr and all(t.startswith(f"{subjects.inbox_stream('fr')}#") for t in on_fr)
    assert on_ro and all(t.startswith(f"{subjects.inbox_stream('ro')}#") for t in on_ro)
    assert traces(federation.members["es"].nats_url, sent.id) == []
    assert federation.hub is not None
    assert traces(federation.hub.nats_url, sent.id) == []
    # the nodes' accounts on the hub, which the messages cross, have no stream at all
    assert [a for a, n in hub_accounts_with_streams(federation).items() if n] == ["ALLIANCE"]


def test_a_replayed_message_is_not_handled_twice(
    federation: Federation, couriers: dict[str, Courier], loop: Loop
) -> None:
    """The same signed message sent again (under another Nats-Msg-Id, so the inbox keeps
    it) is recognised by its envelope id."""
    sent = ping("twice?")
    identity = couriers["ro"].identity
    envelope = MESSAGES.seal(identity, "fr", sent)
    ro = federation.members["ro"].nats_url
    for attempt in range(2):
        asyncio.run(js_publish(ro, envelope.subject, envelope.to_bytes(), f"replay-{attempt}"))

    def handled_twice_once() -> bool:
        pings = loop.run(couriers["fr"].documents("pings"))
        duplicates = couriers["fr"].metric(
            "alliance_direct_received_total", service="courier", sender="ro", outcome="duplicate"
        )
        return sent.id in pings and bool(duplicates)

    poll(handled_twice_once, 60, "the replay seen as a duplicate")
    assert loop.run(couriers["fr"].documents("pings"))[sent.id]["times"] == 1


async def js_publish(url: str, subject: str, body: bytes, msg_id: str) -> Any:
    client = await nats.connect(url, connect_timeout=2, max_reconnect_attempts=0)
    try:
        return await client.jetstream().publish(
            subject, body, headers={"Nats-Msg-Id": msg_id}, timeout=3
        )
    finally:
        await client.close()


def test_a_node_cannot_send_as_another(
    federation: Federation, couriers: dict[str, Courier]
) -> None:
    """ro's leaf may publish only direct.*.ro.>: a message on direct.fr.es.… from ro's
    server reaches no responder, and nothing of it is stored on fr."""
    forged_id = f"forged-{uuid.uuid4().hex[:8]}"
    envelope = seal(
        couriers["ro"].identity,
        subject=f"direct.fr.es.courier.ping.{forged_id}",
        type=MESSAGES.type(Ping),
        payload=Ping(id=forged_id, text="as es"),
        aggregate_id=forged_id,
        aggregate_version=0,
    )
    ro = federation.members["ro"].nats_url
    with pytest.raises((NoRespondersError, NoStreamResponseError, NatsTimeout)):
        asyncio.run(js_publish(ro, envelope.subject, envelope.to_bytes(), forged_id))
    assert traces(federation.members["fr"].nats_url, forged_id) == []


def test_a_malformed_message_is_dead_lettered_with_the_reason(
    federation: Federation, couriers: dict[str, Courier], loop: Loop
) -> None:
    ro = federation.members["ro"].nats_url
    bad = f"bad-{uuid.uuid4().hex[:8]}"
    asyncio.run(js_publish(ro, f"direct.fr.ro.courier.ping.{bad}", b"{not json", bad))
    unknown = f"unknown-{uuid.uuid4().hex[:8]}"
    envelope = seal(
        couriers["ro"].identity,
        subject=f"direct.fr.ro.courier.ping.{unknown}",
        type="eu.clustersalliance.courier.direct.tea",
        payload=Ping(id=unknown, text="tea?"),
        aggregate_id=unknown,
        aggregate_version=0,
    )
    asyncio.run(js_publish(ro, envelope.subject, envelope.to_bytes(), unknown))

    fr = federation.members["fr"].nats_url

    def reasons() -> dict[str, str] | None:
        found = asyncio.run(dead_letter_reasons(fr))
        wanted = {s: r for s, r in found.items() if bad in s or unknown in s}
        return wanted if len(wanted) == 2 else None

    got = poll(reasons, 60, "both refused messages dead-lettered on fr")
    assert got == {
        f"direct.fr.ro.courier.ping.{bad}": "malformed",
        f"direct.fr.ro.courier.ping.{unknown}": "unknown_message",
    }
    assert couriers["fr"].metric(
        "alliance_dead_letters_total", service="courier", reason="malformed"
    )


async def dead_letter_reasons(url: str, node: str = "fr") -> dict[str, str]:
    """The reason of each of ``node``'s dead letters, by the subject it came on."""
    client = await nats.connect(url, connect_timeout=2, max_reconnect_attempts=0)
    try:
        js = client.jetstream()
        stream = subjects.dead_letter_stream(node)
        state = (await js.stream_info(stream)).state
        reasons = {}
        for seq in range(state.first_seq, state.last_seq + 1):
            message = await js.get_msg(stream, seq)
            headers = message.headers or {}
            reasons[headers.get("Alliance-Subject", "")] = headers.get("Alliance-Reason", "")
        return reasons
    finally:
        await client.close()


def test_messages_wait_while_the_target_is_away_and_arrive_in_order(
    federation: Federation, couriers: dict[str, Courier], loop: Loop
) -> None:
    loop.run(couriers["fr"].stop())
    federation.kill_node("fr")
    sent = [ping(f"while away {n}") for n in range(5)]
    for message in sent:
        loop.run(couriers["ro"].send("fr", message))
    other = ping("to es meanwhile")
    loop.run(couriers["ro"].send("es", other))

    # es is not held up by fr's absence; fr's messages wait on ro, and the metric says so
    async def es_has_it() -> bool:
        return other.id in await couriers["es"].documents("pings")

    wait_for(loop, es_has_it, "the message to es while fr is away")
    poll(
        lambda: (
            couriers["ro"].metric("alliance_direct_pending", service="courier", target="fr")
            == len(sent)
        ),
        30,
        "ro's pending metric for fr",
    )
    assert loop.run(couriers["ro"].waiting()) == len(sent)

    federation.start_node("fr")
    restart_courier(couriers, loop, federation)

    async def all_answered() -> dict[str, Document] | None:
        pongs = await couriers["ro"].documents("pongs")
        return pongs if all(m.id in pongs for m in sent) else None

    pongs = wait_for(loop, all_answered, "every message handled by fr once back")
    positions = [pongs[m.id]["position"] for m in sent]
    assert positions == sorted(positions), "handled in the order ro sent them"
    assert loop.run(couriers["ro"].waiting()) == 0
    poll(
        lambda: (
            couriers["ro"].metric("alliance_direct_pending", service="courier", target="fr") == 0
        ),
        30,
        "ro's pending metric back to 0",
    )
    handled = loop.run(couriers["fr"].documents("pings"))
    assert all(handled[m.id]["times"] == 1 for m in sent)

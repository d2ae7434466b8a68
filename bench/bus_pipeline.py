"""Membership changes through outbox → JetStream → projection, against the bus and the store.

Prints one JSON line. Everything runs in this process against real servers: one
nats-server, and one nx-27017 per node (fr's and ro's). Each round runs three legs, in an
order that rotates from round to round, on fresh node ids (``fr<r>``, ``ro<r>``), so each
round has fresh streams, durable consumers and databases and consumes only its own events:

- pipeline: nodes fr<r> and ro<r> each run the membership service in a process of their
  own, as nodes run: a ``ServiceKit`` on a ``ProcessContext`` (bus connection, store
  client on the node's own nx-27017, key ring, metrics), started like
  ``shared.host.create_app``'s lifespan does (connect, the node's streams, ``kit.start()``,
  ``bus.start_consuming()``, the garbage collector settled as ``alliance/process.py``
  does) and stopped in reverse. N organisation registrations, as
  ``Organization.register`` records them and ``shared.store.Outbox`` writes them (each
  entry holds the full event for LOCAL_FR<r> and the alliance view for NODE_FR<r>), are
  committed to fr's outbox in transactions of 1,000 while fr is down
  (``outbox_fill_events_per_s``). The clock then starts with fr's process serving: its
  outbox relay publishes into NODE_FR<r> and LOCAL_FR<r>; FEED_RO<r> sources NODE_FR<r>
  (as federation does, minus the hub hop); ro's membership consumer verifies (Ed25519),
  decodes and projects them into its organisation replicas. It stops when ro's consumer
  has acknowledged all N (it acks after applying). Then ro must hold exactly N
  organisation replicas, each carrying one of this round's event ids, and fr's outbox
  must be empty. This process only fills the outbox and watches.
- raw bus: nats-py publishes the same N alliance messages (``publish_async`` in windows of
  500, ``Nats-Msg-Id``) into a fresh stream while a pull consumer (fetch 500, parse, ack)
  reads them, concurrently.
- store floor: the N replica documents the projection writes (``ReplicaChange.fields()``
  plus ``_id``, computed before the clock) bulk-inserted alone into ro's nx-27017 with
  PyMongo, into a fresh collection with the indexes the kit creates for organisation
  replicas (``origin``, ``keys.match_keys``), one transaction per batch of the consumer's
  batch size (``NodeSettings().consumer_batch``), from a single task.

ratio_to_limit = pipeline events/s ÷ min(raw bus, store floor) events/s: the pipeline can
go no faster than the slower of its bus and its store (``limit`` names which); target
≥ 0.5. Figures are medians over rounds, with each round's figures and, per leg, the CPU
time of each process (this one, nats-server, fr's and ro's nx-27017, fr's and ro's
node process) per event. Usage:
    python bench/bus_pipeline.py [--events 20000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import nats
from nats.js import JetStreamContext
from nats.js.api import StreamConfig, StreamSource
from pymongo import ASCENDING, AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from http_writes import valid_vat

from services.membership.app import declare
from services.membership.domain import (
    ContactPerson,
    CooperationType,
    Organization,
    OrganizationDraft,
    SizeClass,
)
from services.membership.subscribers import REPLICAS
from shared import subjects
from shared.aggregate import Recorded
from shared.auth import TokenStore
from shared.bus import BusConnection
from shared.consumer import VerifiedConsumer
from shared.contracts.base import Visibility
from shared.contracts.membership import CATALOGUE, SERVICE
from shared.envelope import Envelope, KeyRing
from shared.identity import NodeIdentity, create_identity, load_identity
from shared.metrics import Metrics
from shared.replicas import Replicas
from shared.runtime import NatsServer, StoreServer, free_port, settle_garbage_collector
from shared.service import ProcessContext, ServiceKit
from shared.settings import NodeSettings
from shared.store import Document, Outbox, ServiceDatabase, database_name
from shared.streams import ensure_node_streams
from shared.subjects import Channel

WINDOW = 500  # raw publish window and fetch size, as measured in NATS-NOTES
FILL_BATCH = 1000  # outbox entries per committed transaction while fr is down
SETTINGS = NodeSettings()  # the batch sizes and windows a node ships with
SECTORS = ["62.10", "26.11", "28.41", "72.10", "29.10", "20.59", "25.62", "71.12"]
ORGANIZATIONS: Replicas = next(r for r in REPLICAS if r.aggregate == "organization")
LEGS = ("raw_bus", "store_floor", "pipeline")
POLL_SECONDS = 0.05
STALL_SECONDS = 60.0  # no progress for this long: the round fails, with what is known
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
SPAWN = multiprocessing.get_context("spawn")  # a fresh interpreter, as `alliance up` is


# -- the events ------------------------------------------------------------------------


def organisation_draft(country: str, batch: int, i: int) -> OrganizationDraft:
    """A realistic member organisation: two contact persons, one who consented to sharing."""
    return OrganizationDraft(
        legal_name=f"Mecatronica {batch}-{i} SRL",
        vat=valid_vat(batch * 10**7 + i),
        country=country,
        city="Cluj-Napoca",
        website=f"https://meca-{batch}-{i}.example.eu",
        nace_codes=[SECTORS[i % len(SECTORS)]],
        technologies=["robotics", "composites"],
        offers="Precision machining of aerospace parts",
        needs="Partners for additive manufacturing",
        cooperation_types=[CooperationType.TECHNICAL_COOPERATION],
        countries_of_interest=["RO", "ES"],
        languages=["en", "fr"],
        size_class=SizeClass.SMALL,
        clusters=["Mechatronics Cluster"],
        visibility=Visibility.ALLIANCE,
        contacts=[
            ContactPerson(
                name="Ana Pop", email=f"ana@meca-{batch}-{i}.example.eu", role="CEO", consent=True
            ),
            ContactPerson(name="Ion Ionescu", email=f"ion@meca-{batch}-{i}.example.eu"),
        ],
    )


def organisation_records(owner: NodeIdentity, count: int, batch: int = 0) -> list[Recorded]:
    """Registrations as ``Organization.register`` records them: full event, alliance view."""
    now = datetime.now(UTC)
    records: list[Recorded] = []
    for i in range(count):
        draft = organisation_draft(owner.country, batch, i)
        records += Organization.register(f"{owner.node}-b{batch}-{i}", draft, now).collect_events()
    return records


def organisation_changes(owner: NodeIdentity, count: int, batch: int = 0) -> list[Envelope]:
    """Alliance-channel envelopes of ``count`` registered organisations of one origin,
    one aggregate each (the alliance view: only consenting contact persons)."""
    return [
        CATALOGUE.seal(owner, Channel.ALLIANCE, record.shared, record.version)
        for record in organisation_records(owner, count, batch)
        if record.shared is not None
    ]


def outbox_entries(owner: NodeIdentity, records: list[Recorded]) -> list[Document]:
    """The outbox documents a node writes for these changes (local and alliance message)."""
    outbox = Outbox(owner, CATALOGUE)
    return [outbox.document(record) for record in records]


def alliance_messages(entries: list[Document]) -> list[Document]:
    """The alliance-channel message of each entry: what reaches other nodes."""
    prefix = f"{Channel.ALLIANCE.value}."
    return [m for entry in entries for m in entry["messages"] if m["subject"].startswith(prefix)]


def replica_documents(messages: list[Document]) -> list[Document]:
    """Exactly the documents the projection inserts for these messages."""
    changes = (ORGANIZATIONS.change(Envelope.model_validate_json(m["body"])) for m in messages)
    return [{"_id": change.key, **change.fields()} for change in changes]


# -- processes, clocks -----------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads) so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


@dataclass(frozen=True)
class Leg:
    """One timed leg: wall seconds, and CPU seconds of each process meanwhile."""

    seconds: float
    cpu: dict[str, float]


@dataclass
class Stopwatch:
    """Wall clock and per-process CPU between ``start`` and ``stop``."""

    pids: dict[str, int]
    started: float = 0.0
    _cpu: dict[str, float] = field(default_factory=dict)
    _leg_pids: dict[str, int] = field(default_factory=dict)

    def watch(self, pids: dict[str, int]) -> None:
        """Also measure these processes, for the next leg only (they live only so long)."""
        self._leg_pids = pids

    def cpu(self) -> dict[str, float]:
        pids = {**self.pids, **self._leg_pids}
        return {name: cpu_seconds(pid) for name, pid in pids.items()}

    def start(self) -> None:
        self._cpu = self.cpu()
        self.started = time.perf_counter()

    def stop(self) -> Leg:
        seconds = time.perf_counter() - self.started
        now = self.cpu()
        self._leg_pids = {}
        return Leg(seconds, {name: now[name] - self._cpu[name] for name in now})


# -- raw bus leg -------------------------------------------------------------------------


async def raw_leg(url: str, messages: list[Document], stream: str, watch: Stopwatch) -> Leg:
    """Raw nats-py publishes the messages into a fresh stream while a pull consumer reads."""
    client = await nats.connect(url)
    try:
        js = client.jetstream(publish_async_max_pending=4000)
        prefix = f"raw.{stream.lower()}"
        await js.add_stream(
            StreamConfig(
                name=stream,
                subjects=[f"{prefix}.>"],
                duplicate_window=SETTINGS.duplicate_window_seconds,
            )
        )
        sub = await js.pull_subscribe(f"{prefix}.>", durable="raw", stream=stream)
        bodies = [
            (f"{prefix}.{m['subject'].split('.', 2)[2]}", m["body"], m["id"]) for m in messages
        ]
        watch.start()
        await asyncio.gather(raw_publish(js, bodies), raw_consume(sub, len(bodies)))
        leg = watch.stop()
        await js.delete_stream(stream)
    finally:
        await client.close()
    return leg


async def raw_publish(js: JetStreamContext, bodies: list[tuple[str, bytes, str]]) -> None:
    for start in range(0, len(bodies), WINDOW):
        acks = [
            await js.publish_async(subject, body, headers={"Nats-Msg-Id": msg_id})
            for subject, body, msg_id in bodies[start : start + WINDOW]
        ]
        await asyncio.gather(*acks)


async def raw_consume(sub: JetStreamContext.PullSubscription, count: int) -> None:
    received = 0
    while received < count:
        try:
            messages = await sub.fetch(WINDOW, timeout=1)
        except TimeoutError:  # nats-py's own TimeoutError subclasses it
            continue
        for message in messages:
            json.loads(message.data)
        await asyncio.gather(*(m.ack() for m in messages))
        received += len(messages)


# -- store floor leg ---------------------------------------------------------------------


async def store_floor_leg(
    url: str, documents: list[Document], database: str, watch: Stopwatch
) -> Leg:
    """The replica documents alone, bulk-inserted, one transaction per consumer batch."""
    client: AsyncMongoClient[Document] = AsyncMongoClient(url, tz_aware=True)
    try:
        db = client[database]
        await db.create_collection(ORGANIZATIONS.collection)
        collection = db[ORGANIZATIONS.collection]
        await collection.create_index([("origin", ASCENDING)])
        for key in ORGANIZATIONS.indexes:
            await collection.create_index([(f"keys.{key}", ASCENDING)])
        batch = SETTINGS.consumer_batch
        watch.start()
        for start in range(0, len(documents), batch):
            await insert_in_transaction(client, collection, documents[start : start + batch])
        leg = watch.stop()
        stored = await collection.count_documents({})
        assert stored == len(documents), f"store floor: {stored} of {len(documents)} stored"
        await client.drop_database(database)
    finally:
        await client.close()
    return leg


async def insert_in_transaction(
    client: AsyncMongoClient[Document],
    collection: AsyncCollection[Document],
    documents: list[Document],
) -> None:
    async with client.start_session() as session:
        await session.start_transaction()
        await collection.insert_many(documents, ordered=False, session=session)
        await session.commit_transaction()


# -- pipeline leg ----------------------------------------------------------------------


@dataclass
class Node:
    """One node's membership service, as a node process holds it."""

    identity: NodeIdentity
    context: ProcessContext
    kit: ServiceKit[Any]

    @property
    def name(self) -> str:
        return self.identity.node

    @property
    def bus(self) -> BusConnection:
        return self.context.bus


def build_node(identity: NodeIdentity, data_dir: Path, nats_url: str, store_url: str) -> Node:
    """What ``create_app`` builds for a node hosting the membership service."""
    metrics = Metrics()
    context = ProcessContext(
        settings=NodeSettings(data_dir=data_dir),
        identity=identity,
        keyring=KeyRing({identity.node: identity.public_key}),
        mongo=AsyncMongoClient(store_url, serverSelectionTimeoutMS=5000, tz_aware=True),
        bus=BusConnection(nats_url, metrics),
        metrics=metrics,
        tokens=TokenStore(data_dir),
    )
    return Node(identity, context, ServiceKit(declare(), context))


@contextlib.asynccontextmanager
async def connected(node: Node) -> AsyncIterator[None]:
    """The bus and the node's four streams (what the lifespan opens first)."""
    try:
        await node.bus.connect()
        duplicate_window = node.context.settings.duplicate_window_seconds
        await ensure_node_streams(node.bus, node.name, duplicate_window)
        yield
    finally:
        await node.bus.close()
        if node.context.mongo is not None:
            await node.context.mongo.close()


@contextlib.asynccontextmanager
async def serving(node: Node) -> AsyncIterator[None]:
    """The service started, then the broker's consumers; stopped in reverse."""
    try:
        await node.kit.start()
        await node.bus.start_consuming()
        yield
    finally:
        await node.bus.stop_consuming()
        await node.kit.stop()


async def federate(ro: Node, fr: NodeIdentity) -> None:
    """What admission does, minus the hub: fr's key is known and ro's feed sources fr."""
    ro.context.keyring.admit(fr.node, fr.public_key)
    js = ro.bus.js
    config = (await js.stream_info(subjects.feed_stream(ro.name))).config
    config.sources = [StreamSource(name=subjects.node_stream(fr.node))]
    await js.update_stream(config)


async def fill_outbox(database: ServiceDatabase, entries: list[Document]) -> float:
    """Commit the entries to the outbox as units of work do; returns seconds."""
    await database.prepare()
    started = time.perf_counter()
    for start in range(0, len(entries), FILL_BATCH):
        async with database.session() as session:
            await database.outbox.insert_many(entries[start : start + FILL_BATCH], session=session)
            await session.commit_transaction()
    return time.perf_counter() - started


def organisation_consumer(node: Node) -> VerifiedConsumer[Any]:
    feed = subjects.feed_stream(node.name)
    return next(c for c in node.kit.consumers if c.stream == feed and ".organization." in c.subject)


async def until(done: Callable[[], Awaitable[int | None]]) -> None:
    """Poll ``done`` (None when done, else how far); fail after STALL_SECONDS of no progress."""
    last, moved = -1, time.perf_counter()
    while (now := await done()) is not None:
        if now != last:
            last, moved = now, time.perf_counter()
        elif time.perf_counter() - moved > STALL_SECONDS:
            raise RuntimeError(f"no progress for {STALL_SECONDS:.0f}s (at {now})")
        await asyncio.sleep(POLL_SECONDS)


async def applied_and_acked(ro: Node, count: int) -> None:
    """Until ro's consumer has acknowledged ``count`` messages: it acks after applying."""
    consumer = organisation_consumer(ro)

    async def acked() -> int | None:
        info = await ro.bus.js.consumer_info(consumer.stream, consumer.durable)
        done = info.ack_floor.stream_seq or 0
        finished = done >= count and info.num_pending == 0 and info.num_ack_pending == 0
        return None if finished else done

    await until(acked)


# -- each node in a process of its own, as nodes run -------------------------------------


@dataclass(frozen=True)
class NodeSpec:
    """What a node process is started with (picklable: it crosses into a new process)."""

    identity_dir: Path
    nats_url: str
    store_url: str
    peer_dir: Path | None = None  # the node whose feed this node sources (ro: fr)


def node_process(spec: NodeSpec, commands: Connection) -> None:
    """A node's process: connect, say so; serve once told to, say so; stop once told to."""
    sys.stdout = sys.stderr  # keep this process's logging off the one JSON line
    asyncio.run(_serve_node(spec, commands))


async def _serve_node(spec: NodeSpec, commands: Connection) -> None:
    identity = load_identity(spec.identity_dir)
    node = build_node(identity, spec.identity_dir, spec.nats_url, spec.store_url)
    async with connected(node):
        if spec.peer_dir is not None:
            await federate(node, load_identity(spec.peer_dir))
        settle_garbage_collector()  # as alliance/process.py does before serving
        commands.send("connected")
        await asyncio.to_thread(commands.recv)  # "serve"
        async with serving(node):
            commands.send("serving")
            await asyncio.to_thread(commands.recv)  # "stop"


class NodeProcess:
    """The bench's handle on a node process."""

    def __init__(self, spec: NodeSpec) -> None:
        self._commands, theirs = SPAWN.Pipe()
        self.process = SPAWN.Process(target=node_process, args=(spec, theirs), daemon=True)
        self.process.start()
        self._expect("connected")

    @property
    def pid(self) -> int:
        assert self.process.pid is not None
        return self.process.pid

    def serve(self) -> None:
        self._commands.send("serve")

    def wait_serving(self) -> None:
        self._expect("serving")

    def stop(self) -> None:
        if self.process.is_alive():
            with contextlib.suppress(OSError):
                self._commands.send("stop")
            self.process.join(30)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()

    def _expect(self, word: str) -> None:
        if not self._commands.poll(STALL_SECONDS):
            raise RuntimeError(f"node process {self.pid} did not say {word!r}")
        said = self._commands.recv()
        assert said == word, f"node process {self.pid} said {said!r}, not {word!r}"


@dataclass(frozen=True)
class PipelineRound:
    leg: Leg
    fill_seconds: float
    start_seconds: float  # of the clock, until fr's process said it serves


async def pipeline_leg(
    work: Path,
    nats_url: str,
    store_urls: tuple[str, str],
    identities: tuple[NodeIdentity, NodeIdentity],
    entries: list[Document],
    watch: Stopwatch,
) -> PipelineRound:
    """fr's outbox → NODE_FR → FEED_RO → ro's organisation replicas, each node a process.

    This process only fills fr's outbox before the clock, then watches ro's consumer and
    checks the outcome: the relay and the consumer run in fr's and ro's own processes.
    """
    fr_id, ro_id = identities
    fr_dir, ro_dir = work / "fr", work / "ro"  # where run_round made each identity
    fr = build_node(fr_id, fr_dir, nats_url, store_urls[0])  # this process's view of each
    ro = build_node(ro_id, ro_dir, nats_url, store_urls[1])
    expected = {m["id"] for m in alliance_messages(entries)}
    processes: list[NodeProcess] = []
    async with connected(fr), connected(ro):
        try:
            processes.append(
                ro_process := NodeProcess(NodeSpec(ro_dir, nats_url, store_urls[1], fr_dir))
            )
            ro_process.serve()
            ro_process.wait_serving()
            fill = await fill_outbox(fr.kit.database, entries)
            processes.append(fr_process := NodeProcess(NodeSpec(fr_dir, nats_url, store_urls[0])))
            watch.watch({"node_fr": fr_process.pid, "node_ro": ro_process.pid})
            watch.start()
            fr_process.serve()
            fr_process.wait_serving()
            start = time.perf_counter() - watch.started
            await applied_and_acked(ro, len(expected))
            leg = watch.stop()
        finally:
            for process in processes:
                process.stop()
        await check_round(fr, ro, expected, len(entries))
        await forget_round(fr, ro)
    return PipelineRound(leg, fill, start)


async def check_round(fr: Node, ro: Node, expected: set[str], changes: int) -> None:
    """ro holds exactly this round's replicas; every message went where it should."""
    replicas = ro.kit.database.collection(ORGANIZATIONS.collection)
    held = await replicas.count_documents({})
    event_ids = {doc["event_id"] async for doc in replicas.find({}, {"event_id": 1})}
    assert held == len(expected), f"ro holds {held} replicas, not {len(expected)}"
    assert event_ids == expected, f"{len(event_ids - expected)} replicas of other events"
    left = await fr.kit.database.outbox.count_documents({})
    assert left == 0, f"{left} entries left in fr's outbox"
    js = ro.bus.js
    for stream, wanted in (
        (subjects.node_stream(fr.name), len(expected)),
        (subjects.local_stream(fr.name), changes),
        (subjects.feed_stream(ro.name), len(expected)),
        (subjects.dead_letter_stream(ro.name), 0),
    ):
        messages = (await js.stream_info(stream)).state.messages
        assert messages == wanted, f"{stream} holds {messages} messages, not {wanted}"


async def forget_round(fr: Node, ro: Node) -> None:
    """Delete the round's streams and databases, so no round sees another's."""
    for node in (fr, ro):
        for stream in (subjects.node_stream(node.name), *subjects.private_streams(node.name)):
            await node.bus.js.delete_stream(stream)
        if node.context.mongo is not None:
            await node.context.mongo.drop_database(database_name(node.name, SERVICE))


# -- rounds and report -----------------------------------------------------------------


@dataclass
class Servers:
    nats: NatsServer
    fr_store: StoreServer
    ro_store: StoreServer

    @classmethod
    def under(cls, work: Path) -> Servers:
        return cls(
            NatsServer(work / "nats", "bench", "bench", free_port()),
            StoreServer(work / "store-fr"),
            StoreServer(work / "store-ro"),
        )

    def start(self) -> None:
        for server in (self.nats, self.fr_store, self.ro_store):
            server.start()

    def stop(self) -> None:
        for server in (self.fr_store, self.ro_store, self.nats):
            server.stop()

    def pids(self) -> dict[str, int]:
        children = {
            "nats_server": self.nats.child,
            "nx27017_fr": self.fr_store.child,
            "nx27017_ro": self.ro_store.child,
        }
        pids = {"bench": os.getpid()}
        for name, child in children.items():
            assert child is not None and child.process is not None
            pids[name] = child.process.pid
        return pids


async def run_round(servers: Servers, work: Path, round_no: int, count: int) -> dict[str, Any]:
    """The three legs on this round's events, in this round's order; events/s and CPU."""
    round_dir = work / f"round{round_no}"
    fr = create_identity(round_dir / "fr", f"fr{round_no}", "France Clusters", "FR")
    ro = create_identity(round_dir / "ro", f"ro{round_no}", "CLUSTERO", "RO")
    entries = outbox_entries(fr, organisation_records(fr, count, round_no))
    watch = Stopwatch(servers.pids())
    shift = round_no % len(LEGS)
    order = LEGS[shift:] + LEGS[:shift]
    legs: dict[str, Leg] = {}
    pipeline: PipelineRound | None = None
    for name in order:
        if name == "raw_bus":
            messages = alliance_messages(entries)
            legs[name] = await raw_leg(servers.nats.url, messages, f"RAW{round_no}", watch)
        elif name == "store_floor":
            documents = replica_documents(alliance_messages(entries))
            floor_db = f"floor{round_no}"
            legs[name] = await store_floor_leg(servers.ro_store.url, documents, floor_db, watch)
            del documents
        else:
            stores = (servers.fr_store.url, servers.ro_store.url)
            pipeline = await pipeline_leg(
                round_dir, servers.nats.url, stores, (fr, ro), entries, watch
            )
            legs[name] = pipeline.leg
    assert pipeline is not None
    figures: dict[str, Any] = {"round": round_no, "order": list(order)}
    for name in LEGS:
        figures[f"{name}_events_per_s"] = round(count / legs[name].seconds)
    figures["outbox_fill_events_per_s"] = round(count / pipeline.fill_seconds)
    figures["pipeline_start_s"] = round(pipeline.start_seconds, 3)
    for name in LEGS:
        figures[f"{name}_cpu_us_per_event"] = {
            process: round(seconds * 1e6 / count) for process, seconds in legs[name].cpu.items()
        }
    return figures


def median_of(rounds: list[dict[str, Any]], key: str) -> float:
    return statistics.median(r[key] for r in rounds)


def summary(count: int, rounds: list[dict[str, Any]], rss: dict[str, float]) -> dict[str, Any]:
    pipeline = median_of(rounds, "pipeline_events_per_s")
    raw = median_of(rounds, "raw_bus_events_per_s")
    floor = median_of(rounds, "store_floor_events_per_s")
    limit = min(raw, floor)
    processes = rounds[0]["pipeline_cpu_us_per_event"].keys()
    return {
        "bench": "bus_pipeline",
        "events": count,
        "rounds": len(rounds),
        "pipeline_events_per_s": round(pipeline),
        "raw_bus_events_per_s": round(raw),
        "store_floor_events_per_s": round(floor),
        "limit": "bus" if raw <= floor else "store",
        "ratio_to_limit": round(pipeline / limit, 3),
        "target_ratio_to_limit": 0.5,
        "outbox_fill_events_per_s": round(median_of(rounds, "outbox_fill_events_per_s")),
        "pipeline_cpu_us_per_event": {
            p: round(statistics.median(r["pipeline_cpu_us_per_event"][p] for r in rounds))
            for p in processes
        },
        "per_round": rounds,
        "peak_rss_mb": {name: round(mb, 1) for name, mb in rss.items()},
    }


async def main(count: int, rounds: int) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="bench-pipeline-"))
    servers = Servers.under(work)
    servers.start()
    try:
        figures = [await run_round(servers, work, r, count) for r in range(rounds)]
        rss = {name: peak_rss_mb(pid) for name, pid in servers.pids().items()}
    finally:
        servers.stop()
    return summary(count, figures, rss)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    # FastStream's access logger writes to the stdout of when it is made; keep that line ours.
    with contextlib.redirect_stdout(sys.stderr):
        result = asyncio.run(main(args.events, args.rounds))
    print(json.dumps(result))

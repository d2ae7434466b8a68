"""Membership events through outbox → JetStream → projection, against raw nats-py.

Prints one JSON line. Both legs run in this process, against the same real
nats-server (and, for the pipeline, a real nx-27017), in alternating rounds:

- raw: nats-py publishes N envelopes (publish_async in windows, Nats-Msg-Id) into a
  stream while a pull consumer (fetch 500 + ack) reads them, concurrently;
- pipeline: N organisation changes already committed to the membership outbox are
  published by the outbox relay into NODE_FR, sourced into FEED_RO as federation does,
  verified, decoded and projected into replicas by the membership consumer (bulk
  upserts + processed ids), until all N are applied.

ratio = pipeline events/s ÷ raw events/s (target ≥ 0.5). Usage:
    python bench/bus_pipeline.py [--events 20000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import nats
from nats.js.api import StreamConfig, StreamSource
from pymongo import AsyncMongoClient

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from services.membership.subscribers import on_remote_membership_events
from shared import subjects
from shared.bus import BusConnection, DeadLetters, ensure_node_streams
from shared.consumer import Inbound
from shared.contracts.membership import OrganizationShared
from shared.envelope import Envelope, KeyRing, seal
from shared.identity import NodeIdentity, create_identity
from shared.metrics import Metrics
from shared.relay import OutboxRelay
from shared.runtime import NatsServer, StoreServer, free_port
from shared.settings import NodeSettings
from shared.store import ServiceDatabase

WINDOW = 500  # raw publish window, as measured in NATS-NOTES
SETTINGS = NodeSettings()  # the pipeline runs with the batch sizes a node ships with
SECTORS = ["62.10", "26.11", "28.41", "72.11", "29.10", "20.59", "30.30", "71.12"]


def organisation_changes(owner: NodeIdentity, count: int, batch: int = 0) -> list[Envelope]:
    """Realistic registered-organisation events of one node, one aggregate each."""
    subject = subjects.event_subject(owner.node, "membership", "organization", "registered")
    country = owner.country
    return [
        seal(
            owner,
            subject,
            OrganizationShared(
                id=f"{owner.node}-b{batch}-{i}",
                legal_name=f"Mecatronica {batch}-{i} Cluster Member",
                vat=f"{country}{batch:02d}{i:09d}",
                country=country,
                city="Cluj-Napoca",
                website=f"https://meca-{batch}-{i}.example.eu",
                nace_codes=[SECTORS[i % len(SECTORS)]],
                technologies=["robotics", "composites"],
                offers="Precision machining of aerospace parts",
                needs="Partners for additive manufacturing",
                cooperation_types=["technical_cooperation"],
                countries_of_interest=["RO", "ES"],
                languages=["en"],
                size_class="small",
                visibility="alliance",
                updated_at="2026-11-22T00:00:00Z",
            ),
            f"{owner.node}-b{batch}-{i}",
            1,
        )
        for i in range(count)
    ]


async def raw_leg(url: str, bodies: list[tuple[str, bytes, str]], stream: str) -> float:
    """Seconds for raw nats-py to publish and consume the same messages concurrently."""
    client = await nats.connect(url)
    js = client.jetstream(publish_async_max_pending=4000)
    await js.add_stream(
        StreamConfig(name=stream, subjects=[f"raw.{stream.lower()}.>"], duplicate_window=3600)
    )
    sub = await js.pull_subscribe(f"raw.{stream.lower()}.>", durable="raw", stream=stream)
    started = time.perf_counter()

    async def publish() -> None:
        for start in range(0, len(bodies), WINDOW):
            acks = [
                await js.publish_async(
                    f"raw.{stream.lower()}.{s}", body, headers={"Nats-Msg-Id": msg_id}
                )
                for s, body, msg_id in bodies[start : start + WINDOW]
            ]
            await asyncio.gather(*acks)

    async def consume() -> None:
        received = 0
        while received < len(bodies):
            try:
                messages = await sub.fetch(500, timeout=1)
            except (TimeoutError, nats.errors.TimeoutError):
                continue
            for message in messages:
                json.loads(message.data)
            await asyncio.gather(*(m.ack() for m in messages))
            received += len(messages)

    await asyncio.gather(publish(), consume())
    elapsed = time.perf_counter() - started
    await client.close()
    return elapsed


async def pipeline_leg(
    nats_url: str,
    fr_store: str,
    ro_store: str,
    ro: NodeIdentity,
    fr: NodeIdentity,
    events: list[Envelope],
    round_no: int,
) -> tuple[float, float]:
    """(seconds to fill the outbox, seconds from relay start to all projected).

    Each node has its own store, as in the federation: fr's outbox, ro's replicas.
    """
    fr_mongo: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(fr_store, tz_aware=True)
    ro_mongo: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(ro_store, tz_aware=True)
    outbox_db = ServiceDatabase(fr_mongo, f"fr_membership_{round_no}")
    replica_db = ServiceDatabase(ro_mongo, f"ro_membership_{round_no}")
    for db in (outbox_db, replica_db):
        await db.prepare()
    fill_started = time.perf_counter()
    for start in range(0, len(events), 1000):
        async with outbox_db.unit_of_work() as uow:
            for envelope in events[start : start + 1000]:
                uow.record(envelope)
            await uow.commit()
    fill = time.perf_counter() - fill_started

    bus = BusConnection(nats_url)
    await bus.connect()
    metrics = Metrics()
    inbound = Inbound(
        bus=bus,
        keyring=KeyRing({"fr": fr.public_key}),
        dead_letters=DeadLetters(bus, ro.node, "membership", metrics),
        metrics=metrics,
        service="membership",
        max_deliver=5,
    )
    relay = OutboxRelay(outbox_db, bus, metrics, "membership", SETTINGS.outbox_batch)
    consumer = on_remote_membership_events(inbound, replica_db, ro.node, SETTINGS.consumer_batch)
    consumer.durable = f"bench-{round_no}"
    applied = metrics.projection_applied.labels("membership", "fr")
    before = applied._value.get()
    started = time.perf_counter()
    relay.start()
    await consumer.start()
    while applied._value.get() - before < len(events):  # noqa: ASYNC110 - polls a counter
        await asyncio.sleep(0.01)
    elapsed = time.perf_counter() - started
    await consumer.stop()
    await relay.stop()
    applied_ids = await replica_db.processed.count_documents({})
    assert applied_ids == len(events), f"{applied_ids} of {len(events)} recorded as applied"
    await bus.close()
    await fr_mongo.close()
    await ro_mongo.close()
    return fill, elapsed


async def prepare_streams(url: str) -> None:
    bus = BusConnection(url)
    await bus.connect()
    for node in ("fr", "ro"):
        await ensure_node_streams(bus.js, node, 3600)
    feed = subjects.feed_stream("ro")
    config = (await bus.js.stream_info(feed)).config
    config.sources = [StreamSource(name=subjects.node_stream("fr"))]
    await bus.js.update_stream(config)
    await bus.close()


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def main(count: int, rounds: int) -> dict[str, object]:
    work = Path(tempfile.mkdtemp(prefix="bench-pipeline-"))
    nats_server = NatsServer(work / "nats", "bench", "ro", free_port())
    fr_store = StoreServer(work / "store-fr", free_port())
    ro_store = StoreServer(work / "store-ro", free_port())
    nats_server.start()
    fr_store.start()
    ro_store.start()
    try:
        ro = create_identity(work / "ro", "ro", "CLUSTERO", "RO")
        fr = create_identity(work / "fr", "fr", "France Clusters", "FR")
        await prepare_streams(nats_server.url)
        raw_rates, pipe_rates, fills = [], [], []
        for round_no in range(rounds):
            events = organisation_changes(fr, count, round_no)
            bodies = [(e.subject.split(".", 2)[2], e.to_bytes(), e.id) for e in events]
            raw = await raw_leg(nats_server.url, bodies, f"RAW{round_no}")
            fill, piped = await pipeline_leg(
                nats_server.url, fr_store.url, ro_store.url, ro, fr, events, round_no
            )
            raw_rates.append(count / raw)
            pipe_rates.append(count / piped)
            fills.append(count / fill)
        rss = {
            "bench_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "nats_server_mb": peak_rss_mb(nats_server.child.process.pid),  # type: ignore[union-attr]
            "nx27017_ro_mb": peak_rss_mb(ro_store.child.process.pid),  # type: ignore[union-attr]
        }
    finally:
        fr_store.stop()
        ro_store.stop()
        nats_server.stop()
    raw_rate, pipe_rate = statistics.median(raw_rates), statistics.median(pipe_rates)
    return {
        "bench": "bus_pipeline",
        "events": count,
        "rounds": rounds,
        "pipeline_events_per_s": round(pipe_rate),
        "raw_nats_events_per_s": round(raw_rate),
        "ratio": round(pipe_rate / raw_rate, 3),
        "target_ratio": 0.5,
        "outbox_fill_events_per_s": round(statistics.median(fills)),
        "pipeline_rounds_per_s": [round(r) for r in pipe_rates],
        "raw_rounds_per_s": [round(r) for r in raw_rates],
        "peak_rss_mb": {k: round(v, 1) for k, v in rss.items()},
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.events, args.rounds))))

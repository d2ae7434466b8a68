"""Catch-up after a cut leaf link: a hub and two nodes, against raw JetStream sourcing.

Prints one JSON line. Everything runs as real processes on 127.0.0.1, started the way an
operator would (``alliance hub``, ``alliance init`` / ``admit`` / ``up``):

- federation: node ro's leaf link to the hub runs through a small TCP proxy in this
  process. With the link cut, N signed organisation changes are committed to ro's
  membership outbox (the entries ``shared.store.Outbox`` makes: each change's local and
  alliance message, inserted in batches) and ro's outbox relay publishes them into
  LOCAL_RO and NODE_RO. Then the link is restored, and we time how long until the hub's
  ALLIANCE stream holds all N, and until node fr has applied all N to its replicas (its
  ``alliance_projection_applied_total`` counter; checked against fr's replica documents
  at the end);
- raw: three plain nats-servers laid out like hub, ro and fr (JetStream domains, leaf
  links, the same ping/reconnect settings, no accounts): NODE_RO receives the same N
  message bodies while its leaf link is cut (through the same kind of proxy, for as long
  as the federation's link was cut), ALLIANCE on the hub sources it, FEED_FR on fr sources
  ALLIANCE. After restoring, we time until ALLIANCE (one hop) and FEED_FR (two hops) hold
  all N;
- store floor: the least any projection of those N changes must write: the same N
  replica documents (what the membership projection writes, with the same indexes)
  bulk-inserted alone into fr's nx-27017 with PyMongo, one transaction per batch of the
  consumer's size.

ratio_to_limit = seconds until fr applied all ÷ max(raw two-hop sourcing, store floor)
(target ≤ 2): the pipeline cannot beat the slower of its bus and its store. Also
ratio (÷ raw two-hop sourcing alone) and ratio_hub_only (hub hop ÷ raw one hop). Usage:
    python bench/federation_catchup.py [--events 50000] [--keep] [--trace]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import nats
from nats.aio.client import Client as NatsClient
from nats.js.api import ExternalStream, StorageType, StreamConfig, StreamSource
from pymongo import AsyncMongoClient

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from services.membership.subscribers import REPLICAS
from shared import subjects
from shared.aggregate import Recorded
from shared.contracts import membership
from shared.envelope import Envelope
from shared.identity import NodeIdentity, load_identity
from shared.replicas import Replicas
from shared.runtime import (
    NatsServer,
    free_port,
    nats_client_url,
    process_runs_in,
    read_run_info,
)
from shared.settings import NodeSettings
from shared.store import Document, Outbox, ServiceDatabase, database_name
from shared.subjects import Channel
from tests.tcp_proxy import TcpProxy

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bus_pipeline import organisation_changes

ALLIANCE = str(Path(sys.executable).with_name("alliance"))
INSERT_BATCH = 1000
RAW_WINDOW = 500
# The same link settings the product uses (shared/federation.py, services/hub/natsconf.py).
HUB_PING = 'ping_interval: "5s"\nping_max: 3\n'
APPLIED = re.compile(r"^alliance_projection_applied_total\{([^}]*)\}\s+(\S+)$", re.MULTILINE)


def say(line: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {line}", file=sys.stderr, flush=True)


def cli(*args: str) -> str:
    done = subprocess.run(
        [ALLIANCE, *args], capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL
    )
    if done.returncode:
        raise RuntimeError(f"alliance {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout


class AllianceProcess:
    """``alliance hub`` or ``alliance up`` in its own process, stopped with SIGTERM."""

    def __init__(self, name: str, data_dir: Path, http_port: int, args: list[str]) -> None:
        self.name = name
        self.data_dir = data_dir
        self.url = f"http://127.0.0.1:{http_port}"
        self.argv = [ALLIANCE, *args, "--data-dir", str(data_dir), "--port", str(http_port)]
        self.process: subprocess.Popen[bytes] | None = None
        self.children: list[int] = []

    @property
    def run_info(self) -> dict[str, Any]:
        return read_run_info(self.data_dir)

    def launch(self) -> None:
        with open(self.data_dir.parent / f"{self.name}.log", "ab") as log:
            self.process = subprocess.Popen(
                self.argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )

    async def start(self, limit: float = 90) -> AllianceProcess:
        """Launch, and wait until /healthz answers 200."""
        self.launch()
        assert self.process is not None
        deadline = time.monotonic() + limit
        async with httpx.AsyncClient(timeout=1) as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"{self.name} exited; see {self.name}.log")
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(f"{self.url}/healthz")).status_code == 200:
                        self.children = [int(p) for p in self.run_info["children"]]
                        return self
                await asyncio.sleep(0.2)
        raise RuntimeError(f"{self.name} not healthy within {limit:.0f}s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            asked = time.perf_counter()
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
                say(f"{self.name} stopped {time.perf_counter() - asked:.1f}s after SIGTERM")
            except subprocess.TimeoutExpired:
                say(f"{self.name} still running 30s after SIGTERM; killed")
                self.process.kill()
                self.process.wait()
        for pid in self.children:  # they die with their parent; make sure
            if process_runs_in(pid, self.data_dir):
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)


def peak_rss_mb(pid: int | None) -> float | None:
    if pid is None:
        return None
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None


async def until(
    what: str, check: Callable[[], Awaitable[bool]], limit: float, interval: float = 0.05
) -> float:
    """Seconds until ``check`` holds (polled every ``interval``)."""
    started = time.perf_counter()
    while not await check():
        if time.perf_counter() - started > limit:
            raise TimeoutError(f"{what}: not reached within {limit:.0f}s")
        await asyncio.sleep(interval)
    return time.perf_counter() - started


@contextlib.asynccontextmanager
async def tracing(
    enabled: bool, label: str, probe: Callable[[], Awaitable[str]]
) -> AsyncIterator[None]:
    """With --trace: one progress line per second on stderr while the block runs."""
    if not enabled:
        yield
        return
    started = time.perf_counter()

    async def report() -> None:
        while True:
            await asyncio.sleep(1)
            try:
                say(f"{label} +{time.perf_counter() - started:.0f}s {await probe()}")
            except Exception as exc:
                say(f"{label}: {exc!r}")

    task = asyncio.create_task(report())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def source_state(client: NatsClient, stream: str) -> str:
    """lag/active of a stream's sources, as the server reports them."""
    reply = await client.request(f"$JS.API.STREAM.INFO.{stream}", b"", timeout=5)
    sources = json.loads(reply.data).get("sources") or []
    return " ".join(
        f"{s['name']}[{s.get('filter_subject', '')}] lag={s.get('lag')} "
        f"active={int(s.get('active', -1)) / 1e9:.1f}s"
        for s in sources
    )


async def stream_count(client: NatsClient, stream: str, subject_filter: str) -> int:
    """Messages of ``stream`` on subjects matching the filter (one STREAM.INFO request)."""
    request = json.dumps({"subjects_filter": subject_filter}).encode()
    reply = await client.request(f"$JS.API.STREAM.INFO.{stream}", request, timeout=5)
    state = json.loads(reply.data).get("state", {})
    return sum(int(n) for n in (state.get("subjects") or {}).values())


async def applied_from_ro(http: httpx.AsyncClient, node_url: str) -> int:
    text = (await http.get(f"{node_url}/metrics")).text
    total = 0.0
    for labels, value in APPLIED.findall(text):
        if 'origin="ro"' in labels and 'service="membership"' in labels:
            total += float(value)
    return int(total)


ORGANIZATIONS: Replicas = next(r for r in REPLICAS if r.aggregate == "organization")


def outbox_entries(owner: NodeIdentity, count: int) -> list[Document]:
    """The outbox entries of ``count`` registered organisations, as the node writes them."""
    outbox = Outbox(owner, membership.CATALOGUE)
    entries = []
    for envelope in organisation_changes(owner, count):
        event = membership.CATALOGUE.decode(envelope)
        entries.append(outbox.document(Recorded(1, event, event)))
    return entries


def shared_messages(entries: list[Document]) -> list[Document]:
    """The alliance-channel message of each entry (the one the hub and fr receive)."""
    return [
        message
        for entry in entries
        for message in entry["messages"]
        if message["subject"].startswith(f"{Channel.ALLIANCE.value}.")
    ]


async def store_floor(mongodb_url: str, messages: list[Document]) -> float:
    """Seconds to bulk-insert the replicas of ``messages`` alone, one transaction per batch.

    The documents are exactly what the membership projection writes (``ReplicaChange``
    fields, verified and decoded here beforehand, outside the clock), into a scratch
    database with the same indexes the kit creates for organisation replicas.
    """
    documents = [
        {"_id": change.key, **change.fields()}
        for change in (
            ORGANIZATIONS.change(Envelope.model_validate_json(m["body"])) for m in messages
        )
    ]
    batch = NodeSettings().consumer_batch
    client: AsyncMongoClient[Document] = AsyncMongoClient(mongodb_url, tz_aware=True)
    scratch = ServiceDatabase(client, f"bench_floor_{os.getpid()}")
    try:
        await scratch.prepare(ORGANIZATIONS.collection)
        collection = scratch.collection(ORGANIZATIONS.collection)
        await collection.create_index("origin")
        for key in ORGANIZATIONS.indexes:
            await collection.create_index(f"keys.{key}")
        started = time.perf_counter()
        for start in range(0, len(documents), batch):
            async with scratch.session() as session:
                await collection.insert_many(
                    documents[start : start + batch], ordered=False, session=session
                )
                await session.commit_transaction()
        seconds = time.perf_counter() - started
        assert await collection.count_documents({}) == len(documents)
        return seconds
    finally:
        with contextlib.suppress(Exception):
            await client.drop_database(scratch.name)
        await client.close()


# -- the federation leg ----------------------------------------------------------------


async def federation_leg(
    work: Path, count: int, limit: float, rss: dict[str, float | None], trace: bool
) -> dict[str, Any]:
    hub_dir, ro_dir = work / "hub", work / "ro"
    leaf_port = free_port()
    proxy = TcpProxy(leaf_port).start()
    hub = AllianceProcess(
        "hub",
        hub_dir,
        free_port(),
        ["hub", "--leaf-port", str(leaf_port), "--advertise", f"127.0.0.1:{proxy.port}"],
    )
    processes: list[AllianceProcess] = [hub]
    try:
        say("starting the hub…")
        await hub.start()
        for node, name, country in (("ro", "CLUSTERO", "RO"), ("fr", "France Clusters", "FR")):
            data_dir = work / node
            cli(
                "init",
                "--node",
                node,
                "--name",
                name,
                "--country",
                country,
                "--data-dir",
                str(data_dir),
            )
            direct = [] if node == "ro" else ["--hub-url", f"nats-leaf://127.0.0.1:{leaf_port}"]
            cli(
                "admit",
                str(data_dir / "join-request.json"),
                "--data-dir",
                str(hub_dir),
                "--out",
                str(work / f"{node}-credentials.json"),
                *direct,
            )
        token = cli("token", "create", "--role", "editor", "--data-dir", str(ro_dir)).strip()
        ro_node, fr_node = (
            AllianceProcess(
                node, work / node, free_port(), ["up", "--hub-credentials", str(credentials)]
            )
            for node, credentials in (
                ("ro", work / "ro-credentials.json"),
                ("fr", work / "fr-credentials.json"),
            )
        )
        processes += [ro_node, fr_node]
        say("starting nodes ro and fr…")
        await asyncio.gather(ro_node.start(), fr_node.start())

        ro = load_identity(ro_dir)
        say(f"sealing {count} organisation changes of ro…")
        documents = await asyncio.to_thread(outbox_entries, ro, count)

        hub_info = hub.run_info
        password = (hub_dir / "hub-nats-password").read_text().strip()
        hub_nats = await nats.connect(
            hub_info["nats_url"], user="hub", password=password, max_reconnect_attempts=-1
        )
        ro_nats = await nats.connect(nats_client_url(ro_node.data_dir), max_reconnect_attempts=-1)
        fr_nats = await nats.connect(nats_client_url(fr_node.data_dir), max_reconnect_attempts=-1)
        ro_mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
            ro_node.run_info["mongodb_url"], tz_aware=True
        )
        fr_mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
            fr_node.run_info["mongodb_url"], tz_aware=True
        )
        http = httpx.AsyncClient(timeout=10)
        try:

            async def both_connected() -> bool:
                with contextlib.suppress(httpx.HTTPError, ValueError):
                    nodes = (await http.get(f"{hub.url}/api/hub/nodes")).json()
                    sync = {n["node"]: n.get("sync") or {} for n in nodes}
                    return all(sync.get(n, {}).get("connected") for n in ("ro", "fr"))
                return False

            await until("hub sees ro and fr connected", both_connected, 120, 0.3)
            probe = await http.post(
                f"{ro_node.url}/api/membership/organizations",
                headers={"Authorization": f"Bearer {token}"},
                json={"legal_name": "Sonda Federației SRL", "country": "RO"},
            )
            probe.raise_for_status()

            async def probe_arrived() -> bool:
                with contextlib.suppress(httpx.HTTPError, ValueError):
                    replicas = (await http.get(f"{fr_node.url}/api/membership/replicas")).json()
                    return int(replicas.get("ro", 0)) >= 1
                return False

            ready = await until("fr has ro's probe write", probe_arrived, 120, 0.2)
            say(f"federation ready (probe reached fr in {ready:.2f}s); cutting ro's link")

            node_stream = subjects.node_stream("ro")
            ro_subjects = subjects.node_subjects("ro")
            node_before = await stream_count(ro_nats, node_stream, ro_subjects)
            hub_before = await stream_count(hub_nats, subjects.ALLIANCE_STREAM, ro_subjects)
            fr_before = await applied_from_ro(http, fr_node.url)

            proxy.cut()
            cut_at = time.perf_counter()
            outbox = ro_mongo[database_name("ro", "membership")]["outbox"]

            async def fill_progress() -> str:
                in_outbox = await outbox.count_documents({})
                in_stream = await stream_count(ro_nats, node_stream, ro_subjects) - node_before
                return f"outbox={in_outbox} NODE_RO={in_stream}"

            async def node_stream_full() -> bool:
                return await stream_count(ro_nats, node_stream, ro_subjects) >= node_before + count

            fill_started = time.perf_counter()
            async with tracing(trace, "fill", fill_progress):
                for start in range(0, len(documents), INSERT_BATCH):
                    await outbox.insert_many(documents[start : start + INSERT_BATCH])
                outbox_seconds = time.perf_counter() - fill_started
                await until("NODE_RO holds every change", node_stream_full, limit, 0.05)
            fill_seconds = time.perf_counter() - fill_started
            leaked = await stream_count(hub_nats, subjects.ALLIANCE_STREAM, ro_subjects)
            assert leaked == hub_before, f"{leaked - hub_before} events crossed the cut link"
            say(f"NODE_RO has all {count} after {fill_seconds:.2f}s; restoring the link")

            async def hub_full() -> bool:
                got = await stream_count(hub_nats, subjects.ALLIANCE_STREAM, ro_subjects)
                return got >= hub_before + count

            async def fr_full() -> bool:
                with contextlib.suppress(httpx.HTTPError):
                    return await applied_from_ro(http, fr_node.url) >= fr_before + count
                return False

            async def catchup_progress() -> str:
                at_hub = await stream_count(hub_nats, subjects.ALLIANCE_STREAM, ro_subjects)
                in_feed = await stream_count(fr_nats, subjects.feed_stream("fr"), ro_subjects)
                applied = await applied_from_ro(http, fr_node.url)
                sources = await source_state(hub_nats, subjects.ALLIANCE_STREAM)
                return (
                    f"hub={at_hub - hub_before} FEED_FR={in_feed - hub_before} "
                    f"fr_applied={applied - fr_before} | hub sources: {sources}"
                )

            cut_seconds = time.perf_counter() - cut_at
            proxy.restore()
            async with tracing(trace, "catch-up", catchup_progress):
                hub_seconds, fr_seconds = await asyncio.gather(
                    until("hub ALLIANCE holds all of ro's changes", hub_full, limit, 0.05),
                    until("fr applied all of ro's changes", fr_full, limit, 0.1),
                )
            say(f"hub caught up in {hub_seconds:.2f}s, fr applied all in {fr_seconds:.2f}s")

            replicas = fr_mongo[database_name("fr", "membership")][ORGANIZATIONS.collection]
            applied_ids = {
                doc["event_id"] async for doc in replicas.find({"origin": "ro"}, {"event_id": 1})
            }
            hub_total = await stream_count(hub_nats, subjects.ALLIANCE_STREAM, ro_subjects)
            left = await outbox.count_documents({})
            wanted = {doc["messages"][1]["id"] for doc in documents}
            assert wanted <= applied_ids, f"fr lacks {len(wanted - applied_ids)} of {count}"
            assert len(applied_ids) == count + 1, f"fr holds {len(applied_ids)} replicas of ro"
            assert hub_total == hub_before + count, f"hub holds {hub_total - hub_before} of {count}"
            assert left == 0, f"{left} changes still in ro's outbox"

            for proc in processes:
                assert proc.process is not None
                rss[f"{proc.name}_mb"] = peak_rss_mb(proc.process.pid)
                kinds = ["nats", "store"]
                for kind, pid in zip(kinds, proc.children, strict=False):
                    rss[f"{proc.name}_{kind}_mb"] = peak_rss_mb(pid)
        finally:
            await http.aclose()
            await ro_mongo.close()
            await fr_mongo.close()
            await hub_nats.close()
            await ro_nats.close()
            await fr_nats.close()
        floor = await store_floor(fr_node.run_info["mongodb_url"], shared_messages(documents))
    finally:
        for proc in reversed(processes):
            proc.stop()
        proxy.close()
    return {
        "store_floor_seconds": floor,
        "envelopes": [(m["subject"], m["body"], m["id"]) for m in shared_messages(documents)],
        "cut_seconds": cut_seconds,
        "outbox_insert_seconds": outbox_seconds,
        "fill_seconds": fill_seconds,
        "hub_seconds": hub_seconds,
        "fr_seconds": fr_seconds,
        "probe_seconds": ready,
        "reconnects_through_proxy": proxy.accepted,
    }


# -- the raw JetStream leg -------------------------------------------------------------


async def raw_leg(
    work: Path,
    bodies: list[tuple[str, bytes, str]],
    cut_seconds: float,
    limit: float,
    rss: dict[str, float | None],
    trace: bool,
) -> dict[str, float]:
    """Raw sourcing of the same bodies: NODE_RO → ALLIANCE (hub) → FEED_FR, after a cut."""
    leaf_port = free_port()
    proxy = TcpProxy(leaf_port).start()
    hub = NatsServer(
        work / "raw-hub",
        "hub",
        subjects.HUB_DOMAIN,
        free_port(),
        extra_config=HUB_PING
        + f'leafnodes {{\n  listen: "127.0.0.1:{leaf_port}"\n'
        + f'  advertise: "127.0.0.1:{proxy.port}"\n}}\n',
    )

    def leaf(port: int) -> str:
        url = hub.credentials.authorize(f"nats-leaf://127.0.0.1:{port}")
        return (
            HUB_PING + f'leafnodes {{\n  reconnect: "1s"\n  remotes: [ {{ url: "{url}" }} ]\n}}\n'
        )

    ro = NatsServer(work / "raw-ro", "ro", "ro", free_port(), extra_config=leaf(proxy.port))
    fr = NatsServer(work / "raw-fr", "fr", "fr", free_port(), extra_config=leaf(leaf_port))
    servers = [hub, ro, fr]
    clients: list[NatsClient] = []
    try:
        for server in servers:
            server.start()
        hub_c, ro_c, fr_c = [await nats.connect(s.url) for s in servers]
        clients += [hub_c, ro_c, fr_c]
        ro_js = ro_c.jetstream(publish_async_max_pending=4000)
        node_stream = subjects.node_stream("ro")
        feed_stream = subjects.feed_stream("fr")
        ro_subjects = subjects.node_subjects("ro")
        await ro_js.add_stream(
            StreamConfig(
                name=node_stream,
                subjects=[ro_subjects],
                storage=StorageType.FILE,
                duplicate_window=7200,
            )
        )
        await hub_c.jetstream().add_stream(
            StreamConfig(
                name=subjects.ALLIANCE_STREAM,
                subjects=[],
                storage=StorageType.FILE,
                duplicate_window=7200,
                sources=[
                    StreamSource(
                        name=node_stream,
                        filter_subject=ro_subjects,
                        external=ExternalStream(api="$JS.ro.API", deliver="deliver.ro"),
                    )
                ],
            )
        )
        await fr_c.jetstream().add_stream(
            StreamConfig(
                name=feed_stream,
                subjects=[],
                storage=StorageType.FILE,
                duplicate_window=7200,
                sources=[
                    StreamSource(
                        name=subjects.ALLIANCE_STREAM,
                        filter_subject=ro_subjects,
                        external=ExternalStream(api="$JS.hub.API", deliver="deliver.hub.fr"),
                    )
                ],
            )
        )
        probe_subject, probe_body, _ = bodies[0]
        await ro_js.publish(probe_subject, probe_body, headers={"Nats-Msg-Id": "raw-probe"})

        async def probe_arrived() -> bool:
            return await stream_count(fr_c, feed_stream, ro_subjects) >= 1

        await until("raw probe reaches FEED_FR", probe_arrived, 120, 0.1)
        say("raw servers ready; cutting the raw ro link")

        proxy.cut()
        cut_at = time.perf_counter()
        publish_started = time.perf_counter()
        for start in range(0, len(bodies), RAW_WINDOW):
            acks = [
                await ro_js.publish_async(subject, body, headers={"Nats-Msg-Id": msg_id})
                for subject, body, msg_id in bodies[start : start + RAW_WINDOW]
            ]
            await asyncio.gather(*acks)
        publish_seconds = time.perf_counter() - publish_started
        count = len(bodies)
        assert await stream_count(ro_c, node_stream, ro_subjects) == count + 1
        assert await stream_count(hub_c, subjects.ALLIANCE_STREAM, ro_subjects) == 1
        # keep the link cut as long as the federation's was: source retries back off
        await asyncio.sleep(max(0.0, cut_seconds - (time.perf_counter() - cut_at)))

        async def hub_full() -> bool:
            return await stream_count(hub_c, subjects.ALLIANCE_STREAM, ro_subjects) >= count + 1

        async def fr_full() -> bool:
            return await stream_count(fr_c, feed_stream, ro_subjects) >= count + 1

        raw_cut = time.perf_counter() - cut_at
        say(f"restoring the raw link after {raw_cut:.2f}s")

        async def progress() -> str:
            at_hub = await stream_count(hub_c, subjects.ALLIANCE_STREAM, ro_subjects)
            in_feed = await stream_count(fr_c, feed_stream, ro_subjects)
            sources = await source_state(hub_c, subjects.ALLIANCE_STREAM)
            return f"hub={at_hub - 1} FEED_FR={in_feed - 1} | hub sources: {sources}"

        proxy.restore()
        async with tracing(trace, "raw catch-up", progress):
            hub_seconds, fr_seconds = await asyncio.gather(
                until("raw ALLIANCE holds all", hub_full, limit, 0.05),
                until("raw FEED_FR holds all", fr_full, limit, 0.05),
            )
        say(f"raw: hub had all in {hub_seconds:.2f}s, fr's feed in {fr_seconds:.2f}s")
        for server in servers:
            assert server.child and server.child.process
            rss[f"raw_{server.server_name}_nats_mb"] = peak_rss_mb(server.child.process.pid)
    finally:
        for client in clients:
            with contextlib.suppress(Exception):
                await client.close()
        for server in reversed(servers):
            server.stop()
        proxy.close()
    return {
        "hub_seconds": hub_seconds,
        "two_hop_seconds": fr_seconds,
        "publish_seconds": publish_seconds,
        "cut_seconds": raw_cut,
    }


async def main(count: int, limit: float, keep: bool, trace: bool) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="bench-catchup-"))
    rss: dict[str, float | None] = {}
    try:
        fed = await federation_leg(work, count, limit, rss, trace)
        raw = await raw_leg(work, fed.pop("envelopes"), fed["cut_seconds"], limit, rss, trace)
    finally:
        if keep:
            say(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    rss["bench_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return {
        "bench": "federation_catchup",
        "events": count,
        "seconds_to_fill_node_stream": round(fed["fill_seconds"], 3),
        "seconds_outbox_insert": round(fed["outbox_insert_seconds"], 3),
        "seconds_link_cut": round(fed["cut_seconds"], 3),
        "seconds_hub_caught_up": round(fed["hub_seconds"], 3),
        "seconds_second_node_applied": round(fed["fr_seconds"], 3),
        "raw_sourcing_seconds": {
            "hub_hop": round(raw["hub_seconds"], 3),
            "two_hops": round(raw["two_hop_seconds"], 3),
        },
        "raw_publish_seconds": round(raw["publish_seconds"], 3),
        "store_floor_seconds": round(fed["store_floor_seconds"], 3),
        "limit": "bus" if raw["two_hop_seconds"] >= fed["store_floor_seconds"] else "store",
        "ratio_to_limit": round(
            fed["fr_seconds"] / max(raw["two_hop_seconds"], fed["store_floor_seconds"]), 3
        ),
        "target_ratio_to_limit": 2,
        "ratio": round(fed["fr_seconds"] / raw["two_hop_seconds"], 3),
        "ratio_hub_only": round(fed["hub_seconds"] / raw["hub_seconds"], 3),
        "ro_leaf_connections_via_proxy": fed["reconnects_through_proxy"],
        "peak_rss_mb": rss,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--timeout", type=float, default=900, help="seconds per wait")
    parser.add_argument("--keep", action="store_true", help="keep the work dir (logs, data)")
    parser.add_argument("--trace", action="store_true", help="progress every second (stderr)")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.events, args.timeout, args.keep, args.trace))))

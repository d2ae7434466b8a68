"""Organisation writes over HTTP into a real node, against raw PyMongo transactions.

Prints one JSON line. The node runs in its own process (``alliance up``, which starts its
own nats-server and nx-27017), as an operator starts it; this process drives it:

- http: C concurrent clients (httpx, one event loop) send N requests: N/2
  POST /api/membership/organizations, then one PUT of each created organisation with a
  changed body. Every request's latency is recorded; POST and PUT are also reported apart.
  The client's own CPU is measured, to show it is not the limit.
- exactly once: when the node's outbox relay has gone quiet, every message of the node's
  NODE_<ID> stream is read; each (aggregateid, aggregateversion) of the organisations
  written must be there exactly once: every POST gave version 1, every PUT version 2.
- raw: the same transaction through PyMongo's AsyncMongoClient on the node's own
  nx-27017, in a scratch database with the membership service's collections and indexes:
  replace_one upsert of the organisation document (the node's stored one) and insert of
  one outbox entry (the node's own two envelopes: local and alliance), then commit; N of
  them (N/2 inserts, then N/2 replacements) from C tasks taking turns on one lock, as
  nx-27017 needs (docs/store.md), and, for reference, from a single task without a lock.

ratio = HTTP requests/s ÷ raw transactions/s (target ≥ 0.5); p99_over_p50 of all HTTP
latencies (target ≤ 3). CPU per request of each process is reported for the HTTP leg.
Usage:
    python bench/http_writes.py [--requests 2000] [--clients 20]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import nats
from nats.js.errors import NotFoundError
from pymongo import AsyncMongoClient
from stdnum.ro import cui

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from services.membership.store import COLLECTIONS, MIGRATIONS
from shared import subjects
from shared.runtime import nats_client_url, port_is_free, read_run_info
from shared.store import ServiceDatabase, database_name

ALLIANCE = str(Path(sys.executable).with_name("alliance"))
SPARE_PORTS = (20_000, 32_000)  # below the ephemeral range the node's own servers use
HEALTHY_TIMEOUT_SECONDS = 90.0
QUIET_SECONDS = 2.0  # the stream is drained when its count stops growing this long
DRAIN_TIMEOUT_SECONDS = 180.0
ORGANIZATIONS_PATH = "/api/membership/organizations"
SECTORS = ["62.10", "26.11", "28.41", "29.10", "20.59", "71.12", "62.20", "25.62"]
CITIES = ["Cluj-Napoca", "Bucharest", "Timisoara", "Iasi", "Brasov", "Craiova"]
TARGET_RATIO = 0.5
TARGET_P99_OVER_P50 = 3
Document = dict[str, Any]
Message = tuple[str, bytes]  # a stream message's subject and data


# -- request bodies ----------------------------------------------------------------------


def valid_vat(number: int) -> str:
    """A distinct Romanian VAT number (CUI) with its check digit, as the node validates it."""
    body = str(10**8 + number % (9 * 10**8))  # nine digits, no leading zero
    return f"RO{body}{cui.calc_check_digit(body)}"


def organisation_body(index: int, revision: int) -> Document:
    """A realistic OrganizationDraft; revision 2 changes what the company offers and needs."""
    offers = (
        "We offer 5-axis CNC machining of aluminium and titanium parts in small series"
        if revision == 1
        else "We offer robotics integration: cobot cells, vision picking and line retrofits"
    )
    technologies = ["cnc machining", "composite materials", "robotics integration"]
    return {
        "legal_name": f"Mecatronica {index:05d} Industrial Solutions SRL",
        "vat": valid_vat(index),
        "country": "RO",
        "city": CITIES[index % len(CITIES)],
        "website": f"https://www.mecatronica-{index:05d}.example.ro",
        "nace_codes": [SECTORS[index % len(SECTORS)], SECTORS[(index + 3) % len(SECTORS)]],
        "technologies": technologies if revision == 1 else [*technologies, "digital twin"],
        "offers": offers,
        "needs": "We are looking for partners in additive manufacturing and aerospace "
        f"certification (revision {revision}).",
        "cooperation_types": ["technical_cooperation", "subcontracting"],
        "countries_of_interest": ["FR", "ES", "DE"],
        "languages": ["ro", "en"],
        "size_class": "small",
        "clusters": ["Cluj IT Cluster", "Mechatronics Transilvania"],
        "visibility": "alliance",
        "contacts": [
            {
                "name": f"Ioana Popescu {index}",
                "email": f"ioana.popescu@mecatronica-{index:05d}.example.ro",
                "role": "Business development",
                "consent": True,
            }
        ],
    }


# -- the node as a process ---------------------------------------------------------------


def spare_port() -> int:
    """A free port below the ephemeral range, so the node's own servers never take it."""
    for _ in range(200):
        port = random.randrange(*SPARE_PORTS)
        if port_is_free("127.0.0.1", port):
            return port
    raise RuntimeError("no free port")


def run_cli(*args: str) -> str:
    """One ``alliance`` command; its stdout, or an error with its stderr."""
    done = subprocess.run(
        [ALLIANCE, *args], capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL
    )
    if done.returncode != 0:
        raise RuntimeError(f"alliance {args[0]} failed: {done.stderr.strip()}")
    return done.stdout


@dataclass
class Node:
    """``alliance up`` in its own process, on a fresh data dir with an editor token."""

    data_dir: Path
    port: int = field(default_factory=spare_port)
    process: subprocess.Popen[bytes] | None = None
    token: str = ""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def node_id(self) -> str:
        return str(json.loads((self.data_dir / "node.json").read_text())["node"])

    @property
    def run_info(self) -> dict[str, Any]:
        return read_run_info(self.data_dir)

    @property
    def nats_url(self) -> str:
        """The node's NATS, with the credentials its run file names."""
        return nats_client_url(self.data_dir)

    def start(self) -> None:
        d = str(self.data_dir)
        run_cli("init", "--data-dir", d, "--node", "bench-ro", "--name", "Bench", "--country", "RO")
        self.token = run_cli("token", "create", "--role", "editor", "--data-dir", d).strip()
        env = {k: v for k, v in os.environ.items() if k not in ("NATS_URL", "MONGODB_URL")}
        with open(self.data_dir.parent / "node.log", "ab") as log:
            self.process = subprocess.Popen(
                [ALLIANCE, "up", "--data-dir", d, "--port", str(self.port)],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
            )
        self._wait_healthy()

    def _wait_healthy(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + HEALTHY_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"alliance up exited; see {self.data_dir.parent / 'node.log'}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            time.sleep(0.2)
        raise RuntimeError(f"node not healthy within {HEALTHY_TIMEOUT_SECONDS:.0f}s")

    def pids(self) -> dict[str, int]:
        """The node process and its embedded servers, by role."""
        assert self.process is not None
        found = {"node": self.process.pid}
        for pid in self.run_info.get("children", []):
            with contextlib.suppress(OSError):
                command = Path(f"/proc/{pid}/cmdline").read_bytes()
                found["store" if b"store_socket" in command else "nats"] = int(pid)
        return found

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def cpu_seconds(pids: dict[str, int]) -> dict[str, float]:
    """User + system CPU each process has used so far (/proc/<pid>/stat)."""
    ticks = os.sysconf("SC_CLK_TCK")
    used = {"client": time.process_time()}
    for role, pid in pids.items():
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            used[role] = (int(fields[11]) + int(fields[12])) / ticks
    return used


# -- HTTP leg ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    body: Document
    index: int  # which organisation: its VAT, names and website derive from it


@dataclass(frozen=True)
class Outcome:
    call: Call
    status: int
    seconds: float
    answer: Document


async def send(client: httpx.AsyncClient, call: Call) -> Outcome:
    started = time.perf_counter()
    try:
        response = await client.request(call.method, call.path, json=call.body)
    except httpx.HTTPError as exc:
        return Outcome(call, 0, time.perf_counter() - started, {"error": repr(exc)})
    seconds = time.perf_counter() - started
    try:
        answer = response.json()
    except ValueError:
        answer = {"text": response.text[:500]}
    return Outcome(call, response.status_code, seconds, answer)


async def drive(clients: list[httpx.AsyncClient], calls: list[Call]) -> tuple[list[Outcome], float]:
    """Send every call from the concurrent clients; (outcomes, wall seconds)."""
    pending: Iterator[Call] = iter(calls)
    outcomes: list[Outcome] = []

    async def one_client(client: httpx.AsyncClient) -> None:
        for call in pending:  # shared: each call is taken by exactly one client
            outcomes.append(await send(client, call))

    started = time.perf_counter()
    await asyncio.gather(*(one_client(client) for client in clients))
    return outcomes, time.perf_counter() - started


def latency_figures(outcomes: list[Outcome], seconds: float) -> Document:
    latencies = sorted(o.seconds * 1000 for o in outcomes)
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return {
        "requests": len(outcomes),
        "failed": sum(1 for o in outcomes if o.status not in (200, 201)),
        "requests_per_s": round(len(outcomes) / seconds, 1),
        "p50_ms": round(cuts[49], 2),
        "p99_ms": round(cuts[98], 2),
        "max_ms": round(latencies[-1], 2),
    }


def first_failure(outcomes: list[Outcome]) -> Document | None:
    for o in outcomes:
        if o.status not in (200, 201):
            return {"status": o.status, "method": o.call.method, "answer": o.answer}
    return None


# -- exactly once ------------------------------------------------------------------------


async def wait_drained(nats_url: str, stream: str) -> int:
    """Messages in ``stream`` once its count has not grown for QUIET_SECONDS."""
    client = await nats.connect(nats_url)
    try:
        js = client.jetstream()
        deadline = time.monotonic() + DRAIN_TIMEOUT_SECONDS
        count, since = -1, time.monotonic()
        while time.monotonic() < deadline:
            now = (await js.stream_info(stream)).state.messages
            if now != count:
                count, since = now, time.monotonic()
            elif time.monotonic() - since >= QUIET_SECONDS:
                return count
            await asyncio.sleep(0.2)
        raise RuntimeError(f"{stream} still growing after {DRAIN_TIMEOUT_SECONDS:.0f}s")
    finally:
        await client.close()


async def read_stream(nats_url: str, stream: str) -> list[Message]:
    """(subject, data) of every message in ``stream``, in sequence order."""
    client = await nats.connect(nats_url)
    try:
        js = client.jetstream()
        state = (await js.stream_info(stream)).state
        if not state.messages:
            return []

        async def one(seq: int) -> Message | None:
            try:
                message = await js.get_msg(stream, seq)
            except NotFoundError:  # a deleted sequence
                return None
            return message.subject or "", message.data or b""

        found: list[Message] = []
        seqs = range(state.first_seq, state.last_seq + 1)
        for start in range(0, len(seqs), 200):
            got = await asyncio.gather(*(one(seq) for seq in seqs[start : start + 200]))
            found += [message for message in got if message is not None]
        return found
    finally:
        await client.close()


def expected_events(outcomes: list[Outcome]) -> Counter[tuple[str, int]]:
    """What every successful request must have produced: POST → v1, PUT → v2."""
    versions = {"POST": 1, "PUT": 2}
    return Counter(
        (str(o.answer["id"]), versions[o.call.method]) for o in outcomes if o.status in (200, 201)
    )


def envelope_of(data: bytes) -> Document:
    """The message's top-level JSON attributes ({} when it is not a JSON object)."""
    try:
        envelope = json.loads(data)
    except ValueError:
        return {}
    return envelope if isinstance(envelope, dict) else {}


def check_exactly_once(expected: Counter[tuple[str, int]], messages: list[Message]) -> Document:
    """Count the stream's events of our organisations by envelope attributes, not subjects."""
    ours = {aggregate for aggregate, _ in expected}
    found: Counter[tuple[str, int]] = Counter()
    for _, data in messages:
        envelope = envelope_of(data)
        if envelope.get("aggregateid") in ours:
            found[(envelope["aggregateid"], int(envelope["aggregateversion"]))] += 1
    missing = sum(1 for pair in expected if found[pair] == 0)
    duplicated = sum(1 for pair in expected if found[pair] > 1)
    unexpected = sum(count for pair, count in found.items() if pair not in expected)
    return {
        "exactly_once": bool(expected) and missing == duplicated == unexpected == 0,
        "counts": {
            "stream_messages": len(messages),
            "expected_events": len(expected),
            "found_events": sum(found.values()),
            "version_1": sum(c for (_, v), c in found.items() if v == 1),
            "version_2": sum(c for (_, v), c in found.items() if v == 2),
            "missing": missing,
            "duplicated": duplicated,
            "unexpected": unexpected,
        },
    }


def sample_message(messages: list[Message], org_id: str) -> Message:
    """One of our organisation's version-1 events as published, for the raw leg."""
    for subject, data in messages:
        envelope = envelope_of(data)
        if envelope.get("aggregateid") == org_id and envelope.get("aggregateversion") == 1:
            return subject, data
    raise RuntimeError(f"no event of {org_id} in the stream")


# -- raw leg -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RawWork:
    """What one raw transaction writes: the node's own document and outbox entry, re-keyed.

    The node's outbox entry holds both views of a change (its full event for the node's
    own services, and the alliance's view), so the raw entry holds both bodies too.
    """

    organisation: Document
    messages: list[tuple[str, bytes]]

    def document(self, index: int, revision: int) -> Document:
        changed = {
            "offers": f"{self.organisation.get('offers', '')} r{revision}",
            "duplicate_key": f"vat:RAW{index:09d}",  # unique among live organisations
        }
        return {**self.organisation, **changed, "_id": f"raw-{index}", "version": revision}

    def outbox_entry(self, index: int, revision: int, run: str) -> Document:
        entry_id = f"raw-{run}-{revision}-{index:06d}"
        return {
            "_id": entry_id,
            "messages": [
                {"subject": subject, "id": f"{entry_id}-{n}", "body": body}
                for n, (subject, body) in enumerate(self.messages)
            ],
            "created": datetime.now(UTC),
        }


async def raw_transactions(
    mongodb_url: str, work: RawWork, count: int, tasks: int, take_turns: bool
) -> float:
    """Seconds for ``count`` replace_one + outbox insert transactions in a scratch database.

    The scratch database gets the membership service's collections and indexes, made by
    its own migrations, so the raw transaction maintains the same indexes.
    """
    client: AsyncMongoClient[Document] = AsyncMongoClient(mongodb_url, tz_aware=True)
    run = f"{'turns' if take_turns else 'single'}{tasks}_{os.getpid()}"
    scratch = ServiceDatabase(client, f"bench_raw_{run}")
    db = scratch.db
    try:
        await scratch.prepare(*COLLECTIONS)  # nx-27017: collections exist before use
        await scratch.migrate("membership", MIGRATIONS)
        lock = asyncio.Lock()

        async def transaction(index: int, revision: int) -> None:
            async with client.start_session() as session:
                await session.start_transaction()
                await db.organizations.replace_one(
                    {"_id": f"raw-{index}"},
                    work.document(index, revision),
                    upsert=True,
                    session=session,
                )
                await db.outbox.insert_one(work.outbox_entry(index, revision, run), session=session)
                await session.commit_transaction()

        async def worker(pending: Iterator[tuple[int, int]]) -> None:
            for index, revision in pending:
                if take_turns:
                    async with lock:
                        await transaction(index, revision)
                else:
                    await transaction(index, revision)

        half = count // 2
        started = time.perf_counter()
        for revision in (1, 2):  # inserts first, then replacements, like POST then PUT
            pending = iter([(index, revision) for index in range(half)])
            await asyncio.gather(*(worker(pending) for _ in range(tasks)))
        return time.perf_counter() - started
    finally:
        with contextlib.suppress(Exception):
            await client.drop_database(db.name)
        await client.close()


# -- the whole run -----------------------------------------------------------------------


async def http_leg(node: Node, count: int, clients: int) -> Document:
    """POST count/2 organisations, then PUT each one; figures and outcomes."""
    posts = [
        Call("POST", ORGANIZATIONS_PATH, organisation_body(i, 1), i) for i in range(count // 2)
    ]
    headers = {"Authorization": f"Bearer {node.token}"}
    async with contextlib.AsyncExitStack() as stack:
        # built before the clock starts: each AsyncClient loads CA certificates (≈20 ms)
        pool = [
            await stack.enter_async_context(
                httpx.AsyncClient(base_url=node.url, headers=headers, timeout=120)
            )
            for _ in range(clients)
        ]
        pids = node.pids()
        cpu_before = cpu_seconds(pids)
        post_outcomes, post_seconds = await drive(pool, posts)
        created = sorted((o for o in post_outcomes if o.status == 201), key=lambda o: o.call.index)
        puts = [
            Call(
                "PUT",
                f"{ORGANIZATIONS_PATH}/{o.answer['id']}",
                organisation_body(o.call.index, 2),
                o.call.index,
            )
            for o in created
        ]
        put_outcomes, put_seconds = await drive(pool, puts)
        cpu_after = cpu_seconds(pids)
    outcomes = post_outcomes + put_outcomes
    seconds = post_seconds + put_seconds
    return {
        "outcomes": outcomes,
        "all": latency_figures(outcomes, seconds),
        "post": latency_figures(post_outcomes, post_seconds),
        "put": latency_figures(put_outcomes, put_seconds),
        "seconds": seconds,
        "cpu": {
            role: cpu_after[role] - cpu_before[role] for role in cpu_after if role in cpu_before
        },
        "first_failure": first_failure(outcomes),
        "some_id": str(created[0].answer["id"]) if created else "",
    }


async def stored_organisation(mongodb_url: str, node_id: str, org_id: str) -> Document:
    client: AsyncMongoClient[Document] = AsyncMongoClient(mongodb_url, tz_aware=True)
    try:
        doc = await client[database_name(node_id, "membership")].organizations.find_one(
            {"_id": org_id}
        )
    finally:
        await client.close()
    if doc is None:
        raise RuntimeError(f"organisation {org_id} is not in the node's store")
    return doc


@dataclass(frozen=True)
class RawFigures:
    transactions: int
    seconds: float  # C tasks taking turns
    single_seconds: float  # one task, no lock
    store_cpu: float  # nx-27017 CPU seconds during the C-task run

    @property
    def per_s(self) -> float:
        return self.transactions / self.seconds


async def raw_leg(node: Node, work: RawWork, count: int, clients: int) -> RawFigures:
    url, store_pid = str(node.run_info["mongodb_url"]), {"store": node.pids()["store"]}
    before = cpu_seconds(store_pid)["store"]
    seconds = await raw_transactions(url, work, count, clients, take_turns=True)
    store_cpu = cpu_seconds(store_pid)["store"] - before
    single = await raw_transactions(url, work, count, 1, take_turns=False)
    return RawFigures(2 * (count // 2), seconds, single, store_cpu)


async def measure(node: Node, count: int, clients: int) -> Document:
    info = node.run_info
    nats_url, mongodb_url = node.nats_url, str(info["mongodb_url"])
    http = await http_leg(node, count, clients)
    if not http["some_id"]:
        raise RuntimeError(f"no organisation was created: {http['first_failure']}")
    stream = subjects.node_stream(node.node_id)
    await wait_drained(nats_url, stream)
    messages = await read_stream(nats_url, stream)
    once = check_exactly_once(expected_events(http["outcomes"]), messages)
    local = await read_stream(nats_url, subjects.local_stream(node.node_id))
    bodies = [sample_message(found, http["some_id"]) for found in (local, messages)]
    stored = await stored_organisation(mongodb_url, node.node_id, http["some_id"])
    work = RawWork(stored, bodies)
    raw = await raw_leg(node, work, count, clients)
    return report(http, once, raw, clients, work)


def report(
    http: Document, once: Document, raw: RawFigures, clients: int, work: RawWork
) -> Document:
    figures = http["all"]
    requests = figures["requests"]
    client_cpu = http["cpu"]["client"]
    return {
        "bench": "http_writes",
        "requests": requests,
        "clients": clients,
        "http_requests_per_s": figures["requests_per_s"],
        "p50_ms": figures["p50_ms"],
        "p99_ms": figures["p99_ms"],
        "post": http["post"],
        "put": http["put"],
        "failed": figures["failed"],
        "first_failure": http["first_failure"],
        "raw_transactions_per_s": round(raw.per_s, 1),
        "raw_single_task_no_lock_per_s": round(raw.transactions / raw.single_seconds, 1),
        "ratio": round(figures["requests_per_s"] / raw.per_s, 3),
        "target_ratio": TARGET_RATIO,
        "p99_over_p50": round(figures["p99_ms"] / figures["p50_ms"], 2),
        "target_p99_over_p50": TARGET_P99_OVER_P50,
        "exactly_once": once["exactly_once"],
        "exactly_once_counts": once["counts"],
        "cpu_ms_per_request": {
            role: round(1000 * used / requests, 3) for role, used in http["cpu"].items()
        },
        "raw_store_cpu_ms_per_transaction": round(1000 * raw.store_cpu / raw.transactions, 3),
        "client_cpu_share_of_one_core": round(client_cpu / http["seconds"], 3),
        "client_max_requests_per_s": round(requests / client_cpu) if client_cpu else None,
        "sizes_bytes": {
            "organisation_json": len(json.dumps(work.organisation, default=str)),
            "outbox_entry": sum(len(body) for _, body in work.messages),
        },
    }


def main(count: int, clients: int) -> Document:
    work = Path(tempfile.mkdtemp(prefix="bench-http-"))
    node = Node(work / "node")
    try:
        node.start()
        return asyncio.run(measure(node, count, clients))
    finally:
        node.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=20)
    args = parser.parse_args()
    print(json.dumps(main(args.requests, args.clients)))

"""A whole federation as real processes: one `alliance hub` and N `alliance up` nodes.

Tests drive it synchronously: start, write organisations over HTTP (in threads), kill and
restart processes, cut a node's leaf link through a :class:`TcpProxy`, and wait, with a
deadline, until every node applied every other node's events exactly once. Everything a
``Federation`` starts is killed by ``close()``, whatever the test did.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import nats
from nats.errors import Error as NatsError
from nats.js.errors import NotFoundError
from prometheus_client.parser import text_string_to_metric_families
from pymongo import MongoClient
from pymongo.errors import PyMongoError

from alliance.hub import admit_node
from shared import subjects
from shared.auth import Role, TokenStore
from shared.identity import create_identity, write_join_request
from shared.runtime import nats_client_url, process_runs_in, read_run_info
from shared.store import database_name
from tests.support import ALLIANCE, NodeProcess, pid_alive, run_cli, spare_port, wait_until_gone
from tests.tcp_proxy import TcpProxy

COUNTRIES = {"ro": "RO", "fr": "FR", "es": "ES", "de": "DE", "it": "IT", "pl": "PL"}
T = TypeVar("T")
TRANSIENT = (httpx.HTTPError, OSError, PyMongoError, NatsError)


def poll(
    check: Callable[[], T | None],
    timeout: float,
    what: str,
    interval: float = 0.25,
    explain: Callable[[], str] | None = None,
) -> T:
    """Call ``check`` until it returns something other than None/False, or fail."""
    deadline = time.monotonic() + timeout
    failure: Exception | None = None
    while True:
        try:
            result = check()
            if result is not None and result is not False:
                return result
        except TRANSIENT as exc:  # a process restarting, a link coming back
            failure = exc
        if time.monotonic() > deadline:
            detail = f": {explain()}" if explain else ""
            if failure is not None:
                detail += f" (last error: {failure!r})"
            raise AssertionError(f"{what} not reached within {timeout:.0f}s{detail}")
        time.sleep(interval)


def metric_value(text: str, name: str, **labels: str) -> float | None:
    """One sample of a Prometheus exposition, or None when absent."""
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return float(sample.value)
    return None


# -- reading streams ------------------------------------------------------------------------


@dataclass(frozen=True)
class StreamEvent:
    seq: int
    subject: str
    msg_id: str | None
    body: dict[str, Any]

    @property
    def id(self) -> str:
        return str(self.body.get("id", ""))

    @property
    def origin(self) -> str:
        return str(self.body.get("origin", ""))

    @property
    def version(self) -> int:
        return int(self.body.get("aggregateversion", 0))


async def _read_stream(url: str, stream: str) -> list[StreamEvent]:
    client = await nats.connect(url, connect_timeout=2, max_reconnect_attempts=0)
    try:
        js = client.jetstream()
        info = await js.stream_info(stream)
        if not info.state.messages:
            return []

        async def one(seq: int) -> StreamEvent | None:
            try:
                message = await js.get_msg(stream, seq)
            except NotFoundError:  # a deleted sequence
                return None
            try:
                body = json.loads(message.data or b"")
            except ValueError:
                body = {"_raw": (message.data or b"").decode(errors="replace")}
            headers = message.headers or {}
            return StreamEvent(seq, message.subject or "", headers.get("Nats-Msg-Id"), body)

        events: list[StreamEvent] = []
        seqs = range(info.state.first_seq, info.state.last_seq + 1)
        for start in range(0, len(seqs), 200):
            got = await asyncio.gather(*(one(seq) for seq in seqs[start : start + 200]))
            events += [event for event in got if event is not None]
        return events
    finally:
        await client.close()


def read_stream(url: str, stream: str) -> list[StreamEvent]:
    """Every message of a stream, in sequence order (synchronous)."""
    return asyncio.run(_read_stream(url, stream))


# -- the hub --------------------------------------------------------------------------------


class HubProcess:
    """`alliance hub` in its own process; its nats-server child is tracked for teardown."""

    def __init__(
        self, data_dir: Path, advertise: str | None = None, host: str = "127.0.0.1"
    ) -> None:
        self.data_dir = data_dir
        self.port = spare_port()
        self.leaf_port = spare_port()
        self.advertise = advertise
        self.host = host  # --host: where HTTP and the leaf listener face the nodes
        self.options: list[str] = []  # more `alliance hub` options, e.g. --nats-host
        self.process: subprocess.Popen[str] | None = None
        self.pids: set[int] = set()  # every child pid any run of this hub reported

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def run_info(self) -> dict[str, Any]:
        return read_run_info(self.data_dir)

    @property
    def password(self) -> str:
        return (self.data_dir / "hub-nats-password").read_text().strip()

    @property
    def nats_url(self) -> str:
        """The hub's client URL with its own user (the port changes on every start)."""
        url = str(self.run_info["nats_url"])
        return url.replace("nats://", f"nats://hub:{self.password}@")

    @property
    def leaf_url(self) -> str:
        return f"nats-leaf://127.0.0.1:{self.leaf_port}"

    def start(self, timeout: float = 60) -> HubProcess:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.data_dir.parent / "hub.log", "a")  # noqa: SIM115
        argv = [ALLIANCE, "hub", "--data-dir", str(self.data_dir), "--port", str(self.port)]
        argv += ["--leaf-port", str(self.leaf_port), "--host", self.host, *self.options]
        if self.advertise:
            argv += ["--advertise", self.advertise]
        self.process = subprocess.Popen(
            argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"alliance hub exited: see {log.name}"
            healthy = False
            with contextlib.suppress(httpx.HTTPError):
                healthy = httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200
            with contextlib.suppress(OSError, ValueError, KeyError):
                info = self.run_info  # written before the hub serves HTTP
                if info.get("pid") == self.process.pid:
                    self.pids.update(int(pid) for pid in info["children"])
            if healthy:
                return self
            time.sleep(0.2)
        raise AssertionError(f"hub on port {self.port} not healthy in {timeout}s")

    def kill(self) -> None:
        """SIGKILL the hub and its nats-server at once, as a crashed machine would."""
        assert self.process is not None
        children = [pid for pid in self.pids if process_runs_in(pid, self.data_dir)]
        self.process.kill()
        for pid in children:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        self.process.wait(10)
        assert wait_until_gone(children), "the hub's nats-server outlived SIGKILL"

    def cleanup(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        for pid in self.pids:
            if process_runs_in(pid, self.data_dir):
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)

    def nodes(self) -> list[dict[str, Any]]:
        return list(httpx.get(f"{self.url}/api/hub/nodes", timeout=5).json())

    def sync_of(self, node: str) -> dict[str, Any] | None:
        for entry in self.nodes():
            if entry["node"] == node and entry.get("active"):
                return entry.get("sync")
        return None


# -- the nodes ------------------------------------------------------------------------------


@dataclass
class Member:
    """One node of the federation, with what the test wrote on it."""

    node: str
    data_dir: Path
    port: int
    token: str
    process: NodeProcess | None = None
    created: list[str] = field(default_factory=list)  # ids of organisations answered 201
    failures: list[str] = field(default_factory=list)  # writes that did not answer 201
    lock: threading.Lock = field(default_factory=threading.Lock)
    pids: set[int] = field(default_factory=set)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def run_info(self) -> dict[str, Any]:
        return read_run_info(self.data_dir)

    @property
    def nats_url(self) -> str:
        """The node's NATS, with the credentials kept in its data dir."""
        return nats_client_url(self.data_dir)

    @property
    def mongodb_url(self) -> str:
        return str(self.run_info["mongodb_url"])

    @property
    def database(self) -> str:
        return database_name(self.node, "membership")

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    @property
    def stream(self) -> str:
        return subjects.node_stream(self.node)


class Federation:
    """A hub and nodes on loopback; optionally one node's leaf link through a proxy."""

    def __init__(self, root: Path, nodes: Iterable[str] = ("ro", "fr", "es"), proxied: str = ""):
        self.root = root
        self.names = list(nodes)
        self.proxied = proxied
        self.proxy: TcpProxy | None = None
        self.hub: HubProcess | None = None
        self.members: dict[str, Member] = {}
        self.removed: set[str] = set()
        self._processes: list[NodeProcess] = []
        self._writers: list[tuple[threading.Event, Future[None]]] = []
        self._pool = ThreadPoolExecutor(16, thread_name_prefix="federation")

    # -- lifecycle --------------------------------------------------------------------------
    def start(self) -> Federation:
        self.hub = HubProcess(self.root / "hub")
        if self.proxied:
            # The hub advertises the proxy, so a cut link cannot reconnect around it.
            self.proxy = TcpProxy(target_port=self.hub.leaf_port).start()
            self.hub.advertise = self.proxy.address
        self.hub.start()
        for name in self.names:
            self.members[name] = self._admit(name)
        list(self._pool.map(self.start_node, self.names))
        self.wait_linked()
        return self

    def _admit(self, name: str) -> Member:
        """What `alliance init`, `alliance token create` and `alliance admit` do, in-process
        (the same functions the CLI calls; a CLI run costs a second of imports each)."""
        assert self.hub is not None
        data_dir = self.root / name
        identity = create_identity(data_dir, name, f"Net {name}", COUNTRIES.get(name, "BE"))
        port = spare_port()
        request = write_join_request(data_dir, identity, f"http://127.0.0.1:{port}")
        token = TokenStore(data_dir).create(Role.EDITOR)
        admit_node(self.hub.data_dir, request, None).save(self.root / f"{name}-credentials.json")
        return Member(name, data_dir, port, token)

    def start_node(self, name: str) -> Member:
        """First start with the admission's options; later starts as an operator restarts."""
        assert self.hub is not None
        member = self.members[name]
        options: list[str] = []
        if member.process is None:
            options += ["--hub-credentials", str(self.root / f"{name}-credentials.json")]
            if self.proxy is not None and name == self.proxied:
                options += ["--hub-url", f"nats-leaf://{self.proxy.address}"]
            else:
                options += ["--hub-url", self.hub.leaf_url]
        process = NodeProcess(member.data_dir, member.port, track=self._processes, options=options)
        member.process = process
        process.start()
        with contextlib.suppress(OSError, ValueError, KeyError):
            member.pids.update(process.children())
        return member

    def kill_node(self, name: str) -> None:
        member = self.members[name]
        assert member.process is not None
        children = member.process.children()
        member.process.kill()
        assert wait_until_gone(children), f"{name}'s servers outlived its SIGKILL"

    def restart_hub(self) -> None:
        assert self.hub is not None
        self.hub.start()

    def close(self) -> None:
        """Teardown: writers stopped, then every process this federation started killed."""
        for stop, _ in self._writers:
            stop.set()
        for process in self._processes:
            with contextlib.suppress(Exception):
                process.cleanup()
        for member in self.members.values():
            for pid in member.pids:
                if process_runs_in(pid, member.data_dir):
                    with contextlib.suppress(OSError):
                        os.kill(pid, signal.SIGKILL)
        if self.hub is not None:
            self.hub.cleanup()
        if self.proxy is not None:
            self.proxy.close()
        self._pool.shutdown(wait=True, cancel_futures=True)
        leftovers = [p for m in self.members.values() for p in m.pids if pid_alive(p)]
        if self.hub is not None:
            leftovers += [p for p in self.hub.pids if pid_alive(p)]
        wait_until_gone(leftovers, timeout=10)

    @property
    def active(self) -> list[Member]:
        return [m for name, m in self.members.items() if name not in self.removed]

    def remove(self, name: str) -> None:
        assert self.hub is not None
        removed = run_cli("remove", "--data-dir", str(self.hub.data_dir), name)
        assert removed.returncode == 0, removed.stderr
        self.removed.add(name)

    # -- writing ----------------------------------------------------------------------------
    def create_org(
        self,
        name: str,
        prefix: str = "Org",
        client: httpx.Client | None = None,
        **fields: Any,
    ) -> httpx.Response:
        """One organisation registered on a node; 201s are recorded as created."""
        member = self.members[name]
        body: dict[str, Any] = {
            "legal_name": f"{prefix} {name} {uuid.uuid4().hex[:10]}",
            "country": COUNTRIES.get(name, "BE"),
            "nace_codes": ["62.10"],
            "visibility": "alliance",
            **fields,
        }
        url = f"{member.url}/api/membership/organizations"
        answer = (client or httpx).post(url, json=body, headers=member.headers, timeout=30)
        with member.lock:
            if answer.status_code == 201 and body["visibility"] != "node":
                member.created.append(str(answer.json()["id"]))
            elif answer.status_code != 201:
                member.failures.append(f"{answer.status_code} {answer.text[:200]}")
        return answer

    def create_orgs(self, name: str, count: int, prefix: str = "Org", threads: int = 4) -> None:
        """``count`` organisations on one node, ``threads`` requests at a time."""

        def some(share: int) -> None:
            with httpx.Client() as client:
                for _ in range(share):
                    self.create_org(name, prefix, client)

        shares = [count // threads + (1 if i < count % threads else 0) for i in range(threads)]
        list(self._pool.map(some, [s for s in shares if s]))

    def write_everywhere(
        self, count: int, names: Iterable[str] | None = None, prefix: str = "Org"
    ) -> None:
        """``count`` organisations on each node, all nodes at once."""
        futures = [
            self._pool.submit(self.create_orgs, name, count, prefix)
            for name in (names or [m.node for m in self.active])
        ]
        for future in futures:
            future.result()

    def in_background(self, function: Callable[..., T], *args: Any) -> Future[T]:
        return self._pool.submit(function, *args)

    def start_writer(self, name: str, pause: float = 0.02, limit: int = 10_000) -> threading.Event:
        """Write on a node until the returned event is set (``stop_writers`` waits)."""
        stop = threading.Event()

        def run() -> None:
            with httpx.Client() as client:
                for _ in range(limit):
                    if stop.is_set():
                        return
                    try:
                        self.create_org(name, "Steady", client)
                    except httpx.HTTPError as exc:
                        with self.members[name].lock:
                            self.members[name].failures.append(repr(exc))
                    time.sleep(pause)

        self._writers.append((stop, self._pool.submit(run)))
        return stop

    def stop_writers(self) -> None:
        for stop, _ in self._writers:
            stop.set()
        for _, future in self._writers:
            future.result(60)
        self._writers.clear()

    def written(self, name: str) -> int:
        with self.members[name].lock:
            return len(self.members[name].created)

    # -- reading ----------------------------------------------------------------------------
    def stream_events(self, name: str) -> list[StreamEvent]:
        """The node's own outbound stream NODE_<ID>, read on its own server."""
        member = self.members[name]
        return read_stream(member.nats_url, member.stream)

    def alliance_events(self) -> list[StreamEvent]:
        assert self.hub is not None
        return read_stream(self.hub.nats_url, subjects.ALLIANCE_STREAM)

    def replica_event_ids(self, name: str) -> list[str]:
        """The id of the event each organisation replica of the node was last applied from."""
        member = self.members[name]
        client: MongoClient[dict[str, Any]] = MongoClient(
            member.mongodb_url, serverSelectionTimeoutMS=3000
        )
        with client:
            found = client[member.database]["organization_replicas"].find({}, {"event_id": 1})
            return [str(doc["event_id"]) for doc in found]

    def replica_ids(self, name: str) -> dict[str, set[str]]:
        """Live (not tombstoned) organisation replicas per origin, by aggregate id."""
        member = self.members[name]
        found: dict[str, set[str]] = {}
        client: MongoClient[dict[str, Any]] = MongoClient(
            member.mongodb_url, serverSelectionTimeoutMS=3000
        )
        with client:
            collection = client[member.database]["organization_replicas"]
            for doc in collection.find({"deleted": False}, {"origin": 1, "aggregateid": 1}):
                found.setdefault(str(doc["origin"]), set()).add(str(doc["aggregateid"]))
        return found

    def replica_counts(self, name: str) -> dict[str, int]:
        member = self.members[name]
        answer = httpx.get(f"{member.url}/api/membership/replicas", timeout=5)
        answer.raise_for_status()
        return dict(answer.json())

    def metrics(self, name: str) -> str:
        return httpx.get(f"{self.members[name].url}/metrics", timeout=5).text

    # -- waiting ----------------------------------------------------------------------------
    def wait_linked(self, timeout: float = 60) -> None:
        """Every active node's leaf link is up and the hub sources it."""
        assert self.hub is not None
        hub = self.hub

        def linked() -> bool:
            nodes = {entry["node"]: entry for entry in hub.nodes() if entry.get("active")}
            for member in self.active:
                sync = (nodes.get(member.node) or {}).get("sync") or {}
                if not sync.get("connected"):
                    return False
                up = metric_value(self.metrics(member.node), "alliance_leaf_link_up", remote="hub")
                if up != 1.0:
                    return False
            return True

        poll(linked, timeout, "every leaf link up", explain=lambda: json.dumps(hub.nodes()))

    def wait_converged(
        self, expected: dict[str, list[str]] | None = None, timeout: float = 90
    ) -> Convergence:
        """Until every node applied every other node's events exactly once.

        ``expected`` maps each origin to the organisation ids written there (by default,
        what this federation's writes answered 201 for). Converged means, for every node:
        its own stream holds one event per expected organisation, each event id once; the
        hub's ALLIANCE holds each of those events once; the node's replicas were applied
        from exactly the *other* nodes' stream events, the newest of each organisation
        (none missing, none extra: a replica is applied only from a newer version, so a
        redelivered event can never be applied twice); and its replicas (store and
        ``/api/membership/replicas``) are exactly the other nodes' organisations.
        """
        want = expected or {m.node: list(m.created) for m in self.active}
        state = Convergence(self, want)
        poll(state.check, timeout, "convergence", interval=0.5, explain=state.explain)
        return state


class Convergence:
    """One evaluation of the convergence conditions, remembering what was wrong."""

    def __init__(self, federation: Federation, expected: dict[str, list[str]]) -> None:
        self.federation = federation
        self.expected = expected
        self.problems: list[str] = ["not checked yet"]
        self.events: dict[str, list[str]] = {}  # origin -> newest event id per aggregate
        self.all_events: dict[str, list[str]] = {}  # origin -> every event id in its stream

    def explain(self) -> str:
        return "; ".join(self.problems[:12])

    def check(self) -> bool:
        federation = self.federation
        problems: list[str] = []
        events: dict[str, list[str]] = {}
        for origin, ids in self.expected.items():
            stream = federation.stream_events(origin)
            counts = Counter(event.id for event in stream)
            twice = [event_id for event_id, n in counts.items() if n > 1]
            if twice:
                problems.append(f"NODE_{origin.upper()} holds {twice[:3]} more than once")
            orgs = {str(e.body.get("aggregateid")) for e in stream}
            if orgs != set(ids):
                problems.append(
                    f"{origin}'s stream: {len(set(ids) - orgs)} writes without an event, "
                    f"{len(orgs - set(ids))} events of unknown writes"
                )
            newest: dict[str, StreamEvent] = {}
            for event in stream:  # the newest event of each organisation
                key = str(event.body.get("aggregateid"))
                if key not in newest or event.version > newest[key].version:
                    newest[key] = event
            events[origin] = [event.id for event in newest.values()]
            self.all_events[origin] = list(counts)
        self.events = events
        if problems:  # the outboxes have not drained yet
            self.problems = problems
            return False
        alliance = Counter(e.id for e in federation.alliance_events() if e.origin in self.expected)
        every = {event_id for ids in self.all_events.values() for event_id in ids}
        if set(alliance) != every or max(alliance.values(), default=1) > 1:
            problems.append(
                f"ALLIANCE: {len(every - set(alliance))} missing, "
                f"{len(set(alliance) - every)} extra, "
                f"{sum(1 for n in alliance.values() if n > 1)} twice"
            )
        for member in federation.active:
            others = {o for o in self.expected if o != member.node}
            wanted = {event_id for o in others for event_id in events[o]}
            applied = federation.replica_event_ids(member.node)
            got = set(applied)
            if got != wanted or len(applied) != len(got):
                problems.append(
                    f"{member.node} replicas applied from: {len(wanted - got)} missing, "
                    f"{len(got - wanted)} extra events"
                )
            replicas = federation.replica_ids(member.node)
            for origin in others:
                if replicas.get(origin, set()) != set(self.expected[origin]):
                    problems.append(
                        f"{member.node} replicas of {origin}: "
                        f"{len(replicas.get(origin, set()))}/{len(self.expected[origin])}"
                    )
            listed = federation.replica_counts(member.node)
            wanted_counts = {o: len(self.expected[o]) for o in others if self.expected[o]}
            if listed != wanted_counts:
                problems.append(f"{member.node} /replicas {listed} != {wanted_counts}")
        self.problems = problems
        return not problems


@contextlib.contextmanager
def federation_of(root: Path, **options: Any) -> Iterator[Federation]:
    """A started federation that is torn down completely, also when starting fails."""
    federation = Federation(root, **options)
    try:
        yield federation.start()
    finally:
        federation.close()

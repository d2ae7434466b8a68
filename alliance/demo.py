"""``alliance demo``: the hub and the three founding networks on one machine, with data.

Every process is a real ``alliance hub`` / ``alliance up`` child of this one, started with
the same CLI an operator uses, each in its own sub-dir of the demo dir with its output in
``<dir>/<name>.log``. Identities, credentials and the admin tokens are kept there too, so
a second run on the same dir starts the same alliance again and adds no duplicate data.

Ctrl-C or SIGTERM stops every process the demo started (terminate, wait, kill) and exits
0; a child that fails (a port in use, a locked data dir) becomes one line and exit 2.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from alliance.hub import HUB_FILE, HubPlace, admit_node
from alliance.node import select_services
from alliance.process import Stopped, data_dir_lock, say, stop_on_signal
from services.hub.store import RegistryFile
from shared.auth import Role, TokenStore
from shared.files import write_private
from shared.identity import (
    JOIN_REQUEST_FILE,
    create_identity,
    has_identity,
    load_identity,
    write_join_request,
)
from shared.runtime import (
    RuntimeFailure,
    die_with_parent,
    ensure_writable,
    free_port,
    port_is_free,
)
from shared.service import SampleData

HOST = "127.0.0.1"
HUB = "hub"
# the founding networks the demo runs: node id, name, country
NETWORKS = (
    ("ro-clustero", "Romanian Cluster Association CLUSTERO", "RO"),
    ("fr-franceclusters", "France Clusters", "FR"),
    ("es-fenaeic", "FENAEIC", "ES"),
)
LEAF_PORT_OFFSET = 100
START_TIMEOUT_SECONDS = 90.0
# above nats-py's 30 s drain timeout, which a node's shutdown can run into
STOP_TIMEOUT_SECONDS = 40.0
POLL_SECONDS = 0.25
WAITING_NOTE_SECONDS = 15.0
TOKEN_LABEL = "alliance demo"
PAGE = 500
# settings a child would otherwise take from our environment instead of its own data dir
FOREIGN_ENV = (
    "NATS_URL",
    "MONGODB_URL",
    "HUB_URL",
    "ALLIANCE_NATS_URL",
    "ALLIANCE_MONGODB_URL",
    "ALLIANCE_HUB_URL",
    "ALLIANCE_HUB_CREDENTIALS",
    "ALLIANCE_HOST",
    "ALLIANCE_PORT",
    "ALLIANCE_DATA_DIR",
)


def alliance_command() -> list[str]:
    """The ``alliance`` CLI next to this interpreter (the venv's), else the one on PATH."""
    sibling = Path(sys.executable).with_name("alliance")
    if sibling.exists():
        return [str(sibling)]
    on_path = shutil.which("alliance")
    if on_path:
        return [on_path]
    return [sys.executable, "-c", "from alliance.cli import main; main()"]


@dataclass
class Child:
    """One ``alliance`` process the demo started; its output goes to ``log_file``."""

    name: str
    url: str
    argv: list[str]
    log_file: Path
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if k not in FOREIGN_ENV}
        with open(self.log_file, "ab") as log:
            log.write(f"--- {time.strftime('%Y-%m-%d %H:%M:%S')} {' '.join(self.argv)}\n".encode())
            log.flush()
            # its own session: Ctrl-C reaches the demo only, which then stops the children
            self.process = subprocess.Popen(
                self.argv,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                start_new_session=True,
                preexec_fn=die_with_parent(signal.SIGTERM) if sys.platform == "linux" else None,
            )

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def failure(self) -> RuntimeFailure:
        """Why the child is gone, in one line: its exit code and its last words."""
        code = self.process.returncode if self.process else None
        last = _last_line(self.log_file)
        said = f": {last}" if last else ""
        return RuntimeFailure(f"{self.name} exited with code {code}{said} (see {self.log_file})")

    def check(self) -> None:
        if self.process is not None and self.process.poll() is not None:
            raise self.failure()


def _last_line(log_file: Path) -> str:
    try:
        lines = log_file.read_text(errors="replace").splitlines()
    except OSError:
        return ""
    lines = [line.strip() for line in lines if line.strip() and not line.startswith("--- ")]
    return lines[-1][:300] if lines else ""


def stop_children(
    children: list[Child], timeout: float = STOP_TIMEOUT_SECONDS, force: Callable[[], bool] = bool
) -> None:
    """Terminate all at once, wait for them (until ``timeout`` or ``force()``), kill the rest.

    A node's own clean stop ends its nats-server and store; killing it makes them exit too
    (they die with their parent), and a node is built to survive a SIGKILL.
    """
    alive = [c for c in children if c.running()]
    if not alive:
        return
    say(f"stopping {', '.join(c.name for c in alive)}… (Ctrl-C again kills them at once)")
    for child in alive:
        assert child.process is not None
        with contextlib.suppress(OSError):
            child.process.terminate()
    deadline = time.monotonic() + timeout
    while any(c.running() for c in alive) and time.monotonic() < deadline and not force():
        time.sleep(0.1)
    for child in alive:
        if child.running():
            assert child.process is not None
            say(f"{child.name} did not stop in time; killing it")
            child.process.kill()
            child.process.wait()


class Api:
    """A node's HTTP API with the demo's admin token."""

    def __init__(self, url: str, token: str) -> None:
        self.client = httpx.Client(
            base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30
        )

    def close(self) -> None:
        self.client.close()

    def call(self, method: str, path: str, body: Any = None) -> Any:
        try:
            answer = self.client.request(method, path, json=body)
        except httpx.HTTPError as exc:
            raise RuntimeFailure(f"{method} {self.client.base_url}{path} failed: {exc}") from exc
        if answer.status_code >= 400:
            detail = " ".join(answer.text.split())[:200]
            raise RuntimeFailure(
                f"{method} {self.client.base_url}{path} answered {answer.status_code}: {detail}"
            )
        return answer.json()

    def every(self, path: str) -> list[dict[str, Any]]:
        """All items of a paged list."""
        items: list[dict[str, Any]] = []
        after: str | None = None
        while True:
            params = ("&" if "?" in path else "?") + f"limit={PAGE}"
            params += f"&after={after}" if after else ""
            page = self.call("GET", path + params)
            items.extend(page["items"])
            after = page.get("next")
            if not after:
                return items


@dataclass
class DemoNode:
    node: str
    name: str
    country: str
    data_dir: Path
    port: int
    token: str = ""

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"


class Demo:
    """The processes of one demo run and what it knows about them."""

    def __init__(self, data_dir: Path, base_port: int) -> None:
        self.data_dir = data_dir.resolve()
        self.hub_dir = self.data_dir / HUB
        self.hub_port = base_port
        self.nodes = [
            DemoNode(node, name, country, self.data_dir / node, base_port + 1 + index)
            for index, (node, name, country) in enumerate(NETWORKS)
        ]
        self.samples: dict[str, SampleData] = {
            declaration.name: declaration.sample
            for declaration in select_services(None)
            if declaration.sample is not None
        }
        self.children: list[Child] = []
        self.started = time.monotonic()

    # -- the steps ----------------------------------------------------------------------
    def run(self) -> None:
        ensure_writable(self.data_dir)
        with data_dir_lock(self.data_dir):
            leaf_port = self.choose_ports()
            for node in self.nodes:
                self.init_node(node)
            hub = self.start_hub(leaf_port)
            self.admit_nodes()
            leaf_url = f"nats-leaf://{HOST}:{leaf_port}"
            self.start_nodes(leaf_url)
            expected = self.seed_all()
            self.print_urls(hub, leaf_url)
            self.wait_for_replicas(expected)
            self.with_partners()
            counts = "; ".join(f"{node} {_counts(shared)}" for node, shared in expected.items())
            print(
                f"ready in {self.elapsed()}: every node holds the other two networks' "
                f"shared records ({counts}); Ctrl-C stops the demo",
                flush=True,
            )
            self.watch()

    def elapsed(self) -> str:
        return f"{time.monotonic() - self.started:.1f}s"

    def choose_ports(self) -> int:
        """Every HTTP port must be free; the leaf port is the last one used, else PORT+100,
        else any free one (nodes are told where it is on every start)."""
        for port in [self.hub_port, *(node.port for node in self.nodes)]:
            if not 0 < port < 65536:
                raise RuntimeFailure(f"port {port} is out of range; choose a lower --base-port")
            if not port_is_free(HOST, port):
                raise RuntimeFailure(f"port {port} on {HOST} is already in use")
        candidates = [self.hub_port + LEAF_PORT_OFFSET]
        with contextlib.suppress(OSError, ValueError):
            previous = HubPlace.model_validate_json((self.hub_dir / HUB_FILE).read_text())
            candidates.insert(0, previous.leaf_port)
        taken = {self.hub_port, *(node.port for node in self.nodes)}
        for port in candidates:
            if port < 65536 and port not in taken and port_is_free(HOST, port):
                return port
        return free_port(HOST)

    def init_node(self, node: DemoNode) -> None:
        if has_identity(node.data_dir):
            identity = load_identity(node.data_dir)
            if identity.node != node.node:
                raise RuntimeFailure(
                    f"{node.data_dir} holds node {identity.node!r}, not {node.node!r}"
                )
            say(f"[{self.elapsed()}] reusing {node.node}'s identity in {node.data_dir}")
        else:
            identity = create_identity(node.data_dir, node.node, node.name, node.country)
            write_join_request(node.data_dir, identity)
            say(
                f"[{self.elapsed()}] initialised {node.node} "
                f"({node.name}, {node.country}) in {node.data_dir}"
            )
        node.token = self.admin_token(node)

    def admin_token(self, node: DemoNode) -> str:
        """The demo's admin token, kept beside the node's dir (0600) and reused."""
        kept = self.data_dir / f"{node.node}.token"
        tokens = TokenStore(node.data_dir)
        with contextlib.suppress(OSError):
            token = kept.read_text().strip()
            if token and tokens.role_of(token) is Role.ADMIN:
                return token
        token = tokens.create(Role.ADMIN, TOKEN_LABEL)
        write_private(kept, token + "\n")
        return token

    def start_hub(self, leaf_port: int) -> Child:
        url = f"http://{HOST}:{self.hub_port}"
        argv = [
            *alliance_command(),
            "hub",
            "--data-dir",
            str(self.hub_dir),
            "--port",
            str(self.hub_port),
            "--leaf-port",
            str(leaf_port),
            "--host",
            HOST,
        ]
        say(f"[{self.elapsed()}] starting the hub on {url} (leaf port {leaf_port})…")
        hub = self.spawn(HUB, url, argv)
        self.wait_healthy([hub])
        say(f"[{self.elapsed()}] hub ready")
        return hub

    def admit_nodes(self) -> None:
        registry = RegistryFile(self.hub_dir).load()
        for node in self.nodes:
            credentials = self.credentials_file(node)
            entry = registry.find(node.node)
            if entry is not None and credentials.exists():
                if not entry.active:
                    raise RuntimeFailure(
                        f"{node.node} was removed from the hub in {self.hub_dir}; "
                        f"start the demo on a new --data-dir"
                    )
                say(f"[{self.elapsed()}] {node.node} is already admitted")
                continue
            if entry is not None:
                raise RuntimeFailure(
                    f"{node.node} is admitted but {credentials} is missing; "
                    f"start the demo on a new --data-dir"
                )
            admit_node(
                self.hub_dir, node.data_dir / JOIN_REQUEST_FILE, None, site_url=f"{node.url}/"
            ).save(credentials)
            say(f"[{self.elapsed()}] admitted {node.node} at the hub")

    def credentials_file(self, node: DemoNode) -> Path:
        return self.data_dir / f"{node.node}.credentials.json"

    def start_nodes(self, leaf_url: str) -> None:
        started = []
        for node in self.nodes:
            argv = [
                *alliance_command(),
                "up",
                "--data-dir",
                str(node.data_dir),
                "--port",
                str(node.port),
                "--hub-credentials",
                str(self.credentials_file(node)),
                "--hub-url",
                leaf_url,
            ]
            say(f"[{self.elapsed()}] starting {node.node} on {node.url}…")
            started.append(self.spawn(node.node, node.url, argv))
        self.wait_healthy(started)
        say(f"[{self.elapsed()}] nodes ready: {', '.join(n.node for n in self.nodes)}")

    def seed_all(self) -> dict[str, dict[str, int]]:
        """Fill every node (in parallel); per node and service, how many records leave it."""
        pool = ThreadPoolExecutor(len(self.nodes), thread_name_prefix="seed")
        try:
            futures = {node.node: pool.submit(self.seed, node) for node in self.nodes}
            return {name: future.result() for name, future in futures.items()}
        finally:
            pool.shutdown(wait=False, cancel_futures=True)

    def seed(self, node: DemoNode) -> dict[str, int]:
        """Each service seeds its own sample data; what a node already holds is kept."""
        api = Api(node.url, node.token)
        try:
            shared = {name: sample.seed(api, node.node) for name, sample in self.samples.items()}
            say(f"[{self.elapsed()}] seeded {node.node}: {_counts(shared)} shared")
            return shared
        finally:
            api.close()

    def print_urls(self, hub: Child, leaf_url: str) -> None:
        """Where people go: the alliance portal, each network's public site and console.
        The console's sign-in token is named by its file, never put in a URL."""
        width = max(len(n.node) for n in self.nodes)
        lines = [
            f"{HUB:<{width}}  portal  {hub.url}/  (status {hub.url}/status; "
            f"nodes join at {leaf_url})"
        ]
        for node in self.nodes:
            token = self.data_dir / f"{node.node}.token"
            lines.append(f"{node.node:<{width}}  site    {node.url}/")
            lines.append(
                f"{'':<{width}}  console {node.url}/console  (sign in with the admin token "
                f"in {token})"
            )
        print("\n".join(lines), flush=True)

    def wait_for_replicas(self, expected: dict[str, dict[str, int]]) -> None:
        """Until every node holds, for every service, every other node's shared records."""
        say(f"[{self.elapsed()}] waiting for every node to hold the others' replicas…")
        note_at = time.monotonic() + WAITING_NOTE_SECONDS
        apis = {node.node: Api(node.url, node.token) for node in self.nodes}
        try:
            while True:
                missing = self.missing_replicas(apis, expected)
                if not missing:
                    break
                if time.monotonic() > note_at:
                    say(f"[{self.elapsed()}] still replicating: {'; '.join(missing)}")
                    note_at = time.monotonic() + WAITING_NOTE_SECONDS
                time.sleep(POLL_SECONDS)
        finally:
            for api in apis.values():
                api.close()

    def with_partners(self) -> None:
        """Each service's step on its partners' records (e.g. registrations for their
        events), node after node, once every node holds them."""
        for node in self.nodes:
            api = Api(node.url, node.token)
            try:
                for sample in self.samples.values():
                    if sample.with_partners is None:
                        continue
                    try:
                        done = sample.with_partners(api, node.node)
                    except RuntimeFailure as exc:  # the demo goes on without that step
                        done = f"skipped: {exc}"
                    say(f"[{self.elapsed()}] {node.node}: {done}")
            finally:
                api.close()

    def missing_replicas(
        self, apis: dict[str, Api], expected: dict[str, dict[str, int]]
    ) -> list[str]:
        missing = []
        for name, api in apis.items():
            for child in self.children:
                child.check()
            for service, sample in self.samples.items():
                try:
                    held = sample.held(api)
                except RuntimeFailure:
                    held = {}
                for origin, shared in expected.items():
                    want = shared.get(service, 0)
                    if origin != name and held.get(origin, 0) < want:
                        missing.append(
                            f"{name} has {held.get(origin, 0)}/{want} {service} of {origin}"
                        )
        return missing

    def watch(self) -> None:
        """Serve until a signal arrives; a child that dies ends the demo with its reason."""
        while True:
            for child in self.children:
                child.check()
            time.sleep(0.5)

    # -- helpers ------------------------------------------------------------------------
    def spawn(self, name: str, url: str, argv: list[str]) -> Child:
        child = Child(name, url, argv, self.data_dir / f"{name}.log")
        self.children.append(child)
        child.start()
        return child

    def wait_healthy(self, children: list[Child]) -> None:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        waiting = list(children)
        with httpx.Client(timeout=2) as client:
            while waiting:
                for child in list(waiting):
                    child.check()
                    with contextlib.suppress(httpx.HTTPError):
                        if client.get(f"{child.url}/healthz").status_code == 200:
                            waiting.remove(child)
                if waiting and time.monotonic() > deadline:
                    names = ", ".join(child.name for child in waiting)
                    raise RuntimeFailure(
                        f"{names} not healthy within {START_TIMEOUT_SECONDS:.0f}s; "
                        f"see the logs in {self.data_dir}"
                    )
                if waiting:
                    time.sleep(POLL_SECONDS)

    def stop(self, force: Callable[[], bool] = bool) -> None:
        stop_children(list(reversed(self.children)), force=force)


def _counts(shared: dict[str, int]) -> str:
    return ", ".join(f"{count} {service}" for service, count in shared.items()) or "nothing"


@contextlib.contextmanager
def signals_stop(handler: Callable[[int, Any], None]) -> Iterator[None]:
    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def run_demo(data_dir: Path, base_port: int) -> None:
    """Run the demo until Ctrl-C or SIGTERM; stop every process it started."""
    demo = Demo(data_dir, base_port)
    forced: list[int] = []

    def force(signum: int, frame: object) -> None:
        forced.append(signum)

    with signals_stop(stop_on_signal):
        try:
            demo.run()
        except Stopped:
            pass
        finally:
            # from here a signal cannot cut the clean-up short; a second one hurries it
            signal.signal(signal.SIGINT, force)
            signal.signal(signal.SIGTERM, force)
            demo.stop(force=lambda: bool(forced))
    say("stopped")

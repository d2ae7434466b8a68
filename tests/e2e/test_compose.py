"""docker-compose.yml starts: each service's command run as a process, as compose runs it.

There is no Docker engine here (``docker`` is only a client), so ``tests/compose.py``
reads docker-compose.yml, with ``.env.example`` as the operator's ``.env`` (its empty
passwords set), and each service's command runs as a process with compose's environment:
the ``nats`` service's real nats-server with deploy/nats/node.conf, the ``init`` script
with /bin/sh, ``alliance service membership``. Each named volume is a temp dir; the
container hostnames ``nats`` and ``mongo`` become 127.0.0.1, and container ports free
loopback ports.

MongoDB cannot run here: MONGODB_URL (its user, password and replica set are checked as
written) is mapped to an nx-27017 store the test starts (``StoreServer``, on its Unix
socket). The MongoDB-specific parts (authentication, the keyFile, the users, the
healthcheck that initiates the replica set) are checked by reading the file only; the
keyFile step is a shell script and also runs.
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import signal
import stat
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import nats
import pytest
from nats.errors import Error as NatsError
from pymongo import MongoClient

from shared import subjects
from shared.runtime import StoreServer, find_nats_server, wait_for_port, without_credentials
from shared.service import installed_services
from shared.store import database_name
from tests.compose import (
    ENV_EXAMPLE,
    ROOT,
    Compose,
    ComposeError,
    ComposeService,
    process_env,
    read_env_file,
    run_script,
    shell_argv,
)
from tests.dashboards import every_query, scrape_targets, scraped_series, unanswered
from tests.federation import Federation, federation_of, metric_value, poll, read_stream
from tests.support import run_cli, spare_port

pytestmark = pytest.mark.e2e

PASSWORDS = ("NATS_PASSWORD", "MONGODB_ROOT_PASSWORD", "MONGODB_APP_PASSWORD")
NATS_LISTEN = 'listen: "0.0.0.0:4222"'
NATS_MONITOR = "http_port: 8222"
CONTAINER_HTTP_PORT = "8080"
# the application containers docker-compose.yml runs
SERVICES = ("membership", "events", "news", "matching")
EXACT_VERSION = re.compile(r"v?\d+\.\d+\.\d+([-.+][\w.-]+)?")


def operator_env(**more: str) -> dict[str, str]:
    """``.env.example`` as the operator's ``.env``, with the passwords it leaves to them
    (letters and digits, starting with a letter, as it says)."""
    chosen = {name: f"p{secrets.token_hex(16)}" for name in PASSWORDS}
    return read_env_file(ENV_EXAMPLE) | chosen | more


# -- reading the file ---------------------------------------------------------------------


def test_a_password_left_empty_is_named_before_anything_starts(tmp_path: Path) -> None:
    with pytest.raises(ComposeError, match="NATS_PASSWORD is missing a value: set NATS_PASSWORD"):
        Compose(read_env_file(ENV_EXAMPLE), tmp_path)


def test_every_image_is_pinned_to_an_exact_version(tmp_path: Path) -> None:
    images: dict[str, str] = {}
    for service in Compose(operator_env(), tmp_path).services():
        build = service.spec.get("build")
        if build:  # built here: what is pinned is what it is built from
            dockerfile = ROOT / build["context"] / build["dockerfile"]
            for n, image in enumerate(re.findall(r"^FROM\s+(\S+)", dockerfile.read_text(), re.M)):
                images[f"{service.name} ({dockerfile.name} FROM #{n + 1})"] = image
        else:
            images[service.name] = service.image
    assert images, "no image found"
    assert {name: image for name, image in images.items() if not pinned(image)} == {}


def pinned(image: str) -> bool:
    """``name:1.2.3`` (a suffix such as ``-alpine`` allowed), or a digest."""
    if "@sha256:" in image:
        return True
    tag = image.rsplit("/", 1)[-1].partition(":")[2]
    return bool(EXACT_VERSION.fullmatch(tag)) and "latest" not in tag


def test_mongodb_runs_with_authentication_a_keyfile_and_an_app_user(tmp_path: Path) -> None:
    env = operator_env()
    compose = Compose(env, tmp_path)
    mongo, keyfile_step = compose.service("mongo"), compose.service("mongo-keyfile")
    argv = mongo.argv
    assert argv[0] == "mongod" and option(argv, "--replSet") == "rs0"
    # mongod reads the key from the volume the one-shot step writes it to, after it ran
    assert mongo.host_path(option(argv, "--keyFile")) == keyfile_step.host_path(
        keyfile_path(keyfile_step)
    )
    assert mongo.depends_on()["mongo-keyfile"] == {"condition": "service_completed_successfully"}
    # the users: root from .env, and the services' own, made on the first start
    assert mongo.environment["MONGO_INITDB_ROOT_USERNAME"] == env["MONGODB_ROOT_USER"]
    assert mongo.environment["MONGO_INITDB_ROOT_PASSWORD"] == env["MONGODB_ROOT_PASSWORD"]
    script = mongo.host_path("/docker-entrypoint-initdb.d/create-app-user.js").read_text()
    assert "user: process.env.MONGODB_APP_USER" in script
    assert 'role: "readWriteAnyDatabase"' in script
    assert mongo.environment["MONGODB_APP_USER"] == env["MONGODB_APP_USER"]
    assert mongo.environment["MONGODB_APP_PASSWORD"] == env["MONGODB_APP_PASSWORD"]
    # the healthcheck logs in as root before it initiates the replica set
    check = " ".join(mongo.spec["healthcheck"]["test"])
    assert '--username "$MONGO_INITDB_ROOT_USERNAME"' in check
    assert '--password "$MONGO_INITDB_ROOT_PASSWORD"' in check
    assert "--authenticationDatabase admin" in check and "rs.initiate(" in check
    # the services log in as the app user, on the replica set
    url = urlsplit(compose.service("membership").environment["MONGODB_URL"])
    assert (url.username, url.password) == (env["MONGODB_APP_USER"], env["MONGODB_APP_PASSWORD"])
    assert (url.hostname, url.port) == ("mongo", 27017)
    query = parse_qs(url.query)
    assert query["replicaSet"] == ["rs0"] and query["authSource"] == ["admin"]


def test_the_keyfile_step_writes_a_key_only_mongod_can_read(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("the step chowns the key to mongod's uid 999, as root in its container")
    step = Compose(operator_env(), tmp_path).service("mongo-keyfile")
    key = step.host_path(keyfile_path(step))
    for _ in range(2):  # a second start keeps the key the replica set already uses
        ran = run_script(step, process_env(**step.environment))
        assert ran.returncode == 0, ran.stderr
        if _ == 0:
            made = key.read_text()
    info = key.stat()
    assert (stat.S_IMODE(info.st_mode), info.st_uid, info.st_gid) == (0o400, 999, 999)
    # mongod's rules: 6 to 1024 characters of the base64 set
    assert key.read_text() == made and re.fullmatch(r"[A-Za-z0-9+/=]{6,1024}", made)


def option(argv: list[str], name: str) -> str:
    return argv[argv.index(name) + 1]


def keyfile_path(step: ComposeService) -> str:
    found = re.search(r"^\s*key=(\S+)$", step.argv[2], re.M)
    assert found, "the keyfile step names no key"
    return found.group(1)


# -- running the node ---------------------------------------------------------------------


@dataclass
class Observed:
    """What the node showed in one state (standalone, then joined)."""

    init: subprocess.CompletedProcess[str]
    leaf_settings: str
    leafz: dict[str, Any]
    federation: dict[str, Any]
    metrics: str


@dataclass
class ComposeNode:
    """The node's services of docker-compose.yml, each as its own process on loopback."""

    root: Path
    store: StoreServer
    env: dict[str, str] = field(default_factory=operator_env)
    nats_port: int = field(default_factory=spare_port)
    monitor_port: int = field(default_factory=spare_port)
    http_port: int = field(default_factory=spare_port)
    events_port: int = field(default_factory=spare_port)
    news_port: int = field(default_factory=spare_port)
    matching_port: int = field(default_factory=spare_port)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    observed: dict[str, Observed] = field(default_factory=dict)

    @property
    def compose(self) -> Compose:
        return Compose(self.env, self.root / "volumes")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def events_url(self) -> str:
        return f"http://127.0.0.1:{self.events_port}"

    @property
    def news_url(self) -> str:
        return f"http://127.0.0.1:{self.news_port}"

    @property
    def matching_url(self) -> str:
        return f"http://127.0.0.1:{self.matching_port}"

    def port_of(self, name: str) -> int:
        ports = {"membership": self.http_port, "events": self.events_port}
        return {**ports, "news": self.news_port, "matching": self.matching_port}[name]

    @property
    def nats_url(self) -> str:
        """NATS_URL as the services get it, on loopback."""
        given = self.compose.service("membership").environment["NATS_URL"]
        assert urlsplit(given).hostname == "nats" and urlsplit(given).port == 4222, given
        return given.replace("@nats:4222", f"@127.0.0.1:{self.nats_port}")

    @property
    def identity_dir(self) -> Path:
        return self.compose.service("init").host_path("/identity")

    def run_init(self) -> subprocess.CompletedProcess[str]:
        init = self.compose.service("init")
        return run_script(init, process_env(**init.environment))

    def leaf_settings(self) -> str:
        return self.compose.service("init").host_path("/nats-leaf/hub.conf").read_text()

    def start_nats(self) -> None:
        """nats-server with node.conf: its ports made free loopback ones, its paths the
        volumes', its includes beside it as in the container."""
        nats_service = self.compose.service("nats")
        program, flag, config = nats_service.argv
        assert (program, flag) == ("nats-server", "--config")
        text = nats_service.host_path(config).read_text()
        for fixed, local in (
            (NATS_LISTEN, f'listen: "127.0.0.1:{self.nats_port}"'),
            (NATS_MONITOR, f'http: "127.0.0.1:{self.monitor_port}"'),
        ):
            assert fixed in text, f"node.conf no longer says {fixed}"
            text = text.replace(fixed, local)
        text = nats_service.rewrite(text)
        assert "0.0.0.0" not in text
        etc = self.root / "nats-etc"
        here = PurePosixPath(config).parent
        for target, source in nats_service.mounts().items():
            if target != config and PurePosixPath(target).is_relative_to(here):
                link = etc / PurePosixPath(target).relative_to(here)
                link.parent.mkdir(parents=True, exist_ok=True)
                if not link.is_symlink():
                    link.symlink_to(source)
        local_config = etc / PurePosixPath(config).name
        local_config.write_text(text)
        process = self._start(
            "nats",
            [find_nats_server(), "--config", str(local_config)],
            process_env(**nats_service.environment),
        )
        wait_for_port("127.0.0.1", self.nats_port, process, "nats", self._log("nats"))
        check = nats_service.spec["healthcheck"]["test"][-1].replace(
            ":8222/", f":{self.monitor_port}/"
        )
        poll(lambda: httpx.get(check, timeout=2).status_code == 200, 30, "nats healthy")

    def start_services(self) -> None:
        for name in SERVICES:
            self.start_service(name)

    def start_service(self, name: str) -> None:
        """``alliance service NAME`` as compose runs it: its entrypoint script and
        command, its environment with the servers and its port on loopback."""
        service = self.compose.service(name)
        port = self.port_of(name)
        env = service.environment
        assert env["ALLIANCE_HOST"] == "0.0.0.0" and env["ALLIANCE_PORT"] == CONTAINER_HTTP_PORT
        env |= {
            "NATS_URL": self.nats_url,
            "MONGODB_URL": self.store.url,
            "ALLIANCE_HOST": "127.0.0.1",
            "ALLIANCE_PORT": str(port),
            "ALLIANCE_DATA_DIR": str(service.host_path(env["ALLIANCE_DATA_DIR"])),
        }
        argv = shell_argv(service, {CONTAINER_HTTP_PORT: str(port)})
        process = self._start(name, argv, process_env(**env))

        def healthy() -> bool:
            assert process.poll() is None, self._log(name).read_text()[-2000:]
            return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200

        poll(healthy, 90, f"{name} healthy")

    def observe(self, init: subprocess.CompletedProcess[str]) -> Observed:
        leafz = httpx.get(f"http://127.0.0.1:{self.monitor_port}/leafz", timeout=5).json()
        return Observed(
            init,
            self.leaf_settings(),
            leafz,
            httpx.get(f"{self.url}/api/federation", timeout=5).json(),
            self.metrics(),
        )

    def metrics(self) -> str:
        return httpx.get(f"{self.url}/metrics", timeout=5).text

    def stop(self, name: str) -> None:
        process = self.processes.pop(name, None)
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def close(self) -> None:
        for name in (*SERVICES, "nats"):
            self.stop(name)

    def _log(self, name: str) -> Path:
        return self.root / f"{name}.log"

    def _start(self, name: str, argv: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        with open(self._log(name), "ab") as log:
            process = subprocess.Popen(
                argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env
            )
        self.processes[name] = process
        return process


@pytest.fixture(scope="module")
def federation(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Federation]:
    """A hub and one `alliance up` node, fr, already in the alliance."""
    with federation_of(tmp_path_factory.mktemp("alliance"), nodes=("fr",)) as running:
        yield running


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ComposeNode]:
    """The compose node started as on a first `docker compose up`: no hub credentials."""
    root = tmp_path_factory.mktemp("compose")
    store = StoreServer(root / "store")
    store.start()
    started = ComposeNode(root, store)
    try:
        init = started.run_init()
        assert init.returncode == 0, init.stderr
        started.start_nats()
        started.start_services()
        started.observed["standalone"] = started.observe(init)
        yield started
    finally:
        started.close()
        store.stop()


@pytest.fixture(scope="module")
def joined(node: ComposeNode, federation: Federation) -> ComposeNode:
    """The operator's second step: the hub admitted the node's join request, the
    credentials are named in .env, and `docker compose up -d` runs init again and
    recreates nats and the services."""
    if "joined" in node.observed:
        return node
    assert federation.hub is not None
    credentials = node.root / "ro-clustero.json"
    request = node.identity_dir / "join-request.json"
    admitted = run_cli(
        "admit", "--data-dir", str(federation.hub.data_dir), str(request), "--out", str(credentials)
    )
    assert admitted.returncode == 0, admitted.stderr
    before = {name: node.compose.service(name).environment for name in ("nats", *SERVICES)}
    node.env["ALLIANCE_HUB_CREDENTIALS"] = str(credentials)
    for name, environment in before.items():  # so compose recreates them
        assert node.compose.service(name).environment != environment, name
    for name in SERVICES:
        node.stop(name)
    node.stop("nats")
    init = node.run_init()
    assert init.returncode == 0, init.stderr
    node.start_nats()
    node.start_services()
    poll(lambda: leaf_link_up(node.metrics()) == 1.0, 60, "alliance_leaf_link_up 1")
    node.observed["joined"] = node.observe(init)
    return node


def leaf_link_up(metrics: str) -> float | None:
    return metric_value(metrics, "alliance_leaf_link_up", remote="hub")


def test_without_hub_credentials_the_node_runs_standalone(node: ComposeNode) -> None:
    seen = node.observed["standalone"]
    assert "runs standalone" in seen.init.stdout
    assert "remotes" not in seen.leaf_settings  # nats-server dials no hub
    assert seen.leafz["leafnodes"] == 0
    assert seen.federation == {"node": node.env["ALLIANCE_NODE"], "joined": False, "origins": []}
    assert leaf_link_up(seen.metrics) is None  # no link expected, none reported down
    assert metric_value(seen.metrics, "alliance_dead_letters_total") is None
    assert (node.identity_dir / "node.key").exists()
    assert not (node.identity_dir / "hub-credentials.json").exists()


def test_the_node_nats_lets_in_only_the_services_login(node: ComposeNode) -> None:
    anonymous = without_credentials(node.nats_url)

    async def connect(url: str) -> None:
        client = await nats.connect(
            url, connect_timeout=2, allow_reconnect=False, max_reconnect_attempts=0
        )
        await client.close()

    with pytest.raises(NatsError, match="Authorization Violation"):
        asyncio.run(connect(anonymous))
    asyncio.run(connect(node.nats_url))


def test_init_refuses_credentials_of_another_node(
    node: ComposeNode, federation: Federation
) -> None:
    settings = node.leaf_settings()
    other = federation.root / "fr-credentials.json"  # what `alliance admit` gave fr
    init = Compose(node.env | {"ALLIANCE_HUB_CREDENTIALS": str(other)}, node.root / "volumes")
    ran = run_script(init.service("init"), process_env(**init.service("init").environment))
    assert ran.returncode == 2
    assert ran.stderr.strip().splitlines() == [
        f"alliance: the hub credentials admit node 'fr', but this node is "
        f"{node.env['ALLIANCE_NODE']!r}"
    ]
    assert node.leaf_settings() == settings  # nothing written


def test_with_hub_credentials_it_joins_the_hub_and_replicates_both_ways(
    joined: ComposeNode, federation: Federation
) -> None:
    hub = federation.hub
    assert hub is not None
    seen = joined.observed["joined"]
    me = joined.env["ALLIANCE_NODE"]
    assert "joining the hub at" in seen.init.stdout
    assert f'"{hub.leaf_url}"' in seen.leaf_settings
    assert seen.leafz["leafnodes"] == 1
    assert seen.federation["joined"] is True and seen.federation["leaf_link_up"] is True
    assert (joined.identity_dir / "hub-credentials.json").exists()

    mine = create_organization(joined, "Compose Robotics")

    def at_the_hub() -> bool:
        events = read_stream(hub.nats_url, subjects.ALLIANCE_STREAM)
        return any(e.origin == me and e.body.get("aggregateid") == mine for e in events)

    poll(at_the_hub, 60, "the compose node's organisation in the hub's ALLIANCE")
    poll(lambda: mine in federation.replica_ids("fr").get(me, set()), 60, "it replicated to fr")

    theirs = created_on_fr(federation)
    poll(lambda: replica(joined, theirs) is not None, 60, "fr's organisation replicated here")
    assert metric_value(joined.metrics(), "alliance_dead_letters_total") is None


def test_every_series_the_dashboards_and_alerts_ask_for_is_exported(
    joined: ComposeNode, federation: Federation
) -> None:
    """Prometheus as deploy/prometheus/prometheus.yml configures it, scraping the compose
    node, after what a node meets: own and remote changes, a replayed event (skipped),
    a message that is no envelope (dead-lettered)."""
    create_organization(joined, "Dashboard Metrics")
    theirs = created_on_fr(federation)
    poll(lambda: replica(joined, theirs) is not None, 60, "fr's organisation replicated here")
    asyncio.run(replay_and_forge(federation.members["fr"].nats_url, theirs))
    metrics = joined.metrics

    def seen(name: str, **labels: str) -> bool:
        return metric_value(metrics(), name, **labels) is not None

    poll(lambda: seen("alliance_projection_skipped_total", origin="fr"), 60, "the replay skipped")
    poll(lambda: seen("alliance_dead_letters_total", reason="malformed"), 60, "a dead letter")

    events_metrics = httpx.get(f"{joined.events_url}/metrics", timeout=5).text
    news_metrics = httpx.get(f"{joined.news_url}/metrics", timeout=5).text
    matching_metrics = httpx.get(f"{joined.matching_url}/metrics", timeout=5).text
    series = scraped_series(
        scrape_targets(
            {
                f"membership:{CONTAINER_HTTP_PORT}": metrics,
                f"events:{CONTAINER_HTTP_PORT}": lambda: events_metrics,
                f"news:{CONTAINER_HTTP_PORT}": lambda: news_metrics,
                f"matching:{CONTAINER_HTTP_PORT}": lambda: matching_metrics,
            }
        )
    )
    assert [problem for query in every_query() for problem in unanswered(query, series)] == []


def create_organization(node: ComposeNode, name: str) -> str:
    """One organisation, with an editor token made as docs/operations.md says."""
    token = run_cli("token", "create", "--role", "editor", "--data-dir", str(node.identity_dir))
    assert token.returncode == 0, token.stderr
    answer = httpx.post(
        f"{node.url}/api/membership/organizations",
        json={
            "legal_name": f"{name} {uuid.uuid4().hex[:8]} SRL",
            "country": "RO",
            "nace_codes": ["62.10"],
            "visibility": "alliance",
        },
        headers={"Authorization": f"Bearer {token.stdout.strip()}"},
        timeout=30,
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def created_on_fr(federation: Federation) -> str:
    answer = federation.create_org("fr", "Partner")
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def replica(node: ComposeNode, organization: str) -> dict[str, Any] | None:
    """The node's replica of another node's organisation, read in its store."""
    client: MongoClient[dict[str, Any]] = MongoClient(node.store.url, serverSelectionTimeoutMS=3000)
    with client:
        database = client[database_name(node.env["ALLIANCE_NODE"], "membership")]
        return database["organization_replicas"].find_one({"aggregateid": organization})


async def replay_and_forge(fr_nats_url: str, organization: str) -> None:
    """On fr's own stream: its organisation's latest event again, under a new message id
    (a redelivery to every feed), and a message that is no envelope at all."""
    client = await nats.connect(fr_nats_url, connect_timeout=2)
    try:
        js = client.jetstream()
        stream = subjects.node_stream("fr")
        info = await js.stream_info(stream, subjects_filter=f"alliance.fr.*.*.{organization}")
        subject = next(iter(info.state.subjects or {}))
        latest = await js.get_last_msg(stream, subject)
        await js.publish(subject, latest.data or b"", headers={"Nats-Msg-Id": uuid.uuid4().hex})
        forged = subject.replace(organization, "forged")
        await js.publish(forged, b"not an envelope", headers={"Nats-Msg-Id": uuid.uuid4().hex})
    finally:
        await client.close()


def test_every_installed_service_has_a_container_and_a_scrape_target(tmp_path: Path) -> None:
    """docker-compose.yml runs what is installed, no more and no less."""
    compose = Compose(operator_env(), tmp_path)
    commands = {
        service.spec["command"][1]
        for service in compose.services()
        if service.spec.get("command", [None])[0] == "service"
    }
    assert commands == set(installed_services()) == set(SERVICES)
    targets = {target.address for target in scrape_targets({})}
    assert {f"{name}:{CONTAINER_HTTP_PORT}" for name in SERVICES} <= targets


def test_the_news_container_serves_the_news(node: ComposeNode) -> None:
    assert httpx.get(f"{node.news_url}/api/news/items", timeout=10).status_code == 200


def test_the_matching_container_serves_partner_search(node: ComposeNode) -> None:
    search = httpx.get(
        f"{node.matching_url}/api/matching/search", params={"need": "PCB assembly"}, timeout=30
    )
    assert search.status_code == 200, search.text
    assert "results" in search.json()
    page = httpx.get(f"{node.matching_url}/partners", timeout=10)
    assert page.status_code == 200 and "<html" in page.text


def test_the_events_container_serves_the_calendar(node: ComposeNode) -> None:
    assert httpx.get(f"{node.events_url}/api/events/events", timeout=10).status_code == 200
    page = httpx.get(f"{node.events_url}/events", timeout=10)
    assert page.status_code == 200 and "<html" in page.text

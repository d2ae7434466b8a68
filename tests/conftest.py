"""Fixtures that start real servers: nats-server and nx-27017 processes on free loopback
ports, each test's data under its own tmp dir. Nothing here fakes the bus or the store."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from pymongo import AsyncMongoClient

from shared.auth import Role, TokenStore
from shared.envelope import KeyRing
from shared.federation import node_plan
from shared.host import Endpoints, create_app
from shared.identity import NodeIdentity, create_identity
from shared.runtime import NatsServer, StoreServer, free_port
from shared.service import ServiceDeclaration, ServiceKit, installed_services
from shared.settings import NodeSettings
from shared.store import Document, ServiceDatabase


@pytest.fixture(scope="session")
def store_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StoreServer]:
    """One nx-27017 for the session; tests isolate themselves by database name."""
    server = StoreServer(tmp_path_factory.mktemp("nx"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[NatsServer]:
    """A fresh nats-server with JetStream (domain ``ro``) for one test; its ``url`` carries
    the credentials every client needs."""
    server = NatsServer(tmp_path / "nats", server_name="test-ro", domain="ro", port=free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def mongo(store_server: StoreServer) -> AsyncIterator[AsyncMongoClient[Document]]:
    client: AsyncMongoClient[Document] = AsyncMongoClient(store_server.url, tz_aware=True)
    yield client
    await client.close()


@pytest.fixture
def database(mongo: AsyncMongoClient[Document]) -> ServiceDatabase:
    return ServiceDatabase(mongo, f"t_{uuid.uuid4().hex[:12]}")


def make_identity(data_dir: Path, node: str = "ro", country: str = "RO") -> NodeIdentity:
    return create_identity(data_dir, node, f"Network {node.upper()}", country)


@pytest.fixture
def identity(tmp_path: Path) -> NodeIdentity:
    return make_identity(tmp_path / "identity-ro")


class NodeUnderTest:
    """A whole node app in this process, against the real servers, with tokens."""

    def __init__(
        self,
        client: AsyncClient,
        identity: NodeIdentity,
        editor: str,
        admin: str,
        keyring: KeyRing,
        app: FastAPI,
        data_dir: Path,
    ) -> None:
        self.client = client
        self.identity = identity
        self.data_dir = data_dir
        self.editor = {"Authorization": f"Bearer {editor}"}
        self.admin = {"Authorization": f"Bearer {admin}"}
        self.keyring = keyring
        self.app = app

    def kit(self, service: str) -> ServiceKit[Any]:
        """The running kit of one service (its database, relay, consumers)."""
        return self.app.state.kits[service]  # type: ignore[no-any-return]


def every_service() -> list[ServiceDeclaration[Any]]:
    return [declare() for declare in installed_services().values()]


async def start_node(
    data_dir: Path,
    nats_url: str,
    store_url: str,
    node: str,
    declarations: list[ServiceDeclaration[Any]],
    keyring: KeyRing | None = None,
) -> AsyncIterator[NodeUnderTest]:
    """A node app in this process with the given services, against real servers."""
    ident = make_identity(data_dir, node=node)
    settings = NodeSettings(data_dir=data_dir, consumer_batch=100)
    ring = keyring or KeyRing()
    ring.admit(ident.node, ident.public_key)
    tokens = TokenStore(data_dir)
    editor, admin = tokens.create(Role.EDITOR), tokens.create(Role.ADMIN)
    app = create_app(
        settings,
        ident,
        Endpoints(nats_url, store_url),
        declarations,
        node_plan(ident, settings),
        keyring=ring,
    )
    async with app.router.lifespan_context(app):
        transport = ASGITransport(app=app)
        async with AsyncClient(transport=transport, base_url="http://node") as client:
            yield NodeUnderTest(client, ident, editor, admin, ring, app, data_dir)


@pytest.fixture
async def node(
    request: pytest.FixtureRequest, tmp_path: Path, nats_server: NatsServer, store_url: str
) -> AsyncIterator[NodeUnderTest]:
    """A whole node, on each store backend: every installed service, or those a test
    module names in ``NODE_SERVICES`` (each service makes a node slower to start, and a
    module testing one service needs only it and those it reads from)."""
    wanted = getattr(request.module, "NODE_SERVICES", None)
    declarations = [d for d in every_service() if wanted is None or d.name in wanted]
    async for running in start_node(
        tmp_path / "node-ro",
        nats_server.url,
        store_url,
        f"ro{uuid.uuid4().hex[:6]}",
        declarations,
    ):
        yield running


def _docker_available() -> bool:
    try:
        import docker  # type: ignore[import-untyped]

        docker.from_env().ping()
    except Exception:
        return False
    return True


@pytest.fixture(scope="session")
def mongodb_url() -> Iterator[str]:
    """Real MongoDB (single-node replica set, for transactions) through testcontainers."""
    if not _docker_available():
        pytest.skip("no Docker engine here: the MongoDB-backed run needs testcontainers")
    from testcontainers.mongodb import MongoDbContainer

    container = MongoDbContainer("mongo:8").with_command("--replSet rs0 --bind_ip_all")
    with container:
        host, port = container.get_container_host_ip(), container.get_exposed_port(27017)
        container.exec(
            [
                "mongosh",
                "--quiet",
                "--eval",
                "rs.initiate({_id:'rs0',members:[{_id:0,host:'localhost:27017'}]})",
            ]
        )
        yield f"mongodb://{host}:{port}/?directConnection=true"


@pytest.fixture(params=["nx-27017", pytest.param("mongodb", marks=pytest.mark.mongodb)])
def store_url(request: pytest.FixtureRequest, store_server: StoreServer) -> str:
    """Every store backend the project supports: nx-27017 here, MongoDB where Docker runs."""
    if request.param == "nx-27017":
        return store_server.url
    return str(request.getfixturevalue("mongodb_url"))


@pytest.fixture
async def any_database(store_url: str) -> AsyncIterator[ServiceDatabase]:
    """A fresh database on each backend, prepared as a service's would be."""
    client: AsyncMongoClient[Document] = AsyncMongoClient(store_url, tz_aware=True)
    database = ServiceDatabase(client, f"t_{uuid.uuid4().hex[:12]}")
    await database.prepare("things")
    await database.collection("things").create_index("version")
    yield database
    await client.close()

"""A node process (``alliance up`` / ``alliance service NAME``): its servers and its services.

Errors a user can cause (port in use, missing identity, unwritable dir) are raised as
``RuntimeFailure`` or ``IdentityError`` with one readable line; the CLI prints it.
"""

from __future__ import annotations

import secrets
from typing import Any

from alliance.process import Launch, Servers, run_process, say
from shared.auth import TokenStore
from shared.federation import CREDENTIALS_FILE, HubCredentials, leaf_config, node_plan
from shared.host import Endpoints, create_app
from shared.identity import NodeIdentity, create_identity, has_identity, load_identity
from shared.runtime import (
    NATS_CREDENTIALS_FILE,
    NatsCredentials,
    NatsServer,
    RuntimeFailure,
    StoreServer,
    free_port,
    without_credentials,
)
from shared.service import ServiceDeclaration, installed_services
from shared.settings import NodeSettings

DEFAULT_NAME = "Unnamed cluster network"
DEFAULT_COUNTRY = "BE"


def identity_for(settings: NodeSettings) -> NodeIdentity:
    """The node's identity, created on an empty data dir from settings or defaults."""
    data_dir = settings.data_dir
    if has_identity(data_dir):
        return load_identity(data_dir)
    node = settings.node or f"node-{secrets.token_hex(3)}"
    name = settings.name or DEFAULT_NAME
    country = settings.country or DEFAULT_COUNTRY
    identity = create_identity(data_dir, node, name, country)
    say(
        f"initialised a new node '{node}' ({name}, {country}) in {data_dir}; "
        "use 'alliance init' on an empty dir to choose its identity"
    )
    return identity


def select_services(names: list[str] | None) -> list[ServiceDeclaration[Any]]:
    """The declarations of the named installed services (all of them by default)."""
    available = installed_services()
    unknown = [name for name in names or [] if name not in available]
    if unknown:
        raise RuntimeFailure(
            f"unknown service {', '.join(unknown)}; installed: {', '.join(sorted(available))}"
        )
    return [available[name]() for name in (names or sorted(available))]


def hub_credentials(settings: NodeSettings, identity: NodeIdentity) -> HubCredentials | None:
    """The hub link: credentials given now are kept in the data dir for later starts."""
    kept = settings.data_dir / CREDENTIALS_FILE
    source = settings.hub_credentials or (kept if kept.exists() else None)
    if source is None:
        if settings.hub_url:
            raise RuntimeFailure("--hub-url needs --hub-credentials (from 'alliance admit')")
        return None
    try:
        credentials = HubCredentials.model_validate_json(source.read_text())
    except (OSError, ValueError) as exc:
        raise RuntimeFailure(f"cannot read hub credentials {source}: {exc}") from exc
    if credentials.node != identity.node:
        raise RuntimeFailure(
            f"{source} admits node {credentials.node!r}, but this node is {identity.node!r}"
        )
    if settings.hub_url:
        credentials = credentials.model_copy(update={"hub_url": settings.hub_url})
    if source != kept:
        credentials.save(kept)
    return credentials


def run_node(settings: NodeSettings, services: list[str] | None = None) -> None:
    """Start everything a node needs, serve until Ctrl-C or SIGTERM, stop what it started."""

    def launch(servers: Servers) -> Launch:
        declarations = select_services(services)
        identity = identity_for(settings)
        TokenStore(settings.data_dir).check()  # a broken tokens.json: one line, no start
        hub = hub_credentials(settings, identity)
        endpoints = embedded_servers(settings, identity, hub, servers)
        plan = node_plan(identity, settings, hub, endpoints.nats_monitor_url)
        app = create_app(settings, identity, endpoints, declarations, plan)
        joined = f", joined to {hub.hub_url}" if hub else ""
        names = ", ".join(d.name for d in declarations)
        return Launch(
            app,
            f"node {identity.node} serving http://{settings.host}:{settings.port} "
            f"({names}{joined}); Ctrl-C stops it",
            # the services it hosts: where `alliance erase-contact` finds them
            {**run_info(settings, endpoints), "services": [d.name for d in declarations]},
        )

    run_process(settings, launch)


def run_info(settings: NodeSettings, endpoints: Endpoints) -> dict[str, object]:
    """Where the node's servers are, for tools: file names, never a password."""
    info: dict[str, object] = {
        "nats_url": without_credentials(endpoints.nats_url),
        "mongodb_url": endpoints.mongodb_url and without_credentials(endpoints.mongodb_url),
        "nats_monitor_url": endpoints.nats_monitor_url,
    }
    if not settings.nats_url:
        info["nats_credentials"] = str((settings.data_dir / NATS_CREDENTIALS_FILE).resolve())
    return info


def embedded_servers(
    settings: NodeSettings, identity: NodeIdentity, hub: HubCredentials | None, servers: Servers
) -> Endpoints:
    """Start the bus and store this node needs, unless NATS_URL / MONGODB_URL are given.

    The embedded nats-server requires the credentials kept in the data dir (made on the
    first start); the embedded store listens on a socket only this OS user can open.
    """
    monitor_url = None
    nats_url = settings.nats_url
    if not nats_url:
        monitor_port = free_port()
        monitor_url = f"http://127.0.0.1:{monitor_port}"
        extra = f'http: "127.0.0.1:{monitor_port}"\n' + (leaf_config(hub) if hub else "")
        nats_url = servers.start(
            NatsServer(
                settings.data_dir / "nats",
                server_name=identity.node,
                domain=identity.node,
                port=free_port(),
                extra_config=extra,
                credentials=NatsCredentials.kept_in(settings.data_dir / NATS_CREDENTIALS_FILE),
            ),
            "nats-server",
        )
    mongodb_url = settings.mongodb_url or servers.start(
        StoreServer(settings.data_dir / "store"), "nx-27017 store"
    )
    return Endpoints(nats_url, mongodb_url, monitor_url)

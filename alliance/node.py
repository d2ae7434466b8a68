"""Running one node process: data dir lock, embedded servers, the HTTP app.

Errors a user can cause (port in use, missing identity, unwritable dir) are raised as
``RuntimeFailure`` or ``IdentityError`` with one readable line; the CLI prints it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import uvicorn

from shared.federation import CREDENTIALS_FILE, HubCredentials, leaf_config
from shared.host import Endpoints, create_node_app
from shared.identity import NodeIdentity, create_identity, has_identity, load_identity
from shared.runtime import (
    RUN_FILE,
    NatsServer,
    RuntimeFailure,
    StoreServer,
    ensure_writable,
    free_port,
    port_is_free,
    process_runs_in,
    read_run_info,
    write_run_info,
)
from shared.service import ServiceFactory, discover_services
from shared.settings import NodeSettings

STALE_CHILD_GRACE_SECONDS = 10.0
DEFAULT_NAME = "Unnamed cluster network"
DEFAULT_COUNTRY = "BE"


def say(line: str) -> None:
    """Progress for the person at the terminal; stderr keeps stdout for data."""
    print(line, file=sys.stderr, flush=True)


@contextlib.contextmanager
def data_dir_lock(data_dir: Path) -> Iterator[None]:
    """One process per data dir: a second start fails in one clear line."""
    handle: IO[str] = open(data_dir / ".lock", "w")  # noqa: SIM115
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError as exc:
        handle.close()
        raise RuntimeFailure(f"another alliance process is using {data_dir}") from exc
    try:
        handle.write(str(os.getpid()))
        handle.flush()
        yield
    finally:
        handle.close()


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


def select_services(names: list[str] | None) -> dict[str, ServiceFactory]:
    available = discover_services()
    if not names:
        return available
    unknown = [name for name in names if name not in available]
    if unknown:
        raise RuntimeFailure(
            f"unknown service {', '.join(unknown)}; installed: {', '.join(sorted(available))}"
        )
    return {name: available[name] for name in names}


class Stopped(Exception):
    """SIGTERM or Ctrl-C arrived: stop what we started and exit 0."""


def stop_on_signal(signum: int, frame: object) -> None:
    raise Stopped(signal.Signals(signum).name)


def run_node(settings: NodeSettings, services: list[str] | None = None) -> None:
    """Start everything a node needs, serve until Ctrl-C or SIGTERM, stop what it started.

    uvicorn shuts the app down gracefully on SIGINT/SIGTERM and then re-raises the signal
    to the handler it found; ours turns that into ``Stopped`` so the servers we started
    are stopped too, and the process exits 0.
    """
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, stop_on_signal)
    try:
        _run_node(settings, services)
    except Stopped:
        say("stopped")


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


def _run_node(settings: NodeSettings, services: list[str] | None) -> None:
    data_dir = settings.data_dir
    ensure_writable(data_dir)
    with data_dir_lock(data_dir):
        if not port_is_free(settings.host, settings.port):
            raise RuntimeFailure(f"port {settings.port} on {settings.host} is already in use")
        factories = select_services(services)
        identity = identity_for(settings)
        hub = hub_credentials(settings, identity)
        wait_for_stale_children(data_dir)
        started: list[NatsServer | StoreServer] = []
        try:
            endpoints = _embedded_servers(settings, identity, hub, started)
            _write_run_file(data_dir, settings, endpoints, started)
            app = create_node_app(settings, identity, endpoints, factories, hub=hub)
            joined = f", joined to {hub.hub_url}" if hub else ""
            say(
                f"node {identity.node} serving http://{settings.host}:{settings.port} "
                f"({', '.join(factories)}{joined}); Ctrl-C stops it"
            )
            serve(app, settings.host, settings.port, settings.log_level)
        finally:
            for server in reversed(started):
                server.stop()
            (data_dir / RUN_FILE).unlink(missing_ok=True)


def serve(app: object, host: str, port: int, log_level: str) -> None:
    """Serve HTTP until SIGINT/SIGTERM (uvicorn then re-raises it: see run_node)."""
    uvicorn.Server(
        uvicorn.Config(app, host=host, port=port, log_level=log_level, lifespan="on")  # type: ignore[arg-type]
    ).run()


def _embedded_servers(
    settings: NodeSettings,
    identity: NodeIdentity,
    hub: HubCredentials | None,
    started: list[NatsServer | StoreServer],
) -> Endpoints:
    """Start the bus and store this node needs, unless NATS_URL / MONGODB_URL are given."""
    monitor_url = None
    nats_url = settings.nats_url
    if not nats_url:
        monitor_port = free_port()
        monitor_url = f"http://127.0.0.1:{monitor_port}"
        extra = f'http: "127.0.0.1:{monitor_port}"\n' + (leaf_config(hub) if hub else "")
        nats_url = _start(
            started,
            NatsServer(
                settings.data_dir / "nats",
                server_name=identity.node,
                domain=identity.node,
                port=free_port(),
                extra_config=extra,
            ),
            "nats-server",
        )
    mongodb_url = settings.mongodb_url or _start(
        started, StoreServer(settings.data_dir / "store", port=free_port()), "nx-27017 store"
    )
    return Endpoints(nats_url, mongodb_url, monitor_url)


def _write_run_file(
    data_dir: Path,
    settings: NodeSettings,
    endpoints: Endpoints,
    started: list[NatsServer | StoreServer],
) -> None:
    """Where this run's servers listen (for tools and tests) and which pids they have."""
    write_run_info(
        data_dir,
        http_url=f"http://{settings.host}:{settings.port}",
        nats_url=endpoints.nats_url,
        mongodb_url=endpoints.mongodb_url,
        nats_monitor_url=endpoints.nats_monitor_url,
        children=[s.child.process.pid for s in started if s.child and s.child.process],
    )


def wait_for_stale_children(data_dir: Path) -> None:
    """After a crash the old node's servers are still shutting down; let them finish."""
    try:
        pids = read_run_info(data_dir).get("children", [])
    except (OSError, ValueError):
        return
    deadline = time.monotonic() + STALE_CHILD_GRACE_SECONDS
    for pid in pids:
        while process_runs_in(pid, data_dir) and time.monotonic() < deadline:
            time.sleep(0.1)
        if process_runs_in(pid, data_dir):
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)


def _start(
    started: list[NatsServer | StoreServer], server: NatsServer | StoreServer, what: str
) -> str:
    say(f"starting {what}…")
    server.start()
    started.append(server)
    return server.url

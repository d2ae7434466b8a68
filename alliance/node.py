"""Running one node process: data dir lock, embedded servers, the HTTP app.

Errors a user can cause (port in use, missing identity, unwritable dir) are raised as
``RuntimeFailure`` or ``IdentityError`` with one readable line; the CLI prints it.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import uvicorn

from shared.host import Endpoints, create_node_app
from shared.identity import NodeIdentity, create_identity, has_identity, load_identity
from shared.runtime import (
    NatsServer,
    RuntimeFailure,
    StoreServer,
    ensure_writable,
    free_port,
    port_is_free,
    process_runs_in,
)
from shared.service import ServiceFactory, discover_services
from shared.settings import NodeSettings

RUN_FILE = "run.json"
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


def identity_for(data_dir: Path) -> NodeIdentity:
    """The node's identity, created with defaults on an empty data dir."""
    if has_identity(data_dir):
        return load_identity(data_dir)
    node = os.environ.get("ALLIANCE_NODE") or f"node-{secrets.token_hex(3)}"
    name = os.environ.get("ALLIANCE_NAME") or DEFAULT_NAME
    country = os.environ.get("ALLIANCE_COUNTRY") or DEFAULT_COUNTRY
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


def _stop_on_signal(signum: int, frame: object) -> None:
    raise Stopped(signal.Signals(signum).name)


def run_node(settings: NodeSettings, services: list[str] | None = None) -> None:
    """Start everything a node needs, serve until Ctrl-C or SIGTERM, stop what it started.

    uvicorn shuts the app down gracefully on SIGINT/SIGTERM and then re-raises the signal
    to the handler it found; ours turns that into ``Stopped`` so the servers we started
    are stopped too, and the process exits 0.
    """
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, _stop_on_signal)
    try:
        _run_node(settings, services)
    except Stopped:
        say("stopped")


def _run_node(settings: NodeSettings, services: list[str] | None) -> None:
    data_dir = settings.data_dir
    ensure_writable(data_dir)
    with data_dir_lock(data_dir):
        if not port_is_free(settings.host, settings.port):
            raise RuntimeFailure(f"port {settings.port} on {settings.host} is already in use")
        factories = select_services(services)
        identity = identity_for(data_dir)
        _wait_for_stale_children(data_dir)
        started: list[NatsServer | StoreServer] = []
        try:
            nats_url = settings.nats_url or _start(
                started,
                NatsServer(
                    data_dir / "nats",
                    server_name=identity.node,
                    domain=identity.node,
                    port=free_port(),
                ),
                "nats-server",
            )
            mongodb_url = settings.mongodb_url or _start(
                started, StoreServer(data_dir / "store", port=free_port()), "nx-27017 store"
            )
            _write_run_file(data_dir, nats_url, mongodb_url, started)
            app = create_node_app(settings, identity, Endpoints(nats_url, mongodb_url), factories)
            say(
                f"node {identity.node} serving http://{settings.host}:{settings.port} "
                f"({', '.join(factories)}); Ctrl-C stops it"
            )
            uvicorn.Server(
                uvicorn.Config(
                    app,
                    host=settings.host,
                    port=settings.port,
                    log_level=settings.log_level,
                    lifespan="on",
                )
            ).run()
        finally:
            for server in reversed(started):
                server.stop()
            (data_dir / RUN_FILE).unlink(missing_ok=True)


def _write_run_file(
    data_dir: Path, nats_url: str, mongodb_url: str, started: list[NatsServer | StoreServer]
) -> None:
    """Where this run's servers listen (for tools and tests) and which pids they have."""
    pids = [s.child.process.pid for s in started if s.child and s.child.process]
    info = {"pid": os.getpid(), "nats_url": nats_url, "mongodb_url": mongodb_url, "children": pids}
    (data_dir / RUN_FILE).write_text(json.dumps(info, indent=2) + "\n")


def _wait_for_stale_children(data_dir: Path) -> None:
    """After a crash the old node's servers are still shutting down; let them finish."""
    try:
        pids = json.loads((data_dir / RUN_FILE).read_text()).get("children", [])
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

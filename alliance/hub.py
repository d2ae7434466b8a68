"""Running the hub process, and the operators' admission commands.

The hub keeps, in its data dir: its identity (the key that signs registry events), the
registry, the password of its own NATS user, and ``hub.json`` (where its leaf listener is
reachable), so ``alliance admit`` can issue credentials while the hub is down.
"""

from __future__ import annotations

import signal
from pathlib import Path

from pydantic import BaseModel, ValidationError

from alliance.node import (
    Stopped,
    data_dir_lock,
    say,
    serve,
    stop_on_signal,
    wait_for_stale_children,
)
from services.hub import handlers
from services.hub.app import HubRuntime, create_hub_app
from services.hub.domain import AdmittedNode, JoinRequest
from services.hub.natsconf import HubListeners
from services.hub.store import RegistryFile, hub_password
from shared.contracts.registry import HUB_ORIGIN
from shared.errors import DomainError
from shared.federation import HubCredentials
from shared.identity import NodeIdentity, create_identity, has_identity, load_identity
from shared.runtime import (
    RUN_FILE,
    NatsServer,
    RuntimeFailure,
    ensure_writable,
    free_port,
    port_is_free,
    write_run_info,
)
from shared.subjects import HUB_DOMAIN

HUB_FILE = "hub.json"


class HubPlace(BaseModel):
    """Where nodes reach the hub's leaf listener."""

    leaf_port: int
    advertise: str

    @property
    def leaf_url(self) -> str:
        return f"nats-leaf://{self.advertise}"


def hub_identity(data_dir: Path) -> NodeIdentity:
    if has_identity(data_dir):
        return load_identity(data_dir)
    say(f"initialised the hub's identity in {data_dir}")
    return create_identity(data_dir, HUB_ORIGIN, "European Clusters Alliance hub", "EU")


def run_hub(data_dir: Path, host: str, port: int, leaf_port: int, advertise: str | None) -> None:
    """The hub's nats-server and service, until Ctrl-C or SIGTERM."""
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, stop_on_signal)
    try:
        _run_hub(data_dir, host, port, leaf_port, advertise)
    except Stopped:
        say("stopped")


def _run_hub(data_dir: Path, host: str, port: int, leaf_port: int, advertise: str | None) -> None:
    ensure_writable(data_dir)
    with data_dir_lock(data_dir):
        for wanted in (port, leaf_port):
            if not port_is_free(host, wanted):
                raise RuntimeFailure(f"port {wanted} on {host} is already in use")
        identity = hub_identity(data_dir)
        place = HubPlace(leaf_port=leaf_port, advertise=advertise or f"{host}:{leaf_port}")
        (data_dir / HUB_FILE).write_text(place.model_dump_json(indent=2) + "\n")
        wait_for_stale_children(data_dir)
        listeners = HubListeners(host, free_port(), leaf_port, free_port(), place.advertise)
        nats = NatsServer(
            data_dir / "nats",
            server_name=HUB_DOMAIN,
            domain=HUB_DOMAIN,
            port=listeners.client_port,
            host=host,
        )
        runtime = HubRuntime(nats, listeners, data_dir, hub_password(data_dir))
        nats.config = runtime.config(RegistryFile(data_dir))
        say("starting the hub's nats-server…")
        nats.start()
        try:
            assert nats.child and nats.child.process
            write_run_info(
                data_dir,
                http_url=f"http://{host}:{port}",
                nats_url=nats.url,
                leaf_url=place.leaf_url,
                nats_monitor_url=f"http://{host}:{listeners.monitor_port}",
                children=[nats.child.process.pid],
            )
            say(f"hub serving http://{host}:{port}; nodes join at {place.leaf_url}")
            serve(create_hub_app(runtime, identity), host, port, "warning")
        finally:
            nats.stop()
            (data_dir / RUN_FILE).unlink(missing_ok=True)


def _place(data_dir: Path) -> HubPlace:
    try:
        return HubPlace.model_validate_json((data_dir / HUB_FILE).read_text())
    except (OSError, ValidationError) as exc:
        raise RuntimeFailure(
            f"{data_dir} is not a hub data dir; start 'alliance hub' there once first"
        ) from exc


def admit_node(data_dir: Path, request_file: Path, hub_url: str | None) -> HubCredentials:
    """Admit the node of a join request; returns the credentials to give it."""
    place = _place(data_dir)
    try:
        request = JoinRequest.model_validate_json(request_file.read_text())
    except OSError as exc:
        raise RuntimeFailure(f"cannot read {request_file}: {exc.strerror}") from exc
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(p) for p in error["loc"]) or "file"
        raise RuntimeFailure(
            f"{request_file} is not a join request: {where}: {error['msg']}"
        ) from exc
    try:
        return handlers.admit(
            request, RegistryFile(data_dir), load_identity(data_dir), hub_url or place.leaf_url
        )
    except DomainError as exc:
        raise RuntimeFailure(str(exc.reason)) from exc


def remove_node(data_dir: Path, node: str) -> AdmittedNode:
    _place(data_dir)
    try:
        return handlers.remove(node, RegistryFile(data_dir), load_identity(data_dir))
    except DomainError as exc:
        raise RuntimeFailure(str(exc.reason)) from exc

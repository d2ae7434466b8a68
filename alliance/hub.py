"""Running the hub process, and the operators' admission commands.

The hub keeps, in its data dir: its identity (the key that signs registry events), the
registry, the password of its own NATS user, and ``hub.json`` (where its leaf listener is
reachable), so ``alliance admit`` can issue credentials while the hub is down.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ValidationError

from alliance.process import Launch, Servers, run_process, say
from services.hub import handlers
from services.hub.app import HubRuntime, hub_plan
from services.hub.domain import AdmittedNode, JoinRequest
from services.hub.natsconf import HUB_USER, HubListeners
from services.hub.store import RegistryFile, hub_password
from shared.contracts.registry import HUB_ORIGIN
from shared.errors import DomainError
from shared.federation import HubCredentials
from shared.files import write_private
from shared.host import Endpoints, create_app
from shared.identity import NodeIdentity, create_identity, has_identity, load_identity
from shared.runtime import (
    NatsCredentials,
    NatsServer,
    RuntimeFailure,
    StoreServer,
    free_port,
    without_credentials,
)
from shared.service import HUB_SERVICE_GROUP, installed_services
from shared.settings import HubSettings
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


def run_hub(settings: HubSettings) -> None:
    """The hub's nats-server and service, until Ctrl-C or SIGTERM."""

    def launch(servers: Servers) -> Launch:
        identity = hub_identity(settings.data_dir)
        place = HubPlace(
            leaf_port=settings.leaf_port,
            advertise=settings.advertise or f"{settings.host}:{settings.leaf_port}",
        )
        write_private(settings.data_dir / HUB_FILE, place.model_dump_json(indent=2) + "\n")
        listeners = HubListeners(
            settings.host,
            free_port(),
            settings.leaf_port,
            free_port(),
            place.advertise,
            nats_host=settings.nats_host,
        )
        nats = NatsServer(
            settings.data_dir / "nats",
            server_name=HUB_DOMAIN,
            domain=HUB_DOMAIN,
            port=listeners.client_port,
            host=settings.nats_host,
            credentials=NatsCredentials(HUB_USER, hub_password(settings.data_dir)),
        )
        runtime = HubRuntime(nats, listeners, settings.data_dir, settings.duplicate_window_seconds)
        nats.config = runtime.config(RegistryFile(settings.data_dir))
        servers.start(nats, "the hub's nats-server")
        monitor_url = listeners.monitor_url
        mongodb_url = settings.mongodb_url or servers.start(
            StoreServer(settings.data_dir / "store"), "the portal's store"
        )
        endpoints = Endpoints(runtime.client_url, mongodb_url, monitor_url)
        declarations = [declare() for declare in installed_services(HUB_SERVICE_GROUP).values()]
        app = create_app(settings, identity, endpoints, declarations, hub_plan(runtime))
        return Launch(
            app,
            f"hub serving http://{settings.host}:{settings.port}; nodes join at {place.leaf_url}",
            {
                "nats_url": nats.address,
                "mongodb_url": without_credentials(mongodb_url),
                "leaf_url": place.leaf_url,
                "nats_monitor_url": monitor_url,
            },
        )

    run_process(settings, launch, also_ports=(settings.leaf_port,))


def _place(data_dir: Path) -> HubPlace:
    try:
        return HubPlace.model_validate_json((data_dir / HUB_FILE).read_text())
    except (OSError, ValidationError) as exc:
        raise RuntimeFailure(
            f"{data_dir} is not a hub data dir; start 'alliance hub' there once first"
        ) from exc


def admit_node(
    data_dir: Path, request_file: Path, hub_url: str | None, site_url: str | None = None
) -> HubCredentials:
    """Admit the node of a join request; returns the credentials to give it."""
    place = _place(data_dir)
    try:
        request = JoinRequest.model_validate_json(request_file.read_text())
        if site_url:  # the hub's operator knows (or corrects) where the network's site is
            request = JoinRequest.model_validate({**request.model_dump(), "site_url": site_url})
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

"""The membership service's wiring: the only place its adapters meet."""

from __future__ import annotations

from services.membership.api import membership_api
from services.membership.store import REPLICA_COLLECTIONS, prepare_store
from services.membership.subscribers import on_remote_membership_events
from shared import subjects
from shared.auth import Role
from shared.contracts import membership as contract
from shared.contracts.base import Contract
from shared.relay import OutboxRelay
from shared.service import Service, ServiceContext
from shared.store import tombstone_origin

PUBLISHES: dict[str, type[Contract]] = {
    "organization.registered": contract.OrganizationShared,
    "organization.updated": contract.OrganizationShared,
    "organization.deleted": contract.Tombstone,
    "organization.withdrawn": contract.Tombstone,
    "cluster.registered": contract.ClusterShared,
    "cluster.updated": contract.ClusterShared,
    "cluster.deleted": contract.Tombstone,
    "cluster.withdrawn": contract.Tombstone,
    "network.updated": contract.NetworkProfileShared,
}


def create_service(context: ServiceContext) -> Service:
    """Build the membership service for one node process (nothing is opened here)."""
    db = context.database(contract.SERVICE)
    settings = context.settings
    relay = OutboxRelay(db, context.bus, context.metrics, contract.SERVICE, settings.outbox_batch)
    replicas = on_remote_membership_events(
        context.inbound(contract.SERVICE), db, context.identity.node, settings.consumer_batch
    )

    async def start() -> None:
        await prepare_store(db)
        relay.start()
        await replicas.start()

    async def stop() -> None:
        await replicas.stop()
        await relay.stop()

    async def forget_origin(origin: str) -> None:
        await tombstone_origin(db, REPLICA_COLLECTIONS, origin)

    prefix = subjects.service_subjects(contract.SERVICE, "{origin}").removesuffix(">")
    return Service(
        name=contract.SERVICE,
        http=membership_api(
            db,
            context.identity,
            context.tokens,
            editor=context.requires(Role.EDITOR),
            admin=context.requires(Role.ADMIN),
        ),
        start=start,
        stop=stop,
        publishes={prefix + event: payload for event, payload in PUBLISHES.items()},
        forget_origin=forget_origin,
    )

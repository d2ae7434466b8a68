"""The membership service's wiring: the only place its adapters meet."""

from __future__ import annotations

from services.membership.api import membership_api
from services.membership.store import ensure_indexes
from services.membership.subscribers import membership_router
from shared.auth import Role
from shared.contracts.membership import SERVICE
from shared.relay import OutboxRelay
from shared.service import Service, ServiceContext


def create_service(context: ServiceContext) -> Service:
    """Build the membership service for one node process (nothing is opened here)."""
    db = context.database(SERVICE)
    relay = OutboxRelay(db, context.bus, context.metrics, SERVICE, context.settings.outbox_batch)

    async def start() -> None:
        await db.prepare()
        await ensure_indexes(db)
        relay.start()

    async def stop() -> None:
        await relay.stop()

    return Service(
        name=SERVICE,
        http=membership_api(
            db,
            context.identity,
            context.tokens,
            editor=context.requires(Role.EDITOR),
            admin=context.requires(Role.ADMIN),
        ),
        bus=membership_router(
            context.inbound(SERVICE),
            db,
            context.identity.node,
            context.metrics,
            context.settings.consumer_batch,
        ),
        start=start,
        stop=stop,
    )

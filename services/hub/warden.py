"""Keeps each node to the consumers its feed needs on the hub's ALLIANCE stream.

A node's feed sources ALLIANCE through the JetStream API the hub imports into the node's
account, so a client on the node can create consumers on ALLIANCE. NATS cannot bound
that per node (nats-server 2.14, read in its source and measured): the consumer belongs
to ALLIANCE's account, not the node's; sourcing ("direct") consumers are exempt from every
consumer limit and invisible to the consumer list; and a permission sees only the
request's subject, not the deliver subject in its body. What NATS does offer is used:
the node's user may only send the filtered create request sourcing sends, and
ALLIANCE's account caps the consumers that are not sourcing ones (``natsconf``).

The rest is enforced here. The server reports every JetStream API call, with the account
that made it, as an audit advisory (``$JS.EVENT.ADVISORY.API``); the warden reads the
consumers a node creates on ALLIANCE and deletes at once any that is durable, is not a
sourcing consumer, delivers anywhere but under the node's own ``deliver.hub.<id>.``, or
goes beyond the node's share (``consumer_limit``). On start it deletes every consumer of
ALLIANCE that the consumer list shows: sourcing consumers never appear there.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.js.errors import NotFoundError

from services.hub.natsconf import account, feed_deliver
from services.hub.store import RegistryFile
from shared import subjects
from shared.bus import BusConnection
from shared.contracts.catalogue import EventCatalogue
from shared.subjects import Channel
from shared.web.layer import NavLink, WebLayer

log = logging.getLogger(__name__)

AUDIT_SUBJECT = "$JS.EVENT.ADVISORY.API"
CREATED = "io.nats.jetstream.api.v1.consumer_create_response"
CREATE_SUBJECTS = ("$JS.API.CONSUMER.CREATE.", "$JS.API.CONSUMER.DURABLE.CREATE.")


def consumer_limit(active_nodes: int) -> int:
    """A node's share of consumers on ALLIANCE: twice what its feed needs, plus two.

    Its feed sources ALLIANCE once per other node and once for the hub; re-created
    sources may overlap their predecessors for a few seconds.
    """
    return 2 * max(active_nodes, 1) + 2


@dataclass(frozen=True)
class Creation:
    """A consumer some account created on ALLIANCE, as the audit advisory tells it."""

    account: str
    name: str
    config: dict[str, Any]

    def refusal(self, node: str) -> str | None:
        """Why ``node`` may not have this consumer at all, or None."""
        if self.config.get("durable_name"):
            return "durable"
        if not self.config.get("direct"):
            return "not a sourcing consumer"
        deliver = str(self.config.get("deliver_subject") or "")
        if not deliver.startswith(f"{feed_deliver(node)}."):
            return f"delivers to {deliver!r}, outside {feed_deliver(node)}.>"
        return None


def consumer_creation(audit: dict[str, Any]) -> Creation | None:
    """The consumer an audit advisory reports as created on ALLIANCE, or None.

    Every JetStream API call is audited (the hub's own stream-info polls too), so only a
    consumer creation's response is parsed.
    """
    if not str(audit.get("subject", "")).startswith(CREATE_SUBJECTS):
        return None
    try:
        response = json.loads(audit.get("response") or "{}")
    except ValueError:
        return None
    if (
        response.get("type") != CREATED
        or response.get("error")
        or response.get("stream_name") != subjects.ALLIANCE_STREAM
    ):
        return None
    return Creation(
        account=str((audit.get("client") or {}).get("acc", "")),
        name=str(response.get("name", "")),
        config=dict(response.get("config") or {}),
    )


class ConsumerWarden:
    """The hub's component that deletes the consumers a node may not have on ALLIANCE."""

    publishes: list[tuple[EventCatalogue, tuple[Channel, ...]]] = []

    def __init__(self, bus: BusConnection, registry_file: RegistryFile) -> None:
        self._bus = bus
        self._registry_file = registry_file
        self._live: dict[str, set[str]] = {}  # node -> its consumers on ALLIANCE
        self._subscription: Subscription | None = None
        self.routers: list[APIRouter] = []
        self.pages: list[Callable[[WebLayer], APIRouter]] = []
        self.navigation: list[NavLink] = []
        self.web_package: str | None = None

    async def start(self) -> None:
        self._subscription = await self._bus.client.subscribe(AUDIT_SUBJECT, cb=self._on_audit)
        await self._bus.client.flush()
        for info in await self._bus.js.consumers_info(subjects.ALLIANCE_STREAM):
            await self._delete(info.name, "ALLIANCE keeps no consumers of its own")

    async def stop(self) -> None:
        if self._subscription is not None:
            await self._subscription.unsubscribe()
            self._subscription = None

    async def _on_audit(self, message: Msg) -> None:
        try:
            creation = consumer_creation(json.loads(message.data))
            if creation is not None:
                await self.judge(creation)
        except Exception as exc:  # one odd advisory must not stop the warden
            log.warning("consumer warden could not judge an advisory: %r", exc)

    async def judge(self, creation: Creation) -> None:
        """Keep the consumer if the node may have it, else delete it now."""
        active = [entry.node for entry in self._registry_file.load().active()]
        node = next((n for n in active if account(n) == creation.account), None)
        if node is None:
            return  # the hub's own users (operators) are not policed
        refusal = creation.refusal(node)
        live = self._live.setdefault(node, set())
        limit = consumer_limit(len(active))
        if refusal is None and len(live) >= limit:
            await self._forget_gone(live)
            if len(live) >= limit:
                refusal = f"over the node's limit of {limit} consumers"
        if refusal is None:
            live.add(creation.name)
            return
        await self._delete(creation.name, f"{node}: {refusal}")

    async def _forget_gone(self, live: set[str]) -> None:
        """Drop the consumers that are gone (ephemeral ones end when their node leaves)."""
        for name in list(live):
            try:
                await self._bus.js.consumer_info(subjects.ALLIANCE_STREAM, name)
            except NotFoundError:
                live.discard(name)

    async def _delete(self, name: str, why: str) -> None:
        """Delete a consumer of ALLIANCE and say why in the hub's log."""
        log.warning("deleted consumer %s of ALLIANCE: %s", name, why)
        with contextlib.suppress(NotFoundError):  # gone already
            await self._bus.js.delete_consumer(subjects.ALLIANCE_STREAM, name)

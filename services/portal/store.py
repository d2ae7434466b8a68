"""The portal's read model of ALLIANCE: replicas of every network's shared records.

The hub keeps no records of its own here, only what the nodes share: the registry's
admitted networks (published by the hub itself), and every network's organisations,
clusters and profiles. Pages show the ``public`` ones only; look-up keys beside each
replica make the directory searchable (search words, sector prefixes, country).
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from pymongo import ASCENDING, DESCENDING

from services.portal.calendar import EVENTS, CalendarQuery
from shared.contracts import membership
from shared.contracts.base import Event, Visibility
from shared.replicas import page_of_replicas, replica_key
from shared.store import Document, UnitOfWork
from shared.text import search_words

NETWORKS = "networks"  # the registry's admitted nodes
PROFILES = "profiles"
ORGANIZATIONS = "organizations"
CLUSTERS = "clusters"
ORGANIZATION_INDEXES = ("words", "sectors", "country", "public")


def organization_keys(event: Event) -> Document:
    """What the alliance directory filters a replicated organisation by."""
    assert isinstance(event, membership.OrganizationState)
    return {
        "words": search_words(event.legal_name, event.city, " ".join(event.technologies)),
        "sectors": membership.sector_prefixes(event.nace_codes),
        "country": event.country,
        "public": event.visibility == Visibility.PUBLIC.value,
    }


def cluster_keys(event: Event) -> Document:
    assert isinstance(event, membership.ClusterState)
    return {"public": event.visibility == Visibility.PUBLIC.value}


class PortalReads:
    """The queries of the portal's pages, all on replicas."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    async def networks(self) -> list[dict[str, Any]]:
        """Admitted networks, with their profile and the last event received from each."""
        networks = [
            {**doc["data"], "node": doc["aggregateid"]}
            async for doc in self.uow.collection(NETWORKS).find(
                {"deleted": False}, sort=[("data.name", ASCENDING)]
            )
        ]
        profiles = {
            doc["origin"]: doc["data"]
            async for doc in self.uow.collection(PROFILES).find({"deleted": False})
        }
        for network in networks:
            network["profile"] = profiles.get(network["node"])
            network["last_event"] = await self.last_event(network["node"])
            network["organizations"] = await self.uow.collection(ORGANIZATIONS).count_documents(
                {"origin": network["node"], "deleted": False, "keys.public": True}
            )
        return networks

    async def last_event(self, origin: str) -> Any:
        """When the newest record of a network reached the hub (None: nothing yet)."""
        newest = None
        for name in (ORGANIZATIONS, CLUSTERS, PROFILES, EVENTS):
            doc = await self.uow.collection(name).find_one(
                {"origin": origin}, {"applied_at": 1}, sort=[("applied_at", DESCENDING)]
            )
            if doc and (newest is None or doc["applied_at"] > newest):
                newest = doc["applied_at"]
        return newest

    async def organizations(
        self,
        words: list[str],
        sector: str | None,
        country: str | None,
        network: str | None,
        skip: int,
        limit: int,
    ) -> list[Document]:
        """Public organisations of every network holding all the words, by name."""
        query: Document = {"deleted": False, "keys.public": True}
        if words:
            query["keys.words"] = {"$all": words}
        if sector:
            query["keys.sectors"] = {"$in": [sector]}  # nx-27017: no array equality
        if country:
            query["keys.country"] = country.upper()
        if network:
            query["origin"] = network
        cursor = self.uow.collection(ORGANIZATIONS).find(
            query, sort=[("data.legal_name", ASCENDING)], skip=skip, limit=limit
        )
        return [doc async for doc in cursor]

    async def organization(self, origin: str, aggregate_id: str) -> Document | None:
        return await self.uow.collection(ORGANIZATIONS).find_one(
            {"_id": replica_key(origin, aggregate_id), "deleted": False, "keys.public": True}
        )

    async def clusters(self) -> list[Document]:
        cursor = self.uow.collection(CLUSTERS).find(
            {"deleted": False, "keys.public": True}, sort=[("data.name", ASCENDING)], limit=1000
        )
        return [doc async for doc in cursor]

    async def calendar(
        self, query: CalendarQuery, after: str | None, limit: int
    ) -> tuple[list[Document], str | None]:
        """One page of the alliance calendar in date order, and the cursor of the next."""
        return await page_of_replicas(self.uow.collection(EVENTS), query.filter(), after, limit)

    async def public_events(self) -> list[Document]:
        """Every public event of the alliance, past ones too (a feed keeps its history)."""
        cursor = self.uow.collection(EVENTS).find(
            {"deleted": False, "keys.public": True}, sort=[("keys.page", ASCENDING)]
        )
        return [doc async for doc in cursor]


class PortalUnitOfWork(UnitOfWork):
    """The portal writes nothing of its own: only its replicas, kept by the kit."""

    @cached_property
    def portal(self) -> PortalReads:
        return PortalReads(self)

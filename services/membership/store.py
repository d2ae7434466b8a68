"""The membership service's collections: own aggregates, replicas, and their indexes.

Own records live in ``organizations``, ``clusters`` and ``profile``; other nodes' shared
records are replicas in ``*_replicas``, keyed ``<origin>:<id>`` and written only by the
shared idempotent projection. Writes take the unit of work's session so a change and its
outgoing event commit together.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pymongo import ASCENDING, TEXT

from services.membership.domain import Cluster, NetworkProfile, Organization
from shared.contracts.base import Visibility
from shared.store import Document, ServiceDatabase, UnitOfWork

ORGANIZATIONS = "organizations"
CLUSTERS = "clusters"
PROFILE = "profile"
ORGANIZATION_REPLICAS = "organization_replicas"
CLUSTER_REPLICAS = "cluster_replicas"
NETWORK_REPLICAS = "network_replicas"
PROFILE_ID = "profile"


REPLICA_COLLECTIONS = (ORGANIZATION_REPLICAS, CLUSTER_REPLICAS, NETWORK_REPLICAS)
COLLECTIONS = (
    ORGANIZATIONS,
    CLUSTERS,
    PROFILE,
    ORGANIZATION_REPLICAS,
    CLUSTER_REPLICAS,
    NETWORK_REPLICAS,
)


async def prepare_store(db: ServiceDatabase) -> None:
    """Every collection exists, with the indexes for the API's filters and look-ups."""
    await db.prepare(*COLLECTIONS)
    await db.migrate("membership", [lambda: _create_indexes(db)])


async def _create_indexes(db: ServiceDatabase) -> None:
    organizations = db.collection(ORGANIZATIONS)
    for field in ("country", "nace_prefixes", "clusters", "match_keys", "duplicate_keys"):
        await organizations.create_index([(field, ASCENDING)])
    await organizations.create_index(
        [("legal_name", TEXT), ("offers", TEXT), ("needs", TEXT), ("technologies", TEXT)]
    )
    await db.collection(CLUSTERS).create_index([("sectors", ASCENDING)])
    replicas = db.collection(ORGANIZATION_REPLICAS)
    await replicas.create_index([("match_keys", ASCENDING)])
    await replicas.create_index([("origin", ASCENDING)])


@dataclass(frozen=True)
class OrganizationFilter:
    """What a list request may narrow by; all optional."""

    sector: str | None = None
    country: str | None = None
    cluster: str | None = None
    text: str | None = None
    visibility: list[str] | None = None


def _organization_query(filters: OrganizationFilter) -> Document:
    query: Document = {"deleted": False}
    if filters.sector:
        # a division or group matches every class below it ("62" finds "62.10")
        query["nace_prefixes"] = {"$in": [filters.sector]}  # portable array match, docs/store.md
    if filters.country:
        query["country"] = filters.country.upper()
    if filters.cluster:
        query["clusters"] = {"$in": [filters.cluster]}
    if filters.text:
        query["$text"] = {"$search": filters.text}
    if filters.visibility:
        query["visibility"] = {"$in": filters.visibility}
    return query


class MembershipStore:
    """Reads and writes of this node's membership data."""

    def __init__(self, db: ServiceDatabase) -> None:
        self.db = db

    # -- organisations ---------------------------------------------------------------
    async def get_organization(
        self, org_id: str, uow: UnitOfWork | None = None
    ) -> Organization | None:
        doc = await self.db.collection(ORGANIZATIONS).find_one(
            {"_id": org_id}, session=uow.session if uow else None
        )
        return _organization(doc) if doc else None

    async def live_with_keys(self, keys: set[str], uow: UnitOfWork) -> list[Organization]:
        cursor = self.db.collection(ORGANIZATIONS).find(
            {"duplicate_keys": {"$in": sorted(keys)}, "deleted": False}, session=uow.session
        )
        return [_organization(doc) async for doc in cursor]

    async def save_organization(
        self, org: Organization, keys: dict[str, list[str]], uow: UnitOfWork
    ) -> None:
        doc = {**org.model_dump(mode="python", exclude={"id"}), **keys, "_id": org.id}
        await uow.collection(ORGANIZATIONS).replace_one(
            {"_id": org.id}, doc, upsert=True, session=uow.session
        )

    async def list_organizations(
        self, filters: OrganizationFilter, after: str | None, limit: int
    ) -> list[Organization]:
        query = _organization_query(filters)
        if after:
            query["_id"] = {"$gt": after}
        cursor = self.db.collection(ORGANIZATIONS).find(query, sort=[("_id", 1)], limit=limit)
        return [_organization(doc) async for doc in cursor]

    # -- clusters --------------------------------------------------------------------
    async def get_cluster(self, cluster_id: str, uow: UnitOfWork | None = None) -> Cluster | None:
        doc = await self.db.collection(CLUSTERS).find_one(
            {"_id": cluster_id}, session=uow.session if uow else None
        )
        return Cluster.model_validate(_without_storage_fields(doc)) if doc else None

    async def save_cluster(self, cluster: Cluster, uow: UnitOfWork) -> None:
        doc = {**cluster.model_dump(mode="python", exclude={"id"}), "_id": cluster.id}
        await uow.collection(CLUSTERS).replace_one(
            {"_id": cluster.id}, doc, upsert=True, session=uow.session
        )

    async def list_clusters(
        self, after: str | None, limit: int, public_only: bool = False
    ) -> list[Cluster]:
        query: Document = {"deleted": False}
        if public_only:
            query["visibility"] = Visibility.PUBLIC.value
        if after:
            query["_id"] = {"$gt": after}
        cursor = self.db.collection(CLUSTERS).find(query, sort=[("_id", 1)], limit=limit)
        return [Cluster.model_validate(_without_storage_fields(doc)) async for doc in cursor]

    # -- network profile -------------------------------------------------------------
    async def get_profile(self, uow: UnitOfWork | None = None) -> NetworkProfile | None:
        doc = await self.db.collection(PROFILE).find_one(
            {"_id": PROFILE_ID}, session=uow.session if uow else None
        )
        return NetworkProfile.model_validate(_without_storage_fields(doc)) if doc else None

    async def save_profile(self, profile: NetworkProfile, uow: UnitOfWork) -> None:
        doc = {**profile.model_dump(mode="python"), "_id": PROFILE_ID}
        await uow.collection(PROFILE).replace_one(
            {"_id": PROFILE_ID}, doc, upsert=True, session=uow.session
        )

    # -- replicas --------------------------------------------------------------------
    async def own_members_with_keys(
        self, keys: set[str], include_node_only: bool
    ) -> list[Document]:
        query: Document = {"match_keys": {"$in": sorted(keys)}, "deleted": False}
        if not include_node_only:
            query["visibility"] = {"$in": [Visibility.PUBLIC.value, Visibility.ALLIANCE.value]}
        cursor = self.db.collection(ORGANIZATIONS).find(query)
        return [doc async for doc in cursor]

    async def replicas_with_keys(self, keys: set[str]) -> list[Document]:
        cursor = self.db.collection(ORGANIZATION_REPLICAS).find(
            {"match_keys": {"$in": sorted(keys)}, "deleted": False}
        )
        return [doc async for doc in cursor]

    async def network_names(self) -> dict[str, str]:
        """Origin → network name, from the replicated network profiles."""
        cursor = self.db.collection(NETWORK_REPLICAS).find({"deleted": False})
        return {doc["origin"]: doc["data"]["name"] async for doc in cursor if doc.get("data")}

    async def replica_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        async for doc in self.db.collection(ORGANIZATION_REPLICAS).find(
            {"deleted": False}, {"origin": 1}
        ):
            counts[doc["origin"]] = counts.get(doc["origin"], 0) + 1
        return counts


_STORAGE_FIELDS = ("_id", "match_keys", "duplicate_keys", "nace_prefixes")


def _without_storage_fields(doc: Document) -> dict[str, Any]:
    data = {key: value for key, value in doc.items() if key not in _STORAGE_FIELDS}
    data.setdefault("id", doc["_id"])
    return data


def _organization(doc: Document) -> Organization:
    return Organization.model_validate(_without_storage_fields(doc))

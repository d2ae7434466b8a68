"""The membership service's collections: own aggregates, replicas, their keys and indexes.

Own records live in ``organizations``, ``clusters`` and ``profile``; other nodes' shared
records are replicas in ``*_replicas``, written only by the kit's idempotent projection.
This is the store adapter: the look-up keys stored beside the data (``match_keys`` for
cross-membership, ``duplicate_keys``, ``nace_prefixes`` for sector filters) and the forms
nx-27017 needs (``$in`` for array matches, docs/store.md) are computed and used here,
not in handlers.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from pymongo import ASCENDING, TEXT

from services.membership.domain import Cluster, NetworkProfile, Organization
from services.membership.keys import duplicate_key, match_keys
from shared.contracts import membership as contract
from shared.contracts.base import Event, Visibility
from shared.errors import Duplicate
from shared.fields import same_email
from shared.replicas import replica_key
from shared.store import Document, Repository, ServiceDatabase, UnitOfWork, page_keys
from shared.text import search_words

ORGANIZATIONS = "organizations"
CLUSTERS = "clusters"
PROFILE = "profile"
ORGANIZATION_REPLICAS = "organization_replicas"
CLUSTER_REPLICAS = "cluster_replicas"
NETWORK_REPLICAS = "network_replicas"
COLLECTIONS = (ORGANIZATIONS, CLUSTERS, PROFILE)
DUPLICATE_KEY = "duplicate_key"  # VAT, else name and country: unique among live members


async def create_indexes(db: ServiceDatabase) -> None:
    """The indexes of the API's filters and look-ups (migration step 1)."""
    organizations = db.collection(ORGANIZATIONS)
    for field in ("country", "nace_prefixes", "clusters", "match_keys", "duplicate_keys"):
        await organizations.create_index([(field, ASCENDING)])
    await organizations.create_index(
        [("legal_name", TEXT), ("offers", TEXT), ("needs", TEXT), ("technologies", TEXT)]
    )
    await db.collection(CLUSTERS).create_index([("sectors", ASCENDING)])


async def unique_duplicate_key(db: ServiceDatabase) -> None:
    """One scalar, uniquely indexed key per live organisation (migration step 2).

    The unique index refuses a second live organisation with the same VAT (or name and
    country) by itself, so a registration needs no read first; a deleted organisation
    keeps no key and frees it. Equality on a scalar is indexed on nx-27017, where a
    match on an array field scans the whole collection.
    """
    organizations = db.collection(ORGANIZATIONS)
    async for doc in organizations.find({"deleted": False}, {"duplicate_keys": 1}):
        keys = sorted(doc.get("duplicate_keys") or [])
        if keys:
            await organizations.update_one({"_id": doc["_id"]}, {"$set": {DUPLICATE_KEY: keys[0]}})
    await organizations.update_many({}, {"$unset": {"duplicate_keys": ""}})
    await organizations.create_index([(DUPLICATE_KEY, ASCENDING)], unique=True, sparse=True)


MIGRATIONS = (create_indexes, unique_duplicate_key, page_keys(ORGANIZATIONS, CLUSTERS))


def replica_keys(event: Event) -> Document:
    """What cross-membership and the alliance directory look a replicated organisation up by."""
    assert isinstance(event, contract.OrganizationState)
    return {
        "match_keys": sorted(match_keys(event.legal_name, event.vat, event.website)),
        "words": search_words(event.legal_name, event.city, " ".join(event.technologies)),
        "nace_prefixes": contract.sector_prefixes(event.nace_codes),
        "country": event.country,
        "public": event.visibility == Visibility.PUBLIC.value,
    }


REPLICA_INDEXES = ("match_keys", "words", "nace_prefixes")


@dataclass(frozen=True)
class OrganizationFilter:
    """What a list request may narrow by; all optional."""

    sector: str | None = None
    country: str | None = None
    cluster: str | None = None
    text: str | None = None
    visibility: list[str] | None = None

    def query(self) -> Document:
        query: Document = {"deleted": False}
        if self.sector:  # a division or group matches every class below it ("62" finds "62.10")
            query["nace_prefixes"] = {"$in": [self.sector]}  # portable array match
        if self.country:
            query["country"] = self.country.upper()
        if self.cluster:
            query["clusters"] = {"$in": [self.cluster]}
        if self.text:
            query["$text"] = {"$search": self.text}
        if self.visibility:
            query["visibility"] = {"$in": self.visibility}
        return query


class OrganizationRepository(Repository[Organization]):
    collection_name = ORGANIZATIONS
    model = Organization

    def keys(self, aggregate: Organization) -> Document:
        keys: Document = {
            "match_keys": sorted(
                match_keys(aggregate.legal_name, aggregate.vat, aggregate.website)
            ),
            "nace_prefixes": contract.sector_prefixes(aggregate.nace_codes),
        }
        if not aggregate.deleted:  # a deleted organisation frees its key
            keys[DUPLICATE_KEY] = duplicate_key(aggregate)
        return keys

    async def live_with_keys(self, keys: set[str]) -> list[Organization]:
        """Live organisations holding any of the duplicate keys."""
        return await self.find({DUPLICATE_KEY: {"$in": sorted(keys)}})

    async def refused(self, aggregate: Organization) -> Exception:
        """A clash of the unique duplicate key: name the organisation that holds it."""
        holder = await self.collection.find_one(  # outside the session: on MongoDB the
            {DUPLICATE_KEY: duplicate_key(aggregate)},
            {"_id": 1},  # transaction is aborted
        )
        field = "vat" if aggregate.vat else "legal_name"
        who = repr(holder["_id"]) if holder else "another organisation"
        return Duplicate(f"organisation {who} is already registered with it", field)

    async def with_contact(self, email: str) -> list[Organization]:
        """Organisations, deleted ones too, that list a contact with this e-mail.

        nx-27017 matches no `$in` or `$regex` with options into an array of documents
        (docs/store.md), and the e-mail is compared regardless of case, so every
        organisation's contacts are read and compared here; an erasure is rare.
        """
        cursor = self.collection.find({}, {"contacts": 1}, session=self.session)
        ids = [
            doc["_id"]
            async for doc in cursor
            if any(same_email(str(c.get("email", "")), email) for c in doc.get("contacts") or [])
        ]
        return [org for org_id in ids if (org := await self.get(org_id)) is not None]

    async def members_with_keys(
        self, keys: set[str], include_node_only: bool
    ) -> list[Organization]:
        """Live organisations recognised by any of the cross-membership keys."""
        query: Document = {"match_keys": {"$in": sorted(keys)}, "deleted": False}
        if not include_node_only:
            query["visibility"] = {"$in": [Visibility.PUBLIC.value, Visibility.ALLIANCE.value]}
        return await self.find(query)


class ClusterRepository(Repository[Cluster]):
    collection_name = CLUSTERS
    model = Cluster


class ProfileRepository(Repository[NetworkProfile]):
    collection_name = PROFILE
    model = NetworkProfile


class ReplicaReads:
    """Other networks' shared records, as the projection left them."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    async def organizations_with_keys(self, keys: set[str]) -> list[Document]:
        cursor = self.uow.collection(ORGANIZATION_REPLICAS).find(
            {"keys.match_keys": {"$in": sorted(keys)}, "deleted": False}
        )
        return [doc async for doc in cursor]

    async def network_names(self) -> dict[str, str]:
        """Origin → network name, from the replicated network profiles."""
        cursor = self.uow.collection(NETWORK_REPLICAS).find({"deleted": False})
        return {doc["origin"]: doc["data"]["name"] async for doc in cursor if doc.get("data")}

    async def public_organizations(
        self, words: list[str], sector: str | None, country: str | None, skip: int, limit: int
    ) -> list[Document]:
        """Partner networks' public organisations matching every word, by name."""
        query: Document = {"deleted": False, "keys.public": True}
        if words:
            query["keys.words"] = {"$all": words}
        if sector:
            query["keys.nace_prefixes"] = {"$in": [sector]}  # nx-27017: no array equality
        if country:
            query["keys.country"] = country.upper()
        cursor = self.uow.collection(ORGANIZATION_REPLICAS).find(
            query, sort=[("data.legal_name", ASCENDING)], skip=skip, limit=limit
        )
        return [doc async for doc in cursor]

    async def public_organization(self, origin: str, aggregate_id: str) -> Document | None:
        doc = await self.uow.collection(ORGANIZATION_REPLICAS).find_one(
            {"_id": replica_key(origin, aggregate_id), "deleted": False, "keys.public": True}
        )
        return doc

    async def organization_counts(self) -> dict[str, int]:
        """How many live organisation replicas each origin has here."""
        counts: dict[str, int] = {}
        async for doc in self.uow.collection(ORGANIZATION_REPLICAS).find(
            {"deleted": False}, {"origin": 1}
        ):
            counts[doc["origin"]] = counts.get(doc["origin"], 0) + 1
        return counts


class MembershipUnitOfWork(UnitOfWork):
    """The membership service's repositories, bound to one transaction (or to none)."""

    @cached_property
    def organizations(self) -> OrganizationRepository:
        return OrganizationRepository(self)

    @cached_property
    def clusters(self) -> ClusterRepository:
        return ClusterRepository(self)

    @cached_property
    def profile(self) -> ProfileRepository:
        return ProfileRepository(self)

    @cached_property
    def replicas(self) -> ReplicaReads:
        return ReplicaReads(self)

"""Membership use cases: one function per command or event, a few lines each.

Every change is committed with the event that announces it (unit of work + outbox).
What leaves the node is decided here from the domain's shareable views: ``node`` records
and contact persons without consent never reach the bus.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from services.membership.csv_import import CsvImportPlan, RowError
from services.membership.domain import (
    Cluster,
    ClusterDraft,
    NetworkProfile,
    NetworkProfileDraft,
    NotFound,
    Organization,
    OrganizationDraft,
    cluster_shareable_view,
    shareable_view,
)
from services.membership.keys import (
    check_duplicate,
    duplicate_keys,
    match_keys,
    query_keys,
)
from services.membership.store import (
    CLUSTER_REPLICAS,
    NETWORK_REPLICAS,
    ORGANIZATION_REPLICAS,
    MembershipStore,
)
from shared.contracts import membership as contract
from shared.contracts.base import Contract
from shared.envelope import Envelope, EnvelopeRejected, seal
from shared.errors import DomainError
from shared.identity import NodeIdentity
from shared.ids import new_id
from shared.store import ReplicaChange, UnitOfWork
from shared.subjects import event_subject


def _now() -> datetime:
    return datetime.now(UTC)


def _announce(
    uow: UnitOfWork,
    identity: NodeIdentity,
    aggregate: str,
    event: str,
    payload: Contract,
    aggregate_id: str,
    version: int,
) -> None:
    subject = event_subject(identity.node, contract.SERVICE, aggregate, event)
    uow.record(seal(identity, subject, payload, aggregate_id, version))


def _announce_change(
    uow: UnitOfWork,
    identity: NodeIdentity,
    aggregate: str,
    aggregate_id: str,
    version: int,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    deleted: bool,
    shared_type: type[Contract],
) -> None:
    """Tell the alliance what changed in its view: new, updated, or gone from it."""
    if after is not None:
        event = contract.UPDATED if before is not None else contract.REGISTERED
        _announce(
            uow,
            identity,
            aggregate,
            event,
            shared_type.model_validate(after),
            aggregate_id,
            version,
        )
    elif before is not None:
        event, reason = (
            (contract.DELETED, "deleted") if deleted else (contract.WITHDRAWN, "withdrawn")
        )
        _announce(
            uow,
            identity,
            aggregate,
            event,
            contract.Tombstone(id=aggregate_id, reason=reason),
            aggregate_id,
            version,
        )


# -- organisations ---------------------------------------------------------------------


def _organization_keys(org: Organization) -> dict[str, list[str]]:
    prefixes = {
        code[:length] for code in org.nace_codes for length in (2, 4, 5) if len(code) >= length
    }
    return {
        "match_keys": sorted(match_keys(org.legal_name, org.vat, org.website)),
        "duplicate_keys": sorted(duplicate_keys(org)),
        "nace_prefixes": sorted(prefix.rstrip(".") for prefix in prefixes),
    }


async def _save_organization(
    org: Organization,
    before: dict[str, Any] | None,
    store: MembershipStore,
    uow: UnitOfWork,
    identity: NodeIdentity,
) -> None:
    await store.save_organization(org, _organization_keys(org), uow)
    _announce_change(
        uow,
        identity,
        contract.ORGANIZATION,
        org.id,
        org.version,
        before,
        shareable_view(org),
        org.deleted,
        contract.OrganizationShared,
    )


async def register_organization(
    draft: OrganizationDraft,
    store: MembershipStore,
    uow: UnitOfWork,
    identity: NodeIdentity,
) -> Organization:
    """A new member organisation; refused if a live one has the same VAT or name+country."""
    check_duplicate(draft, await store.live_with_keys(duplicate_keys(draft), uow))
    org = Organization.register(new_id(identity.node), draft, _now())
    await _save_organization(org, None, store, uow, identity)
    return org


def not_found(noun: str, aggregate_id: str) -> NotFound:
    """One answer for unknown records, also for ones hidden from the caller."""
    return NotFound(f"no {noun} {aggregate_id!r} on this node", "id")


async def existing_organization(
    org_id: str, store: MembershipStore, uow: UnitOfWork | None = None
) -> Organization:
    org = await store.get_organization(org_id, uow)
    if org is None:
        raise not_found("organisation", org_id)
    return org


async def revise_organization(
    org_id: str,
    draft: OrganizationDraft,
    store: MembershipStore,
    uow: UnitOfWork,
    identity: NodeIdentity,
) -> Organization:
    """Replace an organisation's profile; the alliance sees only what it may."""
    org = await existing_organization(org_id, store, uow)
    check_duplicate(draft, await store.live_with_keys(duplicate_keys(draft), uow), own_id=org_id)
    before = shareable_view(org)
    org.revise(draft, _now())
    await _save_organization(org, before, store, uow, identity)
    return org


async def delete_organization(
    org_id: str,
    store: MembershipStore,
    uow: UnitOfWork,
    identity: NodeIdentity,
) -> Organization:
    """Tombstone an organisation; replicas on other nodes obey the tombstone."""
    org = await existing_organization(org_id, store, uow)
    before = shareable_view(org)
    org.delete(_now())
    await _save_organization(org, before, store, uow, identity)
    return org


@dataclass(frozen=True)
class ImportReport:
    """Per-row outcome of a CSV import: good rows land, bad rows are named with the reason."""

    created: list[tuple[int, str]]
    errors: list[RowError]


async def import_organizations(
    plan: CsvImportPlan,
    store: MembershipStore,
    uow: UnitOfWork,
    identity: NodeIdentity,
) -> ImportReport:
    """Register every valid row in one transaction; duplicates of live records are reported."""
    created: list[tuple[int, str]] = []
    errors = list(plan.errors)
    for row, draft in plan.rows:
        try:
            org = await register_organization(draft, store, uow, identity)
        except DomainError as exc:
            errors.append(RowError(row=row, field=exc.field or "row", reason=exc.reason))
            continue
        created.append((row, org.id))
    errors.sort(key=lambda error: error.row)
    return ImportReport(created=created, errors=errors)


# -- clusters ----------------------------------------------------------------------------


async def _save_cluster(
    cluster: Cluster,
    before: dict[str, Any] | None,
    store: MembershipStore,
    uow: UnitOfWork,
    identity: NodeIdentity,
) -> None:
    await store.save_cluster(cluster, uow)
    _announce_change(
        uow,
        identity,
        contract.CLUSTER,
        cluster.id,
        cluster.version,
        before,
        cluster_shareable_view(cluster),
        cluster.deleted,
        contract.ClusterShared,
    )


async def register_cluster(
    draft: ClusterDraft,
    store: MembershipStore,
    uow: UnitOfWork,
    identity: NodeIdentity,
) -> Cluster:
    """A new member cluster of this network."""
    cluster = Cluster.register(new_id(identity.node), draft, _now())
    await _save_cluster(cluster, None, store, uow, identity)
    return cluster


async def existing_cluster(
    cluster_id: str, store: MembershipStore, uow: UnitOfWork | None = None
) -> Cluster:
    cluster = await store.get_cluster(cluster_id, uow)
    if cluster is None:
        raise not_found("cluster", cluster_id)
    return cluster


async def revise_cluster(
    cluster_id: str,
    draft: ClusterDraft,
    store: MembershipStore,
    uow: UnitOfWork,
    identity: NodeIdentity,
) -> Cluster:
    cluster = await existing_cluster(cluster_id, store, uow)
    before = cluster_shareable_view(cluster)
    cluster.revise(draft, _now())
    await _save_cluster(cluster, before, store, uow, identity)
    return cluster


async def delete_cluster(
    cluster_id: str,
    store: MembershipStore,
    uow: UnitOfWork,
    identity: NodeIdentity,
) -> Cluster:
    cluster = await existing_cluster(cluster_id, store, uow)
    before = cluster_shareable_view(cluster)
    cluster.delete(_now())
    await _save_cluster(cluster, before, store, uow, identity)
    return cluster


# -- network profile ---------------------------------------------------------------------


async def current_profile(store: MembershipStore, identity: NodeIdentity) -> NetworkProfile:
    """The stored profile, or the initial one a fresh node starts with."""
    return await store.get_profile() or NetworkProfile.initial(
        identity.node, identity.name, identity.country
    )


async def revise_network_profile(
    draft: NetworkProfileDraft,
    store: MembershipStore,
    uow: UnitOfWork,
    identity: NodeIdentity,
) -> NetworkProfile:
    """The association's public profile is always shared: it is what partners cross-link."""
    profile = await store.get_profile(uow) or NetworkProfile.initial(
        identity.node, identity.name, identity.country
    )
    profile.revise(draft, _now())
    await store.save_profile(profile, uow)
    payload = contract.NetworkProfileShared.model_validate(profile.model_dump(mode="json"))
    _announce(
        uow, identity, contract.NETWORK, contract.UPDATED, payload, identity.node, profile.version
    )
    return profile


# -- cross-membership -------------------------------------------------------------------


@dataclass(frozen=True)
class Membership:
    """One network that counts the organisation among its members."""

    node: str
    network: str
    organization_id: str
    legal_name: str
    country: str


async def cross_membership(
    query: str, store: MembershipStore, identity: NodeIdentity, include_node_only: bool = False
) -> list[Membership]:
    """Which known networks have this organisation (by name, VAT or website) as a member."""
    keys = query_keys(query)
    if not keys:
        raise DomainError("give an organisation name, VAT number or website", "org")
    found = [
        Membership(identity.node, identity.name, doc["_id"], doc["legal_name"], doc["country"])
        for doc in await store.own_members_with_keys(keys, include_node_only)
    ]
    names = await store.network_names()
    for doc in await store.replicas_with_keys(keys):
        data = doc["data"]
        found.append(
            Membership(
                doc["origin"],
                str(names.get(doc["origin"], doc["origin"])),
                data["id"],
                data["legal_name"],
                data["country"],
            )
        )
    return found


# -- replicas of other nodes ------------------------------------------------------------

REPLICA_COLLECTIONS: dict[str, tuple[str, type[Contract]]] = {
    contract.ORGANIZATION: (ORGANIZATION_REPLICAS, contract.OrganizationShared),
    contract.CLUSTER: (CLUSTER_REPLICAS, contract.ClusterShared),
    contract.NETWORK: (NETWORK_REPLICAS, contract.NetworkProfileShared),
}


def replica_change(envelope: Envelope) -> ReplicaChange:
    """Turn a verified remote event into the replica it leaves (raises EnvelopeRejected)."""
    parts = envelope.subject.split(".")
    aggregate, event = (parts[3], parts[4]) if len(parts) == 5 else ("", "")
    if aggregate not in REPLICA_COLLECTIONS:
        raise EnvelopeRejected("unknown_event", f"no membership aggregate {aggregate!r}")
    collection, shared_type = REPLICA_COLLECTIONS[aggregate]
    if event in (contract.DELETED, contract.WITHDRAWN):
        envelope.payload(contract.Tombstone)
        return ReplicaChange(collection, envelope, {"data": None, "match_keys": []}, deleted=True)
    if event not in (contract.REGISTERED, contract.UPDATED):
        raise EnvelopeRejected("unknown_event", f"no membership event {event!r}")
    payload: Contract = envelope.payload(shared_type)
    document: dict[str, Any] = {"data": payload.model_dump(mode="json")}
    if isinstance(payload, contract.OrganizationShared):
        document["match_keys"] = sorted(
            match_keys(payload.legal_name, payload.vat, payload.website)
        )
    return ReplicaChange(collection, envelope, document)

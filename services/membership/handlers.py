"""Membership use cases: one function per command, a few lines each.

Each runs inside a unit of work (``kit.transaction``): the aggregate records the events
its change causes (in full for this node's services, and what the alliance may see), the
repository saves it, and the commit writes state and events together.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from services.membership.csv_import import RowError
from services.membership.domain import (
    Cluster,
    ClusterDraft,
    NetworkProfile,
    NetworkProfileDraft,
    NotFound,
    Organization,
    OrganizationDraft,
)
from services.membership.keys import (
    DuplicateIndex,
    duplicate_keys,
    query_keys,
)
from services.membership.store import MembershipUnitOfWork
from shared.errors import DomainError
from shared.identity import NodeIdentity
from shared.ids import new_id


def _now() -> datetime:
    return datetime.now(UTC)


def not_found(noun: str, aggregate_id: str) -> NotFound:
    """One answer for unknown records, also for ones hidden from the caller."""
    return NotFound(f"no {noun} {aggregate_id!r} on this node", "id")


# -- organisations ---------------------------------------------------------------------


async def register_organization(
    draft: OrganizationDraft, uow: MembershipUnitOfWork, identity: NodeIdentity
) -> Organization:
    """A new member organisation; refused if a live one has the same VAT or name+country.

    The store's unique duplicate key refuses the clash at commit (``Duplicate``, 409).
    """
    org = Organization.register(new_id(identity.node), draft, _now())
    uow.organizations.add(org)
    return org


async def existing_organization(org_id: str, uow: MembershipUnitOfWork) -> Organization:
    org = await uow.organizations.get(org_id)
    if org is None:
        raise not_found("organisation", org_id)
    return org


async def revise_organization(
    org_id: str, draft: OrganizationDraft, uow: MembershipUnitOfWork
) -> Organization:
    """Replace an organisation's profile; the alliance sees only what it may."""
    org = await existing_organization(org_id, uow)
    org.revise(draft, _now())
    await uow.organizations.save(org)
    return org


async def delete_organization(org_id: str, uow: MembershipUnitOfWork) -> Organization:
    """Tombstone an organisation; replicas on other nodes obey the tombstone."""
    org = await existing_organization(org_id, uow)
    org.delete(_now())
    await uow.organizations.save(org)
    return org


async def erase_contact(email: str, uow: MembershipUnitOfWork) -> dict[str, list[str]]:
    """Remove a person from every organisation of this node (right to erasure); the
    membership part of ``ServiceDeclaration.erase`` (shared/erasure.py).

    Each live organisation announces its revision, so the streams (which keep only the
    latest event of each organisation) and other nodes' replicas lose the person too.
    """
    changed = []
    for org in await uow.organizations.with_contact(email):
        if org.erase_contact(email, _now()):
            await uow.organizations.save(org)
            changed.append(org.id)
    return {"organizations": changed}


async def erase_person(kit: object, email: str, uow: MembershipUnitOfWork) -> dict[str, list[str]]:
    """``erase_contact`` as the service kit calls a declared erasure (shared/erasure.py)."""
    return await erase_contact(email, uow)


@dataclass(frozen=True)
class ImportReport:
    """Per-row outcome of a CSV import: good rows land, bad rows are named with the reason."""

    created: list[tuple[int, str]]
    errors: list[RowError]


async def import_organizations(
    rows: list[tuple[int, OrganizationDraft]], uow: MembershipUnitOfWork, identity: NodeIdentity
) -> ImportReport:
    """Register a chunk of valid rows in one transaction; duplicates are reported per row.

    Duplicates are looked up once for the whole chunk, and rows of the chunk are checked
    against each other, so a chunk costs one query rather than one per row.
    """
    wanted: set[str] = set().union(*(duplicate_keys(draft) for _, draft in rows))
    taken = DuplicateIndex(await uow.organizations.live_with_keys(wanted) if wanted else [])
    created: list[tuple[int, str]] = []
    errors: list[RowError] = []
    for row, draft in rows:
        try:
            taken.check(draft)
        except DomainError as exc:
            errors.append(RowError(row=row, field=exc.field or "row", reason=exc.reason))
            continue
        org = Organization.register(new_id(identity.node), draft, _now())
        uow.organizations.add(org)
        taken.add(org)
        created.append((row, org.id))
    return ImportReport(created=created, errors=errors)


# -- clusters ----------------------------------------------------------------------------


async def register_cluster(
    draft: ClusterDraft, uow: MembershipUnitOfWork, identity: NodeIdentity
) -> Cluster:
    """A new member cluster of this network."""
    cluster = Cluster.register(new_id(identity.node), draft, _now())
    uow.clusters.add(cluster)
    return cluster


async def existing_cluster(cluster_id: str, uow: MembershipUnitOfWork) -> Cluster:
    cluster = await uow.clusters.get(cluster_id)
    if cluster is None:
        raise not_found("cluster", cluster_id)
    return cluster


async def revise_cluster(
    cluster_id: str, draft: ClusterDraft, uow: MembershipUnitOfWork
) -> Cluster:
    cluster = await existing_cluster(cluster_id, uow)
    cluster.revise(draft, _now())
    await uow.clusters.save(cluster)
    return cluster


async def delete_cluster(cluster_id: str, uow: MembershipUnitOfWork) -> Cluster:
    cluster = await existing_cluster(cluster_id, uow)
    cluster.delete(_now())
    await uow.clusters.save(cluster)
    return cluster


# -- network profile ---------------------------------------------------------------------


async def current_profile(uow: MembershipUnitOfWork, identity: NodeIdentity) -> NetworkProfile:
    """The stored profile, or the initial one a fresh node starts with."""
    return await uow.profile.get(identity.node) or NetworkProfile.initial(
        identity.node, identity.name, identity.country
    )


async def revise_network_profile(
    draft: NetworkProfileDraft, uow: MembershipUnitOfWork, identity: NodeIdentity
) -> NetworkProfile:
    """The association's public profile is always shared: it is what partners cross-link."""
    profile = await current_profile(uow, identity)
    profile.revise(draft, _now())
    await uow.profile.save(profile)
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
    query: str,
    uow: MembershipUnitOfWork,
    identity: NodeIdentity,
    include_node_only: bool = False,
) -> list[Membership]:
    """Which known networks have this organisation (by name, VAT or website) as a member."""
    keys = query_keys(query)
    if not keys:
        raise DomainError("give an organisation name, VAT number or website", "org")
    found = [
        Membership(identity.node, identity.name, org.id, org.legal_name, org.country)
        for org in await uow.organizations.members_with_keys(keys, include_node_only)
    ]
    names = await uow.replicas.network_names()
    for doc in await uow.replicas.organizations_with_keys(keys):
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

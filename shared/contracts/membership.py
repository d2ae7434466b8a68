"""Wire contracts of the membership service: what other nodes may know of our members.

Only ``public`` and ``alliance`` records travel, and only contact persons who consented.
Events carry the full shareable state (a replica never needs an older event to be
complete); a record leaving the alliance's view (deleted, or made ``node``-only) travels
as a tombstone that replicas obey.
"""

from __future__ import annotations

from shared.contracts.base import Contract, Visibility

SERVICE = "membership"
ORGANIZATION = "organization"
CLUSTER = "cluster"
NETWORK = "network"

REGISTERED = "registered"
UPDATED = "updated"
DELETED = "deleted"
WITHDRAWN = "withdrawn"  # made node-only: gone from the alliance's view, not deleted


class SharedContact(Contract):
    """A contact person who consented to be shown beyond the node."""

    name: str
    email: str
    role: str | None = None


class OrganizationShared(Contract):
    """Payload of organization.registered / organization.updated."""

    id: str
    legal_name: str
    vat: str | None = None
    country: str
    city: str | None = None
    website: str | None = None
    nace_codes: list[str] = []
    technologies: list[str] = []
    offers: str | None = None
    needs: str | None = None
    cooperation_types: list[str] = []
    countries_of_interest: list[str] = []
    languages: list[str] = []
    size_class: str | None = None
    clusters: list[str] = []
    visibility: Visibility
    contacts: list[SharedContact] = []
    updated_at: str


class ClusterShared(Contract):
    """Payload of cluster.registered / cluster.updated."""

    id: str
    name: str
    region: str | None = None
    website: str | None = None
    sectors: list[str] = []
    members: dict[str, int] = {}
    visibility: Visibility
    updated_at: str


class NetworkProfileShared(Contract):
    """Payload of network.updated: the association's public profile."""

    name: str
    country: str
    website: str | None = None
    logo_url: str | None = None
    description: str | None = None
    services_offered: list[str] = []
    partner_links: list[dict[str, str | None]] = []
    updated_at: str


class Tombstone(Contract):
    """Payload of *.deleted / *.withdrawn: replicas drop the record's data."""

    id: str
    reason: str

"""Wire contracts of the membership service: its events, and what they carry.

Every event carries the aggregate's whole state, so a projection never needs an older
event to be complete. On the node's own ``local`` channel the state is complete
(``node``-only records, every contact person); on the ``alliance`` channel only what may
leave the node travels: ``public`` and ``alliance`` records, and contact persons who
consented. A record leaving the alliance's view (deleted, or made ``node``-only) is
announced there as a withdrawal that replicas obey.
"""

from __future__ import annotations

from enum import StrEnum

from shared.contracts.base import Contract, Event, Visibility, Withdrawal
from shared.contracts.catalogue import EventCatalogue

SERVICE = "membership"


class WithdrawalReason(StrEnum):
    DELETED = "deleted"
    RESTRICTED = "restricted"  # made node-only: gone from the alliance's view, not deleted


class CooperationType(StrEnum):
    """Kinds of partnership, from the Enterprise Europe Network's partnering vocabulary
    (here, beside the events that carry them, so that matching filters by the same words)."""

    COMMERCIAL_AGREEMENT = "commercial_agreement"
    COMMERCIAL_AGREEMENT_WITH_TECHNICAL_ASSISTANCE = (
        "commercial_agreement_with_technical_assistance"
    )
    TECHNICAL_COOPERATION = "technical_cooperation"
    RESEARCH_COOPERATION = "research_cooperation"
    JOINT_VENTURE = "joint_venture"
    SUBCONTRACTING = "subcontracting"
    OUTSOURCING = "outsourcing"
    LICENSING = "licensing"
    MANUFACTURING_AGREEMENT = "manufacturing_agreement"
    SERVICES_AGREEMENT = "services_agreement"
    ACQUISITION_AGREEMENT = "acquisition_agreement"
    FINANCIAL_AGREEMENT = "financial_agreement"
    DISTRIBUTION_SERVICES = "distribution_services"


class Contact(Contract):
    """A contact person; on the alliance channel only those who consented."""

    name: str
    email: str
    role: str | None = None
    consent: bool = False


class OrganizationState(Event):
    """The whole state of a member organisation."""

    legal_name: str
    vat: str | None = None
    country: str
    city: str | None = None
    website: str | None = None
    nace_codes: list[str] = []
    technologies: list[str] = []
    offers: str = ""
    needs: str = ""
    cooperation_types: list[str] = []
    countries_of_interest: list[str] = []
    languages: list[str] = []
    size_class: str | None = None
    clusters: list[str] = []
    visibility: Visibility
    contacts: list[Contact] = []
    updated_at: str


class OrganizationRegistered(OrganizationState):
    """A member organisation was registered."""


class OrganizationRevised(OrganizationState):
    """A member organisation's profile changed (or became visible to the alliance)."""


class OrganizationWithdrawn(Withdrawal):
    """A member organisation was deleted, or is no longer shared: forget its data."""


class MemberCounts(Contract):
    smes: int = 0
    large_companies: int = 0
    research_academia: int = 0
    public_bodies: int = 0


class ClusterState(Event):
    """The whole state of a member cluster."""

    name: str
    region: str | None = None
    website: str | None = None
    sectors: list[str] = []
    members: MemberCounts = MemberCounts()
    visibility: Visibility
    updated_at: str


class ClusterRegistered(ClusterState):
    """A member cluster was registered."""


class ClusterRevised(ClusterState):
    """A member cluster's data changed (or it became visible to the alliance)."""


class ClusterWithdrawn(Withdrawal):
    """A member cluster was deleted, or is no longer shared: forget its data."""


class PartnerLink(Contract):
    name: str
    url: str
    node: str | None = None


class NetworkProfileRevised(Event):
    """The association's public profile changed; its id is the node id."""

    name: str
    country: str
    website: str | None = None
    logo_url: str | None = None
    description: str = ""
    services_offered: list[str] = []
    partner_links: list[PartnerLink] = []
    updated_at: str


def sector_prefixes(codes: list[str]) -> list[str]:
    """Every NACE division, group and class the codes fall under ("62.10" → 62, 62.1, 62.10):
    what a sector filter matches, whichever level it asks for."""
    prefixes = {code[:length] for code in codes for length in (2, 4, 5) if len(code) >= length}
    return sorted(prefix.rstrip(".") for prefix in prefixes)


CATALOGUE = EventCatalogue(
    SERVICE,
    {
        OrganizationRegistered: "organization.registered",
        OrganizationRevised: "organization.revised",
        OrganizationWithdrawn: "organization.withdrawn",
        ClusterRegistered: "cluster.registered",
        ClusterRevised: "cluster.revised",
        ClusterWithdrawn: "cluster.withdrawn",
        NetworkProfileRevised: "network.revised",
    },
)

"""Partner search over the projection, and the subscription's handler that fills it.

Who sees what: this node's staff (an API token, or a console session on the pages) see
every organisation the node knows, its own ``node``-only members included; anyone else
(the public, a member, another node's people) sees ``public`` organisations only, as the
membership directory shows them. ``alliance`` organisations are what partners share with
this node's network, so its staff search them on behalf of their members. Results carry
the organisations' public fields, the score and its reasons; never a contact person.
"""

from __future__ import annotations

import time
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
)

from services.matching.profiles import PartnerProfile, ProfileVectors
from services.matching.projection import Indexed, Projection, profile_key, record_change
from services.matching.ranking import PartnerIndex, PartnerMatch, SearchFilters
from services.matching.store import MatchingUnitOfWork
from shared.contracts.base import Event, Visibility
from shared.contracts.membership import CooperationType
from shared.errors import DomainError, NotFound, Unavailable
from shared.fields import CountryCode, NaceCode, refuse_nul
from shared.nace import nace_title
from shared.service import Delivery, ServiceKit

MAX_TEXT = 2000  # characters of a described need or offer
MAX_TOP = 50
NETWORK_ID = r"^[a-z0-9][a-z0-9-]{0,62}$"

Kit = ServiceKit[MatchingUnitOfWork]


async def on_organisation(
    kit: Kit, event: Event, delivery: Delivery, uow: MatchingUnitOfWork
) -> None:
    """An organisation changed here or anywhere in the alliance: store it, pending. The
    worker embeds it once this commits (never here: the bus consumer must not wait)."""
    await record_change(uow, event, delivery)


Described = Annotated[  # constraints first: after a validator pydantic counts "items"
    str,
    StringConstraints(strip_whitespace=True, max_length=MAX_TEXT),
    BeforeValidator(refuse_nul),
]


class PartnerFilters(BaseModel):
    """The filters both searches take (query parameters; an unknown one is refused)."""

    model_config = ConfigDict(extra="forbid")

    country: list[CountryCode] = Field(default=[], description="only these countries (repeat)")
    exclude_own_country: bool = Field(
        default=True,
        description="leave out the seeker's own country: cross-border is the point (default)",
    )
    sector: NaceCode | None = Field(default=None, description="NACE division, group or class")
    cooperation_type: CooperationType | None = None
    network: str | None = Field(default=None, pattern=NETWORK_ID, description="a node id")
    top: int = Field(default=10, ge=1, le=MAX_TOP)

    def ranking(self, own_country: str) -> SearchFilters:
        """The filters as ranking applies them, for a seeker from ``own_country``."""
        return SearchFilters(
            countries=self.country,
            exclude_country=own_country if self.exclude_own_country else None,
            sector=self.sector,
            cooperation_type=self.cooperation_type.value if self.cooperation_type else None,
            network=self.network,
        )


class FreeSearch(PartnerFilters):
    """A described need and/or offer, in any language, and the filters."""

    need: Described = Field(default="", description="what the seeker needs")
    offer: Described = Field(default="", description="what the seeker offers")


def visibilities(staff: bool) -> frozenset[Visibility]:
    """What a caller may find: staff everything this node holds, anyone else public."""
    return frozenset(Visibility) if staff else frozenset({Visibility.PUBLIC})


def visible(projection: Projection, key: str, staff: bool) -> bool:
    """Whether the caller may find the indexed organisation ``key`` (hidden: unknown)."""
    known = projection.known.get(key)
    return known is not None and known.visibility in visibilities(staff)


async def free_search(
    kit: Kit, projection: Projection, query: FreeSearch, staff: bool
) -> dict[str, Any]:
    """Organisations whose offers answer the need (and whose needs the offer answers)."""
    if not query.need and not query.offer:
        raise DomainError("describe a need or an offer (or both)", "need")
    started = time.perf_counter()
    seeker = PartnerProfile(  # what the searcher asks for is also what a reason names
        id="search",
        country=kit.identity.country,
        needs=query.need,
        offers=query.offer,
        nace_codes=[query.sector] if query.sector else [],
        cooperation_types=[query.cooperation_type.value] if query.cooperation_type else [],
        countries_of_interest=query.country,
    )
    [vectors] = await projection.embed([seeker])
    matches = _search(projection, seeker, vectors, query, staff)
    _observe(projection, "free", started)
    return {"results": matches}  # not the index's size: it counts node-only members too


async def partners_of(
    projection: Projection, network: str, organisation_id: str, query: PartnerFilters, staff: bool
) -> dict[str, Any]:
    """Who could work with one organisation, from its own profile (no model call)."""
    started = time.perf_counter()
    key = profile_key(network, organisation_id)
    index = _index(projection)
    seeker, vectors = index.profile(key), index.vectors(key)
    if seeker is None or vectors is None or not visible(projection, key, staff):
        raise NotFound(f"no organisation {organisation_id!r} of {network!r} on this node", "id")
    known = projection.known[key]
    matches = _search(projection, seeker, vectors, query, staff)
    _observe(projection, "organisation", started)
    return {"organisation": _view(seeker, known), "results": matches}


def _search(
    projection: Projection,
    seeker: PartnerProfile,
    vectors: ProfileVectors,
    query: PartnerFilters,
    staff: bool,
) -> list[dict[str, Any]]:
    allowed = visibilities(staff)
    known = projection.known

    def visible(profile: PartnerProfile) -> bool:
        found = known.get(profile.id)
        return found is not None and found.visibility in allowed

    index = _index(projection)
    found = index.search(seeker, vectors, query.ranking(seeker.country), query.top, visible)
    return [_result(match, index.profile(match.id), known[match.id]) for match in found]


def _index(projection: Projection) -> PartnerIndex:
    if projection.index is None:
        raise Unavailable("partner search is starting; try again in a moment")
    return projection.index


def _observe(projection: Projection, kind: str, started: float) -> None:
    if projection.metrics is not None:
        projection.metrics.search_seconds.labels(kind).observe(time.perf_counter() - started)


def _view(profile: PartnerProfile, known: Indexed) -> dict[str, Any]:
    """An organisation's public fields, as a result shows them (no contact, ever)."""
    network, _, organisation_id = profile.id.partition("/")
    return {
        "id": profile.id,
        "network": network,
        "organisation_id": organisation_id,
        "legal_name": profile.legal_name,
        "country": profile.country,
        "city": profile.city,
        "nace_codes": [{"code": c, "title": nace_title(c) or ""} for c in profile.nace_codes],
        "offers": profile.offers,
        "needs": profile.needs,
        "cooperation_types": profile.cooperation_types,
        "countries_of_interest": profile.countries_of_interest,
        "visibility": known.visibility.value,
        "contacts_shared": known.contacts_shared,
    }


def _result(match: PartnerMatch, profile: PartnerProfile | None, known: Indexed) -> dict[str, Any]:
    assert profile is not None
    return {
        **_view(profile, known),
        "score": match.score,
        "reasons": [reason.model_dump() for reason in match.reasons],
    }


def existing(projection: Projection, key: str, staff: bool) -> dict[str, Any]:
    """One indexed organisation as the caller may see it; hidden looks like unknown."""
    index = _index(projection)
    profile = index.profile(key)
    if profile is None or not visible(projection, key, staff):
        raise NotFound(f"no organisation {key!r} in this node's partner search", "partner")
    return _view(profile, projection.known[key])

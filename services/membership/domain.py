"""Membership domain: organisations, clusters and the network profile, and their rules.

The keys under which an organisation is recognised across networks are in keys.py.

Pure logic: no I/O (beyond the lazily read NACE list) and no messaging or storage imports.

Errors a user can cause (the first three are `shared.errors`' own classes, re-exported so
every entrypoint maps one hierarchy)::

    DomainError(ValueError)    .field: str | None, .reason: str
    ├── NotFound               no live aggregate with that id
    ├── Duplicate              another live organisation of this node has the same key
    └── Gone
        └── AggregateDeleted   a deleted aggregate cannot be revised or deleted again

Input that is malformed (bad country, unknown NACE code, unknown field, ...) is refused by
the draft models themselves with pydantic's ValidationError, which entrypoints show as 422.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Self, TypeVar
from urllib.parse import urlsplit, urlunsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    PrivateAttr,
    StringConstraints,
    field_validator,
    model_validator,
)

from services.membership.vat import check_vat
from shared.aggregate import Aggregate, AggregateDeleted
from shared.contracts import membership as contract
from shared.contracts.base import Event, Visibility
from shared.contracts.membership import CooperationType, WithdrawalReason
from shared.countries import check_country
from shared.errors import DomainError, Duplicate, NotFound, shorten
from shared.fields import refuse_nul, same_email
from shared.nace import is_valid_nace, normalise_nace, rev21_of_rev2

__all__ = [
    "AggregateDeleted",
    "Cluster",
    "ClusterDraft",
    "ContactPerson",
    "CooperationType",
    "DomainError",
    "Duplicate",
    "MemberCounts",
    "NetworkProfile",
    "NetworkProfileDraft",
    "NotFound",
    "Notice",
    "Organization",
    "OrganizationDraft",
    "PartnerLink",
    "SizeClass",
]


class SizeClass(StrEnum):
    """EU SME size classes (Recommendation 2003/361), which matching can filter on."""

    MICRO = "micro"
    SMALL = "small"
    MEDIUM = "medium"
    LARGE = "large"


# --- field types: normalise first, then check, so stored values are canonical ---------

_VAT_SEPARATORS = re.compile(r"[\s.\-]")
VAT_SHAPE = re.compile(r"[A-Z]{2}[A-Z0-9]{2,13}")  # what a look-up takes for a VAT number
MAX_MEMBERS = 1_000_000  # of one kind in one cluster; the store's integers end at 2**63
_EMAIL_SHAPE = r"^[^@\s]+@[^@\s]+\.[^@\s.]+$"
_T = TypeVar("_T")


def _clean(upper: bool = False, lower: bool = False) -> BeforeValidator:
    """Strip (and re-case) strings before the constraints see them; leave non-strings."""

    def clean(value: Any) -> Any:
        if not isinstance(value, str):
            return value
        value = value.strip()
        return value.upper() if upper else value.lower() if lower else value

    return BeforeValidator(clean)


def normalise_vat(value: Any) -> Any:
    return _VAT_SEPARATORS.sub("", value).upper() if isinstance(value, str) else value


def _normalise_website(value: Any) -> Any:
    """Canonical http(s) URL: lower-case scheme and host, no credentials, no trailing '/'."""
    if not isinstance(value, str):
        return value
    parts = urlsplit(value.strip())
    host = parts.hostname or ""
    if parts.scheme.lower() not in ("http", "https") or not host or re.search(r"\s", host):
        raise ValueError(f"{value!r} is not an http(s) URL such as https://example.com")
    if parts.username or parts.password:
        raise ValueError("a website URL must not contain credentials")
    host = f"[{host}]" if ":" in host else host  # IPv6 literal
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme.lower(), netloc, parts.path.rstrip("/"), parts.query, ""))


def _normalise_nace_code(value: Any) -> Any:
    """Canonical form; a NACE Rev. 2 code with one Rev. 2.1 counterpart becomes that."""
    if not isinstance(value, str):
        return value
    code = normalise_nace(value)
    converted = rev21_of_rev2(code)
    return converted[0] if len(converted) == 1 else code


def _check_nace(code: str) -> str:
    candidates = rev21_of_rev2(code)
    if candidates:
        raise ValueError(
            f"NACE Rev. 2 code {code!r} was split in NACE Rev. 2.1 into "
            f"{', '.join(candidates)}: give the one that fits"
        )
    if not is_valid_nace(code):
        raise ValueError(
            f"unknown NACE Rev. 2.1 code {shorten(code, 40)!r} (use e.g. '62', '62.1' or '62.10')"
        )
    return code


def _converted_nace(values: Any, field: str) -> list[Notice]:
    """A notice for each NACE Rev. 2 code in the raw ``values`` that is stored as Rev. 2.1."""
    notices = []
    for value in values if isinstance(values, list) else []:
        code = normalise_nace(value) if isinstance(value, str) else ""
        converted = rev21_of_rev2(code)
        if len(converted) == 1:
            reason = f"NACE Rev. 2 code {code} is {converted[0]} in NACE Rev. 2.1, stored as such"
            notices.append(Notice(field, reason))
    return notices


def _unique(items: list[_T]) -> list[_T]:
    """Drop repeats, keeping the first occurrence's position."""
    return list(dict.fromkeys(items))


Name = Annotated[
    str, StringConstraints(strict=True, strip_whitespace=True, min_length=1, max_length=200)
]
Text = Annotated[str, StringConstraints(strict=True, strip_whitespace=True, max_length=4000)]
Vat = Annotated[
    str,
    BeforeValidator(normalise_vat),
    StringConstraints(strict=True, max_length=40),
    AfterValidator(check_vat),
]
CountryCode = Annotated[
    str,
    _clean(upper=True),
    StringConstraints(strict=True, max_length=2),
    AfterValidator(check_country),
]
Website = Annotated[
    str, BeforeValidator(_normalise_website), StringConstraints(strict=True, max_length=2000)
]
NaceCode = Annotated[
    str,
    BeforeValidator(_normalise_nace_code),
    StringConstraints(strict=True, max_length=20),
    AfterValidator(_check_nace),
]
Keyword = Annotated[
    str, _clean(lower=True), StringConstraints(strict=True, min_length=1, max_length=80)
]
Language = Annotated[str, _clean(lower=True), StringConstraints(strict=True, pattern=r"^[a-z]{2}$")]
Email = Annotated[
    str, StringConstraints(strict=True, strip_whitespace=True, max_length=254, pattern=_EMAIL_SHAPE)
]
Count = Annotated[int, Field(strict=True, ge=0, le=MAX_MEMBERS)]
NaceCodes = Annotated[list[NaceCode], Field(max_length=50), AfterValidator(_unique)]
Keywords = Annotated[list[Keyword], Field(max_length=50), AfterValidator(_unique)]
Names = Annotated[list[Name], Field(max_length=50), AfterValidator(_unique)]


@dataclass(frozen=True, slots=True)
class Notice:
    """Something the input was changed into, which the person who sent it should know."""

    field: str
    reason: str


class _Input(BaseModel):
    """Unknown fields are refused so a typo is a clear 422, not silently dropped data.

    Every text field refuses NUL characters. A NACE Rev. 2 code in a field named in
    ``_nace_fields`` is stored as its Rev. 2.1 code, and ``notices`` says so.
    """

    model_config = ConfigDict(extra="forbid")
    _nace_fields: ClassVar[tuple[str, ...]] = ()
    _notices: list[Notice] = PrivateAttr(default_factory=list)

    _no_nul = field_validator("*", mode="before")(refuse_nul)

    @model_validator(mode="wrap")
    @classmethod
    def _note_conversions(cls, data: Any, handler: ModelWrapValidatorHandler[Self]) -> Self:
        model = handler(data)
        if cls._nace_fields and isinstance(data, dict):
            model._notices = [
                notice
                for name in cls._nace_fields
                for notice in _converted_nace(data.get(name), name)
            ]
        return model

    @property
    def notices(self) -> list[Notice]:
        """What validation changed in the input (NACE Rev. 2 codes converted), in order."""
        return self._notices


class ContactPerson(_Input):
    """A person to contact; shared beyond the node only with their consent."""

    name: Name
    email: Email
    role: Name | None = None
    consent: bool = False


class PartnerLink(_Input):
    """A cross-link from a network's profile to a partner network."""

    name: Name
    url: Website
    node: Name | None = None


class MemberCounts(_Input):
    """A cluster's membership by kind, as the European Cluster Collaboration Platform asks."""

    smes: Count = 0
    large_companies: Count = 0
    research_academia: Count = 0
    public_bodies: Count = 0


class OrganizationDraft(_Input):
    """What a user submits to register or revise an organisation."""

    _nace_fields = ("nace_codes",)

    legal_name: Name
    vat: Vat | None = None
    country: CountryCode
    city: Name | None = None
    website: Website | None = None
    nace_codes: NaceCodes = []
    technologies: Keywords = []
    offers: Text = ""
    needs: Text = ""
    cooperation_types: Annotated[
        list[CooperationType], Field(max_length=50), AfterValidator(_unique)
    ] = []
    countries_of_interest: Annotated[
        list[CountryCode], Field(max_length=50), AfterValidator(_unique)
    ] = []
    languages: Annotated[list[Language], Field(max_length=50), AfterValidator(_unique)] = []
    size_class: SizeClass | None = None
    clusters: Names = []
    visibility: Visibility = Visibility.ALLIANCE
    contacts: Annotated[list[ContactPerson], Field(max_length=50)] = []


class ClusterDraft(_Input):
    """What a user submits to register or revise a member cluster."""

    _nace_fields = ("sectors",)

    name: Name
    region: Name | None = None
    website: Website | None = None
    sectors: NaceCodes = []
    members: MemberCounts = MemberCounts()
    visibility: Visibility = Visibility.ALLIANCE


class NetworkProfileDraft(_Input):
    """What a node's administrator submits to describe the network itself."""

    name: Name
    country: CountryCode
    website: Website | None = None
    logo_url: Website | None = None
    description: Text = ""
    services_offered: Names = []
    partner_links: Annotated[list[PartnerLink], Field(max_length=50)] = []


# --- aggregates ------------------------------------------------------------------------


class _Lifecycle(Aggregate):
    """Membership aggregates: created from a draft, revised by a draft, deleted for good.

    Each change records its event in full (for this node's services) and what the
    alliance may see of it: the same event when the record is shared, a withdrawal when it
    stops being shared, nothing when it never was.
    """

    visibility: Visibility

    @classmethod
    def _create(cls, id: str, draft: BaseModel, now: datetime) -> Self:
        aggregate = cls.model_validate(
            {**_fields(draft), "id": id, "version": 1, "updated_at": now}
        )
        aggregate._announce(was_shared=False)
        return aggregate

    def _revise(self, draft: BaseModel, now: datetime) -> None:
        was_shared = self.is_shared
        self.bump(now)
        for name, value in _fields(draft).items():
            setattr(self, name, value)
        self._announce(was_shared)

    def delete(self, now: datetime) -> None:
        """Mark deleted (kept as a tombstone so replicas learn of it); final."""
        was_shared = self.is_shared
        self.bump(now)
        self.deleted = True
        self._announce(was_shared)

    @property
    def is_shared(self) -> bool:
        """Does the alliance hold this record (shared and not deleted)?"""
        return not self.deleted and self.visibility.leaves_node

    def _announce(self, was_shared: bool) -> None:
        event = self._event()
        if self.is_shared:
            shared: Event | None = self._shareable(event)
        elif was_shared:
            reason = WithdrawalReason.DELETED if self.deleted else WithdrawalReason.RESTRICTED
            shared = self._withdrawn(reason)
        else:
            shared = None
        self.record(event, shared)

    def _event(self) -> Event:
        if self.deleted:
            return self._withdrawn(WithdrawalReason.DELETED)
        registered, revised = self._events
        kind = registered if self.version == 1 else revised
        return kind.model_validate(self.model_dump(mode="json"))

    def _shareable(self, event: Event) -> Event:
        """What the alliance may see of a shared record's event (all of it, by default)."""
        return event

    def _withdrawn(self, reason: WithdrawalReason) -> Event:
        return self._withdrawal(id=self.id, reason=reason.value)

    _events: ClassVar[tuple[type[Event], type[Event]]]
    _withdrawal: ClassVar[type[Event]]


def _fields(draft: BaseModel) -> dict[str, Any]:
    """The draft's field values as they are (already validated, nested models kept)."""
    return {name: getattr(draft, name) for name in type(draft).model_fields}


class Organization(OrganizationDraft, _Lifecycle):
    """A member company or other organisation, as registered at this node."""

    _events = (contract.OrganizationRegistered, contract.OrganizationRevised)
    _withdrawal = contract.OrganizationWithdrawn

    @classmethod
    def register(cls, id: str, draft: OrganizationDraft, now: datetime) -> Self:
        """A new organisation at version 1."""
        return cls._create(id, draft, now)

    def revise(self, draft: OrganizationDraft, now: datetime) -> None:
        """Replace the profile with the draft; refused once deleted."""
        self._revise(draft, now)

    def erase_contact(self, email: str, now: datetime) -> bool:
        """Remove the person with this e-mail from the contacts; False if not listed.

        A live record announces the revision: every stream keeps only an aggregate's latest
        event, so the person's data is replaced there and in other nodes' replicas. A
        deleted record only loses it from what is stored (its last event holds no data).
        """
        kept = [c for c in self.contacts if not same_email(c.email, email)]
        if len(kept) == len(self.contacts):
            return False
        if self.deleted:
            self.contacts = kept
            return True
        was_shared = self.is_shared
        self.bump(now)
        self.contacts = kept
        self._announce(was_shared)
        return True

    def _shareable(self, event: Event) -> Event:
        """Contact persons leave the node only with their consent."""
        assert isinstance(event, contract.OrganizationState)
        return event.model_copy(update={"contacts": [c for c in event.contacts if c.consent]})


class Cluster(ClusterDraft, _Lifecycle):
    """A member cluster of this node's network."""

    _events = (contract.ClusterRegistered, contract.ClusterRevised)
    _withdrawal = contract.ClusterWithdrawn

    @classmethod
    def register(cls, id: str, draft: ClusterDraft, now: datetime) -> Self:
        """A new cluster at version 1."""
        return cls._create(id, draft, now)

    def revise(self, draft: ClusterDraft, now: datetime) -> None:
        """Replace the cluster's data with the draft; refused once deleted."""
        self._revise(draft, now)


class NetworkProfile(NetworkProfileDraft, Aggregate):
    """The node's own network profile; its id is the node name, so there is one per node.

    The profile is always shared: it is what partner networks cross-link to.
    """

    @classmethod
    def initial(
        cls, node_id: str, node_name: str, country: str, now: datetime | None = None
    ) -> Self:
        """The profile a fresh node starts with, before an administrator fills it in."""
        draft = NetworkProfileDraft(name=node_name, country=country)
        return cls.model_validate(
            {
                **_fields(draft),
                "id": node_id,
                "version": 1,
                "updated_at": now or datetime.fromtimestamp(0, UTC),
            }
        )

    def revise(self, draft: NetworkProfileDraft, now: datetime) -> None:
        """Replace the profile with the draft."""
        self.bump(now)
        for name, value in _fields(draft).items():
            setattr(self, name, value)
        event = contract.NetworkProfileRevised.model_validate(self.model_dump(mode="json"))
        self.record(event, event)

"""A service's event catalogue: the one table from event class to CloudEvents type and subject.

Each service's contracts module declares its table once, e.g.::

    CATALOGUE = EventCatalogue("membership", {
        OrganizationRegistered: "organization.registered",
        OrganizationRevised: "organization.revised",
        ...
    })

Sealing takes the event object (its class gives the type, its id the subject); decoding
dispatches on the envelope's ``type`` and checks that subject, type and payload agree.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from shared import subjects
from shared.contracts.base import Event, Withdrawal
from shared.envelope import Envelope, EnvelopeRejected, seal
from shared.identity import NodeIdentity
from shared.subjects import Channel

TYPE_PREFIX = "eu.clustersalliance"


@dataclass(frozen=True)
class CatalogueEntry:
    """One kind of event: its class, the aggregate it belongs to, and its wire type."""

    event: type[Event]
    service: str
    aggregate: str
    name: str

    @property
    def type(self) -> str:
        """The CloudEvents ``type``: ``eu.clustersalliance.<service>.<aggregate>.<name>``."""
        return f"{TYPE_PREFIX}.{self.service}.{self.aggregate}.{self.name}"

    @property
    def withdraws(self) -> bool:
        """After this event a replica holds no data (a tombstone)."""
        return issubclass(self.event, Withdrawal)


class EventCatalogue:
    """Every event one service publishes, by class and by CloudEvents type."""

    def __init__(self, service: str, table: Mapping[type[Event], str]) -> None:
        self.service = service
        self._by_class: dict[type[Event], CatalogueEntry] = {}
        for event, name in table.items():
            aggregate, _, verb = name.partition(".")
            if not aggregate or not verb or "." in verb:
                raise ValueError(f"{event.__name__}: expected 'aggregate.event', got {name!r}")
            subjects.event_subject(Channel.ALLIANCE, "x", service, aggregate, "x")  # validates
            self._by_class[event] = CatalogueEntry(event, service, aggregate, verb)
        self._by_type = {entry.type: entry for entry in self._by_class.values()}

    def __iter__(self) -> Iterator[CatalogueEntry]:
        return iter(self._by_class.values())

    def entry(self, event: type[Event]) -> CatalogueEntry:
        try:
            return self._by_class[event]
        except KeyError:
            raise ValueError(f"{event.__name__} is not in the {self.service} catalogue") from None

    def aggregates(self) -> list[str]:
        return sorted({entry.aggregate for entry in self})

    def subjects(self, channel: Channel, origin: str = "*", aggregate: str | None = None) -> str:
        """The subject filter of this service's events (of one aggregate) from ``origin``."""
        return subjects.service_subjects(self.service, origin, channel, aggregate)

    def subject(self, channel: Channel, origin: str, event: Event) -> str:
        entry = self.entry(type(event))
        return subjects.event_subject(channel, origin, self.service, entry.aggregate, event.id)

    def seal(
        self, identity: NodeIdentity, channel: Channel, event: Event, version: int
    ) -> Envelope:
        """The signed envelope of ``event`` at aggregate version ``version``."""
        entry = self.entry(type(event))
        return seal(
            identity,
            subject=self.subject(channel, identity.node, event),
            type=entry.type,
            payload=event,
            aggregate_id=event.id,
            aggregate_version=version,
        )

    def decode(self, envelope: Envelope) -> Event:
        """The typed event of a verified envelope (raises EnvelopeRejected)."""
        entry = self._by_type.get(envelope.type)
        if entry is None:
            raise EnvelopeRejected("unknown_event", f"no {self.service} event {envelope.type!r}")
        parts = subjects.parse_subject(envelope.subject)
        if (
            parts is None
            or parts.service != self.service
            or parts.aggregate != entry.aggregate
            or parts.aggregate_id != envelope.aggregateid
        ):
            raise EnvelopeRejected(
                "subject_mismatch",
                f"{envelope.type} of {envelope.aggregateid!r} on {envelope.subject!r}",
            )
        event = envelope.payload(entry.event)
        if event.id != envelope.aggregateid:
            raise EnvelopeRejected(
                "subject_mismatch", f"payload id {event.id!r} is not {envelope.aggregateid!r}"
            )
        return event

    def entry_of(self, envelope: Envelope) -> CatalogueEntry | None:
        return self._by_type.get(envelope.type)

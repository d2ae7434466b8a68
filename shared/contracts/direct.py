"""A service's direct messages: the table from message class to kind, for one node to another.

A direct message is a request only one node decides (a registration for its event, say)
or the answer to one: it travels from its sender to its target through the hub and is
stored only in the target's ``INBOX_<ID>`` (``shared.subjects``: ``direct.<target>.
<sender>.<service>.<kind>.<id>``). A service declares its table once, e.g.::

    MESSAGES = DirectCatalogue("events", {
        RegistrationRequested: "registration-requested",
        RegistrationDecided: "registration-decided",
    })

Messages are frozen contracts with an ``id`` (the request they are about), like events;
the envelope, its signature and its checks are the events' own (``shared.envelope``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from shared import subjects
from shared.contracts.base import Event
from shared.contracts.catalogue import TYPE_PREFIX
from shared.envelope import Envelope, EnvelopeRejected, seal
from shared.identity import NodeIdentity

DIRECT_VERSION = 0  # a direct message belongs to no aggregate history
REFUSED_KIND = "message-refused"  # every catalogue's answer to a message it refused


class MessageRefused(Event):
    """The answer to a direct message its target refused (malformed, unknown kind, not
    handled): its sender learns why instead of waiting for an answer that never comes.

    ``id`` is the refused envelope's id, ``about`` the request it was about (its
    ``aggregateid``), ``kind`` its CloudEvents type. Sent only for a message whose
    signature and origin verified, and never for a ``MessageRefused`` (no loops).
    """

    about: str
    kind: str
    reason: str
    detail: str


class DirectCatalogue:
    """Every direct message one service sends or handles, by class and by kind."""

    def __init__(self, service: str, table: Mapping[type[Event], str]) -> None:
        self.service = service
        self._kinds: dict[type[Event], str] = {}
        every: dict[type[Event], str] = {**table, MessageRefused: REFUSED_KIND}
        for message, kind in every.items():
            subjects.direct_subject("a-node", "b-node", service, kind, "x")  # validates
            self._kinds[message] = kind
        self._by_type = {self._type(kind): message for message, kind in self._kinds.items()}

    def __iter__(self) -> Iterator[type[Event]]:
        return iter(self._kinds)

    def _type(self, kind: str) -> str:
        return f"{TYPE_PREFIX}.{self.service}.direct.{kind}"

    def kind(self, message: type[Event]) -> str:
        try:
            return self._kinds[message]
        except KeyError:
            raise ValueError(
                f"{message.__name__} is not a direct message of {self.service}"
            ) from None

    def type(self, message: type[Event]) -> str:
        """The CloudEvents ``type``: ``eu.clustersalliance.<service>.direct.<kind>``."""
        return self._type(self.kind(message))

    def subjects(self, target: str) -> str:
        """The subject filter of this service's messages to ``target``, from any sender."""
        return subjects.direct_to(target, self.service)

    def seal(self, identity: NodeIdentity, target: str, message: Event) -> Envelope:
        """The signed envelope of ``message`` from this node to ``target``."""
        kind = self.kind(type(message))
        return seal(
            identity,
            subject=subjects.direct_subject(target, identity.node, self.service, kind, message.id),
            type=self._type(kind),
            payload=message,
            aggregate_id=message.id,
            aggregate_version=DIRECT_VERSION,
        )

    def refusal(self, envelope: Envelope, rejected: EnvelopeRejected) -> MessageRefused | None:
        """The answer to a verified envelope this service refused; None for a refusal
        (answering one could loop between two nodes)."""
        if envelope.type == self._type(REFUSED_KIND):
            return None
        return MessageRefused(
            id=envelope.id,
            about=envelope.aggregateid,
            kind=envelope.type,
            reason=rejected.reason,
            detail=rejected.detail[:500],
        )

    def decode(self, envelope: Envelope) -> Event:
        """The typed message of a verified envelope (raises EnvelopeRejected).

        The key ring has checked the signature and that the subject's sender is the
        envelope's origin; here kind, subject and payload must agree.
        """
        message = self._by_type.get(envelope.type)
        if message is None:
            raise EnvelopeRejected(
                "unknown_message", f"no {self.service} direct message {envelope.type!r}"
            )
        parts = subjects.parse_direct_subject(envelope.subject)
        if (
            parts is None
            or parts.service != self.service
            or parts.kind != self._kinds[message]
            or parts.message_id != envelope.aggregateid
        ):
            raise EnvelopeRejected(
                "subject_mismatch",
                f"{envelope.type} of {envelope.aggregateid!r} on {envelope.subject!r}",
            )
        payload = envelope.payload(message)
        if payload.id != envelope.aggregateid:
            raise EnvelopeRejected(
                "subject_mismatch", f"payload id {payload.id!r} is not {envelope.aggregateid!r}"
            )
        return payload

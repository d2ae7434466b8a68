"""Direct messages without servers: their subjects, catalogue, checks and hub routes."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from shared.contracts.base import Event
from shared.contracts.direct import DirectCatalogue
from shared.direct import check_handlers, direct_decoder
from shared.envelope import EnvelopeRejected, KeyRing, seal
from shared.identity import NodeIdentity, create_identity
from shared.store import DirectOutbox

NOW = datetime(2026, 12, 3, tzinfo=UTC)


class Asked(Event):
    question: str


class Answered(Event):
    answer: str


MESSAGES = DirectCatalogue("desk", {Asked: "asked", Answered: "answered"})


@pytest.fixture
def ro(tmp_path: Path) -> NodeIdentity:
    return create_identity(tmp_path / "ro", "ro", "Romania", "RO")


@pytest.fixture
def es(tmp_path: Path) -> NodeIdentity:
    return create_identity(tmp_path / "es", "es", "Spain", "ES")


def keyring(*identities: NodeIdentity) -> KeyRing:
    return KeyRing({identity.node: identity.public_key for identity in identities})


def test_a_message_sealed_by_its_sender_opens_and_decodes(ro: NodeIdentity) -> None:
    envelope = MESSAGES.seal(ro, "fr", Asked(id="q-1", question="Is there parking?"))
    assert envelope.subject == "direct.fr.ro.desk.asked.q-1"
    assert envelope.source == "urn:alliance:ro:desk"
    opened = keyring(ro).open(envelope.to_bytes(), envelope.subject)
    assert MESSAGES.decode(opened) == Asked(id="q-1", question="Is there parking?")


def test_a_node_cannot_send_as_another(ro: NodeIdentity, es: NodeIdentity) -> None:
    """ro's message put on es's subject is refused: the subject's sender is not its origin."""
    envelope = MESSAGES.seal(ro, "fr", Asked(id="q-1", question="?"))
    forged = envelope.subject.replace("direct.fr.ro.", "direct.fr.es.")
    with pytest.raises(EnvelopeRejected) as refused:
        keyring(ro, es).open(envelope.to_bytes(), forged)
    assert refused.value.reason == "origin_mismatch"


def test_decoding_refuses_unknown_kinds_and_mismatched_subjects(ro: NodeIdentity) -> None:
    ring = keyring(ro)
    unknown = seal(
        ro,
        subject="direct.fr.ro.desk.tea.q-1",
        type="eu.clustersalliance.desk.direct.tea",
        payload=Asked(id="q-1", question="?"),
        aggregate_id="q-1",
        aggregate_version=0,
    )
    wrong_kind = seal(
        ro,
        subject="direct.fr.ro.desk.answered.q-1",
        type=MESSAGES.type(Asked),
        payload=Asked(id="q-1", question="?"),
        aggregate_id="q-1",
        aggregate_version=0,
    )
    other_id = seal(
        ro,
        subject="direct.fr.ro.desk.asked.q-1",
        type=MESSAGES.type(Asked),
        payload=Asked(id="q-2", question="?"),
        aggregate_id="q-1",
        aggregate_version=0,
    )
    reasons = []
    for envelope in (unknown, wrong_kind, other_id):
        with pytest.raises(EnvelopeRejected) as refused:
            MESSAGES.decode(ring.open(envelope.to_bytes(), envelope.subject))
        reasons.append(refused.value.reason)
    assert reasons == ["unknown_message", "subject_mismatch", "subject_mismatch"]


def test_a_service_takes_only_the_messages_it_handles(ro: NodeIdentity) -> None:
    """A kind it sends but does not handle, arriving in its inbox, is refused."""
    decode = direct_decoder(MESSAGES, {Asked: object()})
    answer = MESSAGES.seal(ro, "fr", Answered(id="q-1", answer="yes"))
    with pytest.raises(EnvelopeRejected) as refused:
        decode(keyring(ro).open(answer.to_bytes(), answer.subject))
    assert refused.value.reason == "unknown_message"
    asked = MESSAGES.seal(ro, "fr", Asked(id="q-1", question="?"))
    message, delivery = decode(keyring(ro).open(asked.to_bytes(), asked.subject))
    assert isinstance(message, Asked) and delivery.sender == "ro"
    assert delivery.message_id == asked.id


def test_handlers_must_name_messages_of_the_catalogue() -> None:
    class Stray(Event):
        pass

    check_handlers(MESSAGES, {Asked: object()})
    with pytest.raises(ValueError, match="Stray"):
        check_handlers(MESSAGES, {Stray: object()})
    with pytest.raises(ValueError):
        check_handlers(None, {Asked: object()})


@pytest.mark.parametrize("target", ["ro", "RO", "", "fr.x"])
def test_a_message_goes_to_another_node(ro: NodeIdentity, target: str) -> None:
    with pytest.raises(ValueError):
        DirectOutbox(ro, MESSAGES).document(target, Asked(id="q-1", question="?"))


def test_the_outbox_keeps_the_sealed_message_and_its_target(ro: NodeIdentity) -> None:
    document = DirectOutbox(ro, MESSAGES).document("fr", Asked(id="q-1", question="?"))
    assert document["target"] == "fr"
    assert document["subject"] == "direct.fr.ro.desk.asked.q-1"
    opened = keyring(ro).open(document["body"], document["subject"])
    assert opened.id == document["_id"]  # the relay's Nats-Msg-Id

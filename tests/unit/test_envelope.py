"""Envelope sealing and verification: what a consumer must refuse, and why."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shared.contracts.base import Contract
from shared.envelope import Envelope, EnvelopeRejected, KeyRing, seal
from shared.identity import NodeIdentity, create_identity, load_identity

SUBJECT = "alliance.ro.membership.organization.registered"


class Sample(Contract):
    SCHEMA_VERSION = "1.2"
    id: str
    name: str


@pytest.fixture
def ro(tmp_path: Path) -> NodeIdentity:
    return create_identity(tmp_path / "ro", "ro", "CLUSTERO", "RO")


@pytest.fixture
def fr(tmp_path: Path) -> NodeIdentity:
    return create_identity(tmp_path / "fr", "fr", "France Clusters", "FR")


def sealed(identity: NodeIdentity, subject: str = SUBJECT) -> Envelope:
    return seal(identity, subject, Sample(id="o1", name="Acme"), "o1", 3)


def test_sealed_envelope_opens_with_the_origin_key(ro: NodeIdentity) -> None:
    envelope = sealed(ro)
    opened = KeyRing({"ro": ro.public_key}).open(envelope.to_bytes(), SUBJECT)
    assert opened.id.startswith("ro-")
    assert opened.aggregateversion == 3
    assert opened.payload(Sample).name == "Acme"
    assert opened.specversion == "1.0" and opened.type.endswith("organization.registered")


def test_ids_are_unique_and_sortable(ro: NodeIdentity) -> None:
    ids = [sealed(ro).id for _ in range(200)]
    assert len(set(ids)) == 200
    assert ids == sorted(ids)


def test_tampered_data_fails_verification(ro: NodeIdentity) -> None:
    body = json.loads(sealed(ro).to_bytes())
    body["data"]["name"] = "Evil"
    with pytest.raises(EnvelopeRejected) as rejected:
        KeyRing({"ro": ro.public_key}).open(json.dumps(body).encode(), SUBJECT)
    assert rejected.value.reason == "bad_signature"


def test_signature_of_another_node_is_refused(ro: NodeIdentity, fr: NodeIdentity) -> None:
    forged = seal(fr, SUBJECT, Sample(id="o1", name="x"), "o1", 1)
    body = json.loads(forged.to_bytes())
    body["origin"] = "ro"  # fr pretends to be ro
    with pytest.raises(EnvelopeRejected) as rejected:
        KeyRing({"ro": ro.public_key, "fr": fr.public_key}).open(json.dumps(body).encode(), SUBJECT)
    assert rejected.value.reason == "bad_signature"


def test_unsigned_envelope_is_refused(ro: NodeIdentity) -> None:
    body = json.loads(sealed(ro).to_bytes())
    body["signature"] = ""
    with pytest.raises(EnvelopeRejected) as rejected:
        KeyRing({"ro": ro.public_key}).open(json.dumps(body).encode(), SUBJECT)
    assert rejected.value.reason == "bad_signature"


def test_unknown_origin_is_refused(ro: NodeIdentity) -> None:
    with pytest.raises(EnvelopeRejected) as rejected:
        KeyRing({}).open(sealed(ro).to_bytes(), SUBJECT)
    assert rejected.value.reason == "unknown_origin"


def test_origin_must_match_the_subject_it_travels_on(ro: NodeIdentity) -> None:
    other = "alliance.fr.membership.organization.registered"
    with pytest.raises(EnvelopeRejected) as rejected:
        KeyRing({"ro": ro.public_key}).open(sealed(ro).to_bytes(), other)
    assert rejected.value.reason == "origin_mismatch"


@pytest.mark.parametrize("raw", [b"not json{", b"{}", b'{"id": 1}', b"[]"])
def test_malformed_messages_are_refused(ro: NodeIdentity, raw: bytes) -> None:
    with pytest.raises(EnvelopeRejected) as rejected:
        KeyRing({"ro": ro.public_key}).open(raw, SUBJECT)
    assert rejected.value.reason == "malformed"


def test_newer_minor_version_is_read_and_newer_major_refused(ro: NodeIdentity) -> None:
    envelope = sealed(ro)
    minor = envelope.model_copy(update={"schemaversion": "1.9", "data": {**envelope.data, "x": 1}})
    assert minor.payload(Sample).name == "Acme"
    major = envelope.model_copy(update={"schemaversion": "2.0"})
    with pytest.raises(EnvelopeRejected) as rejected:
        major.payload(Sample)
    assert rejected.value.reason == "schema_version"


def test_identity_round_trips_and_key_file_is_private(tmp_path: Path) -> None:
    created = create_identity(tmp_path / "n", "lt-klaster", "Klaster.LT", "lt")
    loaded = load_identity(tmp_path / "n")
    assert loaded.public_key_b64 == created.public_key_b64
    assert loaded.country == "LT"
    assert (tmp_path / "n" / "node.key").stat().st_mode & 0o777 == 0o600

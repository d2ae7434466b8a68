"""The node side of the federation, without servers: leaf config, feed sources, registry."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.contracts.registry import CATALOGUE, NodeAdmitted, NodeRemoved
from shared.envelope import Envelope, EnvelopeRejected
from shared.federation import (
    HubCredentials,
    Peers,
    decode_registry_event,
    feed_sources,
    leaf_config,
)
from shared.identity import create_identity
from shared.subjects import Channel


def test_feed_sources_every_other_origin_through_the_hub() -> None:
    sources = feed_sources("ro", ["hub", "fr", "ro", "es", "fr"])
    assert [s.filter_subject for s in sources] == [
        "alliance.es.>",
        "alliance.fr.>",
        "alliance.hub.>",
    ]
    assert all(s.name == "ALLIANCE" for s in sources)
    assert {s.external.api for s in sources if s.external} == {"$JS.hub.API"}
    assert {s.external.deliver for s in sources if s.external} == {"deliver.hub.ro"}


def test_leaf_config_carries_the_seed_and_the_url_given_now() -> None:
    credentials = HubCredentials(
        node="ro", nkey_seed="SUAB", hub_url="nats-leaf://h:7422", hub_public_key="k"
    )
    assert 'url: "nats-leaf://h:7422"' in leaf_config(credentials)
    override = leaf_config(credentials, "nats-leaf://127.0.0.1:9999")
    assert 'url: "nats-leaf://127.0.0.1:9999"' in override and 'nkey: "SUAB"' in override


def test_credentials_file_is_private(tmp_path: Path) -> None:
    credentials = HubCredentials(node="ro", nkey_seed="SU", hub_url="u", hub_public_key="k")
    credentials.save(tmp_path / "c.json")
    assert (tmp_path / "c.json").stat().st_mode & 0o777 == 0o600
    assert HubCredentials.model_validate_json((tmp_path / "c.json").read_text()) == credentials


def test_peers_survive_a_restart(tmp_path: Path) -> None:
    Peers(tmp_path).save({"fr": "key-fr"})
    assert Peers(tmp_path).load() == {"fr": "key-fr"}
    assert Peers(tmp_path / "missing").load() == {}


def test_registry_events_decode_and_bad_ones_are_refused(tmp_path: Path) -> None:
    hub = create_identity(tmp_path / "hub", "hub", "Hub", "EU")
    fr = create_identity(tmp_path / "fr", "fr", "France Clusters", "FR")
    admitted = NodeAdmitted(
        id="fr", name="France Clusters", country="FR", public_key=fr.public_key_b64
    )

    def sealed(event: NodeAdmitted | NodeRemoved, version: int) -> Envelope:
        return CATALOGUE.seal(hub, Channel.ALLIANCE, event, version)

    assert decode_registry_event(sealed(admitted, 1)) == admitted
    assert isinstance(decode_registry_event(sealed(NodeRemoved(id="fr"), 2)), NodeRemoved)
    bad_key = admitted.model_copy(update={"public_key": "nonsense"})
    with pytest.raises(EnvelopeRejected) as rejected:
        decode_registry_event(sealed(bad_key, 1))
    assert rejected.value.reason == "invalid_payload"
    renamed = sealed(admitted, 1).model_copy(
        update={"type": "eu.clustersalliance.registry.node.renamed"}
    )
    with pytest.raises(EnvelopeRejected) as unknown:
        decode_registry_event(renamed)
    assert unknown.value.reason == "unknown_event"
    elsewhere = sealed(admitted, 1).model_copy(update={"subject": "alliance.hub.registry.node.es"})
    with pytest.raises(EnvelopeRejected) as mismatch:
        decode_registry_event(elsewhere)
    assert mismatch.value.reason == "subject_mismatch"

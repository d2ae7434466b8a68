"""The route of direct messages: their subjects, the target's private inbox, and the hub's
accounts that let each node send as itself only (docs/architecture.md, "Messages between
nodes")."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from services.hub.domain import AdmittedNode, JoinRequest, Registry
from services.hub.natsconf import HubListeners, render
from shared import subjects
from shared.federation import hub_denied_subjects
from shared.identity import create_identity

NOW = datetime(2026, 12, 3, tzinfo=UTC)


def test_a_direct_subject_names_target_sender_service_kind_and_id() -> None:
    subject = subjects.direct_subject("fr", "ro-clustero", "events", "registration", "r-1")
    assert subject == "direct.fr.ro-clustero.events.registration.r-1"
    parts = subjects.parse_direct_subject(subject)
    assert parts is not None and (parts.target, parts.sender) == ("fr", "ro-clustero")
    assert subjects.origin_of(subject) == "ro-clustero"  # what the key ring checks
    assert subjects.service_of(subject) == "events"
    assert subjects.parse_direct_subject("alliance.ro.membership.organization.x") is None


@pytest.mark.parametrize(
    "parts",
    [
        ("FR", "ro", "s", "k", "1"),
        ("fr", "r o", "s", "k", "1"),
        ("fr", "ro", "s", "k.x", "1"),
        ("fr", "ro", "s", "k", "a.b"),
        ("fr", "ro", "s", "k", "*"),
    ],
)
def test_a_direct_subject_refuses_what_is_not_a_token(parts: tuple[str, ...]) -> None:
    with pytest.raises(ValueError):
        subjects.direct_subject(*parts)


def test_the_inbox_is_private_to_its_node() -> None:
    """The hub may not create consumers on a node's inbox (its leaf remote refuses it)."""
    assert subjects.inbox_stream("fr") in subjects.private_streams("fr")
    assert "$JS.fr.API.CONSUMER.*.INBOX_FR" in hub_denied_subjects("fr")


def admitted(tmp_path: Path, *nodes: str) -> list[AdmittedNode]:
    registry = Registry()
    for node in nodes:
        identity = create_identity(tmp_path / node, node, f"Network {node}", "RO")
        registry.admit(JoinRequest.model_validate(identity.join_request()), f"U{node}", NOW)
    return registry.active()


def test_the_hub_routes_each_pair_as_the_sender_only(tmp_path: Path) -> None:
    """Each node's account exports its inbox subjects and imports, from every other node,
    only what it sends as itself; its leaf publishes direct messages as itself only."""
    listeners = HubListeners("127.0.0.1", 14222, 17422, 18222, "127.0.0.1:17422")
    text = render(listeners, str(tmp_path / "js"), admitted(tmp_path, "ro", "fr", "es"), "pw")
    ro = text[text.index("  NODE_RO: {") :]
    ro = ro[: ro.index("\n  }\n")]
    assert '{ service: "direct.ro.>" }' in ro
    assert '{ service: { account: NODE_FR, subject: "direct.fr.ro.>" } }' in ro
    assert '{ service: { account: NODE_ES, subject: "direct.es.ro.>" } }' in ro
    assert "direct.fr.es" not in ro and "direct.ro.ro" not in ro
    assert '"direct.*.ro.>"' in ro  # publish: as itself
    assert '"direct.ro.>"' in ro  # subscribe: to itself

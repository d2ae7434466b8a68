"""The hub's registry rules and the NATS configuration rendered from it."""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import nkeys
import pytest
from pydantic import ValidationError

from services.hub.domain import JoinRequest, Registry
from services.hub.natsconf import HubListeners, render
from shared.errors import Duplicate, NotFound
from shared.identity import create_identity
from shared.runtime import find_nats_server

NOW = datetime(2026, 11, 22, tzinfo=UTC)


def user_nkey() -> str:
    seed = nkeys.encode_seed(os.urandom(32), nkeys.PREFIX_BYTE_USER)
    return str(nkeys.from_seed(seed).public_key.decode())


def join(tmp_path: Path, node: str) -> JoinRequest:
    identity = create_identity(tmp_path / node, node, f"Network {node}", "RO")
    return JoinRequest.model_validate(identity.join_request())


def test_admit_then_remove_then_admit_again(tmp_path: Path) -> None:
    registry = Registry()
    ro = join(tmp_path, "ro")
    registry.admit(ro, "UNKEY", NOW)
    with pytest.raises(Duplicate):
        registry.admit(ro, "UNKEY2", NOW)
    registry.remove("ro", NOW)
    assert registry.active() == []
    registry.admit(join(tmp_path / "again", "ro"), "UNKEY3", NOW)
    assert [entry.nkey for entry in registry.active()] == ["UNKEY3"]


def test_one_key_cannot_speak_for_two_nodes(tmp_path: Path) -> None:
    registry = Registry()
    ro = join(tmp_path, "ro")
    registry.admit(ro, "A", NOW)
    twin = ro.model_copy(update={"node": "fr"})
    with pytest.raises(Duplicate) as refused:
        registry.admit(twin, "B", NOW)
    assert refused.value.field == "public_key"


def test_removing_an_unknown_node_is_refused() -> None:
    with pytest.raises(NotFound):
        Registry().remove("xx", NOW)


@pytest.mark.parametrize(
    "change",
    [{"node": "hub"}, {"node": "RO X"}, {"public_key": "not-a-key"}, {"country": "Romania"}],
)
def test_bad_join_requests_are_refused(tmp_path: Path, change: dict[str, str]) -> None:
    request = join(tmp_path, "ro").model_dump() | change
    with pytest.raises(ValidationError):
        JoinRequest.model_validate(request)


def test_rendered_hub_configuration_is_accepted_by_nats_server(tmp_path: Path) -> None:
    registry = Registry()
    for node in ("ro", "fr-franceclusters", "es"):
        registry.admit(join(tmp_path, node), user_nkey(), NOW)
    listeners = HubListeners("127.0.0.1", 14222, 17422, 18222, "127.0.0.1:17422")
    config = tmp_path / "hub.conf"
    config.write_text(render(listeners, str(tmp_path / "js"), registry.active(), "pw"))
    checked = subprocess.run(
        [find_nats_server(), "-t", "-c", str(config)], capture_output=True, text=True, timeout=30
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    text = config.read_text()
    assert '"alliance.fr-franceclusters.>"' in text  # each node publishes under its own prefix
    assert "NODE_FR-FRANCECLUSTERS" in text

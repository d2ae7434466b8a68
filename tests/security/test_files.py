"""A running node's and hub's data dirs: private to the OS user that runs them.

Findings: the data dirs were 0755 and most files 0644; the node's ``nats.conf`` (holding
its leaf nkey seed) and the hub's (holding the ALLIANCE account's password) were readable
by every local user. Now every process creates files with umask 0077, the data dirs are
0700 and files with secrets are written 0600 from their first byte.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.runtime import NATS_CREDENTIALS_FILE
from tests.federation import Federation, federation_of
from tests.security.conftest import as_another_user
from tests.support import run_cli, spare_port

pytestmark = pytest.mark.e2e

NODE_SECRETS = (
    "node.key",
    NATS_CREDENTIALS_FILE,
    "nats/nats.conf",
    "tokens.json",
    "hub-credentials.json",
    "peers.json",
)
HUB_SECRETS = ("node.key", "hub-nats-password", "nats/nats.conf", "registry.json")


@pytest.fixture(scope="module")
def federation(open_base: Path) -> Iterator[Federation]:
    """A hub and one node, with data written through both."""
    with federation_of(open_base / "federation", nodes=("ro",)) as started:
        assert started.create_org("ro", "Private Data").status_code == 201
        started.wait_converged()
        yield started


def loose_entries(data_dir: Path) -> list[str]:
    """Every entry under ``data_dir`` (itself included) with a group or other bit."""
    loose = []
    for entry in [data_dir, *data_dir.rglob("*")]:
        mode = stat.S_IMODE(entry.lstat().st_mode)
        if mode & 0o077:
            loose.append(f"{oct(mode)} {entry.relative_to(data_dir.parent)}")
    return loose


def data_dirs(federation: Federation) -> dict[str, Path]:
    assert federation.hub is not None
    return {"node": federation.members["ro"].data_dir, "hub": federation.hub.data_dir}


def test_nothing_in_a_running_data_dir_is_open_to_others(federation: Federation) -> None:
    for kind, data_dir in data_dirs(federation).items():
        assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700, kind
        assert sum(1 for _ in data_dir.rglob("*")) > 10, f"the {kind} wrote too little to tell"
        assert loose_entries(data_dir) == [], f"{kind}: open to group or others"


def test_the_secrets_are_0600(federation: Federation) -> None:
    dirs = data_dirs(federation)
    for kind, names in (("node", NODE_SECRETS), ("hub", HUB_SECRETS)):
        for name in names:
            path = dirs[kind] / name
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, f"{kind}: {name}"
    seed = (federation.root / "ro-credentials.json").read_text().split('"nkey_seed": "')[1][:20]
    assert seed in (dirs["node"] / "nats" / "nats.conf").read_text()  # the leaf seed is there
    password = (dirs["hub"] / "hub-nats-password").read_text().strip()
    assert password in (dirs["hub"] / "nats" / "nats.conf").read_text()


def test_another_user_reads_none_of_it(federation: Federation) -> None:
    dirs = data_dirs(federation)
    attempts = [("list", str(path)) for path in dirs.values()]
    attempts += [("read", str(dirs["node"] / name)) for name in NODE_SECRETS]
    attempts += [("read", str(dirs["hub"] / name)) for name in HUB_SECRETS]
    for path in dirs.values():  # the way in is open: only the data dir's own mode decides
        assert os.access(path.parent, os.X_OK)
        assert stat.S_IMODE(path.parent.stat().st_mode) & 0o005 == 0o005
    outcome = as_another_user(attempts)
    assert {
        target: answer for target, answer in outcome.items() if answer != "PermissionError"
    } == {}


def test_an_older_data_dir_is_tightened_and_a_shared_one_refused(tmp_path: Path) -> None:
    older = tmp_path / "older"
    older.mkdir(mode=0o755)
    older.chmod(0o755)
    made = run_cli(
        "init", "--data-dir", str(older), "--node", "ro", "--name", "R", "--country", "RO"
    )
    assert made.returncode == 0, made.stderr
    assert stat.S_IMODE(older.stat().st_mode) == 0o700

    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)  # like /tmp
    answer = run_cli("up", "--data-dir", str(shared), "--port", str(spare_port()))
    assert answer.returncode == 2
    lines = answer.stderr.strip().splitlines()
    assert len(lines) == 1 and "shared with other users" in lines[0], answer.stderr
    assert stat.S_IMODE(shared.stat().st_mode) == 0o1777  # not ours to close

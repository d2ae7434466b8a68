"""CLI mistakes: one clear line on stderr, exit code 2, nothing half-started."""

from __future__ import annotations

import socket
import stat
from pathlib import Path

import pytest

from tests.support import NodeProcess, run_cli, spare_port

pytestmark = pytest.mark.e2e


def one_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line, got: {stderr!r}"
    assert "Traceback" not in stderr
    return lines[0]


def test_init_prints_a_join_request_and_keeps_the_key_private(tmp_path: Path) -> None:
    made = run_cli(
        "init",
        "--data-dir",
        str(tmp_path / "n"),
        "--node",
        "fr-clusters",
        "--name",
        "France Clusters",
        "--country",
        "FR",
    )
    assert made.returncode == 0, made.stderr
    assert '"public_key"' in made.stdout and '"node": "fr-clusters"' in made.stdout
    assert stat.S_IMODE((tmp_path / "n" / "node.key").stat().st_mode) == 0o600


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--node", "RO CLUSTERO", "--name", "x", "--country", "RO"], "invalid node id"),
        (["--node", "ro", "--name", "x", "--country", "ROU"], "unknown ISO 3166-1 alpha-2"),
    ],
)
def test_init_refuses_bad_identity(tmp_path: Path, args: list[str], expected: str) -> None:
    answer = run_cli("init", "--data-dir", str(tmp_path / "n"), *args)
    assert answer.returncode == 2
    assert expected in one_line(answer.stderr)


def test_init_refuses_to_overwrite_an_identity(tmp_path: Path) -> None:
    args = ["init", "--data-dir", str(tmp_path), "--node", "ro", "--name", "x", "--country", "RO"]
    assert run_cli(*args).returncode == 0
    again = run_cli(*args)
    assert again.returncode == 2
    assert "already holds a node identity" in one_line(again.stderr)


def test_token_needs_an_initialised_node(tmp_path: Path) -> None:
    answer = run_cli("token", "create", "--data-dir", str(tmp_path / "empty"), "--role", "editor")
    assert answer.returncode == 2
    assert "alliance init" in one_line(answer.stderr)


def test_unknown_role_is_a_usage_error(tmp_path: Path) -> None:
    answer = run_cli("token", "create", "--data-dir", str(tmp_path), "--role", "king")
    assert answer.returncode == 2
    assert "king" in answer.stderr


def test_port_in_use_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        answer = run_cli("up", "--data-dir", str(tmp_path / "n"), "--port", str(port))
    assert answer.returncode == 2
    assert f"port {port}" in one_line(answer.stderr)


def test_unwritable_data_dir_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    answer = run_cli("up", "--data-dir", str(blocker / "node"), "--port", str(spare_port()))
    assert answer.returncode == 2
    assert "not writable" in one_line(answer.stderr)


def test_unknown_service_is_one_line(tmp_path: Path) -> None:
    answer = run_cli("service", "billing", "--data-dir", str(tmp_path), "--port", str(spare_port()))
    assert answer.returncode == 2
    assert "unknown service billing" in one_line(answer.stderr)


def test_second_start_on_the_same_data_dir_is_refused(tmp_path: Path) -> None:
    first = NodeProcess(tmp_path / "n", spare_port())
    try:
        first.start()
        second = run_cli("up", "--data-dir", str(tmp_path / "n"), "--port", str(spare_port()))
        assert second.returncode == 2
        assert "another alliance process is using" in one_line(second.stderr)
    finally:
        first.cleanup()

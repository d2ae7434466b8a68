"""API tokens: listed, revoked, expiring; a token that opens nothing is a 401 everywhere.

Findings: there was no way to list or revoke a token, nor to make one expire; and a
``tokens.json`` that could not be parsed made every request carrying a token fail with a
traceback (500). Now ``alliance token list`` / ``revoke`` / ``create --expires-in`` exist;
unknown, revoked and expired tokens are 401 with the reason, also on reads; a broken file
stops a starting node in one line, and on a running node makes requests with a token 503
(fail closed), logged once, while anonymous public reads go on.
"""

from __future__ import annotations

import asyncio
import logging
import stat
from datetime import timedelta
from pathlib import Path

import pytest

from shared.auth import TOKENS_FILE, Role, TokenStore
from tests.conftest import NodeUnderTest
from tests.support import run_cli, spare_port

ORGS = "/api/membership/organizations"


def one_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line, got: {stderr!r}"
    assert "Traceback" not in stderr
    return lines[0]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def init(data_dir: Path) -> None:
    made = run_cli(
        "init", "--data-dir", str(data_dir), "--node", "ro", "--name", "Tokens", "--country", "RO"
    )
    assert made.returncode == 0, made.stderr


@pytest.mark.e2e
def test_tokens_are_listed_and_revoked_by_the_cli(tmp_path: Path) -> None:
    init(tmp_path)
    data_dir = str(tmp_path)
    made = run_cli(
        "token", "create", "--role", "editor", "--label", "laptop", "--expires-in", "30d",
        "--data-dir", data_dir,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip()
    assert run_cli("token", "create", "--role", "admin", "--data-dir", data_dir).returncode == 0
    assert stat.S_IMODE((tmp_path / TOKENS_FILE).stat().st_mode) == 0o600

    listed = run_cli("token", "list", "--data-dir", data_dir)
    assert listed.returncode == 0, listed.stderr
    assert token not in listed.stdout  # never the token itself
    (laptop,) = [line for line in listed.stdout.splitlines() if "laptop" in line]
    token_id = laptop.split()[0]
    assert "editor" in laptop and "active" in laptop and "UTC" in laptop
    assert TokenStore(tmp_path).role_of(token) is Role.EDITOR

    revoked = run_cli("token", "revoke", token_id, "--data-dir", data_dir)
    assert revoked.returncode == 0, revoked.stderr
    assert token_id in one_line(revoked.stderr)
    assert TokenStore(tmp_path).role_of(token) is None
    listed = run_cli("token", "list", "--data-dir", data_dir).stdout
    assert "revoked" in next(line for line in listed.splitlines() if "laptop" in line)


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["create", "--role", "editor", "--expires-in", "forever"], "invalid lifetime"),
        (["create", "--role", "editor", "--expires-in", "0d"], "invalid lifetime"),
        (["revoke", "deadbeef"], "no API token with id 'deadbeef'"),
    ],
)
def test_token_mistakes_are_one_line(tmp_path: Path, args: list[str], expected: str) -> None:
    init(tmp_path)
    answer = run_cli("token", *args, "--data-dir", str(tmp_path))
    assert answer.returncode == 2
    assert expected in one_line(answer.stderr)


async def test_refused_tokens_are_401_with_the_reason_also_on_reads(node: NodeUnderTest) -> None:
    tokens = TokenStore(node.data_dir)
    revoked = tokens.create(Role.EDITOR, "to revoke")
    tokens.revoke(next(r.id for r in tokens.records() if r.label == "to revoke"))
    expired = tokens.create(Role.EDITOR, "short", timedelta(milliseconds=1))
    await asyncio.sleep(0.05)
    for token, reason in (
        (revoked, "revoked"),
        (expired, "expired"),
        ("alt_not-a-real-token", "unknown"),
    ):
        for answer in (
            await node.client.get(ORGS, headers=bearer(token)),
            await node.client.post(ORGS, json={}, headers=bearer(token)),
        ):
            assert answer.status_code == 401, answer.text
            assert reason in answer.json()["message"]
            assert answer.json()["errors"] == []
            assert answer.headers["www-authenticate"] == "Bearer"
    assert (await node.client.get(ORGS)).status_code == 200  # anonymous: public records
    assert (await node.client.get(ORGS, headers=node.editor)).status_code == 200


async def test_a_token_file_broken_while_running_is_a_503_logged_once(
    node: NodeUnderTest, caplog: pytest.LogCaptureFixture
) -> None:
    (node.data_dir / TOKENS_FILE).write_text('[{"id": "x", "sha256": "not a hash"')
    with caplog.at_level(logging.ERROR, logger="shared.auth"):
        for _ in range(3):
            answer = await node.client.get(ORGS, headers=node.editor)
            assert answer.status_code == 503, answer.text
            assert "tokens.json" in answer.json()["message"]
            assert (await node.client.post(ORGS, json={}, headers=node.editor)).status_code == 503
    assert (await node.client.get(ORGS)).status_code == 200  # public reads go on
    logged = [record for record in caplog.records if record.name == "shared.auth"]
    assert len(logged) == 1 and TOKENS_FILE in logged[0].getMessage()


@pytest.mark.e2e
def test_a_broken_token_file_stops_a_start_in_one_line(tmp_path: Path) -> None:
    init(tmp_path)
    (tmp_path / TOKENS_FILE).write_text("{not json")
    answer = run_cli("up", "--data-dir", str(tmp_path), "--port", str(spare_port()))
    assert answer.returncode == 2
    line = one_line(answer.stderr)
    assert TOKENS_FILE in line and "cannot read API tokens" in line
    listed = run_cli("token", "list", "--data-dir", str(tmp_path))
    assert listed.returncode == 2 and "cannot read API tokens" in one_line(listed.stderr)

"""A node's own nats-server: no client gets in without the node's credentials.

Finding: any local process could connect to the node's nats-server without credentials,
list its streams, read them, purge ``NODE_<ID>`` (30 events lost for good, unnoticed),
delete or reconfigure streams and create consumers. Now the server requires the user and
password kept in ``nats-credentials.json`` (0600) and the run file names that file, never
the password.
"""

from __future__ import annotations

import asyncio
import json
import stat
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import httpx
import nats
import pytest
from nats.js import JetStreamContext
from nats.js.api import ConsumerConfig, StreamConfig

from alliance.node import run_info
from shared.host import Endpoints
from shared.runtime import NATS_CREDENTIALS_FILE, NatsCredentials
from shared.settings import NodeSettings
from shared.subjects import node_stream
from tests.federation import poll
from tests.support import NodeProcess, run_cli, spare_port

pytestmark = pytest.mark.e2e

NODE = "ro-secure"
EVENTS = 30
STREAM = node_stream(NODE)
Operation = Callable[[JetStreamContext], Awaitable[object]]
OPERATIONS: dict[str, Operation] = {
    "list streams": lambda js: js.streams_info(),
    "read": lambda js: js.get_msg(STREAM, 1),
    "purge": lambda js: js.purge_stream(STREAM),
    "delete": lambda js: js.delete_stream(STREAM),
    "update": lambda js: js.update_stream(StreamConfig(name=STREAM, max_msgs=1)),
    "create consumer": lambda js: js.add_consumer(STREAM, ConsumerConfig(durable_name="spy")),
}


@pytest.fixture(scope="module")
def node(open_base: Path) -> Iterator[NodeProcess]:
    """A node with 30 events in NODE_<ID>."""
    data_dir = open_base / "node"
    made = run_cli(
        "init", "--data-dir", str(data_dir), "--node", NODE, "--name", "Secure", "--country", "RO"
    )
    assert made.returncode == 0, made.stderr
    token = run_cli("token", "create", "--data-dir", str(data_dir), "--role", "editor")
    process = NodeProcess(data_dir, spare_port())
    try:
        process.start()
        headers = {"Authorization": f"Bearer {token.stdout.strip()}"}
        with httpx.Client(base_url=process.url, headers=headers, timeout=30) as client:
            for number in range(EVENTS):
                answer = client.post(
                    "/api/membership/organizations",
                    json={
                        "legal_name": f"Kept Event {number}",
                        "country": "RO",
                        "nace_codes": ["62.10"],
                        "visibility": "alliance",
                    },
                )
                assert answer.status_code == 201, answer.text
        poll(lambda: stream_size(process.nats_url) == EVENTS, 30, f"{EVENTS} events in {STREAM}")
        yield process
    finally:
        process.cleanup()


def stream_size(url: str) -> int:
    async def size() -> int:
        client = await nats.connect(url, connect_timeout=2, max_reconnect_attempts=0)
        try:
            return int((await client.jetstream().stream_info(STREAM)).state.messages)
        finally:
            await client.close()

    return asyncio.run(size())


async def attempt(address: str, operation: Operation) -> str:
    """``done`` if a client at ``address`` (no credentials) could do it, else the refusal."""
    try:
        client = await nats.connect(
            address, connect_timeout=2, allow_reconnect=False, max_reconnect_attempts=0
        )
    except Exception as exc:
        return f"refused: {exc}"
    try:
        await operation(client.jetstream())
    except Exception as exc:
        return f"failed: {exc!r}"
    finally:
        await client.close()
    return "done"


def test_a_client_without_credentials_can_do_nothing(node: NodeProcess) -> None:
    address = str(node.run_info["nats_url"])
    assert "@" not in address
    outcome = {
        name: asyncio.run(attempt(address, operation)) for name, operation in OPERATIONS.items()
    }
    for name, answer in outcome.items():
        assert answer == "refused: nats: 'Authorization Violation'", f"{name}: {answer}"
    assert stream_size(node.nats_url) == EVENTS  # nothing was purged or deleted


def test_the_credentials_are_private_and_not_in_the_run_file(node: NodeProcess) -> None:
    kept = node.data_dir / NATS_CREDENTIALS_FILE
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    password = NatsCredentials.load(kept).password
    info = (node.data_dir / "run.json").read_text()
    assert password not in info
    assert json.loads(info)["nats_credentials"] == str(kept.resolve())
    config = (node.data_dir / "nats" / "nats.conf").read_text()
    assert password in config  # the server requires exactly these
    assert stat.S_IMODE((node.data_dir / "nats" / "nats.conf").stat().st_mode) == 0o600


def test_the_node_and_its_tools_still_work(node: NodeProcess) -> None:
    """The node itself, ``alliance status`` and a client with the credentials."""
    assert httpx.get(f"{node.url}/healthz", timeout=5).json()["checks"] == {
        "bus": True,
        "store": True,
    }
    status = run_cli("status", "--data-dir", str(node.data_dir))
    assert status.returncode == 0, status.stderr
    assert f"node {NODE}" in status.stdout
    assert stream_size(node.nats_url) == EVENTS


def test_a_run_file_never_holds_the_operators_credentials(tmp_path: Path) -> None:
    """With NATS_URL / MONGODB_URL given, the node uses them as given; run.json drops the
    user and password and names no credentials file of ours."""
    settings = NodeSettings(data_dir=tmp_path, nats_url="nats://ops:s3cret@nats:4222")
    endpoints = Endpoints(
        "nats://ops:s3cret@nats:4222", "mongodb://app:s3cret@mongo:27017/?replicaSet=rs0"
    )
    info = run_info(settings, endpoints)
    assert "s3cret" not in json.dumps(info)
    assert info["nats_url"] == "nats://nats:4222"
    assert info["mongodb_url"] == "mongodb://mongo:27017/?replicaSet=rs0"
    assert "nats_credentials" not in info

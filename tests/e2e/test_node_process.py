"""`alliance up` as a real process: serve, persist, stop cleanly, survive SIGKILL."""

from __future__ import annotations

import asyncio
import signal
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import nats
import pytest

from shared.envelope import KeyRing
from shared.identity import load_identity
from shared.subjects import node_stream
from tests.support import NodeProcess, run_cli, spare_port, wait_until_gone

pytestmark = pytest.mark.e2e


@pytest.fixture
def nodes() -> Iterator[list[NodeProcess]]:
    """Every node a test starts is killed at teardown, whatever the test did."""
    started: list[NodeProcess] = []
    yield started
    for node in started:
        node.cleanup()


def init_node(data_dir: Path, node: str = "ro-clustero") -> str:
    made = run_cli(
        "init", "--data-dir", str(data_dir), "--node", node, "--name", "CLUSTERO", "--country", "RO"
    )
    assert made.returncode == 0, made.stderr
    token = run_cli("token", "create", "--data-dir", str(data_dir), "--role", "editor")
    assert token.returncode == 0, token.stderr
    return token.stdout.strip()


def create_orgs(url: str, token: str, count: int, prefix: str) -> list[str]:
    headers = {"Authorization": f"Bearer {token}"}

    def one(i: int) -> str:
        body = {
            "legal_name": f"{prefix} Robotics {i}",
            "country": "RO",
            "nace_codes": ["62.10"],
            "visibility": "alliance",
        }
        answer = httpx.post(
            f"{url}/api/membership/organizations", json=body, headers=headers, timeout=30
        )
        assert answer.status_code == 201, answer.text
        return str(answer.json()["id"])

    with ThreadPoolExecutor(4) as pool:
        return list(pool.map(one, range(count)))


async def stream_event_ids(nats_url: str, stream: str, keyring: KeyRing) -> list[str]:
    """Every envelope id in the stream, each verified against the node's key."""
    client = await nats.connect(nats_url)
    js = client.jetstream()
    info = await js.stream_info(stream)
    ids = []
    for seq in range(info.state.first_seq, info.state.last_seq + 1):
        message = await js.get_msg(stream, seq)
        envelope = keyring.open(message.data, message.subject)
        assert message.headers and message.headers["Nats-Msg-Id"] == envelope.id
        ids.append(envelope.aggregateid)
    await client.close()
    return ids


def wait_for_empty_outbox(url: str, timeout: float = 30) -> None:
    async def poll() -> None:
        async with httpx.AsyncClient() as client:
            for _ in range(int(timeout / 0.2)):
                text = (await client.get(f"{url}/metrics")).text
                if 'alliance_outbox_backlog{service="membership"} 0.0' in text:
                    return
                await asyncio.sleep(0.2)
        raise AssertionError("outbox not drained")

    asyncio.run(poll())


def test_up_serves_signs_persists_and_stops_cleanly(
    tmp_path: Path, nodes: list[NodeProcess]
) -> None:
    data_dir = tmp_path / "ro"
    token = init_node(data_dir)
    node = NodeProcess(data_dir, spare_port(), track=nodes).start()
    created = create_orgs(node.url, token, 5, "Persisted")
    wait_for_empty_outbox(node.url)
    identity = load_identity(data_dir)
    keyring = KeyRing({identity.node: identity.public_key})
    ids = asyncio.run(stream_event_ids(node.nats_url, node_stream(identity.node), keyring))
    assert sorted(ids) == sorted(created)
    children = node.children()
    assert node.stop(signal.SIGTERM) == 0
    assert wait_until_gone(children), "SIGTERM left child processes running"
    assert not (data_dir / "run.json").exists()

    again = NodeProcess(data_dir, spare_port(), track=nodes).start()
    listed = httpx.get(
        f"{again.url}/api/membership/organizations", headers={"Authorization": f"Bearer {token}"}
    ).json()
    assert sorted(item["id"] for item in listed["items"]) == sorted(created)
    assert again.stop() == 0


def test_sigkill_right_after_writes_loses_and_duplicates_nothing(
    tmp_path: Path, nodes: list[NodeProcess]
) -> None:
    data_dir = tmp_path / "ro"
    token = init_node(data_dir)
    node = NodeProcess(data_dir, spare_port(), track=nodes).start()
    created = create_orgs(node.url, token, 40, "Crash")
    children = node.children()
    node.kill()  # no chance to drain the outbox
    assert wait_until_gone(children), "children outlived a SIGKILLed node"

    restarted = NodeProcess(data_dir, spare_port(), track=nodes).start()
    wait_for_empty_outbox(restarted.url)
    identity = load_identity(data_dir)
    keyring = KeyRing({identity.node: identity.public_key})
    ids = asyncio.run(stream_event_ids(restarted.nats_url, node_stream(identity.node), keyring))
    counts = Counter(ids)
    assert set(counts) == set(created), "an acknowledged write has no event"
    assert max(counts.values()) == 1, f"published twice: {[k for k, v in counts.items() if v > 1]}"
    assert restarted.stop() == 0

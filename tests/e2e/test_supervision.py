"""`alliance up` keeps its own servers alive and never hangs on servers that are away.

Before: a SIGKILLed embedded nats-server or nx-27017 was left defunct and ``/healthz``
stayed 503 forever; with ``NATS_URL`` or ``MONGODB_URL`` pointing at nothing, HTTP never
answered, a traceback was logged every 2 s, and only SIGKILL stopped the process.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from shared.envelope import KeyRing
from shared.identity import load_identity
from shared.runtime import NatsCredentials, NatsServer, nats_client_url, read_run_info
from shared.subjects import node_stream
from tests.e2e.test_node_process import init_node, stream_event_ids, wait_for_empty_outbox
from tests.federation import poll
from tests.support import ALLIANCE, NodeProcess, spare_port

pytestmark = pytest.mark.e2e


@pytest.fixture
def nodes() -> Iterator[list[NodeProcess]]:
    """Every node a test starts is killed at teardown, whatever the test did."""
    started: list[NodeProcess] = []
    yield started
    for node in started:
        node.cleanup()


def child(data_dir: Path, program: str) -> int:
    """The pid of the node's child running ``program``, from its run file."""
    for pid in read_run_info(data_dir)["children"]:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            if program.encode() in cmdline.read():
                return int(pid)
    raise AssertionError(f"no {program} among the children")


def log_of(node: NodeProcess) -> str:
    return (node.data_dir.parent / f"{node.data_dir.name}.log").read_text()


def health(url: str) -> int:
    return httpx.get(f"{url}/healthz", timeout=2).status_code


class Writer:
    """Registers organisations until stopped; remembers those answered 201."""

    def __init__(self, url: str, token: str) -> None:
        self.url, self.token = url, token
        self.created: list[str] = []
        self.refused: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Writer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(60)

    def _run(self) -> None:
        headers = {"Authorization": f"Bearer {self.token}"}
        with httpx.Client(timeout=30) as client:
            for i in range(100_000):
                if self._stop.is_set():
                    return
                body = {"legal_name": f"Steady {i} SRL", "country": "RO"}
                try:
                    answer = client.post(
                        f"{self.url}/api/membership/organizations", json=body, headers=headers
                    )
                except httpx.HTTPError:
                    continue
                if answer.status_code == 201:
                    self.created.append(str(answer.json()["id"]))
                else:
                    self.refused.append(answer.status_code)
                time.sleep(0.02)


def test_a_sigkilled_nats_server_is_restarted_and_nothing_acknowledged_is_lost(
    tmp_path: Path, nodes: list[NodeProcess]
) -> None:
    data_dir = tmp_path / "ro"
    token = init_node(data_dir)
    node = NodeProcess(data_dir, spare_port(), track=nodes).start()
    killed = child(data_dir, "nats-server")
    with Writer(node.url, token) as writer:
        poll(lambda: len(writer.created) >= 5, 30, "writes before the kill")
        os.kill(killed, signal.SIGKILL)
        poll(lambda: health(node.url) == 503, 10, "/healthz 503 while NATS is away", 0.05)
        poll(lambda: health(node.url) == 200, 30, "/healthz 200 again, with no operator")
        during = len(writer.created)
        poll(lambda: len(writer.created) >= during + 5, 30, "writes after the restart")
    assert not Path(f"/proc/{killed}").exists(), "the killed nats-server was left defunct"
    restarted = child(data_dir, "nats-server")
    assert restarted != killed
    assert str(read_run_info(data_dir)["nats_url"]) in log_of(node)  # same port as before
    lines = [line for line in log_of(node).splitlines() if "nats-server was killed" in line]
    assert len(lines) == 1 and "restarted it on nats://127.0.0.1:" in lines[0], lines
    wait_for_empty_outbox(node.url)
    identity = load_identity(data_dir)
    keyring = KeyRing({identity.node: identity.public_key})
    nats_url = nats_client_url(data_dir)
    counts = Counter(asyncio.run(stream_event_ids(nats_url, node_stream(identity.node), keyring)))
    assert set(counts) == set(writer.created), "an acknowledged write has no event"
    assert max(counts.values()) == 1
    assert node.stop() == 0


def test_a_sigkilled_store_is_restarted_and_keeps_what_it_acknowledged(
    tmp_path: Path, nodes: list[NodeProcess]
) -> None:
    data_dir = tmp_path / "ro"
    token = init_node(data_dir)
    node = NodeProcess(data_dir, spare_port(), track=nodes).start()
    killed = child(data_dir, "shared.store_socket")
    headers = {"Authorization": f"Bearer {token}"}
    with Writer(node.url, token) as writer:
        poll(lambda: len(writer.created) >= 10, 30, "writes before the kill")
        os.kill(killed, signal.SIGKILL)
        time.sleep(1)
        poll(lambda: health(node.url) == 200, 30, "/healthz 200 again, with no operator")
        during = len(writer.created)
        poll(lambda: len(writer.created) >= during + 5, 60, "writes after the restart")
    assert not Path(f"/proc/{killed}").exists(), "the killed nx-27017 was left defunct"
    assert child(data_dir, "shared.store_socket") != killed
    assert sum("nx-27017 store was killed" in line for line in log_of(node).splitlines()) == 1
    listed = httpx.get(
        f"{node.url}/api/membership/organizations", params={"limit": 500}, headers=headers
    ).json()
    assert set(writer.created) <= {item["id"] for item in listed["items"]}
    assert node.stop() == 0


def launch(data_dir: Path, port: int, env: dict[str, str]) -> subprocess.Popen[str]:
    """`alliance up` without waiting for it to be healthy (it will not be, for a while)."""
    log = open(data_dir.parent / f"{data_dir.name}.log", "a")  # noqa: SIM115
    process = subprocess.Popen(
        [ALLIANCE, "up", "--data-dir", str(data_dir), "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        env={**os.environ, **env},
    )
    log.close()
    return process


def waiting_for(url: str) -> str:
    answer = httpx.get(f"{url}/healthz", timeout=5)
    assert answer.status_code == 503, answer.text
    return str(answer.json()["waiting_for"])


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_up_with_nats_url_at_nothing_says_so_once_answers_503_and_serves_once_nats_is_there(
    tmp_path: Path, processes: list[subprocess.Popen[str]]
) -> None:
    data_dir, port, nats_port = tmp_path / "ro", spare_port(), spare_port()
    init_node(data_dir)
    credentials = NatsCredentials.generate()
    nats_url = f"nats://127.0.0.1:{nats_port}"  # as the node names it: no credentials
    processes.append(launch(data_dir, port, {"NATS_URL": credentials.authorize(nats_url)}))
    url = f"http://127.0.0.1:{port}"
    poll(lambda: f"NATS at {nats_url}" in waiting_for(url), 30, "/healthz naming NATS_URL")
    answer = httpx.post(f"{url}/api/membership/organizations", json={}, timeout=5)
    assert answer.status_code == 503 and nats_url in answer.json()["message"]
    time.sleep(5)  # several attempts later
    log = (tmp_path / "ro.log").read_text()
    assert "Traceback" not in log
    assert sum(f"waiting for NATS at {nats_url}" in line for line in log.splitlines()) == 1
    server = NatsServer(
        tmp_path / "nats",
        server_name="late",
        domain="ro-clustero",
        port=nats_port,
        credentials=credentials,
    )
    server.start()
    try:
        poll(lambda: health(url) == 200, 40, "healthy once NATS answers")
        processes[0].send_signal(signal.SIGTERM)
        assert processes[0].wait(15) == 0
    finally:
        server.stop()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_up_with_mongodb_url_at_nothing_stops_at_once(
    tmp_path: Path, processes: list[subprocess.Popen[str]], sig: signal.Signals
) -> None:
    data_dir, port = tmp_path / "ro", spare_port()
    init_node(data_dir)
    store_url = f"mongodb://127.0.0.1:{spare_port()}/?directConnection=true"
    processes.append(launch(data_dir, port, {"MONGODB_URL": store_url}))
    url = f"http://127.0.0.1:{port}"
    where = store_url.split("/?")[0]
    poll(lambda: f"the store at {where}" in waiting_for(url), 90, "/healthz naming the store")
    started = time.monotonic()
    processes[0].send_signal(sig)
    assert processes[0].wait(10) == 0
    assert time.monotonic() - started < 5
    log = (tmp_path / "ro.log").read_text()
    assert "Traceback" not in log
    assert sum(f"waiting for the store at {where}" in line for line in log.splitlines()) == 1

"""The hub faces the nodes with two ports only: the leaf listener and HTTP.

Finding: ``alliance hub --host 0.0.0.0`` also opened the nats-server's client port and
its monitoring port (which answers anyone: connections, accounts, streams) on every
interface. Now they stay on 127.0.0.1 unless the operator asks (``--nats-host``). The
tests use 127.0.0.2 as the "public" address: loopback too, but not 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from services.hub.natsconf import HubListeners, render
from tests.federation import HubProcess

pytestmark = pytest.mark.e2e

PUBLIC = "127.0.0.2"


def answers(host: str, port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=1):
        return True
    return False


def port_of(url: str) -> int:
    port = urlsplit(url).port
    assert port is not None
    return port


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[HubProcess]:
    process = HubProcess(tmp_path / "hub", host=PUBLIC)
    try:
        yield process
    finally:
        process.cleanup()


def test_the_rendered_config_keeps_client_and_monitoring_on_loopback() -> None:
    listeners = HubListeners("0.0.0.0", 4222, 7422, 8222, "hub.example.eu:7422")
    config = render(listeners, "/js", [], "pw")
    assert 'listen: "127.0.0.1:4222"' in config
    assert 'http: "127.0.0.1:8222"' in config
    assert 'listen: "0.0.0.0:7422"' in config  # the leaf listener faces the nodes


def test_only_the_leaf_and_http_ports_face_the_nodes(hub: HubProcess) -> None:
    hub.start()
    client, monitor = port_of(hub.run_info["nats_url"]), port_of(hub.run_info["nats_monitor_url"])
    assert answers(PUBLIC, hub.port) and answers(PUBLIC, hub.leaf_port)
    assert not answers(PUBLIC, client), "the NATS client port faces the nodes"
    assert not answers(PUBLIC, monitor), "the NATS monitoring port faces the nodes"
    assert answers("127.0.0.1", client) and answers("127.0.0.1", monitor)


def test_the_operator_may_expose_them_explicitly(hub: HubProcess) -> None:
    hub.options = ["--nats-host", PUBLIC]
    hub.start()
    client, monitor = port_of(hub.run_info["nats_url"]), port_of(hub.run_info["nats_monitor_url"])
    assert answers(PUBLIC, client) and answers(PUBLIC, monitor)

"""Half-sent and trickled requests, over raw sockets, against real uvicorn servers.

First the protocol's deadlines with short values on a uvicorn server in this process, then
a whole node (``alliance up``) with its defaults: a slowloris client no longer holds
connections open, and an oversized body is refused before it is sent.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from starlette.types import Receive, Scope, Send

from alliance.http_server import HEAD_SECONDS, bounded_h11
from shared.runtime import free_port
from tests.support import NodeProcess, run_cli, spare_port

HEAD, BODY = 1.0, 2.0


async def echo_app(scope: Scope, receive: Receive, send: Send) -> None:
    """Reads the whole body, answers its length."""
    if scope["type"] != "http":
        return
    size, more = 0, True
    while more:
        message = await receive()
        size += len(message.get("body", b""))
        more = message.get("more_body", False)
    body = json.dumps({"received": size}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, int]]:
    """A real uvicorn on loopback with the node's protocol and short deadlines."""
    port = free_port()
    config = uvicorn.Config(
        echo_app, host="127.0.0.1", port=port, http=bounded_h11(HEAD, BODY), log_level="warning"
    )
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not running.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield "127.0.0.1", port
    running.should_exit = True
    thread.join(10)


def connect(address: tuple[str, int]) -> socket.socket:
    sock = socket.create_connection(address, timeout=10)
    return sock


def read_until_closed(sock: socket.socket, timeout: float) -> tuple[bytes, float]:
    """Everything the server sends until it closes; and how long that took."""
    started = time.monotonic()
    sock.settimeout(timeout)
    received = b""
    with contextlib.suppress(ConnectionResetError):
        while chunk := sock.recv(65536):
            received += chunk
    return received, time.monotonic() - started


def test_a_half_sent_head_is_answered_408_and_closed(server: tuple[str, int]) -> None:
    with connect(server) as sock:
        sock.sendall(b"POST /x HTTP/1.1\r\nHost: node\r\nContent-Type: text/csv\r\n")
        answer, took = read_until_closed(sock, HEAD + 5)
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert b"the request head did not arrive within 1 s" in answer
    assert HEAD - 0.2 < took < HEAD + 1.5


def test_a_head_trickled_a_byte_at_a_time_is_not_given_more_time(server: tuple[str, int]) -> None:
    request = b"GET /slow HTTP/1.1\r\nHost: node\r\nX-Padding: " + b"a" * 100
    with connect(server) as sock:
        started = time.monotonic()
        with contextlib.suppress(OSError):
            for byte in request:
                sock.sendall(bytes([byte]))
                time.sleep(0.1)
                if time.monotonic() - started > HEAD + 1:
                    break
        answer, _ = read_until_closed(sock, 5)
        took = time.monotonic() - started
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert took < HEAD + 2


def test_a_connection_that_sends_nothing_is_closed(server: tuple[str, int]) -> None:
    with connect(server) as sock:
        answer, took = read_until_closed(sock, HEAD + 5)
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert took < HEAD + 1.5


def test_a_half_sent_body_is_answered_408_after_its_own_deadline(server: tuple[str, int]) -> None:
    with connect(server) as sock:
        sock.sendall(b"POST /x HTTP/1.1\r\nHost: node\r\nContent-Length: 100\r\n\r\n" + b"x" * 10)
        answer, took = read_until_closed(sock, BODY + 5)
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert b"the request body did not arrive within 2 s" in answer
    assert BODY - 0.2 < took < BODY + 1.5


def test_whole_requests_are_served_and_keep_alive_still_works(server: tuple[str, int]) -> None:
    with connect(server) as sock:
        for _ in range(3):  # the deadline of an earlier request never cuts a later one
            sock.sendall(b"POST /x HTTP/1.1\r\nHost: node\r\nContent-Length: 5\r\n\r\nhello")
            answer = b""
            while not answer.endswith(b"}"):
                answer += sock.recv(65536)
            assert answer.startswith(b"HTTP/1.1 200 ")
            assert answer.endswith(b'{"received": 5}')
            time.sleep(HEAD + 0.5)  # idle between requests: uvicorn's keep-alive (5 s)
    with httpx.Client(base_url=f"http://{server[0]}:{server[1]}") as client:
        assert client.post("/x", content=b"y" * 300_000).json() == {"received": 300_000}


def test_many_half_sent_requests_are_all_closed(server: tuple[str, int]) -> None:
    sockets = [connect(server) for _ in range(300)]
    try:
        for sock in sockets:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: node\r\n")
        time.sleep(HEAD + 1)
        closed = 0
        for sock in sockets:
            answer, _ = read_until_closed(sock, 2)
            closed += answer.startswith(b"HTTP/1.1 408 ")
        assert closed == len(sockets)
    finally:
        for sock in sockets:
            sock.close()


# -- a whole node ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeProcess]:
    data_dir = tmp_path_factory.mktemp("slow") / "node"
    made = run_cli(
        "init", "--data-dir", str(data_dir), "--node", "ro-slow", "--name", "S", "--country", "RO"
    )
    assert made.returncode == 0, made.stderr
    process = NodeProcess(data_dir, spare_port())
    try:
        yield process.start()
    finally:
        process.cleanup()


@pytest.mark.e2e
def test_a_node_closes_half_sent_requests_and_keeps_serving(node: NodeProcess) -> None:
    """1,000 of 1,000 such connections used to stay open for 62 s and more."""
    address = ("127.0.0.1", node.port)
    sockets = [connect(address) for _ in range(200)]
    try:
        for index, sock in enumerate(sockets):
            head = b"GET /healthz HTTP/1.1\r\nHost: node\r\n"
            sock.sendall(head if index % 2 else head[:10])
        assert httpx.get(f"{node.url}/healthz", timeout=5).status_code == 200
        time.sleep(HEAD_SECONDS + 1)
        answers = [read_until_closed(sock, 3)[0] for sock in sockets]
        assert all(answer.startswith(b"HTTP/1.1 408 ") for answer in answers)
    finally:
        for sock in sockets:
            sock.close()
    assert httpx.get(f"{node.url}/healthz", timeout=5).status_code == 200


@pytest.mark.e2e
def test_a_node_refuses_an_oversized_body_before_it_is_sent(node: NodeProcess) -> None:
    token = run_cli("token", "create", "--role", "editor", "--data-dir", str(node.data_dir))
    with connect(("127.0.0.1", node.port)) as sock:
        sock.sendall(
            b"POST /api/membership/organizations/import HTTP/1.1\r\nHost: node\r\n"
            b"Content-Type: text/csv\r\nContent-Length: 104857600\r\n"
            b"Authorization: Bearer " + token.stdout.strip().encode() + b"\r\n\r\n"
        )
        answer, took = read_until_closed(sock, 10)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413 ")
    assert b"connection: close" in head.lower()
    assert json.loads(body)["errors"] == [
        {
            "field": "body",
            "reason": "the request body is larger than the 5 MiB this endpoint accepts",
        }
    ]
    assert took < 5  # answered at once, without waiting for 100 MiB that never come

"""A full disk: the node answers 503 "storage full" and writes nothing half.

The store runs on a real, tiny filesystem: nx-27017 is started inside a user and mount
namespace of its own (``unshare -Urm``, no privileges needed) on a 3 MiB tmpfs, and the
test fills it through the store until SQLite reports the disk full. A ballast file taken
from that space at the start is deleted afterwards to show the node writes again.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from httpx import ASGITransport, AsyncClient
from pymongo import AsyncMongoClient
from pymongo.errors import PyMongoError

from shared.runtime import NatsServer, StoreServer, unix_connection, wait_until_listening
from shared.store import Document
from tests.conftest import NodeUnderTest, every_service, start_node
from tests.integration.test_bus import eventually
from tests.integration.test_membership_api import assert_problem

ORGS = "/api/membership/organizations"
BALLAST = "ballast"


def _can_mount_in_a_namespace() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(
        ["unshare", "-Urm", "sh", "-c", "mount -t tmpfs -o size=64k tmpfs /mnt"],
        capture_output=True,
    )
    return probe.returncode == 0


@pytest.fixture
def tiny_store(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """nx-27017 on an 8 MiB filesystem (room for every service to start); its URL, and
    the path of the ballast file in it."""
    if not _can_mount_in_a_namespace():
        pytest.skip("user namespaces are not available here: no tiny filesystem to fill")
    data = tmp_path / "store"
    data.mkdir()
    sockets = Path(tempfile.mkdtemp(prefix="nx"))  # a short path: socket addresses are short
    socket = sockets / "store.sock"
    script = (
        f"mount -t tmpfs -o size=8m tmpfs {data} && "
        f"head -c 393216 /dev/zero > {data}/{BALLAST} && "
        f"exec {sys.executable} -m shared.store_socket --data-dir {data} --socket {socket} "
        f"--log-file {tmp_path}/nx.log"
    )
    log = tmp_path / "nx.out"
    with open(log, "w") as out:
        process = subprocess.Popen(["unshare", "-Urm", "sh", "-c", script], stdout=out, stderr=out)
    try:
        wait_until_listening(lambda: unix_connection(socket), str(socket), process, "nx-27017", log)
        # the mount is seen through the store process's own root
        yield (
            StoreServer(data, socket_path=socket).url,
            Path(f"/proc/{process.pid}/root{data}/{BALLAST}"),
        )
    finally:
        process.kill()
        process.wait()
        shutil.rmtree(sockets, ignore_errors=True)


@pytest.fixture
async def full_node(
    tmp_path: Path, nats_server: NatsServer, tiny_store: tuple[str, Path]
) -> AsyncIterator[NodeUnderTest]:
    url, _ = tiny_store
    node_id = f"full{uuid.uuid4().hex[:6]}"
    async for node in start_node(tmp_path / "node", nats_server.url, url, node_id, every_service()):
        # every service has started (made its collections) before the disk fills up
        await eventually(lambda node=node: _healthy(node))  # type: ignore[misc]
        yield node


async def _healthy(node: NodeUnderTest) -> bool:
    return (await node.client.get("/healthz")).status_code == 200


async def _fill(url: str, database: str) -> None:
    """Write into the store until it refuses: the disk is full."""
    client: AsyncMongoClient[Document] = AsyncMongoClient(url)
    try:
        filler = client[database]["filler"]
        with pytest.raises(PyMongoError, match="full"):
            for _ in range(10_000):
                await filler.insert_one({"blob": os.urandom(16_000).hex()})
    finally:
        await client.close()


async def test_a_full_disk_is_503_storage_full_and_nothing_is_half_written(
    full_node: NodeUnderTest, tiny_store: tuple[str, Path]
) -> None:
    url, ballast = tiny_store
    node = full_node
    # the ASGI client raises a 500's exception; a real server answers it
    client = AsyncClient(
        transport=ASGITransport(app=node.app, raise_app_exceptions=False), base_url="http://node"
    )
    await _fill(url, node.kit("membership").database.name)

    draft = {"legal_name": "Full Disk SRL", "country": "RO", "offers": "x" * 3000}
    for _ in range(3):
        answer = assert_problem(await client.post(ORGS, json=draft, headers=node.editor), 503)
        assert answer["message"].startswith("storage full")
    csv = "legal_name,country\nFull Import SRL,RO\n"
    headers = {**node.editor, "content-type": "text/csv"}
    answer = assert_problem(await client.post(f"{ORGS}/import", content=csv, headers=headers), 503)
    assert "storage full" in answer["message"]

    listed = await client.get(ORGS, headers=node.editor)  # reads still work
    assert listed.status_code == 200
    assert listed.json()["items"] == []
    outbox = node.kit("membership").database.outbox
    assert await outbox.count_documents({}) == 0  # no event of a write that did not happen

    ballast.unlink()  # the operators free space
    created = await client.post(ORGS, json=draft, headers=node.editor)
    assert created.status_code == 201, created.text
    listed = await client.get(ORGS, headers=node.editor)
    assert [item["legal_name"] for item in listed.json()["items"]] == ["Full Disk SRL"]

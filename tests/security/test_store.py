"""The embedded store: no other local user can open it.

Finding: nx-27017 has no authentication and listened on a loopback TCP port, so any local
process could read node-only records and contact persons without consent. Now it listens
on a Unix socket only (0600, in the 0700 data dir), through ``shared.store_socket``,
which serves nx-27017 0.8.1's own connection handler; the pins below fail loudly if an
upgrade moves that internal.
"""

from __future__ import annotations

import importlib.metadata
import inspect
import stat
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from nx_27017.handler import NeoSQLiteHandler
from nx_27017.server import handle_client
from pymongo import MongoClient

from shared.runtime import StoreServer
from tests.security.conftest import as_another_user


@pytest.fixture(scope="module")
def store(open_base: Path) -> Iterator[StoreServer]:
    server = StoreServer(open_base / "node" / "store")
    server.start()
    client: MongoClient[dict[str, object]] = MongoClient(server.url, serverSelectionTimeoutMS=5000)
    with client:
        client["membership"]["organizations"].insert_one({"legal_name": "Node Only Secret"})
    try:
        yield server
    finally:
        server.stop()


def socket_of(url: str) -> Path:
    return Path(unquote(urlsplit(url).netloc))


def listening_tcp_inodes() -> set[str]:
    """Socket inodes of every listening TCP socket on the machine (IPv4 and IPv6)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A":  # LISTEN
                found.add(fields[9])
    return found


def socket_inodes(pid: int) -> set[str]:
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        target = str(fd.readlink()) if fd.is_symlink() else ""
        if target.startswith("socket:["):
            inodes.add(target.removeprefix("socket:[").removesuffix("]"))
    return inodes


def test_the_store_listens_on_no_tcp_port(store: StoreServer) -> None:
    assert store.child is not None and store.child.process is not None
    assert not socket_inodes(store.child.process.pid) & listening_tcp_inodes()
    assert urlsplit(store.url).netloc.endswith(".sock")


def test_the_socket_is_private(store: StoreServer) -> None:
    path = socket_of(store.url)
    assert stat.S_ISSOCK(path.stat().st_mode)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_another_user_can_neither_connect_nor_read_the_files(store: StoreServer) -> None:
    path = socket_of(store.url)
    database = store.directory / "membership.db"
    assert database.exists()
    outcome = as_another_user(
        [("unix", str(path)), ("read", str(database)), ("list", str(store.directory))]
    )
    assert outcome == {
        str(path): "PermissionError",
        str(database): "PermissionError",
        str(store.directory): "PermissionError",
    }


def test_the_nx27017_internals_we_serve_are_pinned() -> None:
    """``shared.store_socket`` relies on these; an upgrade of nx-27017 must be re-checked."""
    assert importlib.metadata.version("nx-27017") == "0.8.1"
    assert list(inspect.signature(handle_client).parameters) == ["reader", "writer", "handler"]
    assert inspect.iscoroutinefunction(handle_client)
    parameters = inspect.signature(NeoSQLiteHandler).parameters
    assert {"journal_mode", "data_dir"} <= set(parameters)
    assert callable(NeoSQLiteHandler.close_all)


def test_a_long_data_dir_gets_its_socket_in_a_private_temporary_dir(open_base: Path) -> None:
    deep = open_base / ("d" * 60) / ("e" * 60) / "store"
    server = StoreServer(deep)
    server.start()
    try:
        path = socket_of(server.url)
        assert path.parent != deep
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
        client: MongoClient[dict[str, object]] = MongoClient(
            server.url, serverSelectionTimeoutMS=5000
        )
        with client:
            assert client.admin.command("ping")["ok"] == 1
    finally:
        server.stop()
    assert not path.parent.exists()

"""nx-27017 served on a Unix domain socket, so only the node's OS user can open the store.

nx-27017 has no authentication and listens only on TCP, where any local process could read
node-only records and contact persons without consent. Its server is a plain asyncio
stream handler around a ``NeoSQLiteHandler`` (nx-27017 0.8.1, ``nx_27017.server``); this
launcher serves the same handler on a socket file created 0600 (umask 0077) inside the
node's 0700 data dir, and opens no TCP port at all. The file system then decides who may
connect: the node's OS user (and root). ``tests/security/test_store.py`` pins the
internals relied on.

Run by ``shared.runtime.StoreServer``:
``python -m shared.store_socket --data-dir DIR --socket PATH --log-file FILE``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import socket
from pathlib import Path

from nx_27017.handler import NeoSQLiteHandler
from nx_27017.server import handle_client

from shared.files import PRIVATE_FILE_MODE, restrict_new_files

log = logging.getLogger("alliance.store")
JOURNAL_MODE = "WAL"  # nx-27017's default: the fastest mode (STORE-NOTES)


class SocketInUse(Exception):
    """Another server answers on the socket: two stores must never share one data dir."""


def clear_stale_socket(path: Path) -> None:
    """A killed store leaves its socket file behind; binding again needs it gone."""
    if not path.exists():
        return
    with socket.socket(socket.AF_UNIX) as probe:
        try:
            probe.connect(str(path))
        except OSError:
            path.unlink(missing_ok=True)
            return
    raise SocketInUse(f"a store already answers on {path}")


async def serve(handler: NeoSQLiteHandler, path: Path) -> None:
    """Serve the wire protocol on ``path`` until SIGTERM or SIGINT."""

    async def client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await handle_client(reader, writer, handler)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    server = await asyncio.start_unix_server(client, path=str(path))
    os.chmod(path, PRIVATE_FILE_MODE)  # umask made it so already; say it where it matters
    log.info("serving %s", path)
    async with server:
        await stop.wait()


def main(argv: list[str] | None = None) -> None:
    """Entry point of the store child process."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--socket", type=Path, required=True)
    parser.add_argument("--log-file", type=Path, required=True)
    args = parser.parse_args(argv)
    restrict_new_files()
    logging.basicConfig(
        filename=args.log_file,
        level=logging.INFO,
        format="%(asctime)s %(name)s %(levelname)s [%(process)d] %(message)s",
    )
    clear_stale_socket(args.socket)
    handler = NeoSQLiteHandler(journal_mode=JOURNAL_MODE, data_dir=str(args.data_dir))
    try:
        asyncio.run(serve(handler, args.socket))
    finally:
        handler.close_all()
        with contextlib.suppress(OSError):
            args.socket.unlink()


if __name__ == "__main__":
    main()

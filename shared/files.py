"""Files that hold secrets or personal data: readable by the node's OS user only.

A node's data dir holds its signing key, its NATS credentials, hashed API tokens, the
JetStream store and the SQLite files of its store, with personal data of contact persons
and records that never leave the node. Every process of ours creates files with umask
0077 (``restrict_new_files``), the data dir and its sub-dirs are 0700 (``private_dir``),
and files with secrets are written 0600 from their first byte (``write_private``), so a
secret is never readable by another user, not even for a moment.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

PRIVATE_UMASK = 0o077
PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


class UnsafeDirectory(OSError):
    """A directory that cannot be made private to this user: shared (like /tmp) or not ours."""


def restrict_new_files() -> None:
    """Files and dirs this process and its children create are private (umask 0077).

    Covers what we do not write ourselves: nats-server's JetStream files, nx-27017's SQLite
    files, logs and lock files.
    """
    os.umask(PRIVATE_UMASK)


def private_dir(path: Path) -> Path:
    """Create ``path`` (and its parents) or tighten it to mode 0700; returns it.

    An existing data dir from an earlier version (0755) is tightened. A directory that
    other users may write to (world-writable or sticky, such as /tmp) is refused rather
    than changed: it is not ours to close.
    """
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR_MODE)
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & (stat.S_ISVTX | stat.S_IWOTH):
        raise UnsafeDirectory(f"{path} is shared with other users; use a directory of its own")
    if mode & ~PRIVATE_DIR_MODE:
        try:
            os.chmod(path, PRIVATE_DIR_MODE)
        except PermissionError as exc:
            raise UnsafeDirectory(f"{path} cannot be made private (0700): not ours") from exc
    return path


def write_private(path: Path, data: str | bytes) -> None:
    """Replace ``path`` atomically with ``data``, mode 0600 from the first byte.

    Written to a temporary file in the same directory (created 0600) and renamed, so a
    reader sees the old or the new content, never half of it, and a crash leaves no
    truncated secret behind.
    """
    content = data.encode() if isinstance(data, str) else data
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(content)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


@contextlib.contextmanager
def exclusive(lock_path: Path) -> Iterator[None]:
    """One editor of a file at a time, across processes (an flock on ``lock_path``).

    A read-modify-write of a small JSON file (the registry, the tokens) by two commands at
    once would otherwise lose one of the changes.
    """
    handle = os.open(lock_path, os.O_WRONLY | os.O_CREAT, PRIVATE_FILE_MODE)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)

"""The hub's registry, kept as one JSON file in the hub's data dir.

``alliance admit`` and ``alliance remove`` edit it (also while the hub runs, under a file
lock); the running hub notices the change and applies it to NATS and the ALLIANCE stream.
Pending registry events are kept in the file with their entry (a small outbox), so a crash
between writing and publishing loses nothing.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

from services.hub.domain import Registry

REGISTRY_FILE = "registry.json"
PASSWORD_FILE = "hub-nats-password"


class RegistryFile:
    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / REGISTRY_FILE
        self._lock_path = data_dir / ".registry.lock"

    def load(self) -> Registry:
        try:
            return Registry.model_validate_json(self.path.read_text())
        except FileNotFoundError:
            return Registry()

    def save(self, registry: Registry) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(registry.model_dump_json(indent=2) + "\n")
        tmp.replace(self.path)

    def version(self) -> float:
        """Changes when the file does (cheap polling by the running hub)."""
        try:
            return self.path.stat().st_mtime_ns
        except FileNotFoundError:
            return 0.0

    @contextlib.contextmanager
    def editing(self) -> Iterator[Registry]:
        """Load, let the caller change, save; one editor at a time."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self._lock_path, "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            registry = self.load()
            yield registry
            self.save(registry)


def hub_password(data_dir: Path) -> str:
    """The password of the hub's own NATS user, made once and kept private."""
    path = data_dir / PASSWORD_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(24))
    return path.read_text().strip()

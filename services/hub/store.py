"""The hub's registry, kept as one JSON file in the hub's data dir.

``alliance admit`` and ``alliance remove`` edit it (also while the hub runs, under a file
lock); the running hub notices the change and applies it to NATS and the ALLIANCE stream.
Pending registry events are kept in the file with their entry (a small outbox), so a crash
between writing and publishing loses nothing.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator
from pathlib import Path

from services.hub.domain import Registry
from shared.files import exclusive, private_dir, write_private

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
        write_private(self.path, registry.model_dump_json(indent=2) + "\n")

    def version(self) -> float:
        """Changes when the file does (cheap polling by the running hub)."""
        try:
            return self.path.stat().st_mtime_ns
        except FileNotFoundError:
            return 0.0

    @contextlib.contextmanager
    def editing(self) -> Iterator[Registry]:
        """Load, let the caller change, save; one editor at a time."""
        private_dir(self.path.parent)
        with exclusive(self._lock_path):
            registry = self.load()
            yield registry
            self.save(registry)


def hub_password(data_dir: Path) -> str:
    """The password of the hub's own NATS user, made once and kept private."""
    path = data_dir / PASSWORD_FILE
    if not path.exists():
        write_private(private_dir(data_dir) / PASSWORD_FILE, secrets.token_urlsafe(24))
    return path.read_text().strip()

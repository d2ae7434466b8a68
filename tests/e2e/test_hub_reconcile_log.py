"""The hub's reconcile loop says once that it fails and once that it works again.

It retries every 0.5 s; before, it logged a warning on every try, so an outage filled the
log with two lines a second. A registry file broken by hand makes every try fail at once,
which is the fastest outage to cause on a real hub.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from services.hub.store import REGISTRY_FILE
from tests.federation import HubProcess, poll

pytestmark = pytest.mark.e2e


def test_a_failing_reconcile_is_logged_once_and_its_recovery_once(tmp_path: Path) -> None:
    hub = HubProcess(tmp_path / "hub")
    log = tmp_path / "hub.log"
    try:
        hub.start()
        registry = hub.data_dir / REGISTRY_FILE
        kept = registry.read_text() if registry.exists() else None
        registry.write_text("{ broken by hand")
        poll(lambda: "hub reconcile failed" in log.read_text(), 10, "the failure logged")
        time.sleep(3)  # six more tries, each failing at once
        if kept is None:
            registry.unlink()
        else:
            registry.write_text(kept)
        poll(lambda: "hub reconcile works again" in log.read_text(), 10, "the recovery logged")
        time.sleep(1)
    finally:
        hub.cleanup()
    lines = log.read_text().splitlines()
    assert len([line for line in lines if "hub reconcile failed" in line]) == 1, lines
    assert len([line for line in lines if "hub reconcile works again" in line]) == 1, lines

"""Helpers of the security tests: a place other users could reach, and acting as one."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

OTHER_USER = "nobody"
# the probe needs only the standard library; this interpreter's may live under /root
SYSTEM_PYTHON = "/usr/bin/python3"


@pytest.fixture(scope="module")
def open_base() -> Iterator[Path]:
    """A directory every user may enter (0755), for data dirs under test.

    pytest's own temporary dirs are 0700, which would hide a data dir's loose modes from
    another user and make the tests below pass for the wrong reason.
    """
    base = Path(tempfile.mkdtemp(prefix="alliance-security-"))
    base.chmod(0o755)
    try:
        yield base
    finally:
        shutil.rmtree(base, ignore_errors=True)


PROBE = """
import json, socket, sys
outcome = {}
for kind, target in json.loads(sys.argv[1]):
    try:
        if kind == "read":
            with open(target, "rb") as handle:
                handle.read(1)
        elif kind == "list":
            import os
            os.listdir(target)
        elif kind == "unix":
            with socket.socket(socket.AF_UNIX) as sock:
                sock.connect(target)
        outcome[target] = "allowed"
    except OSError as exc:
        outcome[target] = type(exc).__name__
print(json.dumps(outcome))
"""


def as_another_user(attempts: list[tuple[str, str]]) -> dict[str, str]:
    """What another OS user (``nobody``) gets for each (read | list | unix, path) attempt:
    ``allowed`` or the error's name."""
    if os.geteuid() != 0:
        pytest.skip("acting as another OS user needs root")
    try:
        done = subprocess.run(
            [SYSTEM_PYTHON, "-I", "-c", PROBE, json.dumps(attempts)],
            user=OTHER_USER,
            capture_output=True,
            text=True,
            timeout=30,
            cwd="/",
        )
    except OSError as exc:
        pytest.skip(f"{OTHER_USER} cannot run {SYSTEM_PYTHON}: {exc}")
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout))

"""Running `alliance` commands as real processes, for the end-to-end tests."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from shared.runtime import nats_client_url, port_is_free, read_run_info

ALLIANCE = str(Path(sys.executable).with_name("alliance"))
# Ports handed to a process that binds them later come from below the kernel's ephemeral
# range (32768+): the servers our nodes start ask the kernel for free ports, and would
# otherwise take such a port first now and then ("port … is already in use").
SPARE_PORTS = (20_000, 32_000)
_handed_out: set[int] = set()


def spare_port(block: int = 1) -> int:
    """A free port P (with P..P+block-1 free too) that no other test was given."""
    for _ in range(500):
        port = random.randrange(SPARE_PORTS[0], SPARE_PORTS[1] - block)
        ports = range(port, port + block)
        if not _handed_out.intersection(ports) and all(port_is_free("127.0.0.1", p) for p in ports):
            _handed_out.update(ports)
            return port
    raise AssertionError("no spare port left")


def run_cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """One CLI invocation; returns its exit code and output."""
    return subprocess.run(
        [ALLIANCE, *args], capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL
    )


class NodeProcess:
    """`alliance up` in its own process, as an operator would start it."""

    def __init__(
        self,
        data_dir: Path,
        port: int,
        env: dict[str, str] | None = None,
        track: list[NodeProcess] | None = None,
        options: list[str] | None = None,
    ) -> None:
        if track is not None:
            track.append(self)
        self.options = options or []  # e.g. --hub-credentials on the first start
        self.data_dir = data_dir
        self.port = port
        self.env = {**os.environ, **(env or {})}
        self.process: subprocess.Popen[str] | None = None
        self.url = f"http://127.0.0.1:{port}"

    def start(self, timeout: float = 60) -> NodeProcess:
        log = open(self.data_dir.parent / f"{self.data_dir.name}.log", "a")  # noqa: SIM115
        self.process = subprocess.Popen(
            [
                ALLIANCE,
                "up",
                "--data-dir",
                str(self.data_dir),
                "--port",
                str(self.port),
                *self.options,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            env=self.env,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"alliance up exited: see {log.name}"
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"node on port {self.port} not healthy in {timeout}s")

    @property
    def run_info(self) -> dict[str, object]:
        return read_run_info(self.data_dir)

    @property
    def nats_url(self) -> str:
        """The node's NATS with the credentials its run file names (the file, not the run
        file, holds the password)."""
        return nats_client_url(self.data_dir)

    def children(self) -> list[int]:
        return [int(pid) for pid in self.run_info["children"]]  # type: ignore[attr-defined]

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        assert self.process is not None
        self.process.send_signal(sig)
        return self.process.wait(timeout)

    def kill(self) -> None:
        self.stop(signal.SIGKILL)

    def cleanup(self) -> None:
        """Teardown: nothing this node started may outlive the test."""
        children: list[int] = []
        with contextlib.suppress(OSError, ValueError, KeyError):
            children = self.children()
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        for pid in children:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)


def pid_alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def wait_until_gone(pids: list[int], timeout: float = 15) -> bool:
    deadline = time.monotonic() + timeout
    while any(pid_alive(pid) for pid in pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True

